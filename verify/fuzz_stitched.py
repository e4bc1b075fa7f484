"""Stitched fuzz targets: random chains and fork/join graphs with random FIFO depths and ready
patterns, through the pipeline model and native rtlsim of the stitched top.

:func:`stitched_designs` draws small Designs of two shapes (each with random PE/SIMD, so
width converters appear between layers whose word widths differ, and a random FIFO depth
0-6 on every edge)::

    chain:     [SWG -> MVTU] -> [MaxPool] -> [Thresholding]
    fork/join: Dup -+-> (Thresholding | FMPadding -> SWG -> MVTU) -+-> Add -> [Thresholding]
                    +------------------ shortcut ------------------+

:func:`check_stitched` is the property: when the pipeline model finishes, native rtlsim
(``rtlsim-stitched`` level) must give the Design's outputs bit for bit and every output and
input word on the model's cycle (a difference names the first link that leaves the model);
when the model deadlocks (a shortcut FIFO too shallow for the long branch), the native harness
must stop on its liveness watchdog instead of finishing.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from hypothesis import strategies as st

from qsim.errors import MismatchError, SimulationError
from qsim.models import (
    MVTU,
    AddStreams,
    DuplicateStreams,
    FMPadding,
    MaxPool,
    SlidingWindow,
    Thresholding,
)

from .strategies import divisors, rand_thresholds

__all__ = ["check_stitched", "stitched_designs"]

_T = "UINT2"


def _act_mvtu(rng: np.random.Generator, mw: int, mh: int, pe: int, simd: int) -> MVTU:
    """An MVTU on UINT2 inputs with INT2 weights and 3 thresholds to UINT2."""
    w = rng.integers(-2, 2, (mw, mh))
    lo, hi = MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=_T, wdt="INT2", weights=w).acc_range
    return MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=_T, wdt="INT2", weights=w, odt=_T,
                thresholds=rand_thresholds(rng, mh, 3, lo, hi), act_val=0)


def _thr(rng: np.random.Generator, c: int, pe: int, idt: Any = _T) -> Thresholding:
    t = Thresholding(channels=c, pe=pe, idt=idt, odt=_T,
                     thresholds=np.zeros((c, 3), np.int64), act_val=0)
    lo, hi = int(t.idt.min()), int(t.idt.max())
    return Thresholding(channels=c, pe=pe, idt=idt, odt=_T, act_val=0,
                        thresholds=rand_thresholds(rng, c, 3, lo, hi))


@st.composite
def _chain(draw: Any, rng: np.random.Generator) -> Any:
    from qsim.frontend import Design, Layer

    h, c = draw(st.sampled_from([2, 4])), draw(st.sampled_from([2, 4]))
    k, c2 = draw(st.integers(1, 2)), draw(st.sampled_from([2, 4]))
    oh = h - k + 1
    swg = SlidingWindow(ifm_dim=h, channels=c, kernel=k, simd=draw(st.sampled_from(
        divisors(c))), idt=_T)
    mv = _act_mvtu(rng, k * k * c, c2, draw(st.sampled_from(divisors(c2))),
                   draw(st.sampled_from(divisors(k * k * c))))
    layers = [Layer(name="SWG_0", block=swg, in_shape=(h, h, c)),
              Layer(name="MVAU_0", block=mv, in_shape=(oh, oh, k * k * c))]
    if oh % 2 == 0 and draw(st.booleans()):
        pool = MaxPool(ifm_dim=oh, channels=c2, kernel=2,
                       pe=draw(st.sampled_from(divisors(c2))), idt=_T)
        layers.append(Layer(name="MaxPool_0", block=pool, in_shape=(oh, oh, c2)))
        oh //= 2
    if draw(st.booleans()):
        layers.append(Layer(name="Thresholding_0", block=_thr(
            rng, c2, draw(st.sampled_from(divisors(c2)))), in_shape=(oh, oh, c2)))
    return Design(layers=tuple(layers), input_shape=(h, h, c), idt=_T, name="fuzz_chain")


@st.composite
def _fork_join(draw: Any, rng: np.random.Generator) -> Any:
    from qsim.frontend import Design, Layer

    h, c = draw(st.sampled_from([2, 3, 4])), draw(st.sampled_from([2, 4]))
    pe = draw(st.sampled_from(divisors(c)))
    layers = [Layer(name="Dup_0", block=DuplicateStreams(channels=c, pe=pe, idt=_T),
                    in_shape=(h, h, c))]
    if draw(st.integers(0, 2)) > 0:  # a long branch: padded 3x3 conv
        simd = draw(st.sampled_from(divisors(c)))
        layers += [
            Layer(name="Pad_0", block=FMPadding(ifm_dim=h, channels=c, padding=1, simd=simd,
                                                idt=_T), in_shape=(h, h, c), inputs=("Dup_0",)),
            Layer(name="SWG_0", block=SlidingWindow(ifm_dim=h + 2, channels=c, kernel=3,
                                                    simd=simd, idt=_T),
                  in_shape=(h + 2, h + 2, c)),
            Layer(name="MVAU_0", block=_act_mvtu(rng, 9 * c, c, draw(st.sampled_from(
                divisors(c))), draw(st.sampled_from(divisors(9 * c)))),
                  in_shape=(h, h, 9 * c))]
    else:
        layers.append(Layer(name="Thr_0", block=_thr(rng, c, draw(st.sampled_from(
            divisors(c)))), in_shape=(h, h, c), inputs=("Dup_0",)))
    add = AddStreams(channels=c, pe=draw(st.sampled_from(divisors(c))), idt=_T, idt1=_T)
    layers.append(Layer(name="Add_0", block=add, in_shape=(h, h, c),
                        inputs=(layers[-1].name, "Dup_0")))
    if draw(st.booleans()):
        layers.append(Layer(name="Thr_1", block=_thr(rng, c, draw(st.sampled_from(
            divisors(c))), add.odt), in_shape=(h, h, c)))
    return Design(layers=tuple(layers), input_shape=(h, h, c), idt=_T, name="fuzz_fork_join")


@st.composite
def stitched_designs(draw: Any) -> Any:
    """A random chain or fork/join Design with a random FIFO depth (0-6) on every edge."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    design = draw(_fork_join(rng) if draw(st.booleans()) else _chain(rng))
    depths = [draw(st.integers(0, 6)) for _ in design.links]
    return design.with_fifo_depths(depths)


