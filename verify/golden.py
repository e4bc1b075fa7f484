"""Golden regression vectors: inputs, every layer's output and cycle figures, recorded once by
``make golden`` and compared exactly on every test run, so a change that moves every level
together is still caught.

Each case writes ``golden/<name>.npz`` (arrays) and ``golden/<name>.json`` (config, seed, qsim
version, array index). ``make golden`` (``python -m qsim.verify.golden --write``) is the only
writer; the tests only read.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from qsim import __version__
from qsim.models import (
    AddStreams,
    DuplicateStreams,
    FMPadding,
    GlobalAccPool,
    LabelSelect,
    MaxPool,
    SlidingWindow,
    Thresholding,
)

from .blockcheck import block_design
from .report import write_json_atomic
from .strategies import grid_config, rand_inputs, rand_thresholds, rand_values

__all__ = ["CASES", "GOLDEN_DIR", "Case", "compute", "load_case", "write_case"]

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"


@dataclass(frozen=True)
class Case:
    """A golden case: ``build(seed)`` returns (design, integer inputs, config description)."""

    name: str
    build: Callable[[int], tuple[Any, np.ndarray, dict[str, Any]]]
    seed: int = 0
    slow: bool = False  # excluded from the default test run (still written by make golden)
    #: Levels this case is checked at (None: every level). A bare multi-port block (no
    #: one-layer Design holds it) runs at the model and cppsim levels only.
    levels: Optional[tuple[str, ...]] = None


def _bare(cfg: Any) -> bool:
    """A multi-port block: its golden case holds the bare block, one input tensor per port."""
    return bool(cfg.in_ports > 1 or cfg.out_ports > 1)


def _block_case(make: Callable[[np.random.Generator], Any], frames: int
                ) -> Callable[[int], tuple[Any, np.ndarray, dict[str, Any]]]:
    def build(seed: int) -> tuple[Any, np.ndarray, dict[str, Any]]:
        rng = np.random.default_rng(seed)
        cfg = make(rng)
        meta = {"block": type(cfg).__name__, "config": cfg.to_dict()}
        if _bare(cfg):  # no one-layer Design: one input, and every output port read
            return cfg, np.stack(rand_inputs(cfg, rng, frames)), meta  # (ports, N, *frame)
        x = rand_values(rng, cfg.idt, (frames, *cfg.in_frame_shape))
        return block_design(cfg), x, meta
    return build


CASES: list[Case] = [
    Case("mvtu_int4_int4_int4_pe4_simd8", _block_case(
        lambda r: grid_config("INT4", "INT4", "INT4", nf=4, sf=2), 6)),
    Case("mvtu_xnor_bipolar_pe2_simd16", _block_case(
        lambda r: grid_config("BIPOLAR", "BIPOLAR", "BIPOLAR", nf=8, sf=1), 6)),
    Case("mvtu_noact_int4_bipolar_pe16_simd1", _block_case(
        lambda r: grid_config("none", "INT4", "BIPOLAR", nf=1, sf=16), 6)),
    Case("thresholding_int8_uint2_pe4", _block_case(lambda r: Thresholding(
        channels=8, pe=4, idt="INT8", odt="UINT2",
        thresholds=rand_thresholds(r, 8, 3, -128, 127)), 10)),
    Case("swg_k3x2_s2x1_d1x2_simd2", _block_case(lambda r: SlidingWindow(
        ifm_dim=(7, 8), channels=4, kernel=(3, 2), stride=(2, 1), dilation=(1, 2), simd=2,
        idt="UINT3"), 2)),
    Case("swg_depthwise_k3_simd2", _block_case(lambda r: SlidingWindow(
        ifm_dim=5, channels=4, kernel=3, simd=2, idt="INT4", depthwise=True), 2)),
    Case("maxpool_k2_pe2_bipolar", _block_case(lambda r: MaxPool(
        ifm_dim=6, channels=4, kernel=2, pe=2, idt="BIPOLAR"), 2)),
    Case("maxpool_k3x1_int5", _block_case(lambda r: MaxPool(
        ifm_dim=(6, 4), channels=3, kernel=(3, 1), pe=3, idt="INT5"), 2)),
]

_BARE_LEVELS = ("model", "cppsim")  # a bare multi-port block runs at these levels
CASES += [
    Case("fmpadding_t1l2b0r1_simd2_int3", _block_case(lambda r: FMPadding(
        ifm_dim=(3, 4), channels=4, padding=(1, 2, 0, 1), simd=2, idt="INT3"), 2)),
    Case("duplicate_streams_x3_pe2_uint4", _block_case(lambda r: DuplicateStreams(
        channels=6, pe=2, idt="UINT4", n_outputs=3), 4), levels=_BARE_LEVELS),
    Case("add_streams_int4_uint3_pe2", _block_case(lambda r: AddStreams(
        channels=6, pe=2, idt="INT4", idt1="UINT3"), 4), levels=_BARE_LEVELS),
    Case("global_acc_pool_3x2_pe2_int5", _block_case(lambda r: GlobalAccPool(
        ifm_dim=(3, 2), channels=4, pe=2, idt="INT5"), 3)),
    Case("label_select_l10_k3_pe5_bipolar", _block_case(lambda r: LabelSelect(
        labels=10, k=3, pe=5, idt="BIPOLAR"), 4)),
]


def _zoo_case(net: str, variant: str, samples: int = 2
              ) -> Callable[[int], tuple[Any, np.ndarray, dict[str, Any]]]:
    """A zoo network (seeded random init) exported to QONNX and imported with its default
    folding; ``samples`` random integer inputs."""
    def build(seed: int) -> tuple[Any, np.ndarray, dict[str, Any]]:
        import tempfile

        from qsim.frontend import load
        from qsim.frontend.reference import export
        from qsim.zoo import INPUT_SHAPES, default_folding
        from qsim.zoo import build as build_net

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{net}_{variant}.onnx"
            export(build_net(net, variant, seed=seed),
                   np.zeros((1, *INPUT_SHAPES[net]), np.float32), path, fmt="qonnx")
            design = load(path, default_folding(net))
        from .fuzz_stitched import design_inputs

        # within the input range the source model takes (a narrow-range input quantizer)
        x = design_inputs(np.random.default_rng(seed), design, samples)
        return design, x, {"zoo": net, "variant": variant, "folding": default_folding(net)}
    return build


CASES += [Case(f"zoo_{net}_{variant}", _zoo_case(net, variant))
          for net in ("tfc", "cnv", "qenet") for variant in ("w1a1", "w1a2", "w2a2", "w4a4")]


def _ready_pattern(seed: int, length: int) -> np.ndarray:
    """The backpressure pattern recorded with a case: ready with probability 0.7."""
    return np.random.default_rng(seed + 1).random(length) >= 0.3


def compute(design: Any, x: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Model outputs of every layer plus, per layer, the cycle model's transfer cycles for the
    stall-free run and for the case's backpressure pattern (layer fed from cycle 0).

    ``design`` may be a bare multi-input block; ``x`` is then (ports, N, *frame)."""
    if not hasattr(design, "layers"):
        return _compute_ports(design, np.asarray(x), seed)
    arrays: dict[str, np.ndarray] = {"inputs": np.asarray(x)}
    outs = design.run_layers(x)
    n = np.asarray(x).shape[0]
    for layer in design.layers:
        arrays[f"out/{layer.name}"] = outs[layer.name]
        b = layer.block
        if hasattr(b, "cycles"):
            frames = n * int(np.prod(layer.in_shape)) // int(np.prod(b.in_frame_shape))
            arrays[f"transfer/{layer.name}"] = b.cycles(frames).transfer
            ready = _ready_pattern(seed, 4 * frames * max(b.schedule.steps, b.out_words) + 64)
            arrays[f"transfer_bp/{layer.name}"] = b.cycles(frames, ready=ready).transfer
    return arrays


