"""Designs for the stitching tests: the example TFC and a tiny hand-built conv net."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from qsim.frontend import Design, Layer, load
from qsim.models import MVTU, MaxPool, SlidingWindow, Thresholding

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def tfc() -> Design:
    """The example TFC-w2a2 (digits) with its folding: 4 MVTUs, one 32 -> 16 bit DWC."""
    return load(EXAMPLES / "tfc_w2a2_digits.onnx", EXAMPLES / "tfc_folding.json")


def _thresholds(rng: np.random.Generator, rows: int, steps: int, lo: int, hi: int) -> Any:
    return np.sort(rng.integers(lo, hi + 1, (rows, steps)), axis=1)


def tiny_conv(seed: int = 0) -> Design:
    """SWG -> MVTU -> Thresholding -> MaxPool -> MVTU on a (6, 6, 4) UINT4 image.

    Links (word bits): 8 -> 24 (up DWC x3), 8 -> 6 (up x3 then down x4), 6 -> 12 (up x2),
    12 -> 16 (up x4 then down x3): integer and non-integer width ratios.
    """
    rng = np.random.default_rng(seed)
    swg = SlidingWindow(ifm_dim=6, channels=4, kernel=3, stride=1, simd=2, idt="UINT4")
    base = MVTU(mw=36, mh=12, pe=4, simd=6, idt="UINT4", wdt="INT2",
                weights=rng.integers(-2, 2, (36, 12)))
    lo, hi = base.acc_range
    mv0 = MVTU(mw=36, mh=12, pe=4, simd=6, idt="UINT4", wdt="INT2", weights=base.weights,
               odt="UINT2", thresholds=_thresholds(rng, 12, 3, lo, hi), act_val=0)
    thr = Thresholding(channels=12, pe=3, idt="UINT2", odt="UINT2",
                       thresholds=_thresholds(rng, 12, 3, 0, 3), act_val=0)
    pool = MaxPool(ifm_dim=4, channels=12, kernel=2, pe=6, idt="UINT2")
    mv1 = MVTU(mw=48, mh=4, pe=2, simd=8, idt="UINT2", wdt="INT2",
               weights=rng.integers(-2, 2, (48, 4)))
    layers = (
        Layer(name="ConvolutionInputGenerator_0", block=swg, in_shape=(6, 6, 4)),
        Layer(name="MVAU_0", block=mv0, in_shape=(4, 4, 36)),
        Layer(name="Thresholding_0", block=thr, in_shape=(4, 4, 12)),
        Layer(name="StreamingMaxPool_0", block=pool, in_shape=(4, 4, 12)),
        Layer(name="MVAU_1", block=mv1, in_shape=(48,)),
    )
    return Design(layers=layers, input_shape=(6, 6, 4), idt="UINT4", name="tiny_conv")


def random_input(design: Design, n: int, seed: int) -> np.ndarray:
    """n random integer samples in the Design's input type."""
    rng = np.random.default_rng(seed)
    dt = design.idt
    return rng.integers(int(dt.min()), int(dt.max()) + 1, (n, *design.input_shape))


def tiny_residual(seed: int = 0, shortcut_depth: int | None = None) -> Design:
    """A residual block on a (4, 4, 4) UINT2 image, with a padded 3x3 conv branch::

        input -> Dup -+-> FMPadding -> SWG -> MVTU (thresholds) -+-> Add -> Thresholding
                      +-------------- shortcut ------------------+      -> GlobalAccPool -> MVTU

    ``shortcut_depth``: FIFO depth on the shortcut edge (None: the default).
    """
    from qsim.models import AddStreams, DuplicateStreams, FMPadding, GlobalAccPool

    rng = np.random.default_rng(seed)
    dup = DuplicateStreams(channels=4, pe=2, idt="UINT2")
    pad = FMPadding(ifm_dim=4, channels=4, padding=1, simd=2, idt="UINT2")
    swg = SlidingWindow(ifm_dim=6, channels=4, kernel=3, simd=2, idt="UINT2")
    base = MVTU(mw=36, mh=4, pe=2, simd=6, idt="UINT2", wdt="INT2",
                weights=rng.integers(-2, 2, (36, 4)))
    lo, hi = base.acc_range
    conv = MVTU(mw=36, mh=4, pe=2, simd=6, idt="UINT2", wdt="INT2", weights=base.weights,
                odt="UINT2", thresholds=_thresholds(rng, 4, 3, lo, hi), act_val=0)
    add = AddStreams(channels=4, pe=2, idt="UINT2", idt1="UINT2")
    thr = Thresholding(channels=4, pe=2, idt=add.odt, odt="UINT2",
                       thresholds=_thresholds(rng, 4, 3, 0, 6), act_val=0)
    gap = GlobalAccPool(ifm_dim=4, channels=4, pe=2, idt="UINT2")
    fc = MVTU(mw=4, mh=3, pe=3, simd=2, idt=gap.odt, wdt="INT2",
              weights=rng.integers(-2, 2, (4, 3)))
    layers = (
        Layer(name="DuplicateStreams_0", block=dup, in_shape=(4, 4, 4)),
        Layer(name="FMPadding_0", block=pad, in_shape=(4, 4, 4),
              inputs=("DuplicateStreams_0",)),
        Layer(name="ConvolutionInputGenerator_0", block=swg, in_shape=(6, 6, 4)),
        Layer(name="MVAU_0", block=conv, in_shape=(4, 4, 36)),
        Layer(name="AddStreams_0", block=add, in_shape=(4, 4, 4),
              inputs=("MVAU_0", "DuplicateStreams_0")),
        Layer(name="Thresholding_0", block=thr, in_shape=(4, 4, 4)),
        Layer(name="GlobalAccPool_0", block=gap, in_shape=(4, 4, 4)),
        Layer(name="MVAU_1", block=fc, in_shape=(4,)),
    )
    d = Design(layers=layers, input_shape=(4, 4, 4), idt="UINT2", name="tiny_residual")
    if shortcut_depth is not None:
        depths = [shortcut_depth if (e.src, e.dst) == ("DuplicateStreams_0", "AddStreams_0")
                  else 2 for e in d.links]
        d = d.with_fifo_depths(depths)
    return d
