"""Cycle model of ``qsim_dwc.sv``: a data-width converter on the qsim engine skeleton.

Element 0 sits in the least significant bits, so with ratio R:

* down (``in_width = R * out_width``): a frame is one input word and R output words; step k
  needs input word 0 and produces piece k = ``word >> (k * out_width)``; step R-1 frees it;
* up (``out_width = R * in_width``): a frame is R input words and one output word; step k needs
  and frees input word k; step R-1 produces ``sum(word_k << (k * in_width))``.

Both use the 2-word input buffer and the 1-word output register (capacity 2). Timing: latency
2 cycles; II R cycles per input word (down) or 1 input word per cycle (up).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Optional, Sequence

import numpy as np
import numpy.typing as npt

from qsim.errors import ConfigError, StreamError
from qsim.models import CycleTrace, Schedule, simulate

__all__ = ["DataWidthConverter"]


@dataclass(frozen=True, kw_only=True, eq=False)
class DataWidthConverter:
    """Data-width converter config (``qsim_dwc.sv``).

    Parameters
    ----------
    in_width, out_width
        Input and output word bits; one must divide the other.
    name
        Instance name used in messages.
    """

    in_width: int
    out_width: int
    name: str = ""

    def __post_init__(self) -> None:
        for field in ("in_width", "out_width"):
            v = getattr(self, field)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{self.owner}: {field}={v!r} must be a positive int")
        big, small = max(self.in_width, self.out_width), min(self.in_width, self.out_width)
        if big % small:
            raise ConfigError(f"{self.owner}: widths in_width={self.in_width!r}, out_width="
                              f"{self.out_width!r} are not an integer ratio")

    @property
    def owner(self) -> str:
        """Instance label used in messages."""
        return (f"DataWidthConverter {self.name!r}" if self.name else
                f"DataWidthConverter({self.in_width!r} -> {self.out_width!r})")

    @property
    def up(self) -> bool:
        """True when the output is wider (R input words per output word)."""
        return self.out_width > self.in_width

    @property
    def ratio(self) -> int:
        """R: the wide width divided by the narrow one."""
        return max(self.in_width, self.out_width) // min(self.in_width, self.out_width)

    @property
    def in_words(self) -> int:
        """Input words per frame."""
        return self.ratio if self.up else 1

    @property
    def out_words(self) -> int:
        """Output words per frame."""
        return 1 if self.up else self.ratio

    @property
    def in_bits(self) -> int:
        """Input word bits."""
        return self.in_width

    @property
    def out_bits(self) -> int:
        """Output word bits."""
        return self.out_width

    @cached_property
    def schedule(self) -> Schedule:
        """Steps k = 0..R-1 per frame (see the module docstring)."""
        r = self.ratio
        last = np.arange(r) == r - 1
        if self.up:
            return Schedule(n_in=r, n_out=1, need=np.arange(r), produces=last,
                            frees=np.ones(r, dtype=np.int64), capacity=2)
        return Schedule(n_in=1, n_out=r, need=np.zeros(r, dtype=np.int64),
                        produces=np.ones(r, dtype=bool), frees=last.astype(np.int64),
                        capacity=2)

    def transform(self, words: Sequence[int]) -> list[int]:
        """Output words for whole frames of input words."""
        r, ws = self.ratio, [int(w) for w in words]
        if len(ws) % self.in_words:
            raise StreamError(f"{self.owner}: {len(ws)} input words is not a whole number of "
                              f"frames ({self.in_words} words per frame)")
        if self.up:
            return [sum(ws[i + k] << (k * self.in_width) for k in range(r))
                    for i in range(0, len(ws), r)]
        mask = (1 << self.out_width) - 1
        return [(w >> (k * self.out_width)) & mask for w in ws for k in range(r)]

    def cycles(self, frames: int, offer: Optional[npt.ArrayLike] = None,
               ready: Optional[npt.ArrayLike] = None) -> CycleTrace:
        """Accept and transfer cycle of every word (see the module docstring)."""
        return simulate(self.schedule, frames, offer, ready, owner=self.owner)
