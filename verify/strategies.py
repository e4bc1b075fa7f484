"""Hypothesis strategies for qsim block configs and valid/ready patterns (tests and `qsim fuzz`)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from qsim.models import (
    MVTU,
    AddStreams,
    DuplicateStreams,
    FMPadding,
    GlobalAccPool,
    LabelSelect,
    MaxPool,
    SlidingWindow,
    Thresholding,
)
from qsim.models._block import smallest_int_type

MW = MH = 16
#: (activation, wdt, idt, NF, SF): FINN's test_fpgadataflow_mvau grid, 3*2*2*3*3 = 108 configs.
GRID = list(itertools.product(["none", "BIPOLAR", "INT4"], ["BIPOLAR", "INT4"],
                              ["BIPOLAR", "INT4"], [1, 2, MH], [1, 2, MW]))
INT_TYPES = [f"INT{n}" for n in range(2, 9)] + [f"UINT{n}" for n in range(2, 9)]
ALL_TYPES = ["BIPOLAR", "BINARY"] + INT_TYPES


def grid_config(act: str, wdt: str, idt: str, nf: int, sf: int, seed: int = 0) -> MVTU:
    """One point of FINN's MVAU grid (MW = MH = 16). BIPOLAR x BIPOLAR runs in XNOR mode with
    thresholds on the popcount scale; "none" outputs the accumulator."""
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


def rand_input(cfg: Any, rng: np.random.Generator, frames: int) -> np.ndarray:
    """(frames, *in_frame_shape) random values of the config's input type."""
    return rand_values(rng, cfg.in_stream.dtype, (frames, *cfg.in_frame_shape))


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def rand_values(rng: np.random.Generator, dt: Any, shape: Any) -> np.ndarray:
    """Uniform random values of datatype dt (BIPOLAR: {-1, +1})."""
    dt = DataType[dt] if isinstance(dt, str) else dt
    if dt == DataType["BIPOLAR"]:
        return rng.integers(0, 2, shape) * 2 - 1
    return rng.integers(int(dt.min()), int(dt.max()) + 1, shape)


def rand_thresholds(rng: np.random.Generator, channels: int, steps: int, lo: int,
                    hi: int) -> np.ndarray:
    """(channels, steps) ascending integers in [lo-1, hi+1] (ties allowed)."""
    t = rng.integers(lo - 1, hi + 2, (channels, steps))
    return np.sort(t, axis=1)


def out_type_for(steps_bits: int, signed: bool) -> tuple[str, int, int]:
    """(odt, steps, act_val) for an n-bit activation."""
    if signed:
        return f"INT{steps_bits}", 2**steps_bits - 1, -(2 ** (steps_bits - 1))
    return f"UINT{steps_bits}", 2**steps_bits - 1, 0


@st.composite
def mvtu_configs(draw: Any, max_dim: int = 12) -> MVTU:
    mw = draw(st.integers(1, max_dim))
    mh = draw(st.integers(1, max_dim))
    pe = draw(st.sampled_from(divisors(mh)))
    simd = draw(st.sampled_from(divisors(mw)))
    xnor = draw(st.booleans())
    if xnor:
        idt = wdt = draw(st.sampled_from(["BIPOLAR", "BINARY"]))
    else:
        idt, wdt = draw(st.sampled_from(ALL_TYPES)), draw(st.sampled_from(ALL_TYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    w = rand_values(rng, wdt, (mw, mh))
    kind = draw(st.sampled_from(["none", "bipolar", "multi"]))
    base = MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor)
    if kind == "none":
        return base
    lo, hi = base.acc_range
    if kind == "bipolar":
        t = rand_thresholds(rng, mh, 1, lo, hi)
        return MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w,
                    binary_xnor=xnor, odt="BIPOLAR", thresholds=t)
    odt, steps, act = out_type_for(draw(st.integers(2, 5)), draw(st.booleans()))
    t = rand_thresholds(rng, mh, steps, lo, hi)
    return MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor,
                odt=odt, thresholds=t, act_val=act)


@st.composite
def wide_mvtu_configs(draw: Any) -> MVTU:
    """MVTUs with wide folding: NF*SF tiles from 200 to 600 (around the 256 boundary of an
    8-bit tile counter), narrow types and at most 4 channels per word so one stays cheap."""
    tiles = draw(st.one_of(st.integers(200, 600), st.sampled_from([255, 256, 257, 511, 512,
                                                                   513])))
    nf = draw(st.sampled_from(divisors(tiles)))
    sf = tiles // nf
    pe, simd = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    xnor = draw(st.booleans())
    types = ["BIPOLAR", "BINARY"] if xnor else ["INT2", "UINT2", "BIPOLAR", "BINARY", "INT3"]
    idt = draw(st.sampled_from(types))
    wdt = idt if xnor else draw(st.sampled_from(types))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rand_values(rng, wdt, (sf * simd, nf * pe))
    base = MVTU(mw=sf * simd, mh=nf * pe, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w,
                binary_xnor=xnor)
    if draw(st.booleans()):
        return base
    lo, hi = base.acc_range
    return MVTU(mw=sf * simd, mh=nf * pe, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w,
                binary_xnor=xnor, odt="UINT2", thresholds=rand_thresholds(rng, nf * pe, 3, lo,
                                                                          hi))


