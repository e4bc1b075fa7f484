"""Pipeline cycle model: blocks (and FIFOs, width converters) chained stream to stream.

Every stage follows the skeleton of :mod:`qsim.models._schedule` (registered ``in_ready``,
in-order engine, 1-word output register). Chained, stage j's output word m moves on the cycle
stage j+1 accepts it, so one time per word and link describes the whole pipeline::

    link[l][m] = max(s[l-1][prod(m)] + 1,      upstream output register valid
                     link[l][m-1] + 1,          one word per cycle
                     s[l][free_step(m)] + 1)    downstream input buffer has room (registered)
    s[j][k]    = max(s[j][k-1] + 1, link[j][need(k)] + 1, link[j+1][m-1] if k produces m)

Link 0 is the pipeline input (offer pattern instead of an upstream stage); the last link is
the output (ready pattern instead of a downstream stage). Evaluation is a worklist over the
links and stages that advances whatever has its operands; if nothing can advance before
every word has moved, the pipeline deadlocks and :class:`SimulationError` names the stage,
the word it waits for and the cycle reached.

The worklist is compiled with numba (:mod:`qsim.pipeline._kernel`): it runs the same
recurrences on flat integer arrays, one machine-code loop per link and stage, about 100x the
speed of the interpreted loop it replaced (``bench/bench_pipeline.py p2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import numpy.typing as npt

from qsim.errors import SimulationError
from qsim.models._schedule import CycleTrace, Schedule

__all__ = ["Stage", "simulate_pipeline"]


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: a schedule run for ``frames`` frames, named for messages."""

    name: str
    schedule: Schedule
    frames: int

    @property
    def in_words(self) -> int:
        return self.frames * self.schedule.n_in

    @property
    def out_words(self) -> int:
        return self.frames * self.schedule.n_out


def _tables(s: Schedule) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                  npt.NDArray[np.int64]]:
    """Frame-local lookup tables of one schedule (all int64).

    ``rank[k]``: output index within the frame of step k, -1 if it produces nothing;
    ``prod[r]``: the step producing output r; ``free[t - 1]``: the first step after which at
    least t input words of the frame were freed (t = 1..n_in).
    """
    produces = np.asarray(s.produces, dtype=bool)
    rank = np.where(produces, np.cumsum(produces) - 1, -1).astype(np.int64)
    prod = np.flatnonzero(produces).astype(np.int64)
    free = np.searchsorted(np.cumsum(s.frees), np.arange(1, s.n_in + 1), "left").astype(np.int64)
    return rank, prod, free


def _concat(parts: list[npt.NDArray[np.int64]]) -> tuple[npt.NDArray[np.int64],
                                                         npt.NDArray[np.int64]]:
    """Concatenation of ``parts`` and the offset of each part in it (len(parts) + 1)."""
    off = np.zeros(len(parts) + 1, dtype=np.int64)
    off[1:] = np.cumsum([p.shape[0] for p in parts])
    flat = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
    return flat, off


