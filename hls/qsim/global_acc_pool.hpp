// qsim HLS library: GlobalAccPool (FINN's GlobalAccPool_Batch / _hls).
//
// Maths: (H, W, C) -> (C,): y[c] = sum over the H*W pixels of x[., ., c] (no division: the
// 1/(H*W) factor is a scale absorbed downstream). PE channels per word, C % PE == 0.
//
// The running sums are kept in ACC, a signed type the code generator derives from the exact
// range [H*W*min(IDT), H*W*max(IDT)] (a partial sum over k pixels lies in [k*min, k*max],
// inside that range because min <= 0 <= max for every qsim type); the final sum is encoded as
// ODT.
// cppsim builds trap with qsim::range_error if a final sum is not a value of ODT, or if a
// running sum in ACC differs from the exact one kept in 64 bits (QSIM_ASSERT_ACC).
//
// Schedule (one pipelined loop, II=1, one iteration per input word):
//   for px < H*W, nf < NF = C/PE:
//     s[nf][p] = (px == 0 ? 0 : acc[nf][p]) + x[p];  acc[nf][p] = s[nf][p]
//     if px == H*W - 1: out.write({s[nf][p] for p})
// Output word nf leaves at the step of the last pixel's word nf. acc holds NF words of PE
// sums. Trip count: H*W*C/PE per image (schedule.steps).
//
// Template parameters: H, W image; C channels; PE channels per word; IDT input codec; ACC
// running-sum C++ type (ap_int<n>); ODT output codec.
#ifndef QSIM_GLOBAL_ACC_POOL_HPP
#define QSIM_GLOBAL_ACC_POOL_HPP

#include "qsim/common.hpp"

namespace qsim {

template <unsigned H, unsigned W, unsigned C, unsigned PE, typename IDT, typename ACC,
          typename ODT>
void global_acc_pool(hls::stream<ap_uint<PE * IDT::width> >& in,
                     hls::stream<ap_uint<PE * ODT::width> >& out, unsigned reps) {
  static_assert(C % PE == 0, "folding rule C % PE == 0 violated");
  const unsigned NF = C / PE;
  const unsigned PIXELS = H * W;
  ACC acc[NF][PE];
#pragma HLS ARRAY_PARTITION variable = acc complete dim = 2
#ifndef __SYNTHESIS__
  long long exact[C / PE][PE];  // cppsim: the exact running sums, for the range check
#endif
  unsigned px = 0, nf = 0;
#ifndef __SYNTHESIS__
  unsigned long long written = 0;  // output words so far, for the range assertions' messages
#endif
  const unsigned long long total = (unsigned long long)reps * PIXELS * NF;
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    const ap_uint<PE * IDT::width> x = in.read();
    const bool last = px == PIXELS - 1;
    ap_uint<PE * ODT::width> y = 0;
    for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const ACC v = IDT::decode(lane<IDT::width, PE>(x, p));
      const ACC s = (px == 0) ? v : ACC(acc[nf][p] + v);
      acc[nf][p] = s;
#ifndef __SYNTHESIS__
      exact[nf][p] = ((px == 0) ? 0LL : exact[nf][p]) +
                     (long long)IDT::decode(lane<IDT::width, PE>(x, p)).to_int64();
      QSIM_ASSERT_ACC(s, exact[nf][p], "global_acc_pool", written, p);
#endif
      if (last) {
        QSIM_ASSERT_FITS(ODT, s, "global_acc_pool", written, p);
        set_lane<ODT::width, PE>(y, p, ODT::encode(s));
      }
    }
    if (last) {
      out.write(y);
#ifndef __SYNTHESIS__
      written++;
#endif
    }
    if (++nf == NF) {
      nf = 0;
      if (++px == PIXELS) px = 0;
    }
  }
}

}  // namespace qsim

#endif  // QSIM_GLOBAL_ACC_POOL_HPP
