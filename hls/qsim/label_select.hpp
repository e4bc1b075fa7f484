// qsim HLS library: LabelSelect (FINN's LabelSelect_Batch / LabelSelect_hls), top-K indices.
//
// Maths: the indices of the K largest of LABELS values, largest first; among equal values the
// LOWER index first (ONNX TopK order). PE values per input word (LABELS % PE == 0); one index
// per output word, encoded as ODT.
//
// Micro-architecture: K slots (value, index, valid) sorted by value, largest first, fully
// partitioned. Value v of index idx goes into the first slot that is empty or holds a value
// strictly below v; the slots from there down shift by one. Indices arrive in increasing
// order, so a value never passes an equal one: ties keep the lower index first. (finn-hlslib's
// LabelSelect_Batch also compares strictly, but starts from K slots pre-filled with the input
// type's minimum and label 0, so a frame in which fewer than K values exceed that minimum
// outputs label 0 for the missing places; qsim's valid bits follow ONNX TopK there too.)
//
// Schedule (one pipelined loop, II=1, NF + K iterations per frame, NF = LABELS/PE):
//   step s < NF:       x = in.read(); insert x[p] with index s*PE + p, p = 0 .. PE-1
//                      (step 0 first empties the slots)
//   step NF + j < NF+K: out.write(index of slot j)
// Trip count: NF + K per frame (the Python model's schedule.steps).
//
// Template parameters: LABELS values per frame; PE values per word; K indices output; IDT
// input codec; ODT index codec (UInt<n> or Int<n> holding LABELS - 1).
#ifndef QSIM_LABEL_SELECT_HPP
#define QSIM_LABEL_SELECT_HPP

#include "qsim/common.hpp"

namespace qsim {

template <unsigned LABELS, unsigned PE, unsigned K, typename IDT, typename ODT>
void label_select(hls::stream<ap_uint<PE * IDT::width> >& in,
                  hls::stream<ap_uint<ODT::width> >& out, unsigned reps) {
  static_assert(LABELS % PE == 0, "folding rule Labels % PE == 0 violated");
  static_assert(K >= 1 && K <= LABELS, "1 <= K <= Labels violated");
  const unsigned NF = LABELS / PE;
  typedef typename IDT::value_type value;
  typedef typename ODT::value_type index;  // the output type holds LABELS - 1
  value top_v[K];
  index top_i[K];
  bool top_ok[K];
#pragma HLS ARRAY_PARTITION variable = top_v complete dim = 1
#pragma HLS ARRAY_PARTITION variable = top_i complete dim = 1
#pragma HLS ARRAY_PARTITION variable = top_ok complete dim = 1
  unsigned step = 0;
  const unsigned long long total = (unsigned long long)reps * (NF + K);
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    if (step < NF) {
      if (step == 0) {
        for (unsigned j = 0; j < K; j++) {
#pragma HLS UNROLL
          top_ok[j] = false;
        }
      }
      const ap_uint<PE * IDT::width> x = in.read();
      for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
        const value v = IDT::decode(lane<IDT::width, PE>(x, p));
        const index idx = step * PE + p;
        bool above[K];  // v goes above slot j; monotone: above[j] implies above[j+1]
        for (unsigned j = 0; j < K; j++) {
#pragma HLS UNROLL
          above[j] = !top_ok[j] || v > top_v[j];
        }
        for (unsigned j = K; j-- > 0;) {
#pragma HLS UNROLL
          if (above[j]) {
            const bool shift = j > 0 && above[j - 1];
            top_v[j] = shift ? top_v[j - 1] : v;
            top_i[j] = shift ? top_i[j - 1] : idx;
            top_ok[j] = shift ? top_ok[j - 1] : true;
          }
        }
      }
    } else {
      out.write(ODT::encode(top_i[step - NF]));
    }
    if (++step == NF + K) step = 0;
  }
}

}  // namespace qsim

#endif  // QSIM_LABEL_SELECT_HPP
