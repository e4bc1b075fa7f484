// qsim HLS library: element codecs, lane access and the cppsim trip counter.
//
// A stream word ap_uint<LANES * T::width> carries LANES elements of datatype T; element 0 sits
// in the least significant bits, lane i in bits [(i+1)*w-1 : i*w] (DESIGN.md section 3).
//
// Datatype codecs (one per qsim/QONNX datatype; the Python codegen picks them from the config):
//   qsim::Int<W>   INTW,  two's complement  value_type ap_int<W>
//   qsim::UInt<W>  UINTW, plain binary      value_type ap_uint<W>   (BINARY is UInt<1>)
//   qsim::Bipolar  BIPOLAR, bit 0 = -1, 1 = +1   value_type ap_int<2>
// Each has: width, value_type, decode(bits) -> value, encode(value) -> bits.
//
// cppsim builds (not __SYNTHESIS__) also get QSIM_ASSERT_FITS(T, v, what, word, lane), which
// throws qsim::range_error when v is not a value of codec T (the accumulating kernels check
// every output against their declared output type with it), and QSIM_ASSERT_ACC(acc, exact,
// what, word, lane), which throws qsim::range_error when an accumulator of its declared type
// differs from the exact sum kept alongside in 64 bits (the declared type wrapped: too narrow,
// or signed at the width of an unsigned range).
#ifndef QSIM_COMMON_HPP
#define QSIM_COMMON_HPP

#include <ap_int.h>
#include <stdint.h>

#ifndef __SYNTHESIS__
#include <stdexcept>
#include <string>
#endif

#ifndef __SYNTHESIS__
// Vitis HLS rejects a zero-width ap_int/ap_uint; the C model accepts one and keeps a whole bit
// in it. Declared but never defined here, so cppsim rejects it too.
template <>
struct ap_int<0>;
template <>
struct ap_uint<0>;
#endif

#ifdef __SYNTHESIS__
#include <hls_stream.h>
#else
#include "qsim/hls_stream.h"
#endif

namespace qsim {

template <unsigned W>
struct Int {
  static const unsigned width = W;
  typedef ap_int<W> value_type;
  static value_type decode(const ap_uint<W>& bits) {
    value_type v;
    v.range(W - 1, 0) = bits;  // reinterpret the W wire bits as two's complement
    return v;
  }
  template <typename V>
  static ap_uint<W> encode(const V& v) {
    return ap_uint<W>(v);  // the low W bits: two's complement (the config guarantees v fits)
  }
};

template <unsigned W>
struct UInt {
  static const unsigned width = W;
  typedef ap_uint<W> value_type;
  static value_type decode(const ap_uint<W>& bits) { return bits; }
  template <typename V>
  static ap_uint<W> encode(const V& v) {
    return ap_uint<W>(v);
  }
};

struct Bipolar {
  static const unsigned width = 1;
  typedef ap_int<2> value_type;
  static value_type decode(const ap_uint<1>& bit) { return bit ? value_type(1) : value_type(-1); }
  template <typename V>
  static ap_uint<1> encode(const V& v) {
    return v == 1 ? ap_uint<1>(1) : ap_uint<1>(0);  // -1 -> 0, +1 -> 1; any other value -> 0
  }
};

// Lane i of a packed word of LANES elements of W bits each.
template <unsigned W, unsigned LANES>
inline ap_uint<W> lane(const ap_uint<W * LANES>& word, unsigned i) {
#pragma HLS INLINE
  return word.range(i * W + W - 1, i * W);
}

template <unsigned W, unsigned LANES>
inline void set_lane(ap_uint<W * LANES>& word, unsigned i, const ap_uint<W>& v) {
#pragma HLS INLINE
  word.range(i * W + W - 1, i * W) = v;
}

// Pipelined-loop iteration counter, compiled only outside synthesis (cppsim). The harness
// resets it before a kernel call and reads it afterwards.
#ifndef __SYNTHESIS__
inline uint64_t& trip_count() {
  static thread_local uint64_t count = 0;
  return count;
}
#endif

#ifndef __SYNTHESIS__
// Thrown by a cppsim range assertion: a computed value left its declared output type.
class range_error : public std::runtime_error {
 public:
  explicit range_error(const std::string& msg) : std::runtime_error(msg) {}
};

// Trap (cppsim only) unless v is a value of codec T, i.e. survives T's encode/decode round
// trip unchanged (INTn, UINTn: inside the type's range; BIPOLAR: exactly -1 or +1).
template <typename T, typename V>
inline void assert_fits(const V& v, const char* what, unsigned long long word, unsigned lane) {
  if (!(T::decode(T::encode(v)) == v)) {
    throw range_error(std::string(what) + ": value " + v.to_string(10) + " at output word " +
                      std::to_string(word) + " lane " + std::to_string(lane) +
                      " leaves the output type (" + std::to_string(T::width) + " bits)");
  }
}

// Trap (cppsim only) unless the accumulator `acc` (its declared C++ type) holds the exact
// partial sum `exact`, computed alongside in 64 bits: every accumulator value must stay in
// the range its type was declared for.
template <typename A>
inline void assert_acc(const A& acc, long long exact, const char* what,
                       unsigned long long word, unsigned lane) {
  if (static_cast<long long>(acc.to_int64()) != exact) {
    throw range_error(std::string(what) + ": accumulator " + acc.to_string(10) +
                      " != exact sum " + std::to_string(exact) + " at output word " +
                      std::to_string(word) + " lane " + std::to_string(lane) +
                      ": the accumulator type (" + std::to_string(A::width) + " bits, " +
                      (A(-1) < A(0) ? "signed" : "unsigned") + ") cannot hold it");
  }
}
#endif

}  // namespace qsim

#ifndef __SYNTHESIS__
#define QSIM_COUNT_TRIP() (++::qsim::trip_count())
#define QSIM_ASSERT_FITS(T, v, what, word, lane) \
  (::qsim::assert_fits<T>((v), (what), (word), (lane)))
#define QSIM_ASSERT_ACC(acc, exact, what, word, lane) \
  (::qsim::assert_acc((acc), (exact), (what), (word), (lane)))
#else
#define QSIM_COUNT_TRIP() ((void)0)
#define QSIM_ASSERT_FITS(T, v, what, word, lane) ((void)0)
#define QSIM_ASSERT_ACC(acc, exact, what, word, lane) ((void)0)
#endif

#endif  // QSIM_COMMON_HPP
