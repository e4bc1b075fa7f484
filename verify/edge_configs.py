"""Edge configs for the default block tests: foldings and widths where counters and
accumulators change size.

* Tile counts NF*SF = 255, 256, 257 and 2**k + 1 (129, 513): a weight-tile counter one bit
  short wraps at 256 and reads the wrong weights from tile 256 on; NF = 257 and SF = 257
  alone exercise the nf and sf counters the same way.
* Accumulator ranges exactly at type boundaries: [0, 15] (UINT4, the widest value of the
  type), [0, 16] (one past it), [-8, 7] (INT4 exactly), XNOR popcounts of 15 and 16.
* Thresholding and the sums of AddStreams / GlobalAccPool at their input types' ends.

Every MVTU comes twice: as given (output = accumulator) and with :func:`corner_thresholds`
(thresholds at each channel's reached minimum and maximum and +-1), so an accumulator that
wraps at either end changes an output word.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qsim.models import MVTU, AddStreams, GlobalAccPool, Thresholding

from .corners import corner_thresholds
from .strategies import rand_values

__all__ = ["corner_set", "edge_folding_set", "type_boundary_set"]


def _mvtu(mw: int, mh: int, pe: int, simd: int, idt: str, wdt: str, seed: int, name: str,
          xnor: bool = False, weights: Any = None) -> MVTU:
    rng = np.random.default_rng(seed)
    w = rand_values(rng, wdt, (mw, mh)) if weights is None else np.asarray(weights)
    return MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor,
                name=name)


def edge_folding_set() -> list[MVTU]:
    """MVTUs with NF*SF = 255, 256, 257, 129 (2**7 + 1), 513 (2**9 + 1) tiles, small
    element types, one or few channels (cheap to simulate)."""
    return [
        _mvtu(255, 1, 1, 1, "INT2", "INT2", 1, "tiles255"),
        _mvtu(16, 16, 1, 1, "UINT2", "INT2", 2, "tiles256"),
        _mvtu(257, 1, 1, 1, "INT2", "BIPOLAR", 3, "tiles257_sf"),
        _mvtu(1, 257, 1, 1, "UINT2", "INT2", 4, "tiles257_nf"),
        _mvtu(43, 3, 1, 1, "INT3", "INT2", 5, "tiles129"),
        _mvtu(513, 2, 2, 1, "BIPOLAR", "BIPOLAR", 6, "tiles513_xnor", xnor=True),
    ]


def type_boundary_set() -> list[Any]:
    """Accumulator and sum ranges exactly at, and one past, a type boundary."""
    ones15, ones16 = np.ones((15, 2), np.int64), np.ones((16, 2), np.int64)
    return [
        _mvtu(15, 2, 2, 5, "BINARY", "BINARY", 0, "acc_uint4_full", weights=ones15),
        _mvtu(16, 2, 1, 4, "BINARY", "BINARY", 0, "acc_uint5_min", weights=ones16),
        _mvtu(1, 2, 2, 1, "INT4", "BINARY", 0, "acc_int4_full", weights=np.ones((1, 2))),
        _mvtu(15, 4, 2, 3, "BINARY", "BINARY", 7, "xnor15", xnor=True),
        _mvtu(16, 4, 4, 16, "BIPOLAR", "BIPOLAR", 8, "xnor16", xnor=True),
        _mvtu(6, 4, 2, 2, "UINT8", "UINT8", 9, "acc_uint8x8"),
        _mvtu(5, 3, 3, 5, "INT8", "INT8", 10, "acc_int8x8"),
        AddStreams(channels=2, pe=2, idt="UINT8", idt1="UINT8", name="add_uint9"),
        AddStreams(channels=2, pe=1, idt="INT8", idt1="INT8", name="add_int9"),
        GlobalAccPool(ifm_dim=(4, 4), channels=2, pe=2, idt="UINT4", name="gap_uint8"),
        GlobalAccPool(ifm_dim=(2, 4), channels=2, pe=1, idt="INT4", name="gap_int7"),
        Thresholding(channels=2, pe=2, idt="INT8", odt="UINT2", name="thr_int8_ends",
                     thresholds=np.array([[-128, -127, 127], [-128, 0, 127]])),
        Thresholding(channels=3, pe=1, idt="UINT4", odt="BIPOLAR", name="thr_uint4_top",
                     thresholds=np.array([[15], [16], [0]])),
    ]


def corner_set() -> list[Any]:
    """Every edge config, plus each MVTU again with thresholds at its reached range ends."""
    base = edge_folding_set() + type_boundary_set()
    return base + [corner_thresholds(c) for c in base if isinstance(c, MVTU)]
