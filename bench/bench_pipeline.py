"""Stitched-pipeline benchmarks (issue 7).

    python bench/bench_pipeline.py p2 [--frames 3]        model vs native on stitched CNV-w1a1
    python bench/bench_pipeline.py p2 --net resnet8:w4a4  the same on ResNet-8 (a graph)
    python bench/bench_pipeline.py p3 [--net tfc] [--frames 20]   native vs cocotb (cycles/s)
    python bench/bench_pipeline.py bulk [--frames 100] [--shards 2] [--fifos sized|default]
                                                          CNV frames through native on 2 cores
                                                          (extrapolated to 10,000), sized FIFOs
    python bench/bench_pipeline.py stallfree [--frames 4] zoo nets: cycles/frame vs bottleneck
    python bench/bench_pipeline.py sizing [--net tfc] [--criterion period]  FIFO sizing, checked
                                                          in native rtlsim

Run from the repository root. Native builds use ``optimize=True, assertions=False`` (the
fastest model) unless ``--assertions``; build times are printed (0.0 = cached).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _zoo_designs import zoo_design  # noqa: E402

from qsim.pipeline.engine import simulate_pipeline  # noqa: E402
from qsim.pipeline.plan import Stitched, stitch  # noqa: E402
from qsim.rtlsim import stitch as sv  # noqa: E402
from qsim.rtlsim.native_run import build_native, run_stitched  # noqa: E402


def _design(net: str) -> Any:
    if net == "tfc-example":
        from qsim.frontend import load

        ex = Path(__file__).resolve().parent.parent / "examples"
        return load(ex / "tfc_w2a2_digits.onnx", ex / "tfc_folding.json")
    name, _, variant = net.partition(":")  # e.g. "resnet8:w4a4"
    return zoo_design(name, variant or "w1a1")


def _inputs(design: Any, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dt = design.idt
    return rng.integers(int(dt.min()), int(dt.max()) + 1, (n, *design.input_shape))


def _native(st: Stitched, x: np.ndarray, args: argparse.Namespace) -> Any:
    b = build_native(st, assertions=args.assertions, optimize=True)
    print(f"  native build: {b.build_seconds:.1f} s ({b.build_dir.name})")
    n = x.shape[0]
    return run_stitched(st, st.pack_input(x), n * st.out_words_per_sample,
                        assertions=args.assertions, optimize=True)


def p2(args: argparse.Namespace) -> None:
    d = _design(args.net)
    st = stitch(d)
    x = _inputs(d, args.frames)
    t0 = time.perf_counter()
    st.simulate(1)  # loads numba and the compiled kernel (once per process)
    t_load = time.perf_counter() - t0
    times = []
    for _ in range(5):
        tr = None  # free the previous traces first, as a regression run does between calls
        t0 = time.perf_counter()
        tr = st.simulate(args.frames)  # the graph engine (chains and residual nets alike)
        times.append(time.perf_counter() - t0)
    t_model = float(np.median(times))
    print(f"  model calls: {', '.join(f'{t:.3f}' for t in times)} s")
    run = _native(st, x, args)
    same = np.array_equal(tr.transfer, run.transfer)
    exact = np.array_equal(st.unpack_output(run.words), d(x))
    print(f"P2 {args.net} stitched ({len(st.nodes)} nodes), {args.frames} frames: model "
          f"{t_model:.3f} s (median of 5; first call in the process +{t_load:.2f} s to load "
          f"numba and the cached kernel), native {run.sim_seconds:.3f} s ({run.cycles} cycles, "
          f"{run.cycles / run.sim_seconds / 1e6:.3f} M cycles/s): model "
          f"{run.sim_seconds / t_model:.1f}x faster; model cycles {tr.cycles}, transfer "
          f"cycles equal: {same}; outputs bit-exact: {exact}")


def _cocotb(st: Stitched, words: list[int], n_out: int) -> tuple[float, int, list[int]]:
    """The stitched top under cocotb (qsim.rtlsim.bench driver): seconds, cycles, transfers."""
    from cocotb_tools.runner import get_runner

    from qsim._toolchain import apply_verilator_env
    from qsim.rtlsim.build import _BUILD_ARGS, _MAKE_VARS, _TIMESCALE

    apply_verilator_env()
    root = (Path(".qsim_cache") / "cocotb_stitched" / sv.source_digest(st)).resolve()
    srcs = sv.sources(st, root / "src")
    runner = get_runner("verilator")
    os.environ["MAKEFLAGS"] = f"{os.environ.get('MAKEFLAGS', '')} {_MAKE_VARS}".strip()
    t0 = time.monotonic()
    runner.build(sources=srcs, hdl_toplevel=st.top, build_dir=root / "build",
                 build_args=list(_BUILD_ARGS), timescale=_TIMESCALE, log_file=root / "build.log")
    print(f"  cocotb build: {time.monotonic() - t0:.1f} s")
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=root))
    plan = {"instances": [{"prefix": "", "in_words": words, "n_out": n_out}],
            "runs": [{"name": "none", "offer": [[0] * len(words)], "ready": [""],
                      "timeout": 10_000_000}]}
    (run_dir / "plan.json").write_text(json.dumps(plan))
    t0 = time.monotonic()
    runner.test(test_module="qsim.rtlsim.bench", hdl_toplevel=st.top,
                hdl_toplevel_lang="verilog", build_dir=root / "build", test_dir=run_dir,
                extra_env={"QSIM_BENCH_PLAN": str(run_dir / "plan.json"),
                           "QSIM_BENCH_RESULT": str(run_dir / "result.json"),
                           "COCOTB_LOG_LEVEL": "WARNING"}, log_file=run_dir / "sim.log")
    seconds = time.monotonic() - t0
    res = json.loads((run_dir / "result.json").read_text())["runs"][0]["instances"][0]
    return seconds, int(res["cycles"]), res["transfer"]


def p3(args: argparse.Namespace) -> None:
    d = _design(args.net)
    st = stitch(d)
    x = _inputs(d, args.frames)
    words, n_out = st.pack_input(x), args.frames * st.out_words_per_sample
    run = _native(st, x, args)
    sec, cyc, transfer = _cocotb(st, words, n_out)
    print(f"P3 {args.net} stitched, {args.frames} frames: native {run.cycles} cycles in "
          f"{run.sim_seconds:.2f} s = {run.cycles / run.sim_seconds / 1e3:.0f} k cycles/s; "
          f"cocotb {cyc} cycles in {sec:.2f} s (incl. simulator start) = "
          f"{cyc / sec / 1e3:.1f} k cycles/s; speed-up "
          f"{run.cycles / run.sim_seconds / (cyc / sec):.0f}x; same transfer cycles: "
          f"{list(run.transfer) == transfer}")


def bulk(args: argparse.Namespace) -> None:
    from qsim.rtlsim.native_run import run_sharded

    d = _design(args.net)
    depths = None
    if args.fifos == "sized" and d.fifo_depths is None:  # as the rtlsim-stitched level
        from qsim.pipeline.fifo_sizing import size_fifos

        t0 = time.perf_counter()
        sizing = size_fifos(d, samples=4, criterion="period")
        depths = list(sizing.depths)
        print(f"  FIFOs sized on the model in {time.perf_counter() - t0:.1f} s: {depths} "
              f"({sum(depths)} words)")
    st = stitch(d, depths)
    x = _inputs(d, args.frames)
    b = build_native(st, assertions=args.assertions, optimize=True)
    print(f"  native build: {b.build_seconds:.1f} s ({b.build_dir.name})")
    t0 = time.perf_counter()
    run = run_sharded(st, x, shards=args.shards, assertions=args.assertions, optimize=True)
    wall = time.perf_counter() - t0
    per_shard = ", ".join(f"{r.cycles} cycles in {r.sim_seconds:.1f} s" for r in run.runs)
    print(f"bulk {args.net}: {args.frames} frames on {args.shards} harness processes: {wall:.1f} s"
          f" wall incl. packing ({run.cycles / wall / 1e6:.3f} M cycles/s overall; {per_shard});"
          f" 10,000 frames: {wall / args.frames * 10_000 / 60:.1f} min"
          f"{'' if args.frames == 10_000 else ' (extrapolated)'}", flush=True)
    t0 = time.perf_counter()
    exact = np.array_equal(st.unpack_output(run.words), d(x))
    print(f"  outputs bit-exact against the Design model: {exact} (model "
          f"{time.perf_counter() - t0:.1f} s)")


def _bottleneck(st: Stitched) -> tuple[int, str]:
    best, name = 0, ""
    for n in st.nodes:
        fps = n.frames_per_sample
        per = max(n.cfg.schedule.steps * fps, n.words_in, n.words_out)
        if per > best:
            best, name = per, n.name
    return best, name


def _frame_ends(st: Stitched, n: int) -> list[int]:
    last = simulate_pipeline(st.stages(n))[-1].transfer
    per_frame = st.out_words_per_sample
    return [int(last[(k + 1) * per_frame - 1]) + 1 for k in range(n)]


def stallfree(args: argparse.Namespace) -> None:
    for net in ("tfc", "cnv", "qenet"):
        d = _design(net)
        n = args.frames
        t0 = time.perf_counter()
        for label, depths in (("FIFO depth 2", None), ("deep FIFOs", 4096)):
            st = stitch(d, depths)
            ends = _frame_ends(st, n)
            period = ends[-1] - ends[-2]
            bott, where = _bottleneck(st)
            fill = ends[0] - bott
            print(f"{net:6s} {label:12s}: bottleneck {bott} cycles/frame ({where}); first frame "
                  f"{ends[0]} = bottleneck + fill {fill}; steady state {period} cycles/frame "
                  f"({100 * (period - bott) / bott:+.1f}%); {n} frames {ends[-1]} vs analytic "
                  f"fill + {n} x bottleneck = {fill + n * bott}", flush=True)
        print(f"       ({time.perf_counter() - t0:.1f} s model)")


def sizing(args: argparse.Namespace) -> None:
    from qsim.pipeline.fifo_sizing import size_fifos
    from qsim.rtlsim.native_run import check_native

    d = _design(args.net)
    t0 = time.perf_counter()
    s = size_fifos(d, samples=args.frames, progress=lambda m: print("  " + m, flush=True),
                   criterion=args.criterion)
    print(f"sizing {args.net}: {s.summary()} ({time.perf_counter() - t0:.1f} s)")
    bott, where = _bottleneck(stitch(d))
    for label, depths in (("sized", s.depths), ("FIFO depth 2", None)):
        ends = _frame_ends(stitch(d, None if depths is None else list(depths)), 8)
        print(f"  {label}: 8 samples, steady state {ends[-1] - ends[-2]} cycles/sample "
              f"(bottleneck {bott}, {where})")
    if not args.model_only:
        base, sized = check_native(d, s, _inputs(d, args.frames), assertions=False,
                                   optimize=True)
        print(f"  native rtlsim: baseline {base} cycles, sized {sized} cycles (model "
              f"{s.baseline_cycles}/{s.cycles})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["p2", "p3", "bulk", "stallfree", "sizing"])
    ap.add_argument("--net", default=None)
    ap.add_argument("--frames", type=int, default=None)
    ap.add_argument("--assertions", action="store_true")
    ap.add_argument("--model-only", action="store_true")
    ap.add_argument("--shards", type=int, default=2, help="bulk: harness processes (cores)")
    ap.add_argument("--fifos", default="sized", choices=["sized", "default"],
                    help="bulk: FIFO depths sized on the model (default) or the folding's "
                         "(FINN's 2 words when it gives none)")
    ap.add_argument("--criterion", default="cycles", choices=["cycles", "period"],
                    help="sizing: keep the total cycles or the last sample's period")
    args = ap.parse_args()
    defaults = {"p2": ("cnv", 3), "p3": ("tfc", 20), "bulk": ("cnv", 100),
                "stallfree": ("cnv", 4), "sizing": ("tfc", 2)}[args.what]
    args.net = args.net or defaults[0]
    args.frames = args.frames or defaults[1]
    globals()[args.what](args)


if __name__ == "__main__":
    main()