def simulate_pipeline(stages: Sequence[Stage], offer: Optional[npt.ArrayLike] = None,
                      ready: Optional[npt.ArrayLike] = None) -> list[CycleTrace]:
    """Cycle of every word on every link of the chain; one CycleTrace per stage.

    ``offer``: earliest cycle each pipeline input word is presented (None: cycle 0);
    ``ready``: ready of the pipeline output per cycle, cycles past the end ready (None: always).
    """
    from qsim.pipeline._kernel import run_worklist

    if not stages:
        raise SimulationError("pipeline: no stages")
    for up, down in zip(stages, stages[1:]):
        if up.out_words != down.in_words:
            raise SimulationError(f"pipeline: stage {up.name!r} produces {up.out_words} words "
                                  f"but {down.name!r} consumes {down.in_words}")
    totals = np.array([stages[0].in_words] + [s.out_words for s in stages], dtype=np.int64)
    if offer is None:
        offers = np.zeros(int(totals[0]), dtype=np.int64)
    else:
        offers = np.asarray(offer, dtype=np.int64).ravel()
        if offers.shape[0] != totals[0]:
            raise SimulationError(f"pipeline: offer has {offers.shape[0]} entries for "
                                  f"{totals[0]} input words")
    scheds = [s.schedule for s in stages]
    tables = [_tables(s) for s in scheds]
    need, k_off = _concat([np.asarray(s.need, dtype=np.int64) for s in scheds])
    rank, _ = _concat([t[0] for t in tables])
    prod, p_off = _concat([t[1] for t in tables])
    free, f_off = _concat([t[2] for t in tables])
    shape = np.array([[s.steps, s.n_in, s.n_out, s.capacity, st.frames * s.steps]
                      for s, st in zip(scheds, stages)], dtype=np.int64)
    link_off = np.zeros(totals.shape[0] + 1, dtype=np.int64)
    link_off[1:] = np.cumsum(totals)
    step_off = np.zeros(len(stages) + 1, dtype=np.int64)
    step_off[1:] = np.cumsum(shape[:, 4])
    links = np.empty(int(link_off[-1]), dtype=np.int64)
    steps = np.empty(int(step_off[-1]), dtype=np.int64)
    link_n = np.zeros(totals.shape[0], dtype=np.int64)
    step_n = np.zeros(len(stages), dtype=np.int64)
    run_worklist(shape, need, rank, k_off, prod, p_off, free, f_off, offers, _next_ready(ready),
                 links, link_off, link_n, steps, step_off, step_n)
    _check_done(stages, shape, need, k_off, links, link_off, link_n, step_n, totals)
    links.flags.writeable = False  # the traces are views: stage j's transfer is j+1's accept
    steps.flags.writeable = False
    return [CycleTrace(links[link_off[j]:link_off[j + 1]], steps[step_off[j]:step_off[j + 1]],
                       links[link_off[j + 1]:link_off[j + 2]])
            for j in range(len(stages))]


def _next_ready(ready: Optional[npt.ArrayLike]) -> npt.NDArray[np.int64]:
    """``nr[t]``: the first ready cycle >= t (t below the pattern's length)."""
    if ready is None:
        return np.zeros(0, dtype=np.int64)
    r = np.asarray(ready, dtype=bool).ravel()
    idx = np.where(r, np.arange(r.shape[0]), r.shape[0])
    return np.minimum.accumulate(idx[::-1])[::-1].astype(np.int64)


def _check_done(stages: Sequence[Stage], shape: npt.NDArray[np.int64],
                need: npt.NDArray[np.int64], k_off: npt.NDArray[np.int64],
                links: npt.NDArray[np.int64], link_off: npt.NDArray[np.int64],
                link_n: npt.NDArray[np.int64], step_n: npt.NDArray[np.int64],
                totals: npt.NDArray[np.int64]) -> None:
    if np.array_equal(link_n, totals) and np.array_equal(step_n, shape[:, 4]):
        return
    last = max([int(links[link_off[li] + n - 1]) for li, n in enumerate(link_n) if n] + [0])
    for j, st in enumerate(stages):
        k = int(step_n[j])
        if k < shape[j, 4]:
            f, kl = divmod(k, int(shape[j, 0]))
            nd = int(need[k_off[j] + kl])
            waits = (f"input word {f * int(shape[j, 1]) + nd}" if nd >= 0 else
                     "room in its output register")
            raise SimulationError(f"pipeline deadlock: stage {st.name!r} stuck at step {k} of "
                                  f"{shape[j, 4]} waiting for {waits} ({link_n[j]} of "
                                  f"{totals[j]} input words accepted, last event at cycle "
                                  f"{last})")
    for li, n in enumerate(link_n):
        if n < totals[li]:
            raise SimulationError(f"pipeline deadlock: link {li} moved {n} of {totals[li]} "
                                  f"words")
