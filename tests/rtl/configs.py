"""Block configs for the RTL tests: representative sets, the FINN MVAU grid, random batches."""

from __future__ import annotations

from typing import Any, Optional

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
from qsim.pipeline import DataWidthConverter, Fifo
from qsim.verify.strategies import (  # noqa: F401
    glue_configs,
    maxpool_configs,
    mvtu_configs,
    swg_configs,
    thresholding_configs,
)

FINN_DIM = 16
FINN_ACTS = ("none", "BIPOLAR", "INT4")
FINN_TYPES = ("BIPOLAR", "INT4")


def _values(rng: np.random.Generator, dt: str, shape: tuple[int, ...]) -> np.ndarray:
    d = DataType[dt]
    if dt == "BIPOLAR":
        return rng.integers(0, 2, shape) * 2 - 1
    return rng.integers(int(d.min()), int(d.max()) + 1, shape)


def mvtu(mw: int, mh: int, pe: int, simd: int, idt: str, wdt: str, act: str, seed: int,
         xnor: Optional[bool] = None, act_val: int = -8) -> MVTU:
    """An MVTU with random weights; ``act`` is "none", "BIPOLAR" or an INTn/UINTn output type
    (2**n - 1 thresholds); thresholds are random in the accumulator range."""
    rng = np.random.default_rng(seed)
    if xnor is None:
        xnor = idt == wdt == "BIPOLAR"
    w = _values(rng, wdt, (mw, mh))
    base = MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor)
    if act == "none":
        return base
    lo, hi = base.acc_range
    steps = 1 if act == "BIPOLAR" else 2 ** DataType[act].bitwidth() - 1
    t = np.sort(rng.integers(lo - 1, hi + 2, (mh, steps)), axis=1)
    av = 0 if act == "BIPOLAR" or not DataType[act].signed() else act_val
    return MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor,
                odt=act, thresholds=t, act_val=av)


def finn_grid() -> list[tuple[str, MVTU]]:
    """FINN's MVAU test grid: act x wdt x idt x NF {1, 2, MH} x SF {1, 2, MW}, MW = MH = 16."""
    out = []
    seed = 0
    for act in FINN_ACTS:
        for wdt in FINN_TYPES:
            for idt in FINN_TYPES:
                for nf in (1, 2, FINN_DIM):
                    for sf in (1, 2, FINN_DIM):
                        seed += 1
                        cfg = mvtu(FINN_DIM, FINN_DIM, FINN_DIM // nf, FINN_DIM // sf, idt, wdt,
                                   act, seed)
                        out.append((f"{act}-{wdt}-{idt}-nf{nf}-sf{sf}", cfg))
    return out


def finn_subset() -> list[MVTU]:
    """A representative slice of the grid for the default run."""
    keep = {"INT4-INT4-INT4-nf2-sf2", "BIPOLAR-BIPOLAR-BIPOLAR-nf16-sf1",
            "none-BIPOLAR-INT4-nf1-sf16", "none-BIPOLAR-BIPOLAR-nf2-sf16"}
    return [cfg for name, cfg in finn_grid() if name in keep]


def mvtu_set() -> list[MVTU]:
    """Small MVTUs covering every mode: types, xnor, thresholds or not, folding extremes."""
    return [
        mvtu(4, 4, 2, 2, "INT4", "INT4", "none", 1),
        mvtu(6, 4, 1, 3, "UINT3", "BIPOLAR", "INT4", 2),
        mvtu(8, 6, 3, 4, "BIPOLAR", "BIPOLAR", "BIPOLAR", 3),
        mvtu(4, 2, 2, 1, "BIPOLAR", "INT2", "UINT2", 4),
        mvtu(5, 3, 3, 5, "BINARY", "BINARY", "none", 5, xnor=True),
        mvtu(3, 2, 1, 1, "INT2", "UINT2", "BIPOLAR", 6),
        mvtu(4, 4, 4, 2, "BINARY", "INT3", "INT2", 7, act_val=-2),
        mvtu(2, 5, 5, 1, "BIPOLAR", "BIPOLAR", "none", 8, xnor=False),
    ]


def thresholding_set() -> list[Thresholding]:
    rng = np.random.default_rng(11)
    return [
        Thresholding(channels=4, pe=2, idt="INT4", odt="UINT2",
                     thresholds=np.sort(rng.integers(-8, 8, (4, 3)), axis=1)),
        Thresholding(channels=6, pe=1, idt="UINT5", odt="INT3", act_val=-4,
                     thresholds=np.sort(rng.integers(0, 32, (6, 7)), axis=1)),
        Thresholding(channels=3, pe=3, idt="INT8", odt="BIPOLAR",
                     thresholds=rng.integers(-128, 128, (3, 1))),
        Thresholding(channels=8, pe=4, idt="INT3", odt="UINT1",
                     thresholds=np.array([[0]])),
    ]


