"""DuplicateStreams (FINN's DuplicateStreams_Batch / _hls): one input stream to N outputs.

Maths: identity on every output port, ``y_p = x`` for p < N. Folding: ``C % PE == 0``; a frame
is one pixel's C channels (C/PE words); channel c sits in word c // PE, lane c % PE.

Micro-architecture (docs/timing.md): one engine step per input word; every output port has its
own 1-word output register with its own valid/ready. A step fires only when EVERY output
register is empty or being emptied that cycle, so a word leaves only when every output can
take it; then it is written to all N registers at once.

Timing::

    Latency: 2 cycles from accept to transfer.  II: 1 word per cycle (C/PE per frame).
    Input buffer: 2 words; output register: 1 word per output port.

    cycle    0    1    2    3
    in  acc  w0   w1   w2   w3
    step     .    w0   w1   w2
    out0 xfr .    .    w0   w1
    out1 xfr .    .    w0   w1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qsim.errors import ConfigError
from qsim.models._block import PerPixel
from qsim.models._dtypes import DType, IntArray
from qsim.models._stream import StreamFormat

__all__ = ["DuplicateStreams"]


@dataclass(frozen=True, kw_only=True, eq=False)
class DuplicateStreams(PerPixel):
    """DuplicateStreams config; calling it on (..., C) returns the (..., C) tensor that every
    one of the ``n_outputs`` output ports carries.

    Parameters
    ----------
    channels
        C, channels per pixel; ``C % PE == 0``.
    pe
        Channels per stream word.
    idt
        Datatype of the input and of every output.
    n_outputs
        Output ports N >= 2 (FINN's ``NumOutputStreams``).
    name
        Instance name used in messages.
    """

    channels: int
    pe: int = 1
    idt: Any
    n_outputs: int = 2
    name: str = ""

    def __post_init__(self) -> None:
        self._set_owner("DuplicateStreams", f"channels={self.channels!r}")
        self._check_channels()
        self._dtype("idt")
        n = self.n_outputs
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ConfigError(f"{self.owner}: n_outputs={n!r} must be an int >= 2")
        self._set("n_outputs", int(n))
        self._set("out_ports", int(n))

    @property
    def odt(self) -> DType:
        """Output datatype of every port (same as the input)."""
        return self.idt

    def out_stream_of(self, port: int) -> StreamFormat:
        self._check_port(port, self.out_ports, "output")
        return StreamFormat(self.idt, self.pe, f"{self.owner} output {port}")

    def compute(self, x: IntArray) -> IntArray:
        return x.copy()
