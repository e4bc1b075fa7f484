// qsim native harness: drives a stitched qsim top (qsim.rtlsim.stitch) under Verilator, no
// Python in the cycle loop. Built by qsim.rtlsim.native_run together with a generated header
// "qsim_links.h" that names the top class, its TDATA widths and its internal links.
//
// Usage: harness IN_WORDS N_IN OFFER READY N_OUT OUT_DIR WATCHDOG MAX_CYCLES
//   IN_WORDS  binary, N_IN words of QSIM_IN_W32 little-endian uint32 each (word 0 first)
//   OFFER     binary int64 per input word: earliest cycle it is offered, or "-" (cycle 0)
//   READY     binary uint8 per cycle: m_axis_tready, cycles past the end ready, or "-"
//   N_OUT     output words to collect; the run ends after the last one
//   OUT_DIR   receives out_words.bin (QSIM_OUT_W32 uint32 per word), transfer.bin and
//             accept.bin (int64 cycles) and status.txt ("cycles <n>"); link_counts.bin (words
//             per link, int64) and link_cycles.bin (every link's transfer cycles, link after
//             link, int64): the evidence that localizes a stitched mismatch to a link
//   WATCHDOG  cycles without any word moving on any link (while the input offers or is done
//             and the output is ready) before the run is declared stuck
//   MAX_CYCLES hard limit
// Exit status: 0 done; 2 bad arguments or files; 3 watchdog (message on stderr); 4 limit.
//
// Timing (DESIGN.md section 5): reset is held for 3 rising edges and released while the clock
// is low; the next rising edge is cycle 0. In cycle t the harness sets s_axis_tvalid/tdata and
// m_axis_tready with the clock low, records the handshakes that happen at rising edge t from
// the ready/valid it drives and the DUT's (registered, hence already settled) valid/ready, then
// raises the clock and evaluates. The upstream holds word i from max(offer[i], accept[i-1] + 1) on.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness_io.hpp"
#include "qsim_links.h"
#include "verilated.h"

using qsim_native::get_word;
using qsim_native::read_all;
using qsim_native::read_file;
using qsim_native::set_word;
using qsim_native::write_file;

