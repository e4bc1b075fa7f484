// qsim HLS library: MVTU, the matrix-vector-threshold unit (FINN's MVAU).
//
// Maths (DESIGN.md section 4), weights W of shape (MW, MH), x @ W:
//   acc[j] = sum_i x[i] * W[i, j]                     (XNOR: popcount(xnor(x_bits, w_bits)))
//   y[j]   = Act.activate(acc[j])                     (PassThrough or Thresholds)
// Folding: NF = MH/PE, SF = MW/SIMD (MH % PE == 0, MW % SIMD == 0). Output channel j = nf*PE+p.
//
// Schedule (one pipelined loop, II=1, the RTL's own counters):
//   for each vector, for nf < NF, for sf < SF:   tile = nf*SF + sf
//     x = (nf == 0) ? in.read() : inbuf[sf]      input vector read once, replayed for nf > 0
//     acc[p] = (sf == 0 ? 0 : acc[p]) + dot(x, weights[p][tile])   for every PE p in parallel
//     if sf == SF-1: out.write({act(nf, p, acc[p]) for p})        PE lanes, lane p = channel nf*PE+p
// Trip count: NF*SF iterations per vector (the Python model's schedule.steps).
// cppsim builds keep the exact partial sums in 64 bits beside acc[] and trap with
// qsim::range_error when an accumulator differs (ACC wrapped: QSIM_ASSERT_ACC).
//
// Template parameters:
//   MW, MH     matrix width (inputs) and height (outputs)
//   SIMD, PE   input and output parallelism
//   IDT, WDT   input and weight codecs (qsim::Int<W>, UInt<W>, Bipolar)
//   ACC        accumulator type (ap_int/ap_uint wide enough never to overflow)
//   XNOR       true: acc = popcount(xnor(x_bits, w_bits)) over the 1-bit wire codes
//   Act        qsim::PassThrough<ODT> or qsim::Thresholds<PE, NF, S, T, ODT>
//
// Run-time weights (FINN's "decoupled"/external mem_mode, shapes still fixed at compile time):
// load_weights<PE, TILES>(src, weights) copies PE*TILES packed tiles, src[p*TILES + tile], from
// an external memory into the on-chip array before the stream loop runs; the thresholds of Act
// load the same way (load_thresholds, thresholding.hpp). One compiled kernel then serves every
// weight set of its shape and types.
#ifndef QSIM_MVTU_HPP
#define QSIM_MVTU_HPP

#include "qsim/activation.hpp"
#include "qsim/common.hpp"
#include "qsim/thresholding.hpp"  // load_thresholds (run-time thresholds)

namespace qsim {

// Copy PE*TILES packed weight tiles, src[p*TILES + tile], into the on-chip array the kernel
// reads (one word per iteration; weights[p] is PE p's bank).
template <unsigned PE, unsigned TILES, int WB>
void load_weights(const ap_uint<WB>* src, ap_uint<WB> (&weights)[PE][TILES]) {
  unsigned p = 0, tile = 0;
  for (unsigned i = 0; i < PE * TILES; i++) {
#pragma HLS PIPELINE II = 1
    weights[p][tile] = src[i];
    if (++tile == TILES) {
      tile = 0;
      p++;
    }
  }
}

// Sum over the SIMD lanes of x[s] * w[s] (or popcount of xnor for XNOR), one tile's worth.
template <unsigned SIMD, typename IDT, typename WDT, typename ACC, bool XNOR>
struct SimdDot {
  static ACC dot(const ap_uint<SIMD * IDT::width>& x, const ap_uint<SIMD * WDT::width>& w) {
#pragma HLS INLINE
    ACC sum = 0;
    for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
      const typename IDT::value_type xv = IDT::decode(lane<IDT::width, SIMD>(x, s));
      const typename WDT::value_type wv = WDT::decode(lane<WDT::width, SIMD>(w, s));
      sum += xv * wv;
    }
    return sum;
  }
};

template <unsigned SIMD, typename IDT, typename WDT, typename ACC>
struct SimdDot<SIMD, IDT, WDT, ACC, true> {
  static ACC dot(const ap_uint<SIMD>& x, const ap_uint<SIMD>& w) {
#pragma HLS INLINE
    const ap_uint<SIMD> agree = ~(x ^ w);
#ifndef __SYNTHESIS__
    if (SIMD <= 64) {  // cppsim: the same count, one popcount instruction per word
      return ACC(__builtin_popcountll(agree.to_uint64()));
    }
#endif
    ACC count = 0;
    for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
      count += agree[s] ? 1 : 0;
    }
    return count;
  }
};

template <unsigned MW, unsigned MH, unsigned SIMD, unsigned PE, typename IDT, typename WDT,
          typename ACC, bool XNOR, typename Act>
void mvtu(hls::stream<ap_uint<SIMD * IDT::width> >& in,
          hls::stream<ap_uint<PE * Act::out_width> >& out,
          const ap_uint<SIMD * WDT::width> (&weights)[PE][(MH / PE) * (MW / SIMD)], const Act& act,
          unsigned reps) {
  static_assert(MH % PE == 0, "folding rule MH % PE == 0 violated");
  static_assert(MW % SIMD == 0, "folding rule MW % SIMD == 0 violated");
  static_assert(!XNOR || (IDT::width == 1 && WDT::width == 1), "XNOR needs 1-bit idt and wdt");
  const unsigned NF = MH / PE;
  const unsigned SF = MW / SIMD;
  typedef ap_uint<SIMD * IDT::width> in_word;
  typedef ap_uint<PE * Act::out_width> out_word;
#pragma HLS ARRAY_PARTITION variable = weights complete dim = 1

  in_word inbuf[SF];  // the current input vector, replayed for nf > 0
  ACC acc[PE];
#pragma HLS ARRAY_PARTITION variable = acc complete
#ifndef __SYNTHESIS__
  long long exact[PE];  // cppsim: the exact partial sums, for the accumulator range check
#endif
  unsigned nf = 0, sf = 0, tile = 0;
  const unsigned long long total = (unsigned long long)reps * NF * SF;
  for (unsigned long long i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
    QSIM_COUNT_TRIP();
    in_word x;
    if (nf == 0) {
      x = in.read();
      inbuf[sf] = x;
    } else {
      x = inbuf[sf];
    }
    for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const ACC partial = (sf == 0) ? ACC(0) : acc[p];
      acc[p] = partial + SimdDot<SIMD, IDT, WDT, ACC, XNOR>::dot(x, weights[p][tile]);
#ifndef __SYNTHESIS__
      exact[p] = ((sf == 0) ? 0LL : exact[p]) +
                 SimdDot<SIMD, IDT, WDT, ap_int<64>, XNOR>::dot(x, weights[p][tile]).to_int64();
      QSIM_ASSERT_ACC(acc[p], exact[p], "mvtu", i / SF, p);
#endif
    }
    if (sf == SF - 1) {
      out_word y = 0;
      for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
        set_lane<Act::out_width, PE>(y, p, act.activate(nf, p, acc[p]));
      }
      out.write(y);
    }
    // advance (nf, sf, tile): tile = nf*SF + sf is a loop invariant
    tile++;
    if (++sf == SF) {
      sf = 0;
      if (++nf == NF) {
        nf = 0;
        tile = 0;
      }
    }
  }
}

}  // namespace qsim

#endif  // QSIM_MVTU_HPP
