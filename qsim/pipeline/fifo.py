"""Cycle model of ``qsim_fifo.sv``: the qsim engine skeleton with a one-word frame.

The FIFO is a DEPTH-word input buffer plus the 1-word output register; a word moves from the
buffer head into the output register in the first cycle after its accept in which the register
is empty or being emptied. In :class:`~qsim.models.Schedule` terms a frame is one word: step 0
needs word 0, produces word 0 and frees 1 slot, with ``capacity = depth``::

    a[i] = max(offer[i], a[i-1] + 1, s[i-depth] + 1)
    s[i] = max(s[i-1] + 1, a[i] + 1, x[i-1])
    x[i] = first ready cycle >= s[i] + 1

Timing: latency 2 cycles (accept to transfer); II 1 word per cycle for depth >= 2, 2 cycles
for depth = 1; it holds up to depth + 1 words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Optional, Sequence

import numpy as np
import numpy.typing as npt

from qsim.errors import ConfigError
from qsim.models import CycleTrace, Schedule, simulate

__all__ = ["Fifo"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Fifo:
    """Stream FIFO config (``qsim_fifo.sv``).

    Parameters
    ----------
    depth
        Input-buffer words (the FIFO holds depth + 1 words with its output register).
    width
        Bits per word.
    name
        Instance name used in messages.
    """

    depth: int
    width: int
    name: str = ""

    def __post_init__(self) -> None:
        for field in ("depth", "width"):
            v = getattr(self, field)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{self.owner}: {field}={v!r} must be a positive int")

    @property
    def owner(self) -> str:
        """Instance label used in messages."""
        return f"Fifo {self.name!r}" if self.name else f"Fifo(depth={self.depth!r})"

    @property
    def in_words(self) -> int:
        """Input words per frame (a frame is one word)."""
        return 1

    @property
    def out_words(self) -> int:
        """Output words per frame."""
        return 1

    @property
    def in_bits(self) -> int:
        """Input word bits."""
        return self.width

    @property
    def out_bits(self) -> int:
        """Output word bits."""
        return self.width

    @cached_property
    def schedule(self) -> Schedule:
        """One step per word: need it, produce it, free its slot; capacity ``depth``."""
        return Schedule(n_in=1, n_out=1, need=np.zeros(1, dtype=np.int64),
                        produces=np.ones(1, dtype=bool), frees=np.ones(1, dtype=np.int64),
                        capacity=self.depth)

    def transform(self, words: Sequence[int]) -> list[int]:
        """Output words for the given input words (the identity)."""
        return [int(w) for w in words]

    def cycles(self, frames: int, offer: Optional[npt.ArrayLike] = None,
               ready: Optional[npt.ArrayLike] = None) -> CycleTrace:
        """Accept and transfer cycle of every word (see the module docstring)."""
        return simulate(self.schedule, frames, offer, ready, owner=self.owner)
