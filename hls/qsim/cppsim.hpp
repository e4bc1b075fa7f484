// qsim cppsim harness: the batch entry point the generated extern "C" functions call.
//
// Simulation only (never synthesized). A batch is an array of packed words, each stored as
// LIMBS = ceil(W / 64) uint64 limbs, limb 0 holding bits [63:0] (element 0 in its LSBs). The
// harness fills the input stream, runs the kernel on `reps` frames, checks that the kernel
// consumed every input word and produced exactly `n_out` words, and copies the output out.
// Any C++ exception becomes return code 1 with its message in `msg`.
//
// The libraries are built with -fsanitize=bounds (qsim/cppsim/build.py): g++ checks every
// subscript of an array whose bounds it knows and calls __ubsan_handle_out_of_bounds on a
// violation. The handler below (no sanitizer runtime is used) records the first violation of
// the call; the harness turns it into an error naming the array type, the index and the source
// line once the kernel returns. An out-of-bounds load or write in a kernel (a loop running one
// iteration too far) reads or overwrites memory next to the array in C simulation and nothing
// in the synthesized design, so it is an error even when no output word changes.
//
// run_batch serves kernels with one input and one output stream; run_ports serves multi-port
// kernels (AddStreams: two inputs of possibly different widths; DuplicateStreams: N outputs of
// one width), with one word array per port.
#ifndef QSIM_CPPSIM_HPP
#define QSIM_CPPSIM_HPP

#ifdef __SYNTHESIS__
#error "qsim/cppsim.hpp is the C-simulation harness; do not synthesize it"
#endif

#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "qsim/common.hpp"