@st.composite
def glue_configs(draw: Any) -> Any:
    """A FIFO (depth 1-5) or a data-width converter (ratio 1-4, either direction)."""
    from qsim.pipeline import DataWidthConverter, Fifo

    if draw(st.booleans()):
        return Fifo(depth=draw(st.integers(1, 5)), width=draw(st.integers(1, 20)))
    narrow, r = draw(st.integers(1, 8)), draw(st.integers(1, 4))
    if draw(st.booleans()):
        return DataWidthConverter(in_width=narrow * r, out_width=narrow)
    return DataWidthConverter(in_width=narrow, out_width=narrow * r)


@st.composite
def thresholding_configs(draw: Any) -> Thresholding:
    c = draw(st.integers(1, 12))
    pe = draw(st.sampled_from(divisors(c)))
    idt = draw(st.sampled_from(INT_TYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lo, hi = int(DataType[idt].min()), int(DataType[idt].max())
    if draw(st.booleans()):
        return Thresholding(channels=c, pe=pe, idt=idt, odt="BIPOLAR",
                            thresholds=rand_thresholds(rng, c, 1, lo, hi))
    odt, steps, act = out_type_for(draw(st.integers(1, 3)) + 1, draw(st.booleans()))
    rows = 1 if draw(st.booleans()) else c
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


def rand_inputs(cfg: Any, rng: np.random.Generator, frames: int) -> list[np.ndarray]:
    """One (frames, *in_frame_shape) random tensor per input port, of that port's type."""
    return [rand_values(rng, cfg.in_stream_of(p).dtype, (frames, *cfg.in_frame_shape))
            for p in range(cfg.in_ports)]


@st.composite
def fmpadding_configs(draw: Any) -> FMPadding:
    h, w, c = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 6))
    pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)), draw(st.integers(0, 2)),
           draw(st.integers(0, 2)))
    return FMPadding(ifm_dim=(h, w), channels=c, padding=pad,
                     simd=draw(st.sampled_from(divisors(c))),
                     idt=draw(st.sampled_from([t for t in ALL_TYPES if t != "BIPOLAR"])))


@st.composite
def duplicate_streams_configs(draw: Any) -> DuplicateStreams:
    c = draw(st.integers(1, 12))
    return DuplicateStreams(channels=c, pe=draw(st.sampled_from(divisors(c))),
                            idt=draw(st.sampled_from(ALL_TYPES)),
                            n_outputs=draw(st.integers(2, 4)))


@st.composite
def add_streams_configs(draw: Any) -> AddStreams:
    c = draw(st.integers(1, 12))
    idt, idt1 = draw(st.sampled_from(ALL_TYPES)), draw(st.sampled_from(ALL_TYPES))
    odt = None
    if draw(st.booleans()):  # an explicit output type, at least as wide as the sum needs
        lo = int(DataType[idt].min()) + int(DataType[idt1].min())
        hi = int(DataType[idt].max()) + int(DataType[idt1].max())
        bits = smallest_int_type(lo, hi).bitwidth() + draw(st.integers(0, 3))
        signed = lo < 0 or draw(st.booleans())
        odt = f"INT{bits + (lo >= 0)}" if signed else f"UINT{bits}"
    return AddStreams(channels=c, pe=draw(st.sampled_from(divisors(c))), idt=idt, idt1=idt1,
                      odt=odt)


@st.composite
def global_acc_pool_configs(draw: Any) -> GlobalAccPool:
    h, w, c = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 6))
    return GlobalAccPool(ifm_dim=(h, w), channels=c, pe=draw(st.sampled_from(divisors(c))),
                         idt=draw(st.sampled_from(ALL_TYPES)))


@st.composite
def label_select_configs(draw: Any) -> LabelSelect:
    n = draw(st.integers(1, 12))
    return LabelSelect(labels=n, k=draw(st.integers(1, n)), pe=draw(st.sampled_from(divisors(n))),
                       idt=draw(st.sampled_from(ALL_TYPES)),
                       odt=draw(st.sampled_from([None, "UINT8"])))


#: The graph blocks of issue 11 (one input and one output port, or several).
graph_block = st.one_of(fmpadding_configs(), duplicate_streams_configs(), add_streams_configs(),
                        global_acc_pool_configs(), label_select_configs())

#: Every block a one-layer Design can hold (one input, one output port): what ``qsim fuzz``
#: draws, wide foldings (200-600 weight tiles) included. DuplicateStreams and AddStreams are
#: multi-port: drawn from ``graph_block``.
any_block = st.one_of(mvtu_configs(), thresholding_configs(), swg_configs(), maxpool_configs(),
                      fmpadding_configs(), global_acc_pool_configs(), label_select_configs(),
                      wide_mvtu_configs())


@st.composite
def patterns(draw: Any, n_in: int, horizon: int) -> tuple[list[int], list[bool]]:
    """(offer cycles for n_in words, ready per cycle for horizon cycles)."""
    p_idle = draw(st.sampled_from([0.0, 0.3, 0.5, 0.9]))
    p_stall = draw(st.sampled_from([0.0, 0.3, 0.5, 0.9]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    gaps = rng.geometric(1 - p_idle, n_in) - 1 if p_idle else np.zeros(n_in, dtype=int)
    offer = np.cumsum(gaps).tolist()
    ready = (rng.random(horizon) >= p_stall).tolist()
    if draw(st.booleans()):  # a long burst of stall
        start, length = draw(st.integers(0, horizon)), draw(st.integers(1, 60))
        ready[start:start + length] = [False] * len(ready[start:start + length])
    return offer, ready
