"""The cycle model shared by every block: one in-order engine between two buffers.

Every qsim block has the same micro-architecture skeleton (docs/timing.md):

* an **input buffer** of ``capacity`` words. ``in_ready`` is a register: it is high in cycle t
  iff the words accepted before t minus the words *freed* before t is below ``capacity``;
* an **engine** that fires at most one *step* per cycle, in a fixed per-frame order. Step k
  may need an input word (it fires only from the cycle after that word was accepted), may
  produce an output word, and may free input-buffer slots;
* a one-word **output register** (``out_valid``/``out_data`` are flops). A producing step
  fires only when that register is empty or is being emptied in the same cycle.

This gives exact max-plus recurrences, one per word, that the RTL implements cycle for cycle::

    a[i] = max(offer[i], a[i-1] + 1, s[free_step(i)] + 1)        input word i accepted
    s[k] = max(s[k-1] + 1, a[need[k]] + 1, x[m-1] if k produces m) engine step k fires
    x[m] = first ready cycle >= max(s[k(m)] + 1, x[m-1] + 1)     output word m transferred

where ``free_step(i)`` is the first step after which at least ``i + 1 - capacity`` words were
freed. Cycle 0 is the first rising edge after reset; a word moves at edge t when valid and
ready are both high in cycle t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import numpy.typing as npt

from qsim.errors import SimulationError
from qsim.models._dtypes import IntArray

__all__ = ["CycleTrace", "Schedule", "simulate"]


@dataclass(frozen=True)
class Schedule:
    """One frame of a block's engine schedule.

    Parameters
    ----------
    n_in, n_out
        Input and output words per frame.
    need
        (steps,) frame-local index of the input word step k waits for, or -1.
    produces
        (steps,) True where step k writes the next output word.
    frees
        (steps,) input-buffer slots freed when step k fires; sums to ``n_in`` over a frame.
    capacity
        Input-buffer words (the registered ``in_ready`` is low when it is full).
    """

    n_in: int
    n_out: int
    need: IntArray
    produces: npt.NDArray[np.bool_]
    frees: IntArray
    capacity: int

    def __post_init__(self) -> None:
        assert self.need.shape == self.produces.shape == self.frees.shape
        assert int(self.produces.sum()) == self.n_out, "produces must mark n_out steps"
        assert int(self.frees.sum()) == self.n_in, "a frame must free all its input words"
        assert self.capacity >= 1

    @property
    def steps(self) -> int:
        """Engine steps (cycles when nothing stalls) per frame."""
        return int(self.need.shape[0])


@dataclass(frozen=True)
class CycleTrace:
    """Cycle of every event of a run (all int64, global over frames).

    ``accept[i]``: input word i moved (valid & ready); ``step[k]``: engine step k fired;
    ``transfer[m]``: output word m moved.
    """

    accept: IntArray
    step: IntArray
    transfer: IntArray

    @property
    def cycles(self) -> int:
        """Cycles from cycle 0 up to and including the last output transfer."""
        return int(self.transfer[-1]) + 1 if self.transfer.size else 0


def _next_ready_table(ready: Optional[npt.ArrayLike]) -> list[int]:
    """nr[t] = first cycle >= t in which ``ready`` is high; cycles past the pattern are ready."""
    if ready is None:
        return []
    r = np.asarray(ready, dtype=bool)
    n = r.shape[0]
    idx = np.where(r, np.arange(n), n)
    # reverse running minimum: (n,) -> (n,)
    return [int(v) for v in np.minimum.accumulate(idx[::-1])[::-1]]


def simulate(sched: Schedule, frames: int, offer: Optional[npt.ArrayLike] = None,
             ready: Optional[npt.ArrayLike] = None, owner: str = "block") -> CycleTrace:
    """Run the cycle model of ``sched`` over ``frames`` frames.

    Parameters
    ----------
    offer
        (frames * n_in,) earliest cycle at which upstream presents each input word (it then
        holds valid until the word is accepted). None: every word is offered from cycle 0.
    ready
        Downstream ready per cycle (bool array); cycles past its end are ready. None: always.
    """
    n_in, n_out, K = sched.n_in, sched.n_out, sched.steps
    tot_in, tot_steps, tot_out = frames * n_in, frames * K, frames * n_out
    offers = [0] * tot_in if offer is None else [int(v) for v in np.asarray(offer).ravel()]
    if len(offers) != tot_in:
        raise SimulationError(f"{owner}: offer has {len(offers)} entries, expected "
                              f"{tot_in} ({frames} frames x {n_in} input words)")
    nr = _next_ready_table(ready)
    n_nr = len(nr)
    need_l = sched.need.tolist()
    prod_l = sched.produces.tolist()
    cum_free = np.cumsum(sched.frees)  # (steps,) words freed by the end of step k
    cap = sched.capacity

    def free_step(i: int) -> int:
        """Global step after which word i fits in the input buffer (-1: fits at once)."""
        target = i + 1 - cap
        if target <= 0:
            return -1
        f = (target - 1) // n_in
        return f * K + int(np.searchsorted(cum_free, target - f * n_in, side="left"))

    acc: list[int] = []
    stp: list[int] = []
    xfr: list[int] = []

    def accept_upto(j: int, k: int) -> None:
        while len(acc) <= j:
            i = len(acc)
            t = offers[i] if i == 0 else max(offers[i], acc[-1] + 1)
            fs = free_step(i)
            if fs >= k:
                raise SimulationError(f"{owner}: deadlock: input word {i} waits for step {fs} "
                                      f"but step {k} waits for input word {j}")
            if fs >= 0:
                t = max(t, stp[fs] + 1)
            acc.append(t)

    last_s = -1
    for k in range(tot_steps):
        f, kl = divmod(k, K)
        t = last_s + 1
        nd = need_l[kl]
        if nd >= 0:
            j = f * n_in + nd
            accept_upto(j, k)
            t = max(t, acc[j] + 1)
        if prod_l[kl]:
            if xfr:
                t = max(t, xfr[-1])
            stp.append(t)
            u = max(t + 1, xfr[-1] + 1) if xfr else t + 1
            xfr.append(nr[u] if u < n_nr else u)
        else:
            stp.append(t)
        last_s = t
    accept_upto(tot_in - 1, tot_steps)
    assert len(xfr) == tot_out
    return CycleTrace(np.array(acc, dtype=np.int64), np.array(stp, dtype=np.int64),
                      np.array(xfr, dtype=np.int64))
