"""FMPadding (FINN's FMPadding_Batch / FMPadding_hls): zero padding of an NHWC image per side.

Maths: ``(H, W, C) -> (H + top + bottom, W + left + right, C)``;
``y[top:top+H, left:left+W, :] = x`` and ``y = 0`` elsewhere (FINN attribute
``Padding = [top, left, bottom, right]``). Folding: ``C % SIMD == 0``; SIMD channels per word in
and out, so a pixel is C/SIMD words; words in raster order (y, x, channel fold).

Micro-architecture (docs/timing.md): one engine step per OUTPUT word, in raster order
(oy, ox, cf). A step at an interior pixel reads (and frees) the next input word; a step at a
padding pixel writes a zero word and needs no input, so it fires without waiting.

Timing::

    Latency: 2 cycles if the first output pixel is interior (top = left = 0), else 1.
    II: 1 output word per cycle, (H+top+bottom)*(W+left+right)*C/SIMD cycles per frame.
    Input buffer: 2 words; output register: 1 word.

    cycle    0    1    2    3    4    5        (H=W=1, padding 1 on the left and right, C=SIMD)
    in acc   x0   x0'  x0'' .    .    x0'''
    step     p    x0   p    p'   x0'  p'
    out xfr  .    0    x0   0    0    x0'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from qsim.errors import ConfigError
from qsim.models._block import PerImage, StallFree, pair
from qsim.models._dtypes import DType, IntArray, name
from qsim.models._schedule import Schedule

__all__ = ["FMPadding"]


def _padding(value: Any, owner: str) -> tuple[int, int, int, int]:
    """An int (all four sides) or a (top, left, bottom, right) 4-tuple of ints >= 0."""
    def is_int(v: Any) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if is_int(value):
        out = [int(value)] * 4
    elif isinstance(value, (tuple, list)) and len(value) == 4 and all(is_int(v) for v in value):
        out = [int(v) for v in value]
    else:
        raise ConfigError(f"{owner}: padding={value!r} must be an int or a (top, left, bottom, "
                          f"right) 4-tuple of ints")
    if min(out) < 0:
        raise ConfigError(f"{owner}: padding={value!r} must be >= 0 on every side")
    return (out[0], out[1], out[2], out[3])


@dataclass(frozen=True, kw_only=True, eq=False)
class FMPadding(PerImage):
    """FMPadding config; calling it on (..., H, W, C) returns (..., OH, OW, C), zero padded.

    Parameters
    ----------
    ifm_dim
        Int (square) or (h, w) pair: the input image size.
    channels
        C; ``C % SIMD == 0``.
    padding
        Int (every side) or (top, left, bottom, right), each >= 0 (FINN's ``Padding``).
    simd
        Channels per stream word (input and output).
    idt
        Datatype of input and output; its range must contain 0 (BIPOLAR is refused).
    name
        Instance name used in messages.
    """

    lanes_field = "simd"  # a class attribute, not a field

    ifm_dim: Any
    channels: int
    padding: Any = 1
    simd: int = 1
    idt: Any
    name: str = ""

    def __post_init__(self) -> None:
        self._set_owner("FMPadding", f"ifm_dim={self.ifm_dim!r}, padding={self.padding!r}")
        self._set("ifm_dim", pair(self.ifm_dim, "ifm_dim", self.owner))
        self._set("padding", _padding(self.padding, self.owner))
        self._check_channels()
        dt = self._dtype("idt")
        if not dt.allowed(0):
            raise ConfigError(f"{self.owner}: idt={name(dt)!r} cannot represent the padding "
                              f"value 0")

    @property
    def odt(self) -> DType:
        """Output datatype (same as the input)."""
        return self.idt

    @property
    def ofm_dim(self) -> tuple[int, int]:
        """(H + top + bottom, W + left + right)."""
        top, left, bottom, right = self.padding
        return (self.ifm_dim[0] + top + bottom, self.ifm_dim[1] + left + right)

    @property
    def cf(self) -> int:
        """Channel folds: C / SIMD (words per pixel)."""
        return self.nf

    def compute(self, x: IntArray) -> IntArray:
        (h, w), (oh, ow) = self.ifm_dim, self.ofm_dim
        top, left = self.padding[0], self.padding[1]
        y = np.zeros((x.shape[0], oh, ow, self.channels), dtype=x.dtype)  # (N, OH, OW, C)
        y[:, top:top + h, left:left + w, :] = x
        return y

    def interior(self) -> np.ndarray:
        """(OH, OW) True where the output pixel is an input pixel (not padding)."""
        (h, w), (oh, ow) = self.ifm_dim, self.ofm_dim
        top, left = self.padding[0], self.padding[1]
        rows = (np.arange(oh) >= top) & (np.arange(oh) < top + h)
        cols = (np.arange(ow) >= left) & (np.arange(ow) < left + w)
        return rows[:, None] & cols[None, :]

    @cached_property
    def schedule(self) -> Schedule:
        """One step per output word (oy, ox, cf); interior steps read the next input word."""
        # (OH, OW) -> (OH, OW, CF) -> (steps,)
        inner = np.repeat(self.interior()[:, :, None], self.cf, axis=2).ravel()
        need = np.where(inner, np.cumsum(inner) - 1, -1).astype(np.int64)
        n_in = int(inner.sum())
        return Schedule(n_in=n_in, n_out=inner.size, need=need,
                        produces=np.ones(inner.size, dtype=bool),
                        frees=inner.astype(np.int64), capacity=2)

    def stall_free(self) -> StallFree:
        steps = self.ofm_dim[0] * self.ofm_dim[1] * self.cf
        latency = 1 if self.padding[0] or self.padding[1] else 2
        return StallFree(latency=latency, period=steps, first_frame=steps + latency)
