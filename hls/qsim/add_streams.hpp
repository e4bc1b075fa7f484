// qsim HLS library: AddStreams (FINN's AddStreams_Batch / _hls), the join of a residual block.
//
// Maths: y = a + b element-wise on the decoded values (BIPOLAR is -1/+1, BINARY 0/1), PE
// channels per word on all three streams, C % PE == 0.
//
// The sum is formed in ACC, a signed type the code generator derives from the exact range
// [min(IDT0) + min(IDT1), max(IDT0) + max(IDT1)], then encoded as ODT (which the Python config
// guarantees holds that range). cppsim builds trap with qsim::range_error if a sum is not a
// value of ODT.
//
// Schedule (one pipelined loop, II=1):
//   for each pixel, for nf < NF = C/PE:  a = in0.read(); b = in1.read(); out.write(a + b)
// Trip count: C/PE per pixel (schedule.steps).
//
// Template parameters: C channels; PE channels per word; IDT0, IDT1 input codecs; ACC the
// sum's C++ type (ap_int<n>); ODT output codec.
#ifndef QSIM_ADD_STREAMS_HPP
#define QSIM_ADD_STREAMS_HPP

#include "qsim/common.hpp"

namespace qsim {

template <unsigned C, unsigned PE, typename IDT0, typename IDT1, typename ACC, typename ODT>
void add_streams(hls::stream<ap_uint<PE * IDT0::width> >& in0,
                 hls::stream<ap_uint<PE * IDT1::width> >& in1,
                 hls::stream<ap_uint<PE * ODT::width> >& out, unsigned reps) {
  static_assert(C % PE == 0, "folding rule C % PE == 0 violated");
  const unsigned NF = C / PE;
  const unsigned long long total = (unsigned long long)reps * NF;
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    const ap_uint<PE * IDT0::width> a = in0.read();
    const ap_uint<PE * IDT1::width> b = in1.read();
    ap_uint<PE * ODT::width> y = 0;
    for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const ACC va = IDT0::decode(lane<IDT0::width, PE>(a, p));
      const ACC vb = IDT1::decode(lane<IDT1::width, PE>(b, p));
      const ACC s = va + vb;
      QSIM_ASSERT_ACC(s, (long long)IDT0::decode(lane<IDT0::width, PE>(a, p)).to_int64() +
                             (long long)IDT1::decode(lane<IDT1::width, PE>(b, p)).to_int64(),
                      "add_streams", i, p);
      QSIM_ASSERT_FITS(ODT, s, "add_streams", i, p);
      set_lane<ODT::width, PE>(y, p, ODT::encode(s));
    }
    out.write(y);
  }
}

}  // namespace qsim

#endif  // QSIM_ADD_STREAMS_HPP
