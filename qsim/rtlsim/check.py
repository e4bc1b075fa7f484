"""Verify SV cores against the Python models: bit-exact words and exact cycles, under cocotb.

:func:`verify_rtl` builds one Verilator bench for a list of block configs (all instances side
by side), runs every valid/ready pattern on it in one simulator process, and compares per
instance and pattern

* the output words with ``cfg.pack_output(cfg(x))`` bit for bit,
* the accept cycle of every input word and the transfer cycle of every output word with
  ``cfg.cycles(frames, offer=<recorded offers>, ready=<ready pattern>)``,
* the protocol (data stable while valid && !ready, no extra words).

A failure raises :class:`~qsim.errors.MismatchError` naming the block, run, word, lane,
expected and observed values and cycles, after re-running the failing bench with tracing and
pointing at the waveform (FST when liblz4 is installed, else VCD).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from qsim.errors import MismatchError, SimulationError
from qsim.models._block import Block
from qsim.models._dtypes import BIPOLAR
from qsim.rtlsim.build import DEFAULT_CACHE, Bench, build_bench
from qsim.rtlsim.patterns import DEFAULT_PATTERNS, Pattern
from qsim.rtlsim.svgen import core_spec

__all__ = ["RtlReport", "RtlRun", "random_vectors", "run_rtl", "verify_rtl"]

_TIMEOUT_SLACK = 200
_MAX_PROBLEMS = 8


@dataclass
class RtlReport:
    """What one :func:`verify_rtl` call did."""

    instances: int
    runs: int
    build_seconds: float  # 0.0 when the bench came from the cache
    sim_seconds: float
    cycles: int           # simulated cycles over all runs
    bench_dir: Path
    problems: list[str] = field(default_factory=list)


def _rand_values(rng: np.random.Generator, dt: Any, shape: tuple[int, ...]) -> np.ndarray:
    if dt == BIPOLAR:
        return rng.integers(0, 2, shape) * 2 - 1
    return rng.integers(int(dt.min()), int(dt.max()) + 1, shape, dtype=np.int64)


def random_vectors(cfg: Any, frames: int, rng: np.random.Generator) -> tuple[list[int],
                                                                              list[int]]:
    """(input words, expected output words) for ``frames`` random frames of ``cfg``."""
    if isinstance(cfg, Block):
        x = _rand_values(rng, cfg.in_stream.dtype, (frames, *cfg.in_frame_shape))
        return cfg.pack_input(x), cfg.pack_output(cfg(x))
    words = [int.from_bytes(rng.bytes((cfg.in_bits + 7) // 8), "little") % (1 << cfg.in_bits)
             for _ in range(frames * cfg.in_words)]
    return words, cfg.transform(words)


@dataclass
class _Instance:
    cfg: Any
    frames: int
    in_words: list[int]
    out_words: list[int]

    @property
    def lane_bits(self) -> int:
        return self.cfg.out_stream.elem_bits if isinstance(self.cfg, Block) else self.cfg.out_bits


def _plan(insts: Sequence[_Instance], patterns: Sequence[Pattern],
          rng: np.random.Generator) -> dict[str, Any]:
    runs = []
    watchdog = _watchdog(insts)
    for pat in patterns:
        offers, readys, last = [], [], 0
        for inst in insts:
            off = pat.offers(len(inst.in_words), rng)
            stall_free = inst.cfg.cycles(inst.frames).cycles
            horizon = 3 * (stall_free + (off[-1] if off else 0)) + 100
            rdy = pat.ready(horizon, rng)
            trace = inst.cfg.cycles(inst.frames, offer=off, ready=rdy)
            last = max(last, trace.cycles)
            offers.append(off)
            readys.append("".join("1" if r else "0" for r in rdy))
        runs.append({"name": pat.name, "offer": offers, "ready": readys,
                     "timeout": last + _TIMEOUT_SLACK, "watchdog": watchdog})
    return {"instances": [{"prefix": f"i{k}_", "in_words": inst.in_words,
                           "n_out": len(inst.out_words)} for k, inst in enumerate(insts)],
            "runs": runs}


def _watchdog(insts: Sequence[_Instance]) -> int:
    """Quiet cycles after which an instance counts as stuck: well above the longest stretch a
    healthy core goes without moving a word (a frame of engine steps plus its buffer)."""
    return 4 * max(i.cfg.schedule.steps + i.cfg.schedule.capacity for i in insts) + 1000


def _stall_report(insts: Sequence[_Instance], result: dict[str, Any]) -> Optional[str]:
    """The watchdog's report of the first run that stalled, or None."""
    for run in result["runs"]:
        stall = run.get("stall")
        if not stall:
            continue
        why = (f"cycle limit {stall['cycle']} reached (the cycle model finishes "
               f"{_TIMEOUT_SLACK} cycles earlier)" if stall["limit"] else
               f"no word moved for {stall['watchdog']} cycles, at cycle {stall['cycle']}")
        lines = [f"liveness watchdog: run {run['name']!r}: {why}"]
        for k, st in sorted(stall["instances"].items(), key=lambda kv: int(kv[0])):
            inst = insts[int(k)]
            side = ("input: valid=1 ready=0 (the core does not accept)" if st["s_valid"] and
                    not st["s_ready"] else "output: valid=0 (the core produces nothing)"
                    if not st["m_valid"] else "output: valid=1 ready=1 but no transfer")
            lines.append(f"  {inst.cfg.owner} (instance i{k}) stalled at its {side}; "
                         f"s_axis valid={st['s_valid']} ready={st['s_ready']} after "
                         f"{st['accepted']} of {st['in_words']} words, m_axis "
                         f"valid={st['m_valid']} ready={st['m_ready']} after "
                         f"{st['transferred']} of {st['out_words']} words")
        return "\n".join(lines)
    return None


