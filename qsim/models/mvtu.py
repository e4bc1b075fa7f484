"""MVTU: the matrix-vector-threshold unit (FINN's MVAU), bit-exact and cycle-accurate.

Maths (DESIGN.md section 4), weights W of shape (MW, MH) as in an ONNX MatMul ``x @ W``::

    acc[j] = sum_i x[i] * W[i, j]                     (binary_xnor: popcount(xnor(x, W[:, j])))
    y[j]   = act_val + #{s : acc[j] >= T[j, s]}       (BIPOLAR odt: 2 * #{...} - 1)
    y[j]   = acc[j]                                    (no thresholds)

Folding: NF = MH / PE output folds, SF = MW / SIMD input folds. Output channel j = nf*PE + p;
engine step (nf, sf) reads weight tile ``tile = nf*SF + sf`` and the input word sf, which is
taken from the input stream during nf = 0 and replayed from a vector buffer for nf > 0.

Timing (one engine step per cycle, docs/timing.md)::

    Latency: first output word moves SF + 1 cycles after the first input word (stall-free).
    II:      NF * SF cycles per vector.  Input buffer: 2 words; output register: 1 word.

    cycle      0     1     2     3     4     5        (MW=MH=4, SIMD=PE=2: SF=NF=2)
    in  acc    x0    x1    x0'   x1'   .     .        (x' waits in the 2-word buffer)
    step       .   (0,0) (0,1) (1,0) (1,1) (0,0)'
    out xfr    .     .     .     y0    .     y1
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Optional

import numpy as np

from qsim.errors import ConfigError, StreamError
from qsim.models._block import Block, StallFree, check_fold, check_positive, smallest_int_type
from qsim.models._dtypes import (
    BINARY,
    BIPOLAR,
    DType,
    IntArray,
    as_int_array,
    check_range,
    name,
)
from qsim.models._memstyle import RAM_STYLES, RES_TYPES, check_choice
from qsim.models._mvtu_fast import FastPath, make_fast_path
from qsim.models._schedule import Schedule
from qsim.models._stream import StreamFormat
from qsim.models._threshold import check_thresholds

__all__ = ["MVTU"]

_ONE_BIT = (BIPOLAR, BINARY)


@dataclass(frozen=True, kw_only=True, eq=False)
class MVTU(Block):
    """Matrix-vector-threshold unit config; calling it computes the bit-exact output.

    Parameters
    ----------
    mw, mh
        Matrix width (inputs per vector) and height (outputs per vector).
    pe, simd
        Output and input parallelism; ``MH % PE == 0`` and ``MW % SIMD == 0``.
    idt, wdt, odt
        Input, weight and output datatypes (DataType or name). Without thresholds ``odt``
        defaults to the accumulator type and, if given, must hold the accumulator range.
    weights
        (MW, MH) integers within ``wdt``.
    thresholds
        None, or (MH, S) / (1, S) ascending integers on the accumulator scale.
    act_val
        Output of "no threshold passed" (0 for a BIPOLAR odt).
    binary_xnor
        XNOR-popcount mode: idt and wdt both BIPOLAR (or both BINARY); acc = popcount.
    ram_style, ram_style_thresholds
        FINN ``ram_style`` of the weight and threshold memories: "auto", "block" or
        "distributed" (docs/synth.md; no effect on values or cycles).
    res_type
        FINN ``resType`` of the products: "lut" or "dsp".
    name
        Instance name used in messages.
    """

    mw: int
    mh: int
    pe: int = 1
    simd: int = 1
    idt: Any
    wdt: Any
    odt: Any = None
    weights: Any
    thresholds: Any = None
    act_val: int = 0
    binary_xnor: bool = False
    ram_style: str = "auto"
    ram_style_thresholds: str = "auto"
    res_type: str = "lut"
    name: str = ""

    def __post_init__(self) -> None:
        self._set("owner", f"MVTU {self.name!r}" if self.name else
                  f"MVTU(mw={self.mw!r}, mh={self.mh!r})")
        mw = check_positive(self.mw, "mw", self.owner)
        mh = check_positive(self.mh, "mh", self.owner)
        check_fold(mh, "MH", check_positive(self.pe, "pe", self.owner), "PE", self.owner)
        check_fold(mw, "MW", check_positive(self.simd, "simd", self.owner), "SIMD", self.owner)
        check_choice(self.ram_style, "ram_style", RAM_STYLES, self.owner)
        check_choice(self.ram_style_thresholds, "ram_style_thresholds", RAM_STYLES, self.owner)
        check_choice(self.res_type, "res_type", RES_TYPES, self.owner)
        idt, wdt = self._dtype("idt"), self._dtype("wdt")
        if self.binary_xnor and not (idt == wdt and idt in _ONE_BIT):
            raise ConfigError(f"{self.owner}: binary_xnor=True needs idt and wdt both BIPOLAR or "
                              f"both BINARY, got idt={name(idt)!r}, wdt={name(wdt)!r}")
        self._set("weights", self._check_weights(self.weights, mw, mh, wdt))
        self._check_int64_accumulator()
        lo, hi = self.acc_range
        if self.thresholds is None:
            self._check_no_threshold_odt(lo, hi)
        else:
            if self.odt is None:
                raise ConfigError(f"{self.owner}: odt is required when thresholds are given")
            odt = self._dtype("odt")
            self._set("thresholds", check_thresholds(self.thresholds, mh, odt,
                                                     int(self.act_val), self.owner))

    def _check_weights(self, weights: Any, mw: int, mh: int, wdt: DType) -> IntArray:
        try:
            w = as_int_array(weights, f"{self.owner}: weights")
            if w.shape != (mw, mh):
                raise ConfigError(f"{self.owner}: weights shape {w.shape!r} must be (MW, MH) = "
                                  f"({mw}, {mh})")
            check_range(w, wdt, f"{self.owner}: weights (wdt={name(wdt)})")
        except StreamError as exc:
            raise ConfigError(str(exc)) from None
        w = w.copy()
        w.setflags(write=False)
        return w

    def _check_int64_accumulator(self) -> None:
        """Every level computes on int64: refuse an accumulator whose bound does not fit."""
        if self.binary_xnor:
            return
        x_abs = max(abs(int(self.idt.min())), abs(int(self.idt.max())))
        col = int(np.abs(self.weights).sum(axis=0).max(initial=0))  # <= MW * 2**32: no wrap
        if col * x_abs > np.iinfo(np.int64).max:
            raise ConfigError(f"{self.owner}: accumulator bound {col * x_abs!r} (sum of "
                              f"|weights| {col!r} x max |input| {x_abs!r} for "
                              f"idt={name(self.idt)!r}) exceeds int64: narrow idt or wdt")

    def _check_no_threshold_odt(self, lo: int, hi: int) -> None:
        if self.act_val != 0:
            raise ConfigError(f"{self.owner}: act_val={self.act_val!r} has no meaning without "
                              f"thresholds (the output is the accumulator)")
        if self.odt is None:
            self._set("odt", self.acc_dt)
            return
        odt = self._dtype("odt")
        if odt == BIPOLAR or lo < int(odt.min()) or hi > int(odt.max()):
            raise ConfigError(f"{self.owner}: odt={name(odt)!r} cannot hold the accumulator range "
                              f"[{lo}, {hi}]: the accumulator could overflow (use "
                              f"{name(self.acc_dt)!r} or wider)")

    # ---- derived parameters (the same numbers feed the SV, HLS and ONNX views) --------
    @property
    def nf(self) -> int:
        """Output folds: MH / PE."""
        return self.mh // self.pe

    @property
    def sf(self) -> int:
        """Input folds: MW / SIMD."""
        return self.mw // self.simd

    @cached_property
    def acc_range(self) -> tuple[int, int]:
        """Exact [min, max] the accumulator can reach for these weights and any valid input."""
        w = self.weights
        if self.binary_xnor:
            return 0, self.mw
        xlo, xhi = int(self.idt.min()), int(self.idt.max())
        lo_terms = np.minimum(w * xlo, w * xhi)  # (MW, MH)
        hi_terms = np.maximum(w * xlo, w * xhi)
        return int(lo_terms.sum(axis=0).min()), int(hi_terms.sum(axis=0).max())

    @cached_property
    def acc_dt(self) -> DType:
        """Narrowest INTn/UINTn that holds the accumulator range (never overflows)."""
        return smallest_int_type(*self.acc_range)

    @cached_property
    def tdt(self) -> Optional[DType]:
        """Threshold storage type: holds every threshold and the accumulator range."""
        if self.thresholds is None:
            return None
        lo, hi = self.acc_range
        t = self.thresholds
        return smallest_int_type(min(lo, int(t.min())), max(hi, int(t.max())))

    @property
    def n_thresholds(self) -> int:
        """Thresholds per channel (S); 0 without thresholds."""
        return 0 if self.thresholds is None else int(self.thresholds.shape[1])

    def weight_tiles(self) -> IntArray:
        """Weights in hardware order: (PE, NF*SF, SIMD), ``[p, nf*SF + sf, s] = W[sf*SIMD+s,
        nf*PE+p]``."""
        # (MW, MH) -> (SF, SIMD, NF, PE) -> (PE, NF, SF, SIMD) -> (PE, NF*SF, SIMD)
        t = self.weights.reshape(self.sf, self.simd, self.nf, self.pe).transpose(3, 2, 0, 1)
        return t.reshape(self.pe, self.nf * self.sf, self.simd)

    def threshold_tiles(self) -> IntArray:
        """Thresholds in hardware order: (PE, NF, S), ``[p, nf, s] = T[nf*PE + p, s]``."""
        assert self.thresholds is not None
        # (MH, S) -> (NF, PE, S) -> (PE, NF, S)
        return self.thresholds.reshape(self.nf, self.pe, -1).transpose(1, 0, 2)

    # ---- functional model ---------------------------------------------------------------
    @property
    def in_frame_shape(self) -> tuple[int, ...]:
        return (self.mw,)

    @property
    def out_frame_shape(self) -> tuple[int, ...]:
        return (self.mh,)

    @property
    def in_stream(self) -> StreamFormat:
        return StreamFormat(self.idt, self.simd, f"{self.owner} input")

    @property
    def out_stream(self) -> StreamFormat:
        return StreamFormat(self.odt, self.pe, f"{self.owner} output")

    def accumulate(self, x: IntArray, path: Optional[str] = None) -> IntArray:
        """Exact accumulator values (N, MH) as int64 for checked inputs (N, MW); ``path``
        forces one of the exact matmul paths (qsim/models/_mvtu_fast.py)."""
        return self._fast.accumulate(x, path).astype(np.int64)

    @cached_property
    def _fast(self) -> FastPath:
        """The exact matmul paths for these operands, chosen by measured speed."""
        return make_fast_path(self.weights, self.idt, self.binary_xnor, self.thresholds,
                              self.acc_range, self.odt, int(self.act_val))

    def compute(self, x: IntArray, path: Optional[str] = None) -> np.ndarray:
        return self._fast.run(x, path)

    # ---- cycle model --------------------------------------------------------------------
    @cached_property
    def schedule(self) -> Schedule:
        """Steps (nf, sf) in order; inputs read during nf = 0; an output word at sf = SF-1."""
        nf_grid, sf_grid = np.meshgrid(np.arange(self.nf), np.arange(self.sf), indexing="ij")
        nf, sf = nf_grid.ravel(), sf_grid.ravel()  # step k = nf*SF + sf
        first = nf == 0
        return Schedule(n_in=self.sf, n_out=self.nf, need=np.where(first, sf, -1),
                        produces=sf == self.sf - 1, frees=first.astype(np.int64), capacity=2)

    def stall_free(self) -> StallFree:
        steps = self.nf * self.sf
        return StallFree(latency=self.sf + 1, period=steps, first_frame=steps + 2)
