// qsim HLS library: DuplicateStreams (FINN's DuplicateStreams_Batch / _hls), the fork of a
// residual block.
//
// Maths: identity on each of N output streams, PE channels per word, C % PE == 0.
//
// Schedule (one pipelined loop, II=1):
//   for each pixel, for nf < NF = C/PE:  w = in.read(); out[n].write(w) for every n < N
// A word leaves on all outputs in the same iteration (in hardware the step fires only when
// every output register can take it). Trip count: C/PE per pixel (schedule.steps).
//
// The N outputs are an array of streams; Vitis HLS maps an array of hls::stream on the top
// interface to N AXI-Stream ports out_0 .. out_{N-1}.
//
// Template parameters: C channels; PE channels per word; IDT element codec; N output streams.
#ifndef QSIM_DUPLICATE_STREAMS_HPP
#define QSIM_DUPLICATE_STREAMS_HPP

#include "qsim/common.hpp"

namespace qsim {

template <unsigned C, unsigned PE, typename IDT, unsigned N>
void duplicate_streams(hls::stream<ap_uint<PE * IDT::width> >& in,
                       hls::stream<ap_uint<PE * IDT::width> > out[N], unsigned reps) {
  static_assert(C % PE == 0, "folding rule C % PE == 0 violated");
  static_assert(N >= 2, "DuplicateStreams needs n_outputs >= 2");
  const unsigned NF = C / PE;
  const unsigned long long total = (unsigned long long)reps * NF;
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    const ap_uint<PE * IDT::width> w = in.read();
    for (unsigned n = 0; n < N; n++) {
#pragma HLS UNROLL
      out[n].write(w);
    }
  }
}

}  // namespace qsim

#endif  // QSIM_DUPLICATE_STREAMS_HPP