def swg_set() -> list[SlidingWindow]:
    return [
        SlidingWindow(ifm_dim=4, channels=2, kernel=2, simd=1, idt="INT3"),
        SlidingWindow(ifm_dim=(5, 6), channels=4, kernel=(2, 3), stride=(2, 1),
                      dilation=(1, 2), simd=2, idt="UINT2"),
        SlidingWindow(ifm_dim=(5, 4), channels=4, kernel=(3, 2), stride=(1, 2), simd=2,
                      idt="BIPOLAR", depthwise=True),
        SlidingWindow(ifm_dim=3, channels=1, kernel=1, idt="INT2"),
        SlidingWindow(ifm_dim=(6, 5), channels=3, kernel=3, stride=3, dilation=1, simd=3,
                      idt="INT4", depthwise=True),
    ]


def maxpool_set() -> list[MaxPool]:
    return [
        MaxPool(ifm_dim=4, channels=2, kernel=2, pe=1, idt="INT4"),
        MaxPool(ifm_dim=(4, 6), channels=4, kernel=(2, 3), pe=2, idt="UINT3"),
        MaxPool(ifm_dim=4, channels=3, kernel=2, pe=3, idt="BIPOLAR"),
        MaxPool(ifm_dim=2, channels=2, kernel=1, pe=1, idt="BINARY"),
        MaxPool(ifm_dim=(3, 4), channels=2, kernel=(3, 1), pe=1, idt="INT8"),
    ]


def glue_set() -> list[Any]:
    return [
        Fifo(depth=1, width=5), Fifo(depth=2, width=8), Fifo(depth=4, width=3),
        Fifo(depth=3, width=70),
        DataWidthConverter(in_width=8, out_width=2), DataWidthConverter(in_width=3, out_width=9),
        DataWidthConverter(in_width=4, out_width=4), DataWidthConverter(in_width=12, out_width=4),
    ]


#: One random batch: a few configs of every block, simulated in one bench.
random_batch = st.tuples(
    st.lists(mvtu_configs(max_dim=8), min_size=2, max_size=3),
    st.lists(thresholding_configs(), min_size=1, max_size=2),
    st.lists(swg_configs(), min_size=2, max_size=3),
    st.lists(maxpool_configs(), min_size=1, max_size=2),
    st.lists(glue_configs(), min_size=1, max_size=2),
).map(lambda groups: [c for g in groups for c in g])


def graph_set() -> list[Any]:
    """The graph blocks, small, with their edge cases: padding 0 on some or all sides and top
    padding (output before input), single-pixel images, K = labels, BIPOLAR ties, given
    output types wider than the default, 2 and 3 output ports."""
    return [
        FMPadding(ifm_dim=(2, 3), channels=2, padding=(1, 0, 2, 1), simd=1, idt="INT4"),
        FMPadding(ifm_dim=2, channels=4, padding=0, simd=2, idt="UINT2"),
        FMPadding(ifm_dim=1, channels=3, padding=(2, 1, 0, 0), simd=3, idt="INT3"),
        FMPadding(ifm_dim=(3, 1), channels=2, padding=(0, 2, 1, 0), simd=2, idt="BINARY"),
        DuplicateStreams(channels=4, pe=2, idt="UINT3"),
        DuplicateStreams(channels=3, pe=1, idt="BIPOLAR", n_outputs=3),
        DuplicateStreams(channels=2, pe=2, idt="INT8"),
        AddStreams(channels=4, pe=2, idt="INT4"),
        AddStreams(channels=3, pe=3, idt="UINT4", idt1="BIPOLAR"),
        AddStreams(channels=2, pe=1, idt="BINARY", idt1="INT3", odt="INT8"),
        AddStreams(channels=1, pe=1, idt="INT8", idt1="UINT8"),
        GlobalAccPool(ifm_dim=2, channels=2, pe=1, idt="INT4"),
        GlobalAccPool(ifm_dim=1, channels=4, pe=2, idt="UINT3"),
        GlobalAccPool(ifm_dim=(3, 2), channels=3, pe=3, idt="BIPOLAR"),
        GlobalAccPool(ifm_dim=(2, 1), channels=2, pe=2, idt="BINARY", odt="INT6"),
        LabelSelect(labels=6, k=2, pe=3, idt="INT3"),
        LabelSelect(labels=4, k=4, pe=1, idt="UINT2"),
        LabelSelect(labels=5, k=1, pe=5, idt="BIPOLAR"),
        LabelSelect(labels=8, k=3, pe=2, idt="INT4", odt="UINT8"),
    ]
