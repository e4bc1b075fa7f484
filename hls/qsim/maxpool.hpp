// qsim HLS library: MaxPool (FINN's StreamingMaxPool), non-overlapping KH x KW windows.
//
// Maths: y[oy, ox, c] = max_{a<KH, b<KW} x[oy*KH + a, ox*KW + b, c] on the decoded values
// (BINARY: OR; BIPOLAR: max of +-1). NHWC, PE channels per word; H % KH == 0, W % KW == 0,
// C % PE == 0.
//
// Schedule (one pipelined loop, II=1, one iteration per input word):
//   for y < H, x < W, cf < C/PE:  m = (window starts) ? in : max(rowbuf[ox][cf], in)
//                                 rowbuf[ox][cf] = m;  if window ends: out.write(m)
// rowbuf holds one row of OW*C/PE running maxima. Trip count: H*W*C/PE per image (the Python
// model's schedule.steps).
//
// Template parameters: H, W image; C channels; KH, KW kernel (= stride); PE channels per word;
// IDT input/output codec.
#ifndef QSIM_MAXPOOL_HPP
#define QSIM_MAXPOOL_HPP

#include "qsim/common.hpp"

namespace qsim {

// Lane-wise max of two words of PE elements of IDT.
template <unsigned PE, typename IDT>
ap_uint<PE * IDT::width> lane_max(const ap_uint<PE * IDT::width>& a,
                                  const ap_uint<PE * IDT::width>& b) {
#pragma HLS INLINE
  ap_uint<PE * IDT::width> m = 0;
  for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
    const ap_uint<IDT::width> la = lane<IDT::width, PE>(a, p);
    const ap_uint<IDT::width> lb = lane<IDT::width, PE>(b, p);
    set_lane<IDT::width, PE>(m, p, IDT::decode(la) >= IDT::decode(lb) ? la : lb);
  }
  return m;
}

template <unsigned H, unsigned W, unsigned C, unsigned KH, unsigned KW, unsigned PE,
          typename IDT>
void maxpool(hls::stream<ap_uint<PE * IDT::width> >& in,
             hls::stream<ap_uint<PE * IDT::width> >& out, unsigned reps) {
  static_assert(H % KH == 0, "folding rule H % K == 0 violated");
  static_assert(W % KW == 0, "folding rule W % K == 0 violated");
  static_assert(C % PE == 0, "folding rule C % PE == 0 violated");
  const unsigned NF = C / PE;
  const unsigned OW = W / KW;
  typedef ap_uint<PE * IDT::width> word;
  word rowbuf[OW * NF];  // running maxima of the current window row band
  unsigned x = 0, cf = 0, a = 0, b = 0, ox = 0;  // a = row % KH, b = x % KW, ox = x / KW
  const unsigned long long total = (unsigned long long)reps * H * W * NF;
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    const word v = in.read();
    const unsigned idx = ox * NF + cf;
    const word m = (a == 0 && b == 0) ? v : lane_max<PE, IDT>(rowbuf[idx], v);
    rowbuf[idx] = m;
    if (a == KH - 1 && b == KW - 1) out.write(m);
    // advance (x, cf) with the derived counters a, b, ox
    if (++cf == NF) {
      cf = 0;
      x++;
      if (++b == KW) {
        b = 0;
        ox++;
      }
      if (x == W) {
        x = 0;
        ox = 0;
        if (++a == KH) a = 0;  // H % KH == 0: a is 0 again at each image's first row
      }
    }
  }
}

}  // namespace qsim

#endif  // QSIM_MAXPOOL_HPP