def _simulate(bench: Bench, plan: dict[str, Any]) -> tuple[dict[str, Any], Path, float]:
    from cocotb_tools.runner import get_runner

    runs_root = bench.build_dir / "runs"
    runs_root.mkdir(exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=runs_root))
    plan_path, result_path = run_dir / "plan.json", run_dir / "result.json"
    plan_path.write_text(json.dumps(plan))
    runner = get_runner("verilator")
    t0 = time.monotonic()
    log = run_dir / "sim.log"
    try:
        runner.test(test_module="qsim.rtlsim.bench", hdl_toplevel=bench.top,
                    hdl_toplevel_lang="verilog", build_dir=bench.build_dir, test_dir=run_dir,
                    extra_env={"QSIM_BENCH_PLAN": str(plan_path),
                               "QSIM_BENCH_RESULT": str(result_path),
                               "COCOTB_LOG_LEVEL": os.environ.get("COCOTB_LOG_LEVEL",
                                                                  "WARNING")},
                    waves=bench.trace, log_file=log)
    except (SystemExit, Exception) as exc:
        raise SimulationError(f"simulation of {str(bench.build_dir)!r} failed to run "
                              f"({exc!r}); log {str(log)!r}") from None
    seconds = time.monotonic() - t0
    if not result_path.is_file():
        tail = log.read_text()[-3000:] if log.is_file() else ""
        raise SimulationError(f"simulation of {str(bench.build_dir)!r} ended without results "
                              f"(an SV assertion or the cocotb test failed); log {str(log)!r}:"
                              f"\n{tail}")
    return json.loads(result_path.read_text()), run_dir, seconds


def _word_problem(inst: _Instance, k: int, run: str, m: int, exp: int, got: int,
                  cycle: int) -> str:
    w = inst.lane_bits
    mask = (1 << w) - 1
    block = isinstance(inst.cfg, Block)
    lanes = inst.cfg.out_stream.lanes if block else 1
    diff = exp ^ got
    lane = next((i for i in range(lanes) if (diff >> (i * w)) & mask), None)
    head = (f"{inst.cfg.owner} (instance i{k}), run {run!r}: output word {m}")
    words = f"(word expected {exp:#x} got {got:#x}) at cycle {cycle}"
    if lane is None:
        return f"{head}: padding bits set {words}"
    if block:  # lane values in the output datatype
        fmt = inst.cfg.out_stream
        e_v, g_v = (int(fmt.unpack([v & ((1 << fmt.word_bits) - 1)])[0, lane])
                    for v in (exp, got))
        return f"{head} lane {lane}: expected {e_v!r} got {g_v!r} {words}"
    return (f"{head} lane {lane}: expected {(exp >> (lane * w)) & mask:#x} got "
            f"{(got >> (lane * w)) & mask:#x} {words}")


def _cycle_problems(inst: _Instance, k: int, run: str, what: str, exp: list[int],
                    got: list[int]) -> list[str]:
    where = f"{inst.cfg.owner} (instance i{k}), run {run!r}"
    if len(got) != len(exp):
        return [f"{where}: {len(got)} {what} events, expected {len(exp)}"]
    for i, (e, g) in enumerate(zip(exp, got)):
        if e != g:
            return [f"{where}: {what} of word {i} at cycle {g}, cycle model says {e}"]
    return []


