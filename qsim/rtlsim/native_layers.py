"""Bulk per-layer rtlsim: every layer of a Design on many vectors, stall-free, natively.

:func:`run_layers_native` is the fast path of :func:`qsim.rtlsim.native_bench.run_rtl_native`
for the stall-free run (every input word offered as soon as the previous one is accepted,
every output always ready) that the per-layer rtlsim level runs on bulk vectors. Same bench,
same harness and same checks -- output words of every port bit for bit against the model's
output, accept cycles of every input port and transfer cycles of every output port against
the block's cycle model, the harness's protocol checks, the liveness watchdog -- but the
words stay NumPy arrays from packing to comparison: no offer or ready plan is materialised
and no word becomes a Python int (for words up to 64 bits). For CNV-w1a1 and 100 vectors
(3.3 M cycles) the generic path spent most of its 127 s building pattern strings and Python
word lists; this one is bound by the simulation and the cycle models.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import numpy.typing as npt

from qsim.errors import SimulationError
from qsim.models._block import Block
from qsim.models._dtypes import BIPOLAR, from_bits
from qsim.models._stream import StreamFormat
from qsim.rtlsim._compare import _word_problem
from qsim.rtlsim.build import DEFAULT_CACHE
from qsim.rtlsim.check import _eager, _Instance, _stall_report, _watchdog
from qsim.rtlsim.native_bench import _stall, build_bench_native
from qsim.rtlsim.native_run import NativeBuild, _w32, _words_to_bytes

__all__ = ["LayerRuns", "run_layers_native", "stream_limbs", "stream_values"]

_SLACK = 200  # cycles past the cycle model's end before the run counts as stuck
U32 = npt.NDArray[np.uint32]


def stream_limbs(fmt: StreamFormat, arr: npt.NDArray[Any]) -> U32:
    """Values (..., lanes) -> words as (n, ceil(padded bits / 32)) little-endian uint32 limbs,
    lane 0 in the least significant bits (the harness's file format)."""
    n32 = _w32(fmt.word_bits)
    vals = np.asarray(arr, dtype=np.int64).reshape(-1, fmt.lanes)
    if fmt.elem_bits == 1:  # BIPOLAR (+1 -> 1, -1 -> 0) or UINT1: eight lanes per byte
        packed = np.packbits(vals > 0, axis=1, bitorder="little")  # (n, ceil(lanes / 8))
        out = np.zeros((vals.shape[0], 4 * n32), dtype=np.uint8)
        out[:, :packed.shape[1]] = packed
        return out.view("<u4")
    if fmt.word_bits > 64:
        raw = _words_to_bytes(fmt.pack(vals), fmt.word_bits)
        return np.frombuffer(raw, dtype="<u4").reshape(-1, n32)
    # (n, lanes) wire codes: two's complement in elem_bits bits (as to_bits, without a copy)
    bits = vals.view(np.uint64) & np.uint64((1 << fmt.elem_bits) - 1)
    shifts = np.arange(fmt.lanes, dtype=np.uint64) * np.uint64(fmt.elem_bits)
    words = np.bitwise_or.reduce(bits << shifts, axis=1)  # (n, lanes) -> (n,)
    return words.astype("<u8").view("<u4").reshape(-1, 2)[:, :n32]


def stream_values(fmt: StreamFormat, limbs: U32) -> npt.NDArray[np.int64]:
    """(n, n32) uint32 limbs -> values (n, lanes); the inverse of :func:`stream_limbs`."""
    if fmt.elem_bits == 1:
        bits = np.unpackbits(np.ascontiguousarray(limbs).view(np.uint8), axis=1,
                             bitorder="little")[:, :fmt.lanes].astype(np.int64)
        return 2 * bits - 1 if fmt.dtype == BIPOLAR else bits
    if fmt.word_bits > 64:
        words = [int.from_bytes(r.tobytes(), "little") for r in limbs]
        return fmt.unpack(words)
    u = limbs[:, 0].astype(np.uint64)
    if limbs.shape[1] > 1:
        u |= limbs[:, 1].astype(np.uint64) << np.uint64(32)
    shifts = np.arange(fmt.lanes, dtype=np.uint64) * np.uint64(fmt.elem_bits)
    lanes = (u.reshape(-1, 1) >> shifts) & np.uint64((1 << fmt.elem_bits) - 1)
    return from_bits(lanes, fmt.dtype)


def _word(limbs: U32, i: int) -> int:
    return int.from_bytes(limbs[i].astype("<u4").tobytes(), "little")


@dataclass
class LayerRuns:
    """What one bulk run produced: per instance the output tensor of every output port
    ((frames, *out_frame_shape), decoded from the RTL's words), the accept cycles of every
    input port and the transfer cycles of every output port; problems found against the
    models (empty: every word and cycle equal)."""

    outputs: list[list[npt.NDArray[np.int64]]]
    accept: list[list[npt.NDArray[np.int64]]]
    transfer: list[list[npt.NDArray[np.int64]]]
    cycles: int
    sim_seconds: float
    build: NativeBuild
    problems: list[str] = field(default_factory=list)


def _first_diff(exp: npt.NDArray[Any], got: npt.NDArray[Any]) -> Optional[int]:
    if exp.shape != got.shape:
        return -1
    bad = np.flatnonzero((exp != got).reshape(exp.shape[0], -1).any(axis=1))
    return int(bad[0]) if bad.size else None


def _cycle_problem(where: str, what: str, exp: npt.NDArray[np.int64],
                   got: npt.NDArray[np.int64]) -> list[str]:
    i = _first_diff(exp, got)
    if i is None:
        return []
    if i < 0:
        return [f"{where}: {got.size} {what} events, expected {exp.size}"]
    return [f"{where}: {what} of word {i} at cycle {int(got[i])}, cycle model says "
            f"{int(exp[i])}"]


def _write(d: Path, cfgs: Sequence[Block], ins: Sequence[Sequence[U32]],
           n_out: Sequence[int], timeout: int, watchdog: int) -> None:
    lines = [f"{watchdog} {timeout}", *(str(int(_eager(c))) for c in cfgs)]
    p = 0
    for port_words in ins:
        for words in port_words:
            (d / f"in_{p}.bin").write_bytes(np.ascontiguousarray(words).tobytes())
            (d / f"in_{p}_offer_plan.bin").write_bytes(b"")
            lines.append(f"{words.shape[0]} 0")
            p += 1
    for q, n in enumerate(n_out):
        (d / f"out_{q}_ready_plan.bin").write_bytes(b"")
        lines.append(f"{n} 0")
    (d / "plan.txt").write_text("\n".join(lines) + "\n")


def run_layers_native(cfgs: Sequence[Block], inputs: Sequence[Sequence[Any]],
                      outputs: Optional[Sequence[Any]] = None,
                      cache: Path = DEFAULT_CACHE) -> LayerRuns:
    """Run block ``cfgs[k]`` on ``inputs[k]`` (one array (frames, *in_frame_shape) per input
    port) stall-free in the native per-layer bench and check it against the models.

    ``outputs[k]``: the model's output of block k on those inputs, if the caller has it
    (else it is computed); every output port must carry it."""
    frames = [c.frames_of(np.asarray(x[0])) for c, x in zip(cfgs, inputs)]
    ins = [[stream_limbs(c.in_stream_of(p), np.asarray(x[p]).reshape(-1, c.in_stream_of(p)
                                                                        .lanes))
            for p in range(c.in_ports)] for c, x in zip(cfgs, inputs)]
    n_out = [frames[k] * c.out_words for k, c in enumerate(cfgs) for _ in range(c.out_ports)]
    # the run's length from the stall-free schedule of each block (cheap); the full cycle
    # models below run while the harness simulates, on the other core
    horizon = max(c.stall_free().cycles(f) for c, f in zip(cfgs, frames))
    build = build_bench_native(cfgs, cache)
    d = Path(tempfile.mkdtemp(prefix="layers-", dir=build.build_dir))
    insts = [_Instance(c, f, [], []) for c, f in zip(cfgs, frames)]
    _write(d, cfgs, ins, n_out, 2 * horizon + _SLACK, _watchdog(insts))
    t0 = time.perf_counter()
    with subprocess.Popen([str(build.exe), str(d)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as proc:
        # the model's output in stream order: (frames, *out_frame_shape) -> (words, lanes)
        want = [c._out_to_stream_order(np.asarray(outputs[k] if outputs is not None else
                                                  c(*inputs[k])).reshape((-1,)
                                                                         + c.out_frame_shape))
                for k, c in enumerate(cfgs)]
        exp = [stream_limbs(c.out_stream, y) for c, y in zip(cfgs, want)]
        models = [c.cycles(f) for c, f in zip(cfgs, frames)]
        err = proc.stderr.read() if proc.stderr else ""
        rc = proc.wait()
    sim_s = time.perf_counter() - t0
    if rc != 0:
        raise SimulationError(f"native per-layer bench failed (exit {rc}) in {str(d)!r}:\n"
                              f"{err.strip()}")
    status = (d / "status.txt").read_text().split("\n")
    stall = _stall(status)
    if stall:  # the same report as the cocotb bench's watchdog
        why = _stall_report(insts, {"runs": [{"name": "none", "stall": stall}]})
        raise SimulationError(f"{why}\n  (native bench run {str(d)!r})")
    return _collect(d, cfgs, exp, models, frames, sim_s, build, int(status[0].split()[1]))


def _collect(d: Path, cfgs: Sequence[Block], exp: Sequence[U32], models: Sequence[Any],
             frames: Sequence[int], sim_s: float, build: NativeBuild, cycles: int) -> LayerRuns:
    """Read the harness's results and compare them with the models."""
    res = LayerRuns([], [], [], cycles, sim_s, build)
    proto = [ln.split(" ", 1) for ln in (d / "protocol.txt").read_text().splitlines()]
    p = q = 0
    for k, c in enumerate(cfgs):
        where = f"{c.owner} (instance i{k}), run 'none'"
        inst = _Instance(c, frames[k], [], [])
        outs, accs, trs = [], [], []
        for port in range(c.in_ports):
            acc = np.fromfile(d / f"in_{p}_accept.bin", dtype=np.int64)
            what = "accept" if c.in_ports == 1 else f"accept (input {port})"
            res.problems += _cycle_problem(where, what, models[k].accept, acc)
            accs.append(acc)
            p += 1
        for port in range(c.out_ports):
            n32 = exp[k].shape[1]
            got = np.fromfile(d / f"out_{q}_words.bin", dtype="<u4").reshape(-1, n32)
            tr = np.fromfile(d / f"out_{q}_transfer.bin", dtype=np.int64)
            name = "" if c.out_ports == 1 else f" {port}"
            res.problems += [f"{where}: protocol: {m}" for qq, m in proto if int(qq) == q]
            bad = _first_diff(exp[k], got)
            if bad is not None and bad < 0:
                res.problems.append(f"{where}: output{name}: {got.shape[0]} words, expected "
                                    f"{exp[k].shape[0]}")
            elif bad is not None:
                res.problems.append(_word_problem(inst, k, "none", bad, _word(exp[k], bad),
                                                  _word(got, bad), int(tr[bad]), name))
            what = "transfer" if c.out_ports == 1 else f"transfer (output {port})"
            res.problems += _cycle_problem(where, what, models[k].transfer, tr)
            vals = stream_values(c.out_stream, got)  # (words, lanes)
            outs.append(c._out_from_stream_order(vals.reshape((-1,) + c.out_frame_shape)))
            trs.append(tr)
            q += 1
        res.outputs.append(outs)
        res.accept.append(accs)
        res.transfer.append(trs)
    return res
