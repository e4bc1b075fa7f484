"""The ``rtlsim-stitched`` level: the whole Design as one stitched top in native Verilator.

Unlike the node-by-node levels, the layers run chained (cores, FIFOs, width converters; see
:mod:`qsim.pipeline.plan`), driven by the C++ harness (:mod:`qsim.rtlsim.native_run`). The
level reports the last layer's output and the transfer cycle of every output word, and checks
those cycles itself against the pipeline cycle model of the same chain
(:meth:`qsim.pipeline.plan.Stitched.simulate`), raising MismatchError on the first
difference. The harness also records every plan link's transfer cycles; the message (and a
note, whenever any link differs) names the first link whose cycles leave the model's, with the
word and both cycles: the layer or FIFO where a stitched difference starts.
Trailing layers without RTL (LabelSelect) are left out, with a note.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional, Sequence

import numpy as np

from qsim.errors import MismatchError

from .levels import Context, LayerRun, Level, LevelResult, Progress, register


def _rtl_prefix(design: Any) -> tuple[Any, list[str]]:
    """The design without trailing layers that have no RTL core, and their names."""
    layers = list(design.layers)
    dropped: list[str] = []
    while layers and not hasattr(layers[-1].block, "schedule"):
        dropped.insert(0, layers.pop().name)
    if dropped and layers:
        depths = design.fifo_depths
        kept = sum(e.dst not in dropped for e in design.links)  # links are in dst order
        design = dataclasses.replace(design, layers=tuple(layers), fifo_depths=None if depths
                                     is None else depths[:kept])
    return design, dropped


@register
class StitchedLevel(Level):
    """All layers chained in one Verilator model; output and cycles of the last layer."""

    name = "rtlsim-stitched"
    description = "stitched SystemVerilog top under a native Verilator harness"
    has_cycles = True
    node_by_node = False

    def unavailable(self) -> Optional[str]:
        from qsim._toolchain import apply_verilator_env, find_cxx
        from qsim.errors import ToolchainError

        try:
            find_cxx()
            apply_verilator_env()
        except ToolchainError as exc:
            return str(exc)
        return None

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray],
             ctx: Context, progress: Progress) -> LevelResult:
        from qsim.pipeline.engine import DeadlockError
        from qsim.pipeline.plan import stitch
        from qsim.rtlsim.native_run import run_stitched

        res = LevelResult(self.name)
        rtl, dropped = _rtl_prefix(design)
        if dropped:
            res.notes.append(f"layers {dropped!r} have no RTL core; stitched up to "
                             f"{rtl.layers[-1].name!r}")
        st = stitch(rtl, _sized_depths(rtl, res))
        if progress:
            progress(f"{len(st.nodes)} nodes stitched")
        n = st.samples_of(x)
        try:  # a design that deadlocks is a verification failure naming the edge, not a crash
            model = st.simulate(n, None, ctx.ready)
        except DeadlockError as exc:
            raise MismatchError(f"rtlsim-stitched: {exc}") from None
        # without SV assertions: they multiply the C++ build time; every handshake cycle is
        # checked against the pipeline model below and each core's protocol under cocotb
        run = run_stitched(st, st.pack_input(x), n * st.out_words_per_sample, ready=ctx.ready,
                           assertions=False)
        last = rtl.layers[-1]
        y = st.unpack_output(run.words).reshape((n,) + tuple(last.out_shape))
        res.layers[last.name] = LayerRun(y, cycles=run.cycles, transfer=run.transfer)
        res.notes.append(f"{len(st.nodes)} nodes, {run.cycles} cycles in "
                         f"{run.sim_seconds:.2f} s (build {run.build.build_seconds:.1f} s)")
        where = first_link_difference(st.link_names, model.words, run.links)
        if where:
            res.notes.append(where)
        _check_cycles(last.name, model.accept, run.accept, "accept", where)
        _check_cycles(last.name, model.transfer, run.transfer, "transfer", where)
        return res


def _sized_depths(design: Any, res: LevelResult) -> Optional[list[int]]:
    """The FIFO depths to stitch with: the folding's (``inFIFODepths``) when it gives any,
    else those :func:`qsim.pipeline.fifo_sizing.size_fifos` finds on the pipeline model
    (4 samples, keep the period): FINN's default 2-word FIFOs nearly double CNV-w1a1's
    period, so a bulk run on them measures a design nobody would build."""
    if design.fifo_depths is not None or not design.links:
        return None
    from qsim.pipeline.fifo_sizing import size_fifos

    sizing = size_fifos(design, samples=4, criterion="period")
    res.notes.append(f"FIFO depths sized on the pipeline model (the folding gives none): "
                     f"{list(sizing.depths)}, {sum(sizing.depths)} words; steady-state "
                     f"period kept")
    return list(sizing.depths)


def first_link_difference(names: Sequence[str], model: Sequence[np.ndarray],
                          got: Sequence[np.ndarray]) -> str:
    """The plan link whose transfer cycles first leave the pipeline model's (the smallest
    model cycle at a differing word, so the upstream cause rather than its downstream
    echoes), or "" when every link agrees or the harness recorded no link cycles."""
    if not got or len(got) != len(model):
        return ""
    first: Optional[tuple[int, int, int]] = None  # (model cycle, link, word)
    for k, (exp, obs) in enumerate(zip(model, got)):
        n = min(exp.size, obs.size)
        diff = np.flatnonzero(exp[:n] != obs[:n])
        w = int(diff[0]) if diff.size else (n if exp.size != obs.size else -1)
        if w < 0:
            continue
        at = int(exp[w]) if w < exp.size else int(obs[w])
        if first is None or at < first[0]:
            first = (at, k, w)
    if first is None:
        return ""
    at, k, w = first
    exp, obs = model[k], got[k]
    seen = f"cycle {int(obs[w])}" if w < obs.size else "never"
    want = f"cycle {int(exp[w])}" if w < exp.size else "no such word"
    return (f"first link to differ: link {k} {names[k]!r}, word {w}: transferred at {seen}, "
            f"pipeline model says {want} ({obs.size} words on the link, model {exp.size})")


def _check_cycles(layer: str, expected: np.ndarray, got: np.ndarray, what: str,
                  where: str = "") -> None:
    at = f"; {where}" if where else ""
    if expected.shape != got.shape:
        raise MismatchError(f"rtlsim-stitched: {got.size} {what} cycles, pipeline model "
                            f"expects {expected.size} (layer {layer!r}){at}")
    diff = np.flatnonzero(expected != got)
    if diff.size:
        w = int(diff[0])
        raise MismatchError(f"rtlsim-stitched: {what} cycle of word {w} is {int(got[w])}, "
                            f"pipeline model expects {int(expected[w])} (layer {layer!r}, "
                            f"{diff.size} words differ){at}")
