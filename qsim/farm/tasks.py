"""Job commands the farm runs as subprocesses besides ``qsim verify`` and ``qsim fuzz``:

``python -m qsim.farm.tasks zoo NET VARIANT OUT.onnx FOLD.json``
    export a zoo net (seed-0 weights) to QONNX and write its default FINN folding;
``python -m qsim.farm.tasks shard MODEL --folding F --frames N --shards K --index I --seed S``
    run shard I of N random frames (split into K contiguous shards; frame j of the batch is
    the same whatever K) through native rtlsim-stitched and compare it exactly with the model
    (``--build-only`` builds the harness and stops);
``python -m qsim.farm.tasks golden CASE --levels L``
    check one golden case (:func:`qsim.verify.golden.check_case`).

Exit status as ``qsim``: 0 pass, 1 mismatch, 2 bad input, 3 crash.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from qsim.errors import MismatchError, UsageError
from qsim.verify.report import write_text_atomic

__all__ = ["main", "shard_inputs"]

#: Frames generated per block of the random batch (a shard regenerates only its blocks).
BLOCK = 256


def _zoo(args: argparse.Namespace) -> int:
    from qsim.frontend.reference import export
    from qsim.zoo import INPUT_SHAPES, build, default_folding

    out = Path(args.out)
    tmp = out.with_name(f".{out.name}.tmp.onnx")
    export(build(args.net, args.variant, seed=0), np.zeros((1, *INPUT_SHAPES[args.net]),
                                                           np.float32), tmp, fmt="qonnx")
    write_text_atomic(Path(args.folding_out), json.dumps(default_folding(args.net), indent=2))
    tmp.replace(out)  # the model last: its presence means both files are complete
    return 0


def shard_inputs(design: Any, frames: int, shards: int, index: int, seed: int
                 ) -> tuple[int, np.ndarray]:
    """(first frame, the integer inputs of shard ``index``): frame j of the batch comes from
    block j // BLOCK drawn with seed (seed, block), so any sharding sees the same frames."""
    bounds = np.linspace(0, frames, shards + 1).round().astype(int)
    a, b = int(bounds[index]), int(bounds[index + 1])
    dt, shape = design.idt, tuple(design.input_shape)
    parts = []
    for blk in range(a // BLOCK, -(-b // BLOCK)):
        rng = np.random.default_rng([seed, blk])
        n = min(BLOCK, frames - blk * BLOCK)
        if dt.get_canonical_name() == "BIPOLAR":
            x = rng.integers(0, 2, (n, *shape)) * 2 - 1
        else:
            x = rng.integers(int(dt.min()), int(dt.max()) + 1, (n, *shape))
        lo, hi = max(a, blk * BLOCK) - blk * BLOCK, min(b, blk * BLOCK + n) - blk * BLOCK
        parts.append(x[lo:hi])
    return a, np.concatenate(parts).astype(np.int64)


def _shard(args: argparse.Namespace) -> int:
    from qsim.frontend import load
    from qsim.pipeline.plan import stitch
    from qsim.rtlsim.native_run import build_native, run_stitched

    if not 0 <= args.index < args.shards <= args.frames:
        raise UsageError(f"--index {args.index!r} must be in [0, --shards {args.shards!r}) and "
                         f"--shards at most --frames {args.frames!r}")
    design = load(args.model, folding=None if args.folding == "none" else args.folding)
    st = stitch(design)
    if args.build_only:
        build_native(st)
        return 0
    first, x = shard_inputs(design, args.frames, args.shards, args.index, args.seed)
    run = run_stitched(st, st.pack_input(x), x.shape[0] * st.out_words_per_sample)
    got = st.unpack_output(run.words).astype(np.int64)
    want = np.asarray(design(x), dtype=np.int64)
    if got.shape != want.shape:
        raise MismatchError(f"shard {args.index}: rtlsim-stitched output shape {got.shape!r} "
                            f"!= model {want.shape!r}")
    bad = np.argwhere(got != want)
    if bad.size:
        at = tuple(int(v) for v in bad[0])
        raise MismatchError(f"shard {args.index}: rtlsim-stitched differs from the model at "
                            f"frame {first + at[0]}, index {at[1:]!r}: {int(got[at])!r} != "
                            f"{int(want[at])!r} ({len(bad)} elements differ)")
    print(f"shard {args.index}: frames {first}..{first + x.shape[0] - 1} bit-exact "
          f"({run.cycles} cycles, {run.sim_seconds:.2f} s)")
    return 0


def _golden(args: argparse.Namespace) -> int:
    from qsim.verify.golden import CASES, check_case

    case = {c.name: c for c in CASES}.get(args.case)
    if case is None:
        raise UsageError(f"golden case {args.case!r} does not exist")
    problems = check_case(case, args.levels.split(","))
    for p in problems:
        print(p)
    if problems:
        raise MismatchError(f"golden case {args.case!r}: {len(problems)} problem(s), first: "
                            f"{problems[0]}")
    print(f"golden case {args.case}: pass")
    return 0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m qsim.farm.tasks")
    sub = ap.add_subparsers(dest="command", required=True)
    z = sub.add_parser("zoo")
    for name in ("net", "variant", "out", "folding_out"):
        z.add_argument(name)
    z.set_defaults(func=_zoo)
    s = sub.add_parser("shard")
    s.add_argument("model")
    s.add_argument("--folding", default="none")
    for name in ("frames", "shards", "index", "seed"):
        s.add_argument(f"--{name}", type=int, required=True)
    s.add_argument("--build-only", action="store_true")
    s.set_defaults(func=_shard)
    g = sub.add_parser("golden")
    g.add_argument("case")
    g.add_argument("--levels", default="model")
    g.set_defaults(func=_golden)
    return ap


def main(argv: Optional[Sequence[str]] = None) -> int:
    from qsim.cli import run_command

    args = _parser().parse_args(argv)
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
