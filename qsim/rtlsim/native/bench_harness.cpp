// qsim native bench harness: drives every instance of a per-layer bench (qsim_bench, one
// AXI-Stream top per layer side by side, qsim.rtlsim.svgen.render_bench) under Verilator with
// no Python in the cycle loop. It is the C++ twin of the cocotb driver qsim.rtlsim.bench: same
// timing, same offer/ready rules, same protocol checks, same liveness watchdog, same results
// (qsim.rtlsim.native_bench turns them into that module's result dict). Built with a
// generated header "qsim_bench_ports.h" naming the ports of every instance.
//
// Usage: bench_harness DIR   (DIR/plan.txt in, results written into DIR)
//   plan.txt: "<watchdog> <timeout>", then one line per instance "<hold_after_done>", one line
//   per input port "<n_words> <n_offer>", one per output port "<n_out> <n_ready>".
//   in_<p>.bin words (QSIM_IN_W32[p] uint32 each), offer_<p>.bin int64 earliest offer cycles,
//   ready_<q>.bin uint8 per cycle (cycles past the end ready).
//   Results: in_<p>_offer.bin, in_<p>_accept.bin, out_<q>_transfer.bin (int64),
//   out_<q>_words.bin (uint32 limbs), protocol.txt ("<q> <message>" lines), status.txt
//   ("cycles <n>", then "stall <cycle> <limit>" and one line per stalled instance).
// Exit status: 0 run finished or stalled (see status.txt); 2 bad arguments or files.
//
// Timing (DESIGN.md section 5): reset held for 3 rising edges, released with the clock low;
// the next rising edge is cycle 0. In cycle t the harness reads the instances' (registered)
// outputs, drives tvalid/tdata and tready with the clock low and records the handshakes of
// rising edge t; input word i is held from max(offer[i], accept[i-1] + 1) on.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "harness_io.hpp"
#include "verilated.h"

// The generated ports header calls set_word / get_word unqualified.
using qsim_native::get_word;
using qsim_native::read_file;
using qsim_native::set_word;
using qsim_native::write_file;

#include "qsim_bench_ports.h"

