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
must stop on its liveness watchdog instead of finishing. Inputs are drawn within the Design's
:attr:`~qsim.frontend.design.Design.input_bounds` (some drawn Designs have a narrow input range).

:data:`STITCHED_TARGET` makes these the ``qsim fuzz --target stitched`` campaign (same deadline,
resume, shrinking and progress as the block campaign of :mod:`qsim.verify.fuzz`); a failure is
saved as ``failures/<id>/`` with ``design.json`` (every layer's config, the FIFO depths),
``example.json`` (samples, data seed, stall probability, levels) and ``mismatch.json``, and
``qsim fuzz --replay`` re-runs it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Optional, Sequence

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
from qsim.models._dtypes import name

from .compare import Mismatch
from .fuzz import Target
from .report import write_json_atomic
from .strategies import divisors, rand_thresholds

__all__ = ["STITCHED_LEVELS", "STITCHED_TARGET", "check_stitched", "design_from_dict",
           "design_inputs", "design_to_dict", "replay_stitched", "stitched_designs"]

#: The levels a stitched example runs through.
STITCHED_LEVELS = ("model", "rtlsim-stitched")

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
    narrow = draw(st.sampled_from([None, (0, 2)]))  # a narrow-range UINT2 input quantizer
    return dataclasses.replace(design.with_fifo_depths(depths), input_range=narrow)


def design_inputs(rng: np.random.Generator, design: Any, samples: int) -> np.ndarray:
    """(samples, *input_shape) uniform random inputs the Design's source model can take:
    within ``design.input_bounds`` (a narrow-range input quantizer excludes idt's minimum),
    BIPOLAR as {-1, +1}."""
    shape = (samples, *design.input_shape)
    if name(design.idt) == "BIPOLAR":
        return rng.integers(0, 2, shape) * 2 - 1
    lo, hi = design.input_bounds if hasattr(design, "input_bounds") else (
        int(design.idt.min()), int(design.idt.max()))
    return rng.integers(int(lo), int(hi) + 1, shape)


def check_stitched(design: Any, samples: int, seed: int, p_stall: float,
                   levels: Sequence[str] = STITCHED_LEVELS) -> str:
    """Run the property on ``design``; returns "pass" or "deadlock" (both checked), raises
    MismatchError when native rtlsim and the model disagree (naming the first link, its
    word and cycle when the cycles differ). ``levels``: the default, or a test double in
    place of ``rtlsim-stitched`` (a model deadlock is then not cross-checked)."""
    import qsim.verify  # noqa: F401  (registers the built-in levels)
    from qsim.pipeline.engine import DeadlockError
    from qsim.pipeline.plan import stitch
    from qsim.rtlsim.native_run import run_native

    from . import _stitched_level  # noqa: F401  (registers rtlsim-stitched)
    from .levels import Context
    from .runner import run_levels

    rng = np.random.default_rng(seed)
    x = design_inputs(rng, design, samples)
    ready: Optional[np.ndarray] = rng.random(20_000) >= p_stall if p_stall else None
    try:
        stitch(design).simulate(samples, None, ready)
    except DeadlockError as exc:
        if "rtlsim-stitched" not in levels:
            return "deadlock"
        try:
            run_native(design, x, ready=ready, watchdog=2000)
        except SimulationError as sim:
            if "watchdog" in str(sim):
                return "deadlock"
        raise MismatchError(f"{design.name}: the pipeline model deadlocks ({exc}) but native "
                            f"rtlsim finished without its watchdog firing") from None
    res = run_levels(design, x, list(levels), Context(ready=ready))
    if res.mismatches:
        links = [n for lr in res.levels.values() for n in lr.notes
                 if n.startswith("first link to differ")]
        raise MismatchError(f"{design.name} (depths {design.fifo_depths!r}): "
                            + "; ".join([m.describe() for m in res.mismatches] + links[:1]))
    return "pass"


def design_to_dict(design: Any) -> dict[str, Any]:
    """A JSON-able Design of layers with block configs (the fields the stitched fuzz
    targets set; scales and source layouts are not kept)."""
    return {"name": design.name, "idt": name(design.idt),
            "input_shape": list(design.input_shape),
            "fifo_depths": None if design.fifo_depths is None else list(design.fifo_depths),
            "input_range": None if design.input_range is None else list(design.input_range),
            "layers": [{"name": la.name, "block": type(la.block).__name__,
                        "config": la.block.to_dict(), "in_shape": list(la.in_shape),
                        "inputs": list(la.inputs)} for la in design.layers]}


def design_from_dict(data: dict[str, Any]) -> Any:
    """Inverse of :func:`design_to_dict`."""
    from qsim import models
    from qsim.frontend import Design, Layer

    layers = tuple(Layer(name=la["name"], block=getattr(models, la["block"]).from_dict(
        la["config"]), in_shape=tuple(la["in_shape"]), inputs=tuple(la["inputs"]))
        for la in data["layers"])
    rng = data.get("input_range")
    depths = data.get("fifo_depths")
    return Design(layers=layers, input_shape=tuple(data["input_shape"]), idt=data["idt"],
                  name=data["name"], fifo_depths=None if depths is None else tuple(depths),
                  input_range=None if rng is None else (int(rng[0]), int(rng[1])))


def _save(out: Path, ex: dict[str, Any], mm: Sequence[Any], levels: Sequence[str]) -> str:
    """``failures/<design name>-<digest>/``: design.json, example.json, mismatch.json and
    repro.sh; returns the id."""
    design = design_to_dict(ex["design"])
    example = {"samples": ex["samples"], "seed": ex["seed"], "p_stall": ex["p_stall"],
               "levels": list(levels)}
    digest = hashlib.sha256(json.dumps([design, example], sort_keys=True).encode())
    fid = f"{ex['design'].name}-{digest.hexdigest()[:12]}"
    d = out / "failures" / fid
    d.mkdir(parents=True, exist_ok=True)
    write_json_atomic(d / "design.json", design)
    write_json_atomic(d / "example.json", example)
    write_json_atomic(d / "mismatch.json", [m.to_dict() for m in mm])
    (d / "repro.sh").write_text(f"#!/bin/sh\n# replays this stitched failure through "
                                f"{','.join(levels)}\nqsim fuzz --replay {d} --levels "
                                f"{','.join(levels)}\n")
    return fid


def replay_stitched(d: Path, levels: Sequence[str]) -> str:
    """Re-run the stitched failure saved in ``d`` through ``levels``: "pass" or
    "deadlock", or MismatchError as :func:`check_stitched`."""
    design = design_from_dict(json.loads((d / "design.json").read_text()))
    ex = json.loads((d / "example.json").read_text())
    return check_stitched(design, int(ex["samples"]), int(ex["seed"]), float(ex["p_stall"]),
                          levels)


def _run(ex: dict[str, Any], out: Path, seed: int, levels: Sequence[str]
         ) -> tuple[dict[str, Any], list[Any]]:
    fields = {"samples": ex["samples"], "data_seed": ex["seed"], "p_stall": ex["p_stall"],
              "levels": list(levels)}
    try:
        outcome = check_stitched(ex["design"], ex["samples"], ex["seed"], ex["p_stall"],
                                 levels)
    except MismatchError as exc:
        last = ex["design"].layers[-1].name
        return {**fields, "outcome": "mismatch"}, [Mismatch(last, "rtlsim-stitched", "model",
                                                            str(exc))]
    return {**fields, "outcome": outcome}, []


def _describe(ex: dict[str, Any]) -> dict[str, Any]:
    d = ex["design"]
    return {"block": d.name, "config": {
        "layers": [f"{la.name}:{type(la.block).__name__}" for la in d.layers],
        "fifo_depths": list(d.fifo_depths or ()), "input_range": d.input_range}}


#: ``qsim fuzz --target stitched``: 5 examples per round (a native build each).
STITCHED_TARGET = Target(
    name="stitched",
    strategy=st.fixed_dictionaries({
        "design": stitched_designs(), "samples": st.integers(1, 2),
        "seed": st.integers(0, 2**16), "p_stall": st.sampled_from([0.0, 0.3, 0.6])}),
    prepare=dict, run=_run, save=_save, describe=_describe, examples=5)