def check_stitched(design: Any, samples: int, seed: int, p_stall: float) -> str:
    """Run the property on ``design``; returns "pass" or "deadlock" (both checked), raises
    MismatchError when native rtlsim and the model disagree."""
    import qsim.verify  # noqa: F401  (registers the built-in levels)
    from qsim.pipeline.engine import DeadlockError
    from qsim.pipeline.plan import stitch
    from qsim.rtlsim.native_run import run_native

    from . import _stitched_level  # noqa: F401  (registers rtlsim-stitched)
    from .levels import Context
    from .runner import run_levels

    rng = np.random.default_rng(seed)
    dt = design.idt
    x = rng.integers(int(dt.min()), int(dt.max()) + 1, (samples, *design.input_shape))
    ready: Optional[np.ndarray] = rng.random(20_000) >= p_stall if p_stall else None
    try:
        stitch(design).simulate(samples, None, ready)
    except DeadlockError as exc:
        try:
            run_native(design, x, ready=ready, watchdog=2000)
        except SimulationError as sim:
            if "watchdog" in str(sim):
                return "deadlock"
        raise MismatchError(f"{design.name}: the pipeline model deadlocks ({exc}) but native "
                            f"rtlsim finished without its watchdog firing") from None
    res = run_levels(design, x, ["model", "rtlsim-stitched"], Context(ready=ready))
    if res.mismatches:
        raise MismatchError(f"{design.name} (depths {design.fifo_depths!r}): "
                            + "; ".join(m.describe() for m in res.mismatches))
    return "pass"
