"""Thresholding (FINN's Thresholding_Batch): per-channel multi-threshold, PE channels per word.

Maths: ``y[c] = act_val + #{s : x[c] >= T[c, s]}`` (BIPOLAR odt: ``2 * #{...} - 1``).
Folding: ``C % PE == 0``; a frame is one pixel's C channels (C/PE words); channel c sits in
word c // PE, lane c % PE.

Timing (docs/timing.md): one input word per cycle, every step produces one output word::

    Latency: 2 cycles from accept to transfer.  II: 1 word per cycle.
    Input buffer: 2 words; output register: 1 word.

    cycle    0    1    2    3
    in  acc  w0   w1   w2   w3
    step     .    w0   w1   w2
    out xfr  .    .    y0   y1
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from qsim.models._block import PerPixel, smallest_int_type
from qsim.models._dtypes import DType, IntArray
from qsim.models._memstyle import RAM_STYLES, check_choice
from qsim.models._threshold import check_thresholds, multithreshold

__all__ = ["Thresholding"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Thresholding(PerPixel):
    """Thresholding config; calling it on (..., C) integers returns the bit-exact output.

    Parameters
    ----------
    channels
        C, channels per pixel (innermost dimension).
    pe
        Channels per stream word; ``C % PE == 0``.
    idt, odt
        Input and output datatypes.
    thresholds
        (C, S) or (1, S) ascending integers.
    act_val
        Output when no threshold is passed (0 for a BIPOLAR odt).
    ram_style
        FINN ``ram_style`` of the threshold memory: "auto", "block" or "distributed"
        (docs/synth.md; no effect on values or cycles).
    name
        Instance name used in messages.
    """

    channels: int
    pe: int = 1
    idt: Any
    odt: Any
    thresholds: Any
    act_val: int = 0
    ram_style: str = "auto"
    name: str = ""

    def __post_init__(self) -> None:
        self._set_owner("Thresholding", f"channels={self.channels!r}")
        c = self._check_channels()
        check_choice(self.ram_style, "ram_style", RAM_STYLES, self.owner)
        self._dtype("idt")
        odt = self._dtype("odt")
        self._set("thresholds", check_thresholds(self.thresholds, c, odt, int(self.act_val),
                                                 self.owner))

    @property
    def n_thresholds(self) -> int:
        """Thresholds per channel (S)."""
        return int(self.thresholds.shape[1])

    @cached_property
    def tdt(self) -> DType:
        """Threshold storage type: holds every threshold and every input value."""
        t = self.thresholds
        return smallest_int_type(min(int(self.idt.min()), int(t.min())),
                                 max(int(self.idt.max()), int(t.max())))

    def threshold_tiles(self) -> IntArray:
        """Thresholds in hardware order: (PE, NF, S), ``[p, nf, s] = T[nf*PE + p, s]``."""
        return self.thresholds.reshape(self.nf, self.pe, -1).transpose(1, 0, 2)

    def compute(self, x: IntArray) -> IntArray:
        return multithreshold(x, self.thresholds, int(self.act_val), self.odt)