def _compute_ports(b: Any, xs: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """:func:`compute` for a bare block with one input tensor per port, as layer "block"."""
    frames = int(xs.shape[1])
    ready = _ready_pattern(seed, 4 * frames * max(b.schedule.steps, b.out_words) + 64)
    return {"inputs": xs, "out/block": b(*xs), "transfer/block": b.cycles(frames).transfer,
            "transfer_bp/block": b.cycles(frames, ready=ready).transfer}


def write_case(case: Case, out_dir: Path = GOLDEN_DIR) -> Path:
    design, x, config = case.build(case.seed)
    arrays = compute(design, x, case.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    npz = out_dir / f"{case.name}.npz"
    np.savez_compressed(npz, **{k.replace("/", "__"): v for k, v in arrays.items()})
    meta = {"case": case.name, "seed": case.seed, "qsim_version": __version__,
            "layers": [la.name for la in getattr(design, "layers", ())] or ["block"],
            "arrays": sorted(arrays),
            "written_by": "make golden", **config}
    write_json_atomic(out_dir / f"{case.name}.json", meta)
    return npz


def load_case(case: Case, out_dir: Path = GOLDEN_DIR) -> Optional[dict[str, np.ndarray]]:
    """The stored arrays of ``case`` (None if it was never written)."""
    npz = out_dir / f"{case.name}.npz"
    if not npz.exists():
        return None
    with np.load(npz) as data:
        return {k.replace("__", "/"): data[k] for k in data.files}


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="write the golden vectors (make golden)")
    ap.add_argument("--write", action="store_true", help="(re)write every case")
    ap.add_argument("--only", help="comma-separated case names")
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if not args.write:
        ap.error("nothing to do: pass --write (golden vectors change only through make golden)")
    for case in CASES:
        if only and case.name not in only:
            continue
        print(f"golden: {case.name} -> {write_case(case)}")
    index = {c.name: json.loads((GOLDEN_DIR / f"{c.name}.json").read_text())["seed"]
             for c in CASES if (GOLDEN_DIR / f"{c.name}.json").exists()}
    write_json_atomic(GOLDEN_DIR / "index.json", {"qsim_version": __version__, "cases": index})
    return 0


if __name__ == "__main__":
    sys.exit(main())


def design_from_meta(meta: dict[str, Any]) -> Any:
    """Rebuild a block case's design from its stored config (no generator code involved)."""
    from qsim import models

    cfg = getattr(models, meta["block"]).from_dict(meta["config"])
    return cfg if _bare(cfg) else block_design(cfg)


def check_case(case: Case, levels: list[str], out_dir: Path = GOLDEN_DIR) -> list[str]:
    """Every problem found comparing ``levels`` with the stored vectors ([] when all agree)."""
    from .levels import Context
    from .runner import run_levels

    stored = load_case(case, out_dir)
    if stored is None:
        return [f"golden case {case.name!r} was never written: run `make golden`"]
    meta = json.loads((out_dir / f"{case.name}.json").read_text())
    design = design_from_meta(meta) if "block" in meta else case.build(meta["seed"])[0]
    x = stored["inputs"]
    problems: list[str] = []
    fresh = compute(design, x, int(meta["seed"]))
    for key, want in stored.items():  # the model and its cycle model
        if key not in fresh or not np.array_equal(fresh[key], want):
            problems.append(f"{case.name}: model {key} differs from golden")
    block_levels = [lv for lv in levels if lv != "model"]
    if case.levels is not None:
        problems += [f"{case.name}: level {lv} not available for this case yet"
                     for lv in block_levels if lv not in case.levels]
        block_levels = [lv for lv in block_levels if lv in case.levels]
    if block_levels and not hasattr(design, "layers"):
        return problems + _check_bare(case.name, design, stored, block_levels)
    if block_levels:
        res = run_levels(design, x, block_levels, Context(seed=int(meta["seed"])))
        problems += [f"{case.name}: level {k} skipped: {v}" for k, v in res.skipped.items()]
        for lv, lr in res.levels.items():
            for layer, run in lr.layers.items():
                if not np.array_equal(run.output, stored[f"out/{layer}"]):
                    problems.append(f"{case.name}: {lv} output of {layer!r} differs from golden")
                if run.transfer is not None and not np.array_equal(
                        run.transfer, stored[f"transfer/{layer}"]):
                    problems.append(f"{case.name}: {lv} cycles of {layer!r} differ from golden")
        problems += [m.describe() for m in res.mismatches]
    return problems


def _check_bare(case: str, cfg: Any, stored: dict[str, np.ndarray], levels: list[str]
                ) -> list[str]:
    """cppsim of a bare multi-port block: its kernel on the stored inputs, every output port
    against the stored output (the other levels need a Design)."""
    from qsim.cppsim.runner import run_cppsim_ports

    problems = [f"{case}: level {lv} not available for a bare multi-port block"
                for lv in levels if lv != "cppsim"]
    if "cppsim" in levels:
        outs, _trips = run_cppsim_ports(cfg, *stored["inputs"])
        problems += [f"{case}: cppsim output port {q} of 'block' differs from golden"
                     for q, y in enumerate(outs) if not np.array_equal(y, stored["out/block"])]
    return problems
