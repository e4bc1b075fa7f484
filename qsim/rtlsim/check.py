"""Verify SV cores against the Python models: bit-exact words and exact cycles, under cocotb.

:func:`verify_rtl` builds one Verilator bench for a list of block configs (all instances side
by side), runs every valid/ready pattern on it in one simulator process, and compares per
instance and pattern

* the output words with ``cfg.pack_output(cfg(x))`` bit for bit,
* the accept cycle of every input word and the transfer cycle of every output word with
  ``cfg.cycles(frames, offer=<recorded offers>, ready=<ready pattern>)``,
* the protocol (data stable while valid && !ready, no extra words),

on every port of a multi-port core (AddStreams' inputs, DuplicateStreams' outputs), each port
driven with the same pattern (or, ``independent_ports=True``, its own: then words and protocol
only).

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
from typing import Any, Optional, Sequence, Union

import numpy as np

from qsim.errors import MismatchError, SimulationError, StreamError
from qsim.models._block import Block
from qsim.models._dtypes import BIPOLAR
from qsim.rtlsim._compare import compare as _compare
from qsim.rtlsim._evidence import assertion_report
from qsim.rtlsim._svports import axis_names
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
    """(input words, expected output words) of port 0 for ``frames`` random frames of
    ``cfg``."""
    ins, outs = _random_ports(cfg, frames, rng)
    return ins[0], outs[0]


def _random_ports(cfg: Any, frames: int, rng: np.random.Generator
                  ) -> tuple[list[list[int]], list[list[int]]]:
    """(input words per input port, expected output words per output port), random frames."""
    if isinstance(cfg, Block):
        xs = [_rand_values(rng, cfg.in_stream_of(p).dtype, (frames, *cfg.in_frame_shape))
              for p in range(cfg.in_ports)]
        return _block_ports(cfg, xs)
    words = [int.from_bytes(rng.bytes((cfg.in_bits + 7) // 8), "little") % (1 << cfg.in_bits)
             for _ in range(frames * cfg.in_words)]
    return [words], [cfg.transform(words)]


def _block_ports(cfg: Block, xs: Sequence[np.ndarray]) -> tuple[list[list[int]],
                                                                  list[list[int]]]:
    """Words of every input port for inputs ``xs`` (one tensor per port) and the expected
    words of every output port."""
    y = cfg(*xs)
    return ([cfg.pack_input(x, port=p) for p, x in enumerate(xs)],
            [cfg.pack_output(y, port=p) for p in range(cfg.out_ports)])


@dataclass
class _Instance:
    cfg: Any
    frames: int
    in_ports: list[list[int]]   # words per input port
    out_ports: list[list[int]]  # expected words per output port

    @property
    def in_words(self) -> list[int]:
        return self.in_ports[0]

    @property
    def out_words(self) -> list[int]:
        return self.out_ports[0]

    @property
    def lane_bits(self) -> int:
        return self.cfg.out_stream.elem_bits if isinstance(self.cfg, Block) else self.cfg.out_bits

    def plan(self, k: int) -> dict[str, Any]:
        """This instance in the bench plan (see :mod:`qsim.rtlsim.bench`)."""
        out: dict[str, Any] = {"prefix": f"i{k}_", "in_words": self.in_words,
                               "n_out": len(self.out_words), "hold_after_done": _eager(self.cfg)}
        if len(self.in_ports) > 1 or len(self.out_ports) > 1:
            (s_ax, m_ax) = axis_names(core_spec(self.cfg))
            out["inputs"] = [{"axis": a, "words": w} for a, w in zip(s_ax, self.in_ports)]
            out["outputs"] = [{"axis": a, "n_out": len(w)} for a, w in zip(m_ax, self.out_ports)]
        return out


def _eager(cfg: Any) -> bool:
    """Whether a frame's engine produces output before it needs any input (FMPadding's top
    padding): such a core runs into the next frame once its words are out, so the bench holds
    its ready low after the last expected word."""
    sched = cfg.schedule
    needs = np.flatnonzero(sched.need >= 0)
    first = int(needs[0]) if needs.size else sched.steps
    return bool(sched.produces[:first].any())


def _port_patterns(inst: _Instance, pat: Pattern, rng: np.random.Generator,
                   independent: bool) -> tuple[list[list[int]], list[list[bool]], int]:
    """Offers per input port, ready per output port (the same on every port unless
    ``independent``) and the cycles the model needs with the merged pattern."""
    n_in, n_out = len(inst.in_ports), len(inst.out_ports)
    offs = [pat.offers(len(inst.in_words), rng) for _ in range(n_in if independent else 1)]
    stall_free = inst.cfg.cycles(inst.frames).cycles
    horizon = 3 * (stall_free + max(o[-1] if o else 0 for o in offs)) + 100
    rdys = [pat.ready(horizon, rng) for _ in range(n_out if independent else 1)]
    # the latest offer and a ready only when every port is ready bound the run's length
    off = np.max(np.array(offs, dtype=np.int64), axis=0) if offs[0] else np.zeros(0, int)
    rdy = np.all(np.array(rdys, dtype=bool), axis=0)
    trace = inst.cfg.cycles(inst.frames, offer=off, ready=rdy)
    if not independent:
        offs, rdys = offs * n_in, rdys * n_out
    return offs, rdys, trace.cycles * (2 if independent else 1)


def _plan(insts: Sequence[_Instance], patterns: Sequence[Pattern], rng: np.random.Generator,
          independent: bool = False) -> dict[str, Any]:
    runs = []
    watchdog = _watchdog(insts)
    for pat in patterns:
        offers: list[Any] = []
        readys: list[Any] = []
        last = 0
        for inst in insts:
            offs, rdys, cycles = _port_patterns(inst, pat, rng, independent)
            last = max(last, cycles)
            strs = ["".join("1" if r else "0" for r in rdy) for rdy in rdys]
            offers.append(offs if len(offs) > 1 else offs[0])
            readys.append(strs if len(strs) > 1 else strs[0])
        runs.append({"name": pat.name, "offer": offers, "ready": readys,
                     "timeout": last + _TIMEOUT_SLACK, "watchdog": watchdog,
                     "cycles": not independent})
    return {"instances": [inst.plan(k) for k, inst in enumerate(insts)], "runs": runs}


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


def _simulate(bench: Bench, plan: dict[str, Any], owners: Sequence[str] = ()
              ) -> tuple[dict[str, Any], Path, float]:
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
        evidence = assertion_report(log, Path(f"{result_path}.progress"), owners)
        if evidence:
            raise SimulationError(f"{evidence}\n  (simulation of {str(bench.build_dir)!r} "
                                  f"stopped; log {str(log)!r})") from None
        raise SimulationError(f"simulation of {str(bench.build_dir)!r} failed to run "
                              f"({exc!r}); log {str(log)!r}") from None
    seconds = time.monotonic() - t0
    if not result_path.is_file():
        evidence = assertion_report(log, Path(f"{result_path}.progress"), owners)
        tail = log.read_text()[-3000:] if log.is_file() else ""
        raise SimulationError(f"simulation of {str(bench.build_dir)!r} ended without results "
                              f"(an SV assertion or the cocotb test failed); log {str(log)!r}:"
                              f"\n{evidence or tail}")
    return json.loads(result_path.read_text()), run_dir, seconds


def verify_rtl(cfgs: Sequence[Any], frames: int = 2,
               patterns: Sequence[Pattern] = DEFAULT_PATTERNS, seed: int = 0,
               cache: Path = DEFAULT_CACHE, independent_ports: bool = False) -> RtlReport:
    """Simulate the SV cores of ``cfgs`` (one bench) on random vectors and compare with the
    Python models.

    Every port of a multi-port core gets the same valid/ready pattern and is held to the cycle
    model; ``independent_ports=True`` draws a pattern per port instead and compares words and
    protocol only (the single-block cycle model assumes one pattern for all ports).

    Raises MismatchError listing the first problems and the VCD waveform of the failing bench.
    """
    rng = np.random.default_rng(seed)
    insts = [_Instance(c, frames, *_random_ports(c, frames, rng)) for c in cfgs]
    run = _run_instances(insts, patterns, rng, cache, independent_ports)
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


def run_rtl(cfgs: Sequence[Block], inputs: Sequence[Union[np.ndarray, Sequence[np.ndarray]]],
            patterns: Sequence[Pattern] = DEFAULT_PATTERNS[:1], seed: int = 0,
            cache: Path = DEFAULT_CACHE, independent_ports: bool = False) -> RtlRun:
    """Simulate block ``cfgs[k]`` on ``inputs[k]`` (shape (frames, *in_frame_shape); a block
    with several input ports takes a sequence of such arrays, one per port) in one bench, for
    every pattern, and compare words, accept/transfer cycles and protocol with the models
    (``independent_ports``: see :func:`verify_rtl`). Problems are returned (with a traced
    re-run's waveform), not raised. ``RtlRun.words`` etc. are those of port 0."""
    insts = []
    for cfg, x in zip(cfgs, inputs):
        if cfg.in_ports > 1 and (isinstance(x, np.ndarray) or len(x) != cfg.in_ports):
            raise StreamError(f"{cfg.owner}: run_rtl takes a sequence of {cfg.in_ports} input "
                              f"arrays (one per input port), got {type(x).__name__}")
        xs = [np.asarray(v) for v in x] if cfg.in_ports > 1 else [np.asarray(x)]
        insts.append(_Instance(cfg, cfg.frames_of(xs[0]), *_block_ports(cfg, xs)))
    return _run_instances(insts, patterns, np.random.default_rng(seed), cache,
                          independent_ports)


def _run_instances(insts: Sequence[_Instance], patterns: Sequence[Pattern],
                   rng: np.random.Generator, cache: Path,
                   independent_ports: bool = False) -> RtlRun:
    specs = [core_spec(inst.cfg) for inst in insts]
    bench = build_bench(specs, cache)
    plan = _plan(insts, patterns, rng, independent_ports)
    result, run_dir, sim_s = _simulate(bench, plan, [str(i.cfg.owner) for i in insts])
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
