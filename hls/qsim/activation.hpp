// qsim HLS library: output activations shared by the MVTU and Thresholding kernels.
//
//   PassThrough<ODT>              y = v (the MVTU accumulator, ODT holds its whole range)
//   Thresholds<PE,NF,S,T,ODT>     y = act_val + #{s : v >= T[p][nf][s]}; BIPOLAR: 2*#{...}-1
//
// activate(nf, p, v) returns the ODT wire bits of the output element for channel nf*PE + p.
// Thresholds are stored [p][nf][s]; the generated top function partitions dim 1 (each PE owns
// its bank) and dim 3 (all S thresholds of a channel compared in parallel).
#ifndef QSIM_ACTIVATION_HPP
#define QSIM_ACTIVATION_HPP

#include "qsim/common.hpp"

namespace qsim {

// Bits to hold the values 0..N (N >= 1): the width of a threshold count of S thresholds.
template <unsigned long long N>
struct bits_for {
  static const unsigned value = 1 + bits_for<N / 2>::value;
};
template <>
struct bits_for<1> {
  static const unsigned value = 1;
};

// Value of an output whose threshold count is `count`.
template <typename ODT>
struct count_value {
  static int64_t get(int64_t count, int64_t act_val) { return count + act_val; }
};
template <>
struct count_value<Bipolar> {
  static int64_t get(int64_t count, int64_t) { return 2 * count - 1; }
};

template <typename ODT>
struct PassThrough {
  static const unsigned out_width = ODT::width;
  template <typename V>
  ap_uint<ODT::width> activate(unsigned, unsigned, const V& v) const {
#pragma HLS INLINE
    return ODT::template encode<V>(v);
  }
};

template <unsigned PE, unsigned NF, unsigned S, typename T, typename ODT>
struct Thresholds {
  static const unsigned out_width = ODT::width;
  T thr[PE][NF][S];  // [p][nf][s] = T[nf*PE + p, s], ascending along s
  int64_t act_val;

  template <typename V>
  ap_uint<ODT::width> activate(unsigned nf, unsigned p, const V& v) const {
#pragma HLS INLINE
    const T x = v;  // T holds every threshold and every value of v (checked in Python)
    ap_uint<bits_for<S>::value> count = 0;
    for (unsigned s = 0; s < S; s++) {
#pragma HLS UNROLL
      count += (x >= thr[p][nf][s]) ? 1 : 0;
    }
    return ODT::encode(count_value<ODT>::get(int64_t(count), act_val));
  }
};

}  // namespace qsim

#endif  // QSIM_ACTIVATION_HPP