namespace {

// The liveness report: every link's handshake state and word count, FIFO occupancies.
// in_valid / out_ready: what the harness drives on link 0's valid and the last link's ready
// this cycle (the public copies only follow at the next evaluation).
void report_stall(const std::vector<const CData*>& v_ptr, const std::vector<const CData*>& r_ptr,
                  bool in_valid, bool out_ready, const std::vector<uint64_t>& moved, uint64_t t,
                  uint64_t quiet) {
  std::vector<int> v(QSIM_NLINKS), r(QSIM_NLINKS);
  for (int l = 0; l < QSIM_NLINKS; ++l) {
    v[l] = l == 0 ? in_valid : *v_ptr[l] != 0;
    r[l] = l == QSIM_NLINKS - 1 ? out_ready : *r_ptr[l] != 0;
  }
  std::fprintf(stderr, "qsim watchdog: no word moved on any link for %llu cycles, at cycle "
               "%llu\n", static_cast<unsigned long long>(quiet),
               static_cast<unsigned long long>(t));
  int stalled = 0;
  for (int l = 0; l < QSIM_NLINKS; ++l) {
    if (v[l] && !r[l]) {  // every blocked link: in a fork/join deadlock there are several
      std::fprintf(stderr, "stalled link %d '%s': valid=1 ready=0 after %llu words\n", l,
                   QSIM_LINK_NAMES[l], static_cast<unsigned long long>(moved[l]));
      ++stalled;
    }
  }
  if (stalled == 0) {
    std::fprintf(stderr, "no link holds valid: the design starves (no node produces)\n");
  }
  for (int l = 0; l < QSIM_NLINKS; ++l) {
    std::fprintf(stderr, "  link %d '%s': valid=%d ready=%d words=%llu\n", l,
                 QSIM_LINK_NAMES[l], v[l], r[l],
                 static_cast<unsigned long long>(moved[l]));
  }
  for (int k = 0; k < QSIM_NFIFOS; ++k) {
    const uint64_t occ = moved[QSIM_FIFO_IN[k]] - moved[QSIM_FIFO_OUT[k]];
    const bool full = occ >= static_cast<uint64_t>(QSIM_FIFO_DEPTH[k] + 1);
    std::fprintf(stderr, "  FIFO %s occupancy %llu of %d words%s\n", QSIM_FIFO_NAMES[k],
                 static_cast<unsigned long long>(occ), QSIM_FIFO_DEPTH[k] + 1,
                 full ? " (FULL)" : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: %s IN_WORDS N_IN OFFER READY N_OUT OUT_DIR WATCHDOG "
                 "MAX_CYCLES\n", argv[0]);
    return 2;
  }
  const std::size_t n_in = std::strtoull(argv[2], nullptr, 10);
  const std::size_t n_out = std::strtoull(argv[5], nullptr, 10);
  const std::string out_dir = argv[6];
  const uint64_t watchdog = std::strtoull(argv[7], nullptr, 10);
  const uint64_t max_cycles = std::strtoull(argv[8], nullptr, 10);
  std::vector<uint32_t> in_words;
  if (!read_file(argv[1], in_words, n_in * QSIM_IN_W32)) {
    std::fprintf(stderr, "cannot read %zu input words from '%s'\n", n_in, argv[1]);
    return 2;
  }
  std::vector<int64_t> offer;
  if (std::strcmp(argv[3], "-") != 0 && !read_file(argv[3], offer, n_in)) {
    std::fprintf(stderr, "cannot read %zu offer cycles from '%s'\n", n_in, argv[3]);
    return 2;
  }
  std::vector<uint8_t> ready;
  if (std::strcmp(argv[4], "-") != 0) ready = read_all<uint8_t>(argv[4]);

  VerilatedContext ctx;
  ctx.randReset(2);
  QSIM_TOP top(&ctx, "top");
  std::vector<const CData*> lv(QSIM_NLINKS), lr(QSIM_NLINKS);
  qsim_links(&top, lv.data(), lr.data());

  top.s_axis_tvalid = 0;
  top.m_axis_tready = 0;
  qsim_native::reset(top);

  std::vector<int64_t> accept, transfer;
  accept.reserve(n_in);
  transfer.reserve(n_out);
  std::vector<uint32_t> out_words(n_out * QSIM_OUT_W32, 0u);
  std::vector<uint64_t> moved(QSIM_NLINKS, 0);
  std::vector<std::vector<int64_t> > link_cycles(QSIM_NLINKS);  // transfer cycles per link
  std::size_t i_in = 0, loaded = static_cast<std::size_t>(-1);
  uint64_t t = 0, quiet = 0;
  int status = 0;
  while (transfer.size() < n_out) {
    const bool offering = i_in < n_in && (offer.empty() || static_cast<int64_t>(t) >= offer[i_in]);
    if (offering && loaded != i_in) {
      set_word(top.s_axis_tdata, &in_words[i_in * QSIM_IN_W32], QSIM_IN_W32);
      loaded = i_in;
    }
    top.s_axis_tvalid = offering;
    const bool rdy = t >= ready.size() || ready[t] != 0;
    top.m_axis_tready = rdy;
    // No eval here: everything read below is a register output (or s_axis/m_axis wiring of
    // one), already settled by the last edge; the rising-edge eval settles the new inputs.
    bool any = false;
    // link 0's valid and the last link's ready are the values just driven (not yet evaluated)
    for (int l = 0; l < QSIM_NLINKS; ++l) {
      const bool v = l == 0 ? offering : *lv[l] != 0;
      const bool r = l == QSIM_NLINKS - 1 ? rdy : *lr[l] != 0;
      if (v && r) {
        ++moved[l];
        link_cycles[l].push_back(static_cast<int64_t>(t));
        any = true;
      }
    }
    if (offering && top.s_axis_tready) {
      accept.push_back(static_cast<int64_t>(t));
      ++i_in;
    }
    if (top.m_axis_tvalid && rdy) {
      get_word(top.m_axis_tdata, &out_words[transfer.size() * QSIM_OUT_W32], QSIM_OUT_W32);
      transfer.push_back(static_cast<int64_t>(t));
    }
    if (any || !rdy || (i_in < n_in && !offering)) {
      quiet = 0;
    } else if (++quiet >= watchdog) {
      report_stall(lv, lr, offering, rdy, moved, t, quiet);
      status = 3;
      break;
    }
    qsim_native::clock_edge(top);
    ++t;
    if (t >= max_cycles && transfer.size() < n_out) {
      std::fprintf(stderr, "qsim harness: cycle limit %llu reached with %zu of %zu output "
                   "words\n", static_cast<unsigned long long>(max_cycles), transfer.size(),
                   n_out);
      status = 4;
      break;
    }
  }
  top.final();
  out_words.resize(transfer.size() * QSIM_OUT_W32);
  std::vector<int64_t> link_counts, link_all;
  for (const std::vector<int64_t>& c : link_cycles) {
    link_counts.push_back(static_cast<int64_t>(c.size()));
    link_all.insert(link_all.end(), c.begin(), c.end());
  }
  bool ok = write_file(out_dir + "/out_words.bin", out_words) &&
            write_file(out_dir + "/transfer.bin", transfer) &&
            write_file(out_dir + "/accept.bin", accept) &&
            write_file(out_dir + "/link_counts.bin", link_counts) &&
            write_file(out_dir + "/link_cycles.bin", link_all);
  FILE* f = std::fopen((out_dir + "/status.txt").c_str(), "w");
  if (f) {
    std::fprintf(f, "cycles %llu\n", static_cast<unsigned long long>(t));
    ok = (std::fclose(f) == 0) && ok;
  }
  if (!ok) {
    std::fprintf(stderr, "cannot write results to '%s'\n", out_dir.c_str());
    return 2;
  }
  return status;
}