def _compare(insts: Sequence[_Instance], plan: dict[str, Any],
             result: dict[str, Any]) -> list[str]:
    """Words, protocol and cycles of runs in which every instance finished (a stalled run
    raised SimulationError in :func:`_run_instances` before this)."""
    problems: list[str] = []
    for run_plan, run_res in zip(plan["runs"], result["runs"]):
        name = run_plan["name"]
        for k, (inst, res) in enumerate(zip(insts, run_res["instances"])):
            where = f"{inst.cfg.owner} (instance i{k}), run {name!r}"
            problems += [f"{where}: protocol: {p}" for p in res["protocol"]]
            for m, (e, g) in enumerate(zip(inst.out_words, res["words"])):
                if e != g:
                    problems.append(_word_problem(inst, k, name, m, e, g, res["transfer"][m]))
                    break
            ready = [c == "1" for c in run_plan["ready"][k]]
            model = inst.cfg.cycles(inst.frames, offer=res["offer"], ready=ready)
            problems += _cycle_problems(inst, k, name, "accept", model.accept.tolist(),
                                        res["accept"])
            problems += _cycle_problems(inst, k, name, "transfer", model.transfer.tolist(),
                                        res["transfer"])
    return problems


def verify_rtl(cfgs: Sequence[Any], frames: int = 2,
               patterns: Sequence[Pattern] = DEFAULT_PATTERNS, seed: int = 0,
               cache: Path = DEFAULT_CACHE) -> RtlReport:
    """Simulate the SV cores of ``cfgs`` (one bench) on random vectors and compare with the
    Python models.

    Raises MismatchError listing the first problems and the VCD waveform of the failing bench.
    """
    rng = np.random.default_rng(seed)
    insts = [_Instance(c, frames, *random_vectors(c, frames, rng)) for c in cfgs]
    run = _run_instances(insts, patterns, rng, cache)
    if run.problems:
        shown = run.problems[:_MAX_PROBLEMS]
        more = f"\n  ... and {len(run.problems) - len(shown)} more" \
            if len(run.problems) > len(shown) else ""
        raise MismatchError("RTL and cycle model disagree:\n  " + "\n  ".join(shown) + more
                            + f"\n  {run.wave_note} (bench run {str(run.run_dir)!r})")
    return run.report


@dataclass
class RtlRun:
    """The outcome of one bench simulation, problems included (nothing raised).

    ``words``/``transfer``/``accept``: per instance, of the first pattern's run.
    """

    report: RtlReport
    words: list[list[int]]
    accept: list[list[int]]
    transfer: list[list[int]]
    problems: list[str]
    waveform: Optional[str]
    wave_note: str
    run_dir: Path


def run_rtl(cfgs: Sequence[Block], inputs: Sequence[np.ndarray],
            patterns: Sequence[Pattern] = DEFAULT_PATTERNS[:1], seed: int = 0,
            cache: Path = DEFAULT_CACHE) -> RtlRun:
    """Simulate block ``cfgs[k]`` on ``inputs[k]`` (shape (frames, *in_frame_shape)) in one
    bench, for every pattern, and compare words, accept/transfer cycles and protocol with the
    models. Problems are returned (with a traced re-run's waveform), not raised."""
    insts = []
    for cfg, x in zip(cfgs, inputs):
        frames = cfg.frames_of(x)
        insts.append(_Instance(cfg, frames, cfg.pack_input(x), cfg.pack_output(cfg(x))))
    return _run_instances(insts, patterns, np.random.default_rng(seed), cache)


def _run_instances(insts: Sequence[_Instance], patterns: Sequence[Pattern],
                   rng: np.random.Generator, cache: Path) -> RtlRun:
    specs = [core_spec(inst.cfg) for inst in insts]
    bench = build_bench(specs, cache)
    plan = _plan(insts, patterns, rng)
    result, run_dir, sim_s = _simulate(bench, plan)
    cycles = sum(r["instances"][0]["cycles"] for r in result["runs"]) if insts else 0
    report = RtlReport(len(insts), len(patterns), bench.build_seconds, sim_s, cycles,
                       bench.build_dir)
    stall = _stall_report(insts, result)
    if stall is not None:
        _, note = _waveform(specs, cache, plan)
        raise SimulationError(f"{stall}\n  {note} (bench run {str(run_dir)!r})")
    problems = _compare(insts, plan, result)
    waveform, note = _waveform(specs, cache, plan) if problems else (None, "")
    first = result["runs"][0]["instances"] if result["runs"] else []
    return RtlRun(report, [r["words"] for r in first], [r["accept"] for r in first],
                  [r["transfer"] for r in first], problems, waveform, note, run_dir)


def _waveform(specs: Sequence[Any], cache: Path, plan: dict[str, Any]
              ) -> tuple[Optional[str], str]:
    """Re-run ``plan`` on a traced build: (waveform path or None, a note for messages)."""
    try:
        traced = build_bench(specs, cache, trace=True)
        _, trace_dir, _ = _simulate(traced, plan)
    except SimulationError as exc:
        return None, f"(no waveform: {exc})"
    dumps = sorted(trace_dir.glob("dump.*"))
    if not dumps:
        return None, f"(no waveform written in {str(trace_dir)!r})"
    return str(dumps[0]), f"waveform: {str(dumps[0])!r}"
