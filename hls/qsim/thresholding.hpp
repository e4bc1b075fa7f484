// qsim HLS library: Thresholding (FINN's Thresholding_Batch).
//
// Maths: y[c] = act_val + #{s : x[c] >= T[c, s]} (BIPOLAR odt: 2*#{...} - 1), PE channels per
// word, channel c in word c / PE, lane c % PE (C % PE == 0).
//
// Schedule (one pipelined loop, II=1):
//   for each pixel, for nf < NF = C/PE:  x = in.read(); out.write({act(nf, p, x[p]) for p})
// Trip count: C/PE iterations per pixel (the Python model's schedule.steps).
//
// Template parameters:
//   C, PE   channels and channels per word
//   IDT     input codec (qsim::Int<W>, UInt<W>, Bipolar)
//   Act     qsim::Thresholds<PE, C/PE, S, T, ODT>
//
// Run-time thresholds: load_thresholds(src, act_val, act) copies PE*NF*S thresholds,
// src[(p*NF + nf)*S + s] = T[nf*PE + p, s], from an external memory into act before the stream
// loop runs (the MVTU's thresholds load the same way), so the compiled kernel serves every
// threshold set of its shape and types.
#ifndef QSIM_THRESHOLDING_HPP
#define QSIM_THRESHOLDING_HPP

#include "qsim/activation.hpp"
#include "qsim/common.hpp"

namespace qsim {

template <unsigned PE, unsigned NF, unsigned S, typename T, typename ODT>
void load_thresholds(const T* src, int64_t act_val, Thresholds<PE, NF, S, T, ODT>& act) {
  unsigned p = 0, nf = 0, s = 0;
  for (unsigned i = 0; i < PE * NF * S; i++) {
#pragma HLS PIPELINE II = 1
    act.thr[p][nf][s] = src[i];
    if (++s == S) {
      s = 0;
      if (++nf == NF) {
        nf = 0;
        p++;
      }
    }
  }
  act.act_val = act_val;
}

template <unsigned C, unsigned PE, typename IDT, typename Act>
void thresholding(hls::stream<ap_uint<PE * IDT::width> >& in,
                  hls::stream<ap_uint<PE * Act::out_width> >& out, const Act& act,
                  unsigned reps) {
  static_assert(C % PE == 0, "folding rule C % PE == 0 violated");
  const unsigned NF = C / PE;
  typedef ap_uint<PE * Act::out_width> out_word;
  unsigned nf = 0;
  const unsigned long long total = (unsigned long long)reps * NF;
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    const ap_uint<PE * IDT::width> x = in.read();
    out_word y = 0;
    for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const typename IDT::value_type v = IDT::decode(lane<IDT::width, PE>(x, p));
      set_lane<Act::out_width, PE>(y, p, act.activate(nf, p, v));
    }
    out.write(y);
    if (++nf == NF) nf = 0;
  }
}

}  // namespace qsim

#endif  // QSIM_THRESHOLDING_HPP
