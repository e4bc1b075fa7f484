"""Stitched-pipeline benchmarks (issue 7).

    python bench/bench_pipeline.py p2 [--frames 3]        model vs native on stitched CNV-w1a1
    python bench/bench_pipeline.py p3 [--net tfc] [--frames 20]   native vs cocotb (cycles/s)
    python bench/bench_pipeline.py bulk [--frames 100]    CNV frames through native (extrapolated
                                                          to 10,000)
    python bench/bench_pipeline.py stallfree [--frames 4] zoo nets: cycles/frame vs bottleneck
    python bench/bench_pipeline.py sizing [--net tfc]     FIFO sizing, checked in native rtlsim

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

from qsim.models.pipeline import simulate_pipeline  # noqa: E402
from qsim.rtlsim.native_run import build_native, run_stitched  # noqa: E402
from qsim.rtlsim.stitch import Stitched, stitch  # noqa: E402


def _design(net: str) -> Any:
    if net == "tfc-example":
        from qsim.frontend import load

        ex = Path(__file__).resolve().parent.parent / "examples"
        return load(ex / "tfc_w2a2_digits.onnx", ex / "tfc_folding.json")
    return zoo_design(net, "w1a1")


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
    tr = simulate_pipeline(st.stages(args.frames))
    t_model = time.perf_counter() - t0
    run = _native(st, x, args)
    same = np.array_equal(tr[-1].transfer, run.transfer)
    exact = np.array_equal(st.unpack_output(run.words), d(x))
    print(f"P2 {args.net} stitched ({len(st.nodes)} nodes), {args.frames} frames: model "
          f"{t_model:.2f} s, native {run.sim_seconds:.2f} s ({run.cycles} cycles, "
          f"{run.cycles / run.sim_seconds / 1e6:.3f} M cycles/s); model cycles "
          f"{tr[-1].cycles}, transfer cycles equal: {same}; outputs bit-exact: {exact}")


def _cocotb(st: Stitched, words: list[int], n_out: int) -> tuple[float, int, list[int]]:
    """The stitched top under cocotb (qsim.rtlsim.bench driver): seconds, cycles, transfers."""
    from cocotb_tools.runner import get_runner

    from qsim._toolchain import apply_verilator_env
    from qsim.rtlsim.build import _BUILD_ARGS, _MAKE_VARS, _TIMESCALE

    apply_verilator_env()
    root = (Path(".qsim_cache") / "cocotb_stitched" / st.digest()).resolve()
    srcs = st.sources(root / "src")
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
    d = _design(args.net)
    st = stitch(d)
    x = _inputs(d, args.frames)
    t0 = time.perf_counter()
    words = st.pack_input(x)
    t_pack = time.perf_counter() - t0
    run = _native(st, x, args)
    per = run.sim_seconds / args.frames
    print(f"bulk {args.net}: {args.frames} frames, {run.cycles} cycles in {run.sim_seconds:.1f} s"
          f" ({run.cycles / run.sim_seconds / 1e6:.3f} M cycles/s; packing {t_pack:.1f} s, "
          f"{len(words)} words); extrapolated 10,000 frames: {per * 10_000 / 60:.1f} min")


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
    from qsim.rtlsim.fifo_sizing import check_native, size_fifos

    d = _design(args.net)
    t0 = time.perf_counter()
    s = size_fifos(d, samples=args.frames, progress=lambda m: print("  " + m, flush=True))
    print(f"sizing {args.net}: {s.summary()} ({time.perf_counter() - t0:.1f} s)")
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
    args = ap.parse_args()
    defaults = {"p2": ("cnv", 3), "p3": ("tfc", 20), "bulk": ("cnv", 100),
                "stallfree": ("cnv", 4), "sizing": ("tfc", 2)}[args.what]
    args.net = args.net or defaults[0]
    args.frames = args.frames or defaults[1]
    globals()[args.what](args)


if __name__ == "__main__":
    main()
