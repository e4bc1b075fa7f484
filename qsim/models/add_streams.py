"""AddStreams (FINN's AddStreams_Batch / _hls): element-wise sum of two same-shape streams.

Maths: ``y[c] = a[c] + b[c]``, exact: the output type holds the whole sum range
``[min0 + min1, max0 + max1]`` (default: the narrowest INTn/UINTn that does). BIPOLAR and
BINARY inputs are the integers -1/+1 and 0/1 here. Folding: ``C % PE == 0``; a frame is one
pixel's C channels (C/PE words per port); channel c sits in word c // PE, lane c % PE.

Micro-architecture (docs/timing.md): one input buffer per port, one engine. Step k needs word
k on BOTH input ports (it fires the cycle after the later of the two accepts), frees one slot
on each and writes the sum word to the output register.

Timing::

    Latency: 2 cycles from the later accept to transfer.  II: 1 word per cycle (C/PE per frame).
    Input buffer: 2 words per port; output register: 1 word.

    cycle    0    1    2    3    4    5    6
    a   acc  a0   a1   .    a2   a3             (a2 waits: port 0's buffer holds a0, a1)
    b   acc  .    b0   b1   b2   b3             (port 1 offered one cycle late)
    step     .    .    0    1    2    3
    out xfr  .    .    .    y0   y1   y2   y3
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qsim.errors import StreamError
from qsim.models._block import PerPixel, range_type
from qsim.models._dtypes import IntArray, compact_dtype, name
from qsim.models._stream import StreamFormat

__all__ = ["AddStreams"]


@dataclass(frozen=True, kw_only=True, eq=False)
class AddStreams(PerPixel):
    """AddStreams config; ``blk(a, b)`` on two (..., C) integer tensors returns (..., C) sums.

    Parameters
    ----------
    channels
        C, channels per pixel; ``C % PE == 0``.
    pe
        Channels per stream word (both inputs and the output).
    idt, idt1
        Datatypes of input port 0 and input port 1 (``idt1=None``: same as ``idt``).
    odt
        Output datatype (None: the narrowest INTn/UINTn holding the exact sum range; a given
        type must hold that range).
    name
        Instance name used in messages.
    """

    in_ports = 2  # a class attribute, not a field

    channels: int
    pe: int = 1
    idt: Any
    idt1: Any = None
    odt: Any = None
    name: str = ""

    def __post_init__(self) -> None:
        self._set_owner("AddStreams", f"channels={self.channels!r}")
        self._check_channels()
        dt0 = self._dtype("idt")
        if self.idt1 is None:
            self._set("idt1", dt0)
        dt1 = self._dtype("idt1")
        what = f"the exact sum range of idt={name(dt0)!r} + idt1={name(dt1)!r}"
        self._set("odt", range_type(self.odt, *self.sum_range, "odt", what, self.owner))

    @property
    def sum_range(self) -> tuple[int, int]:
        """[min0 + min1, max0 + max1]: every value a + b can take."""
        return (int(self.idt.min()) + int(self.idt1.min()),
                int(self.idt.max()) + int(self.idt1.max()))

    @property
    def in_stream(self) -> StreamFormat:
        return StreamFormat(self.idt, self.pe, f"{self.owner} input 0")

    def in_stream_of(self, port: int) -> StreamFormat:
        self._check_port(port, self.in_ports, "input")
        dt = self.idt if port == 0 else self.idt1
        return StreamFormat(dt, self.pe, f"{self.owner} input {port}")

    def compute(self, x: IntArray, *more: IntArray) -> IntArray:
        """(frames, C) + (frames, C) -> (frames, C), in a dtype that holds the sum."""
        if len(more) != 1:
            raise StreamError(f"{self.owner}: takes 2 inputs (a, b), got {1 + len(more)}")
        dt = compact_dtype(self.odt)
        return x.astype(dt) + more[0].astype(dt)
