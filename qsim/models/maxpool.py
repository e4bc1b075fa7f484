"""MaxPool (FINN's StreamingMaxPool): non-overlapping K x K max over an NHWC image.

Maths: ``y[oy, ox, c] = max_{a<KH, b<KW} x[oy*KH + a, ox*KW + b, c]`` (BINARY: OR; BIPOLAR:
max of +-1). Stride equals the kernel. Folding: ``H % KH == 0``, ``W % KW == 0``, ``C % PE == 0``.

Micro-architecture (docs/timing.md): one engine step per input word; a row of OW*C/PE running
maxima; the step that reads the window's last element (row KH-1, column KW-1 of the window)
writes the output word.

Timing::

    Latency: ((KH-1)*W + KW-1)*C/PE + 2 cycles.   II: 1 input word per cycle (H*W*C/PE per frame).
    Input buffer: 2 words; output register: 1 word.

    cycle    0    1    2    3    4    5        (H=W=K=2, C=PE: 4 words in, 1 out)
    in acc   x00  x01  x10  x11  x00'
    step     .    x00  x01  x10  x11  x00'
    out xfr  .    .    .    .    .    y0
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from qsim.models._block import PerImage, StallFree, check_fold, pair, word_schedule
from qsim.models._dtypes import IntArray
from qsim.models._schedule import Schedule

__all__ = ["MaxPool"]


@dataclass(frozen=True, kw_only=True, eq=False)
class MaxPool(PerImage):
    """MaxPool config; calling it on (..., H, W, C) returns (..., H/KH, W/KW, C).

    Parameters
    ----------
    ifm_dim, kernel
        Int (square) or (h, w) pair; the image must divide by the kernel.
    channels
        C; ``C % PE == 0``.
    pe
        Channels per stream word.
    idt
        Datatype of input and output.
    name
        Instance name used in messages.
    """

    ifm_dim: Any
    channels: int
    kernel: Any
    pe: int = 1
    idt: Any
    name: str = ""

    def __post_init__(self) -> None:
        self._set_owner("MaxPool", f"ifm_dim={self.ifm_dim!r}, kernel={self.kernel!r}")
        self._set("ifm_dim", pair(self.ifm_dim, "ifm_dim", self.owner))
        self._set("kernel", pair(self.kernel, "kernel", self.owner))
        check_fold(self.ifm_dim[0], "H", self.kernel[0], "K", self.owner)
        check_fold(self.ifm_dim[1], "W", self.kernel[1], "K", self.owner)
        self._check_channels()
        self._dtype("idt")

    @property
    def ofm_dim(self) -> tuple[int, int]:
        """(H/KH, W/KW)."""
        return (self.ifm_dim[0] // self.kernel[0], self.ifm_dim[1] // self.kernel[1])

    @property
    def odt(self) -> Any:
        """Output datatype (same as the input)."""
        return self.idt


    def compute(self, x: IntArray) -> IntArray:
        (kh, kw), (oh, ow) = self.kernel, self.ofm_dim
        # (N, H, W, C) -> (N, OH, KH, OW, KW, C): window element (a, b) is [:, :, a, :, b]
        v = x.reshape(x.shape[0], oh, kh, ow, kw, self.channels)
        if kh * kw > 16:  # numpy's reduction wins when the views are many
            return v.max(axis=(2, 4))
        # elementwise maximum of the KH*KW strided views, in place: several times faster than
        # the reduction over two non-adjacent axes (CNV's first pool, 200 images, loaded
        # machine: 17 -> 3.4 ms)
        out = np.array(v[:, :, 0, :, 0])
        for a in range(kh):
            for b in range(kw):
                if a or b:
                    np.maximum(out, v[:, :, a, :, b], out=out)
        return out

    @cached_property
    def schedule(self) -> Schedule:
        """One step per input word (y, x, cf); it produces where y%KH == KH-1, x%KW == KW-1."""
        (h, w), (kh, kw) = self.ifm_dim, self.kernel
        y, x, _ = np.meshgrid(np.arange(h), np.arange(w), np.arange(self.nf), indexing="ij")
        return word_schedule(((y % kh == kh - 1) & (x % kw == kw - 1)).ravel())

    def stall_free(self) -> StallFree:
        (h, w), (kh, kw) = self.ifm_dim, self.kernel
        n = h * w * self.nf
        return StallFree(latency=((kh - 1) * w + kw - 1) * self.nf + 2, period=n,
                         first_frame=n + 2)