namespace qsim {
namespace cppsim {

// The first out-of-bounds subscript of the running kernel call (seen: there was one).
struct bounds_violation {
  std::string where;
  std::string array;
  long long index = 0;
  bool seen = false;
};

// What g++'s -fsanitize=bounds passes its handler (the sanitizer ABI): a location {file,
// line, column} and type descriptors {kind, info, name}; info bit 0 = signed, info >> 1 =
// log2 of the bits.
struct ubsan_location {
  const char* file;
  uint32_t line;
  uint32_t column;
};
struct ubsan_type {
  uint16_t kind;
  uint16_t info;
  char name[1];
};
struct ubsan_oob_data {
  ubsan_location loc;
  const ubsan_type* array_type;
  const ubsan_type* index_type;
};

inline bounds_violation& last_violation() {
  static thread_local bounds_violation v;
  return v;
}

// The kernel loop iteration (1-based: the trip count when the word was read) of every input
// word the last kernel call read, in order (qsim_read_log copies it out). Only run_batch's
// input stream logs: after a run_ports call it is empty.
inline std::vector<uint64_t>& read_log() {
  static thread_local std::vector<uint64_t> log;
  return log;
}

// Throws when the kernel call that just returned indexed past an array; clears the record.
inline void check_bounds() {
  bounds_violation& v = last_violation();
  if (!v.seen) return;
  const std::string text = "index " + std::to_string(v.index) + " out of bounds for " + v.array +
                           " at " + v.where;
  v = bounds_violation();
  throw std::out_of_range(text);
}

// One kernel call under the harness's checks: the trip counter, the read log and the bounds
// record start empty; an out-of-bounds subscript of the call throws; *trip gets the count.
template <typename Call>
void run_checked(Call call, uint64_t* trip) {
  trip_count() = 0;
  read_log().clear();
  last_violation() = bounds_violation();
  call();
  check_bounds();
  if (trip != nullptr) *trip = trip_count();
}

template <unsigned W>
struct limbs {
  static const unsigned count = (W + 63) / 64;
};

template <unsigned W>
ap_uint<W> from_limbs(const uint64_t* p) {
  ap_uint<W> v = 0;
  for (unsigned l = 0; l < limbs<W>::count; l++) {
    const ap_uint<W> limb = p[l];  // truncated to W bits; limb bits past W are zero
    v |= limb << (64 * l);
  }
  return v;
}

template <unsigned W>
void to_limbs(const ap_uint<W>& v, uint64_t* p) {
  for (unsigned l = 0; l < limbs<W>::count; l++) {
    const ap_uint<W> shifted = v >> (64 * l);
    p[l] = shifted.to_uint64();  // the low 64 bits
  }
}

// Words of W bits given as a constant initializer: limbs, least significant first.
template <unsigned W>
ap_uint<W> word(std::initializer_list<uint64_t> l) {
  uint64_t p[limbs<W>::count] = {0};
  unsigned i = 0;
  for (uint64_t v : l) p[i++] = v;
  return from_limbs<W>(p);
}

inline void set_message(char* msg, uint64_t msg_len, const std::string& text) {
  if (msg == nullptr || msg_len == 0) return;
  const size_t n = text.size() < msg_len - 1 ? text.size() : msg_len - 1;
  std::memcpy(msg, text.data(), n);
  msg[n] = '\0';
}

// Run `kernel(in_stream, out_stream, reps)` on a batch; returns 0 or 1 (message in msg).
template <unsigned IN_W, unsigned OUT_W, typename Kernel>
int run_batch(const char* block, Kernel kernel, const uint64_t* in, uint64_t n_in, uint64_t* out,
              uint64_t n_out, uint32_t reps, uint64_t* trip, char* msg, uint64_t msg_len) {
  try {
    const std::string name(block);
    hls::stream<ap_uint<IN_W> > s_in(name + " input");
    hls::stream<ap_uint<OUT_W> > s_out(name + " output");
    for (uint64_t i = 0; i < n_in; i++) s_in.write(from_limbs<IN_W>(in + i * limbs<IN_W>::count));
    read_log().reserve(n_in);
    s_in.log_reads(&read_log(), &trip_count());
    run_checked([&] { kernel(s_in, s_out, reps); }, trip);
    if (!s_in.empty()) {
      throw stream_error("stream '" + s_in.name() + "': " + std::to_string(s_in.size()) +
                         " input words left unread after " + std::to_string(reps) + " frames");
    }
    if (s_out.size() != n_out) {
      throw stream_error("stream '" + s_out.name() + "': kernel wrote " +
                         std::to_string(s_out.size()) + " words, expected " +
                         std::to_string(n_out));
    }
    for (uint64_t i = 0; i < n_out; i++) to_limbs<OUT_W>(s_out.read(), out + i * limbs<OUT_W>::count);
    set_message(msg, msg_len, "");
    return 0;
  } catch (const std::exception& e) {
    set_message(msg, msg_len, e.what());
    return 1;
  } catch (...) {
    set_message(msg, msg_len, "unknown C++ exception");
    return 1;
  }
}

// Input ports of widths W...: one named stream per port ("<block> input <p>").
template <unsigned... W>
struct in_ports {
  std::tuple<hls::stream<ap_uint<W> >...> s;

  explicit in_ports(const std::string& block)
      : in_ports(block, std::make_index_sequence<sizeof...(W)>{}) {}

  void fill(const uint64_t* const* in, const uint64_t* n_in) {
    fill(in, n_in, std::make_index_sequence<sizeof...(W)>{});
  }
  void check_consumed(uint32_t reps) {
    check_consumed(reps, std::make_index_sequence<sizeof...(W)>{});
  }

 private:
  template <size_t... I>
  in_ports(const std::string& block, std::index_sequence<I...>)
      : s(block + " input " + std::to_string(I)...) {}

  template <int WD>  // ap_uint's width parameter is an int
  static void fill_one(hls::stream<ap_uint<WD> >& st, const uint64_t* p, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) st.write(from_limbs<WD>(p + i * limbs<WD>::count));
  }
  template <size_t... I>
  void fill(const uint64_t* const* in, const uint64_t* n_in, std::index_sequence<I...>) {
    (fill_one(std::get<I>(s), in[I], n_in[I]), ...);
  }
  template <int WD>  // ap_uint's width parameter is an int
  static void consumed_one(hls::stream<ap_uint<WD> >& st, uint32_t reps) {
    if (!st.empty()) {
      throw stream_error("stream '" + st.name() + "': " + std::to_string(st.size()) +
                         " input words left unread after " + std::to_string(reps) + " frames");
    }
  }
  template <size_t... I>
  void check_consumed(uint32_t reps, std::index_sequence<I...>) {
    (consumed_one(std::get<I>(s), reps), ...);
  }
};

// N output ports of W bits: an array of named streams ("<block> output <q>").
template <unsigned W, unsigned N>
struct out_ports {
  hls::stream<ap_uint<W> > s[N];

