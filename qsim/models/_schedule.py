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

    A single block is a one-stage pipeline: :func:`qsim.pipeline.engine.simulate_pipeline`
    evaluates the recurrences above for chains of any length.
    """
    from qsim.pipeline.engine import Stage, simulate_pipeline

    return simulate_pipeline([Stage(owner, sched, frames)], offer, ready)[0]
