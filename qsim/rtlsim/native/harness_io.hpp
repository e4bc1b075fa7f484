// qsim native harness I/O: word packing between Verilator signals and uint32 limbs, reset and
// clocking of the top, and the binary file reads and writes, shared by harness.cpp (stitched designs, qsim.rtlsim.native_run)
// and bench_harness.cpp (per-layer benches, qsim.rtlsim.native_bench). Both builds hash this
// header into their cache key and copy it next to the generated sources.
//
// Word layout: a W-bit TDATA word is ceil(W / 32) little-endian uint32 limbs, limb 0 holding
// bits 31..0 (the layout of Verilator's VlWide and of the Python side's _words_to_bytes).
// Signals up to 64 bits are integral in Verilator (CData..QData), wider ones VlWide<N>.
#ifndef QSIM_HARNESS_IO_HPP
#define QSIM_HARNESS_IO_HPP

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "verilated.h"

namespace qsim_native {

// Drive an integral signal (<= 64 bits) from n32 limbs.
template <typename T>
typename std::enable_if<std::is_integral<T>::value>::type set_word(T& sig, const uint32_t* w,
                                                                   int n32) {
  uint64_t v = w[0];
  if (n32 > 1) v |= static_cast<uint64_t>(w[1]) << 32;
  sig = static_cast<T>(v);
}

// Drive a wide signal from n32 limbs; limbs past n32 are zero.
template <std::size_t N>
void set_word(VlWide<N>& sig, const uint32_t* w, int n32) {
  for (std::size_t i = 0; i < N; ++i) sig[i] = static_cast<int>(i) < n32 ? w[i] : 0u;
}

// Read an integral signal (<= 64 bits) into n32 limbs.
template <typename T>
typename std::enable_if<std::is_integral<T>::value>::type get_word(const T& sig, uint32_t* w,
                                                                   int n32) {
  const uint64_t v = static_cast<uint64_t>(sig);
  w[0] = static_cast<uint32_t>(v);
  if (n32 > 1) w[1] = static_cast<uint32_t>(v >> 32);
}

// Read a wide signal into n32 limbs; limbs past the signal are zero.
template <std::size_t N>
void get_word(const VlWide<N>& sig, uint32_t* w, int n32) {
  for (int i = 0; i < n32; ++i) w[i] = static_cast<std::size_t>(i) < N ? sig[i] : 0u;
}

// Reset (DESIGN.md section 5): ap_rst_n held low for 3 rising edges, released while the clock
// is low; the next rising edge is cycle 0. The caller drives its valid/ready inputs low first.
template <typename Top>
void reset(Top& top) {
  top.ap_clk = 0;
  top.ap_rst_n = 0;
  for (int e = 0; e < 3; ++e) {
    top.ap_clk = 0;
    top.eval();
    top.ap_clk = 1;
    top.eval();
  }
  top.ap_clk = 0;
  top.ap_rst_n = 1;
  top.eval();
}

// One clock cycle: the rising edge (the handshakes of this cycle happen), then the clock low.
template <typename Top>
void clock_edge(Top& top) {
  top.ap_clk = 1;
  top.eval();
  top.ap_clk = 0;
  top.eval();
}

// Exactly `count` items of T from `path` into `out` (count 0: true without opening the file).
template <typename T>
bool read_file(const std::string& path, std::vector<T>& out, std::size_t count) {
  out.resize(count);
  if (count == 0) return true;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  const std::size_t got = std::fread(out.data(), sizeof(T), count, f);
  std::fclose(f);
  return got == count;
}

// Every whole item of T in `path` (empty if the file cannot be read).
template <typename T>
std::vector<T> read_all(const std::string& path) {
  std::vector<T> out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  std::fseek(f, 0, SEEK_END);
  const long bytes = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  out.resize(static_cast<std::size_t>(bytes) / sizeof(T));
  if (!out.empty() && std::fread(out.data(), sizeof(T), out.size(), f) != out.size()) out.clear();
  std::fclose(f);
  return out;
}

// `data` to `path` (replaced); false if the file cannot be written or closed.
template <typename T>
bool write_file(const std::string& path, const std::vector<T>& data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = data.empty() || std::fwrite(data.data(), sizeof(T), data.size(), f) ==
                                      data.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace qsim_native

#endif  // QSIM_HARNESS_IO_HPP
