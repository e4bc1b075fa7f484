// qsim HLS library: sliding-window generator (FINN's ConvolutionInputGenerator).
//
// Maths: for each output pixel (oy, ox) in raster order, emit the window in (kh, kw, c/SIMD)
// order (depthwise: (c/SIMD, kh, kw)), reading input pixel (oy*SH + kh*DH, ox*SW + kw*DW).
// OH = (H - (KH-1)*DH - 1) / SH + 1, same for W. C % SIMD == 0.
//
// Micro-architecture (the Python model's, docs/timing.md): a circular buffer of
//   BUF = (H + (KH-1)*DH + 1) * W * C/SIMD words
// (one frame plus the rows one window spans, so the input can run a frame ahead), and one
// pipelined loop (II=1) whose iteration t may do both of
//   * emit output word wr, if its source word was read in an earlier iteration;
//   * read input word rd, if rd - freed < BUF (registered: `freed` as of iteration t-1).
// The last word of an output pixel frees the input words below the next pixel's first window
// word (the frame's last pixel frees the rest of its frame).
//
// Trip count: loop iterations until every input word is read and every output word written.
// Stall-free, iteration t is cycle t of the Python cycle model, so the count equals
//   max(trace.accept[-1], trace.step[-1]) + 1   with trace = cfg.cycles(frames)
// i.e. about max(in words, out words) per frame in steady state; the kernel emits exactly
// schedule.steps (= out words) words per frame.
//
// Template parameters: H, W image; C channels; KH, KW kernel; SH, SW stride; DH, DW dilation;
// SIMD channels per word; IDT element codec; DEPTHWISE output order.
#ifndef QSIM_SLIDING_WINDOW_HPP
#define QSIM_SLIDING_WINDOW_HPP

#include "qsim/common.hpp"

namespace qsim {

template <unsigned H, unsigned W, unsigned C, unsigned KH, unsigned KW, unsigned SH,
          unsigned SW, unsigned DH, unsigned DW, unsigned SIMD, typename IDT, bool DEPTHWISE>
void sliding_window(hls::stream<ap_uint<SIMD * IDT::width> >& in,
                    hls::stream<ap_uint<SIMD * IDT::width> >& out, unsigned reps) {
  static_assert(C % SIMD == 0, "folding rule C % SIMD == 0 violated");
  static_assert((KH - 1) * DH + 1 <= H && (KW - 1) * DW + 1 <= W, "kernel exceeds image");
  const unsigned CF = C / SIMD;
  const unsigned OH = (H - (KH - 1) * DH - 1) / SH + 1;
  const unsigned OW = (W - (KW - 1) * DW - 1) / SW + 1;
  const unsigned N_IN = H * W * CF;
  const unsigned BUF = (H + (KH - 1) * DH + 1) * W * CF;
  typedef ap_uint<SIMD * IDT::width> word;

  word buf[BUF];
  const unsigned long long total_in = (unsigned long long)reps * N_IN;
  const unsigned long long total_out = (unsigned long long)reps * OH * OW * KH * KW * CF;
  unsigned long long rd = 0, wr = 0, freed = 0;  // words read, written; input words freed
  unsigned long long frame_base = 0;             // global index of the output frame's word 0
  unsigned rd_slot = 0, base_slot = 0;           // rd % BUF, frame_base % BUF
  unsigned oy = 0, ox = 0, kh = 0, kw = 0, cf = 0;  // output word counters
  while (rd < total_in || wr < total_out) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    const unsigned src = ((oy * SH + kh * DH) * W + ox * SW + kw * DW) * CF + cf;
    // after the last output word frame_base = total_in >= rd, so no word is left to emit
    const bool do_out = frame_base + src < rd;
    const bool do_in = rd < total_in && rd < freed + BUF;  // freed may run ahead of rd
#ifndef __SYNTHESIS__
    if (!do_out && !do_in) throw stream_error("sliding_window: deadlock (buffer full)");
#endif
    if (do_out) {
      const unsigned slot = (base_slot + src >= BUF) ? base_slot + src - BUF : base_slot + src;
      out.write(buf[slot]);
      wr++;
      // advance the window counters in stream order
      bool pixel_done = false;
      if (DEPTHWISE) {  // (cf, kh, kw)
        if (++kw == KW) {
          kw = 0;
          if (++kh == KH) {
            kh = 0;
            if (++cf == CF) {
              cf = 0;
              pixel_done = true;
            }
          }
        }
      } else {  // (kh, kw, cf)
        if (++cf == CF) {
          cf = 0;
          if (++kw == KW) {
            kw = 0;
            if (++kh == KH) {
              kh = 0;
              pixel_done = true;
            }
          }
        }
      }
      if (pixel_done) {
        if (++ox == OW) {
          ox = 0;
          if (++oy == OH) oy = 0;
        }
        if (ox == 0 && oy == 0) {  // frame done: free the rest of the frame
          frame_base += N_IN;
          freed = frame_base;
          base_slot = (base_slot + N_IN >= BUF) ? base_slot + N_IN - BUF : base_slot + N_IN;
        } else {  // free the words below the next pixel's first window word
          freed = frame_base + (oy * SH * W + ox * SW) * CF;
        }
      }
    }
    if (do_in) {
      buf[rd_slot] = in.read();
      rd++;
      rd_slot = (rd_slot + 1 == BUF) ? 0 : rd_slot + 1;
    }
  }
}

}  // namespace qsim

#endif  // QSIM_SLIDING_WINDOW_HPP