namespace {

struct InPort {
  int w32 = 1;
  std::vector<uint32_t> words;
  std::vector<int64_t> offer_plan, offered, accepted;
  std::size_t n = 0;
  bool valid = false;
};

struct OutPort {
  int w32 = 1;
  std::size_t n_out = 0;
  std::vector<uint8_t> ready_plan;
  std::vector<int64_t> transferred;
  std::vector<uint32_t> words, prev;
  std::vector<std::string> protocol;
  bool stalled = false, ready = false;
};

struct Instance {
  std::vector<int> ins, outs;
  bool hold = false;
  uint64_t quiet = 0;
};

std::string hex(const std::vector<uint32_t>& w) {
  std::string s = "0x";
  bool lead = true;
  char buf[16];
  for (std::size_t i = w.size(); i-- > 0;) {
    std::snprintf(buf, sizeof buf, lead ? "%x" : "%08x", w[i]);
    if (lead && w[i] == 0 && i > 0) continue;
    s += buf;
    lead = false;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  FILE* pf = std::fopen((dir + "/plan.txt").c_str(), "r");
  if (!pf) {
    std::fprintf(stderr, "cannot read '%s/plan.txt'\n", dir.c_str());
    return 2;
  }
  unsigned long long watchdog = 0, timeout = 0;
  bool ok = std::fscanf(pf, "%llu %llu", &watchdog, &timeout) == 2;
  std::vector<Instance> insts(QSIM_NINST);
  for (int k = 0; k < QSIM_NINST && ok; ++k) {
    int hold = 0;
    ok = std::fscanf(pf, "%d", &hold) == 1;
    insts[k].hold = hold != 0;
  }
  std::vector<InPort> ins(QSIM_NIN);
  for (int p = 0; p < QSIM_NIN && ok; ++p) {
    unsigned long long n = 0, n_off = 0;
    ok = std::fscanf(pf, "%llu %llu", &n, &n_off) == 2;
    InPort& in = ins[p];
    in.w32 = QSIM_IN_W32[p];
    in.n = n;
    const std::string base = dir + "/in_" + std::to_string(p);
    ok = ok && read_file(base + ".bin", in.words, n * in.w32) &&
         read_file(base + "_offer_plan.bin", in.offer_plan, n_off);
    insts[QSIM_IN_INST[p]].ins.push_back(p);
  }
  std::vector<OutPort> outs(QSIM_NOUT);
  for (int q = 0; q < QSIM_NOUT && ok; ++q) {
    unsigned long long n = 0, n_rdy = 0;
    ok = std::fscanf(pf, "%llu %llu", &n, &n_rdy) == 2;
    OutPort& out = outs[q];
    out.w32 = QSIM_OUT_W32[q];
    out.n_out = n;
    out.prev.assign(out.w32, 0u);
    ok = ok && read_file(dir + "/out_" + std::to_string(q) + "_ready_plan.bin", out.ready_plan,
                         n_rdy);
    insts[QSIM_OUT_INST[q]].outs.push_back(q);
  }
  std::fclose(pf);
  if (!ok) {
    std::fprintf(stderr, "bad plan or data files in '%s'\n", dir.c_str());
    return 2;
  }

  VerilatedContext ctx;
  ctx.randReset(2);
  QSIM_TOP top(&ctx, "top");
  for (int p = 0; p < QSIM_NIN; ++p) qsim_set_in_valid(&top, p, false);
  for (int q = 0; q < QSIM_NOUT; ++q) qsim_set_out_ready(&top, q, false);
  qsim_native::reset(top);

  auto done = [&](const Instance& inst) {
    for (int p : inst.ins)
      if (ins[p].accepted.size() < ins[p].n) return false;
    for (int q : inst.outs)
      if (outs[q].transferred.size() < outs[q].n_out) return false;
    return true;
  };
  std::vector<uint32_t> data;
  uint64_t t = 0;
  std::vector<int> stuck;
  bool limit = false;
  while (true) {
    for (Instance& inst : insts) {
      std::size_t moved = 0;
      for (int p : inst.ins) moved += ins[p].accepted.size();
      for (int q : inst.outs) moved += outs[q].transferred.size();
      const bool hold = inst.hold && done(inst);
      bool bench_wait = false, not_ready = false;
      for (int p : inst.ins) {
        InPort& in = ins[p];
        const bool in_ready = qsim_in_ready(&top, p);
        const std::size_t i = in.accepted.size();
        const bool due = i < in.n && (i >= in.offer_plan.size() ||
                                      static_cast<int64_t>(t) >= in.offer_plan[i]);
        if (due) {
          if (in.offered.size() == i) {
            in.offered.push_back(static_cast<int64_t>(t));
            qsim_set_in_data(&top, p, &in.words[i * in.w32]);
          }
          if (!in.valid) qsim_set_in_valid(&top, p, in.valid = true);
          if (in_ready) in.accepted.push_back(static_cast<int64_t>(t));
        } else if (in.valid) {
          qsim_set_in_valid(&top, p, in.valid = false);
        }
        bench_wait = bench_wait || (i < in.n && !due);
      }
      for (int q : inst.outs) {
        OutPort& out = outs[q];
        const bool valid = qsim_out_valid(&top, q);
        const bool plan = t >= out.ready_plan.size() || out.ready_plan[t] != 0;
        const bool rdy = !hold && plan;
        if (rdy != out.ready) qsim_set_out_ready(&top, q, out.ready = rdy);
        data.assign(out.w32, 0u);
        if (valid) qsim_get_out_data(&top, q, data.data());
        if (out.stalled && (!valid || data != out.prev)) {
          out.protocol.push_back("cycle " + std::to_string(t) + ": " + QSIM_OUT_LABEL[q] +
                                 "valid dropped or data changed while stalled (valid=" +
                                 std::to_string(valid) + ", data " + hex(out.prev) + " -> " +
                                 hex(data) + ")");
        }
        if (valid && rdy) {
          if (out.transferred.size() >= out.n_out) {
            out.protocol.push_back("cycle " + std::to_string(t) + ": " + QSIM_OUT_LABEL[q] +
                                   "extra output word " + hex(data) + " beyond the " +
                                   std::to_string(out.n_out) + " expected");
          }
          out.transferred.push_back(static_cast<int64_t>(t));
          out.words.insert(out.words.end(), data.begin(), data.end());
        }
        out.stalled = valid && !rdy;
        out.prev = data;
        not_ready = not_ready || !rdy;
      }
      std::size_t now = 0;
      for (int p : inst.ins) now += ins[p].accepted.size();
      for (int q : inst.outs) now += outs[q].transferred.size();
      if (done(inst) || now > moved || bench_wait || not_ready) {
        inst.quiet = 0;
      } else {
        ++inst.quiet;
      }
    }
    for (int k = 0; k < QSIM_NINST; ++k)
      if (insts[k].quiet >= watchdog) stuck.push_back(k);
    if (stuck.empty() && t >= timeout) {
      limit = true;
      for (int k = 0; k < QSIM_NINST; ++k)
        if (!done(insts[k])) stuck.push_back(k);
    }
    bool all_done = true;
    for (const Instance& inst : insts) all_done = all_done && done(inst);
    if (!stuck.empty() || all_done) break;
    qsim_native::clock_edge(top);
    ++t;
  }
  top.final();

  bool wrote = true;
  for (int p = 0; p < QSIM_NIN; ++p) {
    const std::string base = dir + "/in_" + std::to_string(p);
    wrote = write_file(base + "_offer.bin", ins[p].offered) &&
            write_file(base + "_accept.bin", ins[p].accepted) && wrote;
  }
  FILE* proto = std::fopen((dir + "/protocol.txt").c_str(), "w");
  wrote = proto != nullptr && wrote;
  for (int q = 0; q < QSIM_NOUT; ++q) {
    const std::string base = dir + "/out_" + std::to_string(q);
    wrote = write_file(base + "_transfer.bin", outs[q].transferred) &&
            write_file(base + "_words.bin", outs[q].words) && wrote;
    for (const std::string& m : outs[q].protocol)
      if (proto) std::fprintf(proto, "%d %s\n", q, m.c_str());
  }
  if (proto) wrote = std::fclose(proto) == 0 && wrote;
  FILE* f = std::fopen((dir + "/status.txt").c_str(), "w");
  if (f) {
    std::fprintf(f, "cycles %llu\n", static_cast<unsigned long long>(t + 1));
    if (!stuck.empty()) {
      std::fprintf(f, "stall %llu %d\n", static_cast<unsigned long long>(t), limit ? 1 : 0);
      for (int k : stuck) {  // the first unfinished input and output port, as the cocotb bench
        const Instance& inst = insts[k];
        int p = inst.ins[0], q = inst.outs[0];
        for (int i : inst.ins)
          if (ins[i].accepted.size() < ins[i].n) { p = i; break; }
        for (int o : inst.outs)
          if (outs[o].transferred.size() < outs[o].n_out) { q = o; break; }
        std::fprintf(f, "%d %d %d %d %d %zu %zu %zu %zu %llu\n", k, ins[p].valid ? 1 : 0,
                     qsim_in_ready(&top, p) ? 1 : 0, qsim_out_valid(&top, q) ? 1 : 0,
                     outs[q].ready ? 1 : 0, ins[p].accepted.size(), ins[p].n,
                     outs[q].transferred.size(), outs[q].n_out,
                     static_cast<unsigned long long>(inst.quiet));
      }
    }
    wrote = std::fclose(f) == 0 && wrote;
  }
  if (!wrote) {
    std::fprintf(stderr, "cannot write results to '%s'\n", dir.c_str());
    return 2;
  }
  return 0;
}
