"""One DMA transfer on the emulated board: the DMA stages modelled, the design in native RTL.

:func:`run_transfer` runs the stitched top in the native Verilator harness
(:func:`qsim.rtlsim.native_run.run_stitched`) between models of the wrapper's DMA side:

* s_axis is driven as the wrapper's input FIFO drives it: word m is offered from the cycle
  after the FIFO's step that loads it into its output register;
* m_axis_tready is the registered ready of the S2MM side (or the output converter): high in
  cycle t iff its buffer has room for the next word.

Both patterns come from the model of the whole transfer (:func:`qsim.board.dma.system_graph`),
whose DMA-side timing depends on when the design accepts and emits words. The loop is closed
by induction: the offer of word m depends only on the accepts of words before m, the ready in
cycle t only on the transfers before t; so if the harness accepts and transfers every word
exactly when the model says, the DMA side driven by the RTL would have produced exactly these
patterns. :func:`run_transfer` checks that equality word by word (SimulationError naming the
first word that differs) and then computes the S2MM completion from the harness's own
transfer cycles, so the cycles it reports come from the RTL run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from qsim.board.dma import DMA_SETUP_CYCLES, StreamLayout, system_graph
from qsim.board.stream import bytes_to_words, words_to_bytes
from qsim.errors import SimulationError, StreamError
from qsim.models import Schedule
from qsim.pipeline.engine import GraphTrace, Link, simulate_graph
from qsim.rtlsim.build import DEFAULT_CACHE

__all__ = ["TransferResult", "run_transfer"]


@dataclass(frozen=True)
class TransferResult:
    """Output buffer bytes and the cycles of one transfer (setup to the last S2MM beat)."""

    out_bytes: bytes
    cycles: int
    samples: int
    predicted_cycles: int


def _produce_steps(s: Schedule, n_words: int) -> npt.NDArray[np.int64]:
    """Global step index that produces each output word of a stage."""
    local = np.flatnonzero(np.asarray(s.produces, dtype=bool)).astype(np.int64)
    m = np.arange(n_words, dtype=np.int64)
    return (m // s.n_out) * s.steps + local[m % s.n_out]


def _room(s: Schedule, steps: npt.NDArray[np.int64], n_words: int) -> npt.NDArray[np.int64]:
    """First cycle the stage's input buffer has room for each input word (0: from the start):
    word m needs the slot freed by word m - capacity (qsim.models._schedule)."""
    free = np.searchsorted(np.cumsum(s.frees), np.arange(1, s.n_in + 1), "left")
    room = np.zeros(n_words, dtype=np.int64)
    i = np.arange(n_words, dtype=np.int64) - s.capacity
    has = i >= 0
    f, dp = np.divmod(i[has], s.n_in)
    room[has] = steps[f * s.steps + free[dp]] + 1
    return room


def _patterns(tr: GraphTrace, g: Any) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """s_axis offer per word and m_axis_tready per cycle, as the DMA side drives them."""
    feed, drain = tr.stages[g.feed], tr.stages[g.drain]
    acc, xfr = tr.words[g.design_in], tr.words[g.design_out]
    offer = tr.steps[g.feed][_produce_steps(feed.schedule, acc.size)] + 1
    room = _room(drain.schedule, tr.steps[g.drain], xfr.size)
    horizon = int(xfr[-1]) + 1 if xfr.size else 0
    t = np.arange(horizon, dtype=np.int64)
    nxt = np.searchsorted(xfr, t, "left")  # the word waiting in cycle t
    ready = np.ones(horizon, dtype=bool)
    live = nxt < xfr.size
    ready[live] = t[live] >= room[nxt[live]]
    return offer, ready


def _first_diff(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> Optional[int]:
    if a.shape != b.shape:
        return int(min(a.size, b.size))
    diff = np.flatnonzero(a != b)
    return int(diff[0]) if diff.size else None


def _tail_cycles(tr: GraphTrace, g: Any, transfer: npt.NDArray[np.int64]) -> int:
    """Cycles to the last S2MM memory beat, the S2MM side fed at the harness's m_axis cycles."""
    tail = tr.stages[g.drain:]
    links = [Link(j - 1, j if j < len(tail) else -1) for j in range(len(tail) + 1)]
    return simulate_graph(tail, links, transfer).cycles


def run_transfer(st: Any, in_bytes: bytes, cache: Path = DEFAULT_CACHE) -> TransferResult:
    """One MM2S + S2MM transfer pair of whole samples (module docstring)."""
    lin, lout = StreamLayout(st.in_bits), StreamLayout(st.out_bits)
    words = bytes_to_words(in_bytes, lin)
    per = st.in_words_per_sample
    if not words or len(words) % per:
        raise StreamError(f"emulated DMA: {len(words)} input words is not a positive whole "
                          f"number of samples ({per} words each)")
    samples = len(words) // per
    g = system_graph(st, samples)
    tr = g.simulate()
    offer, ready = _patterns(tr, g)
    from qsim.rtlsim.native_run import run_stitched

    n_out = samples * st.out_words_per_sample
    run = run_stitched(st, words, n_out, offer, ready, cache)
    for what, got, want in (("accept", run.accept, tr.words[g.design_in]),
                            ("transfer", run.transfer, tr.words[g.design_out])):
        k = _first_diff(np.asarray(got, dtype=np.int64), want)
        if k is not None:
            raise SimulationError(
                f"emulated board, Design {st.design.name!r}: the RTL's {what} cycle of word "
                f"{k} ({got[k] if k < len(got) else 'missing'}) differs from the model's "
                f"({want[k] if k < len(want) else 'missing'}) with the DMA stages "
                f"(setup {DMA_SETUP_CYCLES} cycles, {samples} samples)")
    cycles = _tail_cycles(tr, g, np.asarray(run.transfer, dtype=np.int64))
    return TransferResult(words_to_bytes(run.words, lout), cycles, samples, tr.cycles)
