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


class _StageState:
    """Per-stage constants (lists for speed) and the step times computed so far."""

    def __init__(self, st: Stage):
        s = st.schedule
        self.name, self.K, self.n_in, self.n_out = st.name, s.steps, s.n_in, s.n_out
        self.total = st.frames * s.steps
        self.need = s.need.tolist()
        prod = s.produces.tolist()
        rank, r = [], 0
        for p in prod:
            rank.append(r if p else -1)
            r += int(p)
        self.rank = rank  # output index within the frame of a producing step, else -1
        self.prod_idx = np.flatnonzero(s.produces).tolist()  # frame-local producing steps
        self.cum_free = np.cumsum(s.frees)
        self.cap = s.capacity
        self.steps: list[int] = []

    def producing_step(self, m: int) -> int:
        f, r = divmod(m, self.n_out)
        return f * self.K + self.prod_idx[r]

    def free_step(self, i: int) -> int:
        """Global step after which input word i fits in the input buffer (-1: at once)."""
        target = i + 1 - self.cap
        if target <= 0:
            return -1
        f = (target - 1) // self.n_in
        return f * self.K + int(np.searchsorted(self.cum_free, target - f * self.n_in, "left"))


def simulate_pipeline(stages: Sequence[Stage], offer: Optional[npt.ArrayLike] = None,
                      ready: Optional[npt.ArrayLike] = None) -> list[CycleTrace]:
    """Cycle of every word on every link of the chain; one CycleTrace per stage.

    ``offer``: earliest cycle each pipeline input word is presented (None: cycle 0);
    ``ready``: ready of the pipeline output per cycle, cycles past the end ready (None: always).
    """
    for up, down in zip(stages, stages[1:]):
        if up.out_words != down.in_words:
            raise SimulationError(f"pipeline: stage {up.name!r} produces {up.out_words} words "
                                  f"but {down.name!r} consumes {down.in_words}")
    st = [_StageState(s) for s in stages]
    n_links = len(st) + 1
    totals = [stages[0].in_words] + [s.out_words for s in stages]
    offers = [0] * totals[0] if offer is None else [int(v) for v in np.asarray(offer).ravel()]
    if len(offers) != totals[0]:
        raise SimulationError(f"pipeline: offer has {len(offers)} entries for {totals[0]} "
                              f"input words")
    nr = _next_ready(ready)
    links: list[list[int]] = [[] for _ in range(n_links)]
    progress = True
    while progress:
        progress = False
        for li in range(n_links):
            progress |= _advance_link(li, st, links, totals[li], offers, nr)
        for j in range(len(st)):
            progress |= _advance_stage(j, st, links)
    _check_done(st, links, totals)
    return [CycleTrace(np.array(links[j], dtype=np.int64), np.array(s.steps, dtype=np.int64),
                       np.array(links[j + 1], dtype=np.int64)) for j, s in enumerate(st)]


def _next_ready(ready: Optional[npt.ArrayLike]) -> list[int]:
    if ready is None:
        return []
    r = np.asarray(ready, dtype=bool)
    idx = np.where(r, np.arange(r.shape[0]), r.shape[0])
    return np.minimum.accumulate(idx[::-1])[::-1].tolist()


def _advance_link(li: int, st: list[_StageState], links: list[list[int]], total: int,
                  offers: list[int], nr: list[int]) -> bool:
    words = links[li]
    start = len(words)
    up = st[li - 1] if li > 0 else None
    down = st[li] if li < len(st) else None
    n_nr = len(nr)
    while len(words) < total:
        m = len(words)
        if up is None:
            t = offers[m]
        else:
            k = up.producing_step(m)
            if k >= len(up.steps):
                break
            t = up.steps[k] + 1
        if m:
            t = max(t, words[-1] + 1)
        if down is None:
            t = nr[t] if t < n_nr else t
        else:
            fs = down.free_step(m)
            if fs >= 0:
                if fs >= len(down.steps):
                    break
                t = max(t, down.steps[fs] + 1)
        words.append(t)
    return len(words) > start


def _advance_stage(j: int, st: list[_StageState], links: list[list[int]]) -> bool:
    s = st[j]
    inp, out = links[j], links[j + 1]
    steps, need, rank, K = s.steps, s.need, s.rank, s.K
    start = len(steps)
    while len(steps) < s.total:
        k = len(steps)
        f, kl = divmod(k, K)
        t = steps[-1] + 1 if steps else 0
        nd = need[kl]
        if nd >= 0:
            gi = f * s.n_in + nd
            if gi >= len(inp):
                break
            t = max(t, inp[gi] + 1)
        r = rank[kl]
        if r >= 0:
            m = f * s.n_out + r
            if m > 0:
                if m - 1 >= len(out):
                    break
                t = max(t, out[m - 1])
        steps.append(t)
    return len(steps) > start


def _check_done(st: list[_StageState], links: list[list[int]], totals: list[int]) -> None:
    for j, s in enumerate(st):
        if len(s.steps) < s.total:
            k = len(s.steps)
            f, kl = divmod(k, s.K)
            waits = (f"input word {f * s.n_in + s.need[kl]}" if s.need[kl] >= 0 else
                     "room in its output register")
            last = max([v for ln in links for v in ln[-1:]] + [0])
            raise SimulationError(f"pipeline deadlock: stage {s.name!r} stuck at step {k} of "
                                  f"{s.total} waiting for {waits} ({len(links[j])} of "
                                  f"{totals[j]} input words accepted, last event at cycle "
                                  f"{last})")
    for li, words in enumerate(links):
        if len(words) < totals[li]:
            raise SimulationError(f"pipeline deadlock: link {li} moved {len(words)} of "
                                  f"{totals[li]} words")
