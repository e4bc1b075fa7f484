"""GlobalAccPool (FINN's GlobalAccPool_Batch / _hls): per-channel sum over every pixel.

Maths: ``(H, W, C) -> (C,)``, ``y[c] = sum_{y<H, x<W} x[y, x, c]``, exact: no division (the
``1/(H*W)`` of a global average pool is a scale absorbed downstream). Output type: the narrowest
INTn/UINTn holding ``[H*W*min, H*W*max]`` unless given (then it must hold that range).
Folding: ``C % PE == 0``; PE channels per word in and out; a pixel is C/PE words.

Micro-architecture (docs/timing.md): one engine step per input word (pixel, channel fold)
adds it to a row of C/PE accumulator words; the steps of the LAST pixel write the finished
sums, one output word per step (the accumulators restart with the next frame).

Timing::

    Latency: (H*W-1)*C/PE + 2 cycles.  II: 1 input word per cycle (H*W*C/PE per frame).
    Input buffer: 2 words; output register: 1 word.

    cycle    0    1    2    3    4    5        (H*W = 2 pixels, C/PE = 2 folds)
    in acc   x00  x01  x10  x11  x00'
    step     .    x00  x01  x10  x11  x00'
    out xfr  .    .    .    .    y0   y1
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from qsim.models._block import PerPixel, StallFree, pair, range_type, word_schedule
from qsim.models._dtypes import IntArray, compact_dtype, name
from qsim.models._schedule import Schedule

__all__ = ["GlobalAccPool"]


@dataclass(frozen=True, kw_only=True, eq=False)
class GlobalAccPool(PerPixel):
    """GlobalAccPool config; calling it on (..., H, W, C) returns the (..., C) channel sums.

    Parameters
    ----------
    ifm_dim
        Int (square) or (h, w) pair: the input image size.
    channels
        C; ``C % PE == 0``.
    pe
        Channels per stream word (input and output).
    idt
        Input datatype.
    odt
        Output datatype (None: the narrowest INTn/UINTn holding ``[H*W*min, H*W*max]``; a given
        type must hold that range).
    name
        Instance name used in messages.
    """

    ifm_dim: Any
    channels: int
    pe: int = 1
    idt: Any
    odt: Any = None
    name: str = ""

    def __post_init__(self) -> None:
        self._set_owner("GlobalAccPool", f"ifm_dim={self.ifm_dim!r}, channels={self.channels!r}")
        self._set("ifm_dim", pair(self.ifm_dim, "ifm_dim", self.owner))
        self._check_channels()
        dt = self._dtype("idt")
        what = f"the exact sum range of {self.pixels} values of idt={name(dt)!r}"
        self._set("odt", range_type(self.odt, *self.sum_range, "odt", what, self.owner))

    @property
    def pixels(self) -> int:
        """H * W, the values summed per channel."""
        return self.ifm_dim[0] * self.ifm_dim[1]

    @property
    def sum_range(self) -> tuple[int, int]:
        """[H*W*min, H*W*max]: every value a channel sum can take."""
        return (self.pixels * int(self.idt.min()), self.pixels * int(self.idt.max()))

    @property
    def in_pixels(self) -> tuple[int, ...]:
        """(H, W): the input frame is (H, W, C); the output frame is (C,)."""
        return tuple(self.ifm_dim)

    def compute(self, x: IntArray) -> IntArray:
        # (N, H, W, C) -> (N, C); summed in int64, then stored in the output's compact dtype
        return x.sum(axis=(1, 2), dtype=np.int64).astype(compact_dtype(self.odt))

    @cached_property
    def schedule(self) -> Schedule:
        """One step per input word; the last pixel's C/PE steps each write one output word."""
        return word_schedule(np.arange(self.pixels * self.nf) >= (self.pixels - 1) * self.nf)

    def stall_free(self) -> StallFree:
        n = self.pixels * self.nf
        return StallFree(latency=(self.pixels - 1) * self.nf + 2, period=n, first_frame=n + 2)
