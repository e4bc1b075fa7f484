// qsim HLS library: FMPadding (FINN's FMPadding_Batch / FMPadding_hls), zero padding of an
// NHWC image.
//
// Maths: (H, W, C) -> (OH, OW, C) = (H + TOP + BOTTOM, W + LEFT + RIGHT, C); the input lands at
// [TOP:TOP+H, LEFT:LEFT+W], zeros elsewhere. SIMD channels per word in and out, C % SIMD == 0.
// The element type is unchanged (zero must be a value of IDT: the Python config refuses
// BIPOLAR, whose wire bit 0 means -1).
//
// Schedule (one pipelined loop, II=1, one iteration per OUTPUT word, raster order):
//   for oy < OH, ox < OW, cf < C/SIMD:
//     w = interior(oy, ox) ? in.read() : 0;  out.write(w)
// An interior step reads the next input word in order; a padding step reads nothing.
// Trip count: OH*OW*C/SIMD per image (the Python model's schedule.steps).
//
// Template parameters: H, W input image; C channels; TOP, LEFT, BOTTOM, RIGHT padding in
// pixels (FINN's Padding attribute order); SIMD channels per word; IDT element codec.
#ifndef QSIM_FMPADDING_HPP
#define QSIM_FMPADDING_HPP

#include "qsim/common.hpp"

namespace qsim {

template <unsigned H, unsigned W, unsigned C, unsigned TOP, unsigned LEFT, unsigned BOTTOM,
          unsigned RIGHT, unsigned SIMD, typename IDT>
void fmpadding(hls::stream<ap_uint<SIMD * IDT::width> >& in,
               hls::stream<ap_uint<SIMD * IDT::width> >& out, unsigned reps) {
  static_assert(C % SIMD == 0, "folding rule C % SIMD == 0 violated");
  const unsigned CF = C / SIMD;
  const unsigned OH = H + TOP + BOTTOM;
  const unsigned OW = W + LEFT + RIGHT;
  typedef ap_uint<SIMD * IDT::width> word;
  unsigned oy = 0, ox = 0, cf = 0;
  const unsigned long long total = (unsigned long long)reps * OH * OW * CF;
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    const bool interior = oy >= TOP && oy < TOP + H && ox >= LEFT && ox < LEFT + W;
    const word w = interior ? in.read() : word(0);
    out.write(w);
    if (++cf == CF) {
      cf = 0;
      if (++ox == OW) {
        ox = 0;
        if (++oy == OH) oy = 0;
      }
    }
  }
}

}  // namespace qsim

#endif  // QSIM_FMPADDING_HPP