  explicit out_ports(const std::string& block)
      : out_ports(block, std::make_index_sequence<N>{}) {}

  // Every port must hold exactly n_out words; copies them out.
  void drain(uint64_t* const* out, uint64_t n_out) {
    for (unsigned q = 0; q < N; q++) {
      if (s[q].size() != n_out) {
        throw stream_error("stream '" + s[q].name() + "': kernel wrote " +
                           std::to_string(s[q].size()) + " words, expected " +
                           std::to_string(n_out));
      }
    }
    for (unsigned q = 0; q < N; q++) {
      for (uint64_t i = 0; i < n_out; i++) to_limbs<W>(s[q].read(), out[q] + i * limbs<W>::count);
    }
  }

 private:
  template <size_t... I>
  out_ports(const std::string& block, std::index_sequence<I...>)
      : s{hls::stream<ap_uint<W> >(block + " output " + std::to_string(I))...} {}
};

// Run `kernel(in_0, .., in_{P-1}, out_array, reps)` on a batch: Ins = in_ports<W...>, Outs =
// out_ports<W, N>; in[p] holds n_in[p] words, out[q] receives n_out words (every port the
// same count). Returns 0 or 1 (message in msg).
template <typename Ins, typename Outs, typename Kernel>
int run_ports(const char* block, Kernel kernel, const uint64_t* const* in, const uint64_t* n_in,
              uint64_t* const* out, uint64_t n_out, uint32_t reps, uint64_t* trip, char* msg,
              uint64_t msg_len) {
  try {
    Ins ins{std::string(block)};
    Outs outs{std::string(block)};
    ins.fill(in, n_in);
    run_checked([&] { std::apply([&](auto&... st) { kernel(st..., outs.s, reps); }, ins.s); },
                trip);
    ins.check_consumed(reps);
    outs.drain(out, n_out);
    set_message(msg, msg_len, "");
    return 0;
  } catch (const std::exception& e) {
    set_message(msg, msg_len, e.what());
    return 1;
  } catch (...) {
    set_message(msg, msg_len, "unknown C++ exception");
    return 1;
  }
}

}  // namespace cppsim
}  // namespace qsim

// Copies up to n entries of the last run_batch call's read log into out; returns its length.
extern "C" __attribute__((weak)) uint64_t qsim_read_log(uint64_t* out, uint64_t n) {
  const std::vector<uint64_t>& log = qsim::cppsim::read_log();
  for (uint64_t i = 0; i < n && i < log.size(); i++) out[i] = log[i];
  return log.size();
}

// g++'s -fsanitize=bounds calls this (recoverable mode) on an out-of-bounds subscript. It
// cannot throw (g++ treats the call as nothrow), so it records and the kernel runs on.
extern "C" __attribute__((weak, visibility("hidden"))) void __ubsan_handle_out_of_bounds(
    qsim::cppsim::ubsan_oob_data* data, uintptr_t index) {
  qsim::cppsim::bounds_violation& v = qsim::cppsim::last_violation();
  if (v.seen) return;
  const unsigned bits = 1u << (data->index_type->info >> 1);
  const bool is_signed = (data->index_type->info & 1) != 0;
  long long value = static_cast<long long>(index);
  if (is_signed && bits < 64) {  // sign-extend an index narrower than the handle
    const unsigned shift = 64 - bits;
    value = static_cast<long long>(static_cast<uint64_t>(index) << shift) >> shift;
  }
  v.seen = true;
  v.index = value;
  v.array = data->array_type->name;
  v.where = std::string(data->loc.file) + ":" + std::to_string(data->loc.line);
}

#endif  // QSIM_CPPSIM_HPP
