"""Configs and data for the cppsim tests: FINN's MVAU grid and hypothesis block strategies."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from qsim.models import MVTU, MaxPool, SlidingWindow, Thresholding

MW = MH = 16
#: (activation, wdt, idt, NF, SF): FINN's test_fpgadataflow_mvau grid, 3*2*2*3*3 = 108 configs.
GRID = list(itertools.product(["none", "BIPOLAR", "INT4"], ["BIPOLAR", "INT4"],
                              ["BIPOLAR", "INT4"], [1, 2, MH], [1, 2, MW]))
INT_TYPES = [f"INT{n}" for n in range(2, 9)] + [f"UINT{n}" for n in range(2, 9)]
ALL_TYPES = ["BIPOLAR", "BINARY"] + INT_TYPES


def rand_values(rng: np.random.Generator, dt: Any, shape: Any) -> np.ndarray:
    """Uniform random values of datatype dt (BIPOLAR: {-1, +1})."""
    dt = DataType[dt] if isinstance(dt, str) else dt
    if dt == DataType["BIPOLAR"]:
        return rng.integers(0, 2, shape) * 2 - 1
    return rng.integers(int(dt.min()), int(dt.max()) + 1, shape)


def rand_thresholds(rng: np.random.Generator, rows: int, steps: int, lo: int,
                    hi: int) -> np.ndarray:
    """(rows, steps) ascending integers in [lo-1, hi+1] (ties allowed)."""
    return np.sort(rng.integers(lo - 1, hi + 2, (rows, steps)), axis=1)


def grid_config(act: str, wdt: str, idt: str, nf: int, sf: int, seed: int = 0) -> MVTU:
    """One grid point; BIPOLAR x BIPOLAR runs in XNOR mode, thresholds on the popcount scale."""
    rng = np.random.default_rng(seed)
    w = rand_values(rng, wdt, (MW, MH))
    kw: dict[str, Any] = dict(mw=MW, mh=MH, pe=MH // nf, simd=MW // sf, idt=idt, wdt=wdt,
                              weights=w, binary_xnor=idt == wdt == "BIPOLAR",
                              name=f"grid_{act}_{wdt}_{idt}_nf{nf}_sf{sf}")
    if act == "none":
        return MVTU(**kw)
    lo, hi = MVTU(**kw).acc_range
    if act == "BIPOLAR":
        return MVTU(**kw, odt="BIPOLAR", thresholds=rand_thresholds(rng, MH, 1, lo, hi))
    return MVTU(**kw, odt="INT4", act_val=-8, thresholds=rand_thresholds(rng, MH, 15, lo, hi))


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _out_type(draw: Any) -> tuple[str, int, int]:
    """(odt, steps, act_val) of an n-bit activation, n in 2..5 (S > 16 takes the model's
    binary-search path)."""
    bits, signed = draw(st.integers(2, 5)), draw(st.booleans())
    if signed:
        return f"INT{bits}", 2**bits - 1, -(2 ** (bits - 1))
    return f"UINT{bits}", 2**bits - 1, 0


@st.composite
def mvtu_configs(draw: Any, max_dim: int = 12) -> MVTU:
    mw, mh = draw(st.integers(1, max_dim)), draw(st.integers(1, max_dim))
    pe, simd = draw(st.sampled_from(divisors(mh))), draw(st.sampled_from(divisors(mw)))
    xnor = draw(st.booleans())
    if xnor:
        idt = wdt = draw(st.sampled_from(["BIPOLAR", "BINARY"]))
    else:
        idt, wdt = draw(st.sampled_from(ALL_TYPES)), draw(st.sampled_from(ALL_TYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kw: dict[str, Any] = dict(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=wdt,
                              weights=rand_values(rng, wdt, (mw, mh)), binary_xnor=xnor)
    kind = draw(st.sampled_from(["none", "bipolar", "multi"]))
    if kind == "none":
        return MVTU(**kw)
    lo, hi = MVTU(**kw).acc_range
    rows = 1 if draw(st.booleans()) else mh
    if kind == "bipolar":
        return MVTU(**kw, odt="BIPOLAR", thresholds=rand_thresholds(rng, rows, 1, lo, hi))
    odt, steps, act = _out_type(draw)
    return MVTU(**kw, odt=odt, act_val=act, thresholds=rand_thresholds(rng, rows, steps, lo, hi))


@st.composite
def thresholding_configs(draw: Any) -> Thresholding:
    c = draw(st.integers(1, 12))
    pe = draw(st.sampled_from(divisors(c)))
    idt = draw(st.sampled_from(INT_TYPES + ["BIPOLAR"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lo, hi = int(DataType[idt].min()), int(DataType[idt].max())
    rows = 1 if draw(st.booleans()) else c
    if draw(st.booleans()):
        return Thresholding(channels=c, pe=pe, idt=idt, odt="BIPOLAR",
                            thresholds=rand_thresholds(rng, rows, 1, lo, hi))
    odt, steps, act = _out_type(draw)
    return Thresholding(channels=c, pe=pe, idt=idt, odt=odt, act_val=act,
                        thresholds=rand_thresholds(rng, rows, steps, lo, hi))


@st.composite
def swg_configs(draw: Any) -> SlidingWindow:
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h = draw(st.integers((kh - 1) * dh + 1, 7))
    w = draw(st.integers((kw - 1) * dw + 1, 7))
    c = draw(st.integers(1, 6))
    return SlidingWindow(ifm_dim=(h, w), channels=c, kernel=(kh, kw),
                         stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                         dilation=(dh, dw), simd=draw(st.sampled_from(divisors(c))),
                         idt=draw(st.sampled_from(ALL_TYPES)), depthwise=draw(st.booleans()))


@st.composite
def maxpool_configs(draw: Any) -> MaxPool:
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = kh * draw(st.integers(1, 3)), kw * draw(st.integers(1, 3))
    c = draw(st.integers(1, 6))
    return MaxPool(ifm_dim=(h, w), channels=c, kernel=(kh, kw),
                   pe=draw(st.sampled_from(divisors(c))), idt=draw(st.sampled_from(ALL_TYPES)))


def rand_input(cfg: Any, rng: np.random.Generator, frames: int) -> np.ndarray:
    """(frames, *in_frame_shape) random values of the config's input type."""
    return rand_values(rng, cfg.in_stream.dtype, (frames, *cfg.in_frame_shape))
