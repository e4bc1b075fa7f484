"""SlidingWindow (FINN's ConvolutionInputGenerator): the im2col stream of an NHWC image.

Maths: for each output pixel (oy, ox) in raster order, emit the window in (kh, kw, c) order
(qonnx ``Im2Col``), input pixel ``(oy*SH + kh*DH, ox*SW + kw*DW)``. Depthwise mode emits the
same elements in (c/SIMD, kh*kw, SIMD) order. ``OH = (H - (KH-1)*DH - 1) // SH + 1`` (same for
W); rows/columns past the last window are read and dropped. Folding: ``C % SIMD == 0``.

Micro-architecture (docs/timing.md): input words go into a circular buffer of
``buffer_words = H*W*C/SIMD + ((KH-1)*DH + 1)*W*C/SIMD`` words (one frame plus one window's rows,
so the input can run a whole frame ahead); an engine emits one output word per cycle, stalling
only until the input word it reads has been accepted. The slots below the first window word of
the current output pixel are freed when the pixel's last word is emitted.

Timing::

    Latency: 2 cycles (the first word reads input word 0).
    II:      max(input words, output words) per frame in steady state.
    First frame: max_j(src(j) - j) + out_words + 2 cycles, src(j) = input word read by word j.

    cycle    0    1    2    3    4    5        (H=W=2, C=SIMD, K=2, first pixel = 4 words)
    in acc   i0   i1   i2   i3
    step     .    o0   o1   o2   o3           (o1 reads i1 at cycle 2 > accept 1 + 1)
    out xfr  .    .    o0   o1   o2   o3
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from qsim.errors import ConfigError
from qsim.models._block import Block, StallFree, check_fold, check_positive, pair
from qsim.models._dtypes import IntArray
from qsim.models._schedule import Schedule
from qsim.models._stream import StreamFormat

__all__ = ["SlidingWindow"]


@dataclass(frozen=True, kw_only=True, eq=False)
class SlidingWindow(Block):
    """Sliding-window generator config; calling it on (..., H, W, C) returns the im2col tensor
    (..., OH, OW, KH*KW*C) in (kh, kw, c) order.

    Parameters
    ----------
    ifm_dim, kernel, stride, dilation
        Int (square) or (h, w) pair; the dilated kernel extent must fit the image.
    channels
        C; ``C % SIMD == 0``.
    simd
        Channels per stream word (input and output).
    idt
        Datatype of input and output.
    depthwise
        Emit (c/SIMD, kh*kw, SIMD) order instead of (kh, kw, c).
    name
        Instance name used in messages.
    """

    ifm_dim: Any
    channels: int
    kernel: Any
    stride: Any = 1
    dilation: Any = 1
    simd: int = 1
    idt: Any
    depthwise: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        self._set("owner", f"SlidingWindow {self.name!r}" if self.name else
                  f"SlidingWindow(ifm_dim={self.ifm_dim!r}, kernel={self.kernel!r})")
        for field in ("ifm_dim", "kernel", "stride", "dilation"):
            self._set(field, pair(getattr(self, field), field, self.owner))
        c = check_positive(self.channels, "channels", self.owner)
        check_fold(c, "C", check_positive(self.simd, "simd", self.owner), "SIMD", self.owner)
        self._dtype("idt")
        for ax, dim in enumerate("HW"):
            extent = (self.kernel[ax] - 1) * self.dilation[ax] + 1
            if extent > self.ifm_dim[ax]:
                raise ConfigError(f"{self.owner}: dilated kernel extent {extent!r} = (kernel-1)*"
                                  f"dilation+1 exceeds the image {dim}={self.ifm_dim[ax]!r}")

    @property
    def ofm_dim(self) -> tuple[int, int]:
        """(OH, OW) = ((H - (KH-1)*DH - 1) // SH + 1, same for W)."""
        return tuple(  # type: ignore[return-value]
            (self.ifm_dim[a] - (self.kernel[a] - 1) * self.dilation[a] - 1) // self.stride[a] + 1
            for a in (0, 1))

    @property
    def odt(self) -> Any:
        """Output datatype (same as the input)."""
        return self.idt

    @property
    def cf(self) -> int:
        """Channel folds: C / SIMD."""
        return self.channels // self.simd

    @property
    def k2(self) -> int:
        """Kernel elements KH*KW."""
        return self.kernel[0] * self.kernel[1]

    @property
    def buffer_words(self) -> int:
        """Input buffer depth in words: one frame plus the rows one window spans."""
        h, w = self.ifm_dim
        span_rows = (self.kernel[0] - 1) * self.dilation[0] + 1
        return (h + span_rows) * w * self.cf

    @property
    def in_frame_shape(self) -> tuple[int, ...]:
        return (*self.ifm_dim, self.channels)

    @property
    def out_frame_shape(self) -> tuple[int, ...]:
        return (*self.ofm_dim, self.k2 * self.channels)

    @property
    def in_stream(self) -> StreamFormat:
        return StreamFormat(self.idt, self.simd, f"{self.owner} input")

    @property
    def out_stream(self) -> StreamFormat:
        return StreamFormat(self.idt, self.simd, f"{self.owner} output")

    def compute(self, x: IntArray) -> IntArray:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        oh, ow = self.ofm_dim
        # pure data movement: copy a pixel's channels as wider units when they allow it
        # (e.g. 64 int8 channels as 8 uint64), (N, H, W, C) -> (N, H, W, C') view
        xs = np.ascontiguousarray(x)
        nbytes = self.channels * xs.itemsize
        unit = next((u for u in (8, 4, 2) if nbytes % u == 0 and u > xs.itemsize), 0)
        wide = xs.view(np.dtype(f"u{unit}")) if unit else xs
        # every window as one read-only view (N, OH, OW, KH, KW, C'), then one copy; the
        # largest index is ((OH-1)*SH + (KH-1)*DH, (OW-1)*SW + (KW-1)*DW) < (H, W) by the
        # definition of ofm_dim. With DW = 1 a window row is contiguous and numpy copies it as
        # one run (3.6x faster than stacking the KH*KW shifted views on CNV's second layer).
        s_n, s_h, s_w, s_c = wide.strides
        windows = np.lib.stride_tricks.as_strided(
            wide, (wide.shape[0], oh, ow, kh, kw, wide.shape[3]),
            (s_n, sh * s_h, sw * s_w, dh * s_h, dw * s_w, s_c), writeable=False)
        out = np.ascontiguousarray(windows)
        if unit:
            out = out.view(xs.dtype)  # (N, OH, OW, KH, KW, C)
        return out.reshape(x.shape[0], oh, ow, self.k2 * self.channels)

    def _out_to_stream_order(self, y: IntArray) -> IntArray:
        if not self.depthwise:
            return y
        n, (oh, ow) = y.shape[0], self.ofm_dim
        # (N, OH, OW, KK*C) -> (N, OH, OW, KK, CF, SIMD) -> (N, OH, OW, CF, KK, SIMD)
        return y.reshape(n, oh, ow, self.k2, self.cf, self.simd).transpose(0, 1, 2, 4, 3, 5)

    def _out_from_stream_order(self, y: IntArray) -> IntArray:
        if not self.depthwise:
            return y
        n, (oh, ow) = y.shape[0], self.ofm_dim
        # stream order (N, OH, OW, CF, KK, SIMD) -> (N, OH, OW, KK, CF, SIMD) -> tensor
        s = y.reshape(n, oh, ow, self.cf, self.k2, self.simd).transpose(0, 1, 2, 4, 3, 5)
        return s.reshape(n, oh, ow, self.k2 * self.channels)

    @cached_property
    def src_index(self) -> IntArray:
        """(out_words,) frame-local input word read by each output word, in stream order."""
        w, (kh, kw) = self.ifm_dim[1], self.kernel
        oh, ow = self.ofm_dim
        oy, ox, a, b, c = np.meshgrid(np.arange(oh), np.arange(ow), np.arange(kh), np.arange(kw),
                                      np.arange(self.cf), indexing="ij")  # (OH, OW, KH, KW, CF)
        src = ((oy * self.stride[0] + a * self.dilation[0]) * w
               + ox * self.stride[1] + b * self.dilation[1]) * self.cf + c
        if self.depthwise:  # (OH, OW, KH, KW, CF) -> (OH, OW, CF, KH, KW)
            src = src.transpose(0, 1, 4, 2, 3)
        return src.reshape(-1)

    @cached_property
    def schedule(self) -> Schedule:
        """One step per output word; the last word of a pixel frees the rows/columns below the
        next pixel's first window word (the frame's last pixel frees the rest of the frame)."""
        (h, w), (oh, ow) = self.ifm_dim, self.ofm_dim
        oy, ox = np.meshgrid(np.arange(oh), np.arange(ow), indexing="ij")
        low = ((oy * self.stride[0]) * w + ox * self.stride[1]).ravel() * self.cf  # (pixels,)
        low_next = np.append(low[1:], h * w * self.cf)
        per_pixel = self.k2 * self.cf
        frees = np.zeros(oh * ow * per_pixel, dtype=np.int64)
        frees[per_pixel - 1::per_pixel] = low_next - low
        n_out = frees.shape[0]
        return Schedule(n_in=h * w * self.cf, n_out=n_out, need=self.src_index,
                        produces=np.ones(n_out, dtype=bool), frees=frees,
                        capacity=self.buffer_words)

    def stall_free(self) -> StallFree:
        n_in, n_out = self.in_words, self.out_words
        j = np.arange(n_out)
        first = int(np.max(self.src_index - j)) + n_out + 2
        return StallFree(latency=2, period=max(n_in, n_out), first_frame=first)
