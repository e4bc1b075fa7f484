"""``qsim fuzz``: property-based fuzzing of block configs through the levels."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Optional

import numpy as np

from qsim.errors import ConfigError, QsimError, UsageError

from .cli_args import input_dir, levels_arg, nonneg_int, output_dir, positive_int
from .levels import available_levels

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("fuzz", help="hypothesis campaign over block configs, with shrinking",
                       description="Generate block configs (shapes, datatypes, PE/SIMD, "
                                   "stride/dilation, thresholds, ready patterns), run them "
                                   "through the levels and save each failure as a minimal "
                                   "repro under RESULTS/failures/. --target stitched "
                                   "fuzzes stitched chains and fork/join graphs instead.")
    p.add_argument("--minutes", type=_minutes, default=5.0, help="time budget (default 5)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="campaign seed (default 0)")
    p.add_argument("--target", choices=("block", "stitched"), default="block",
                   help="block: one block config per example (default); stitched: random "
                        "chains and fork/join graphs with random FIFO depths and ready "
                        "patterns, pipeline model against native rtlsim of the stitched top")
    p.add_argument("--levels", default=None,
                   help=f"levels to compare with the model (known: "
                        f"{','.join(available_levels())}; default model,cppsim for "
                        f"--target block, model,rtlsim-stitched for --target stitched)")
    p.add_argument("--results", default=None,
                   help="results dir (default results/fuzz, results/fuzz-stitched for "
                        "--target stitched)")
    p.add_argument("--resume", action="store_true",
                   help="skip rounds of this seed already finished in RESULTS/campaign.jsonl")
    p.add_argument("--max-rounds", type=positive_int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--replay", metavar="FAILURE_DIR", help="re-run one saved failure")
    p.add_argument("--batch", type=positive_int, default=None, metavar="N",
                   help="batched mode: N configs per g++ and Verilator build (every block, "
                        "wide foldings, corner frames, FIFOs and width converters) through "
                        "model, cppsim and rtlsim; a failing config is isolated, saved and "
                        "shrunk, the smallest failing config saved beside it")
    p.set_defaults(func=run)


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive number of minutes")
    return value


def load_failure(d: Path) -> tuple[Any, np.ndarray, Optional[np.ndarray]]:
    """(block config, inputs, ready pattern) of a saved failure folder; UsageError naming the
    folder and file for anything missing or malformed."""
    from .fuzz import load_block

    input_dir(str(d), "--replay")
    try:
        cfg = load_block(d / "config.json")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, QsimError) as exc:
        raise UsageError(f"--replay {str(d)!r}: config.json is not a block config: "
                         f"{type(exc).__name__}: {exc}") from None
    arrays: list[Optional[np.ndarray]] = []
    for fname in ("inputs.npy", "ready.npy"):
        if fname == "ready.npy" and not (d / fname).exists():
            arrays.append(None)
            continue
        try:
            arrays.append(np.load(d / fname, allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise UsageError(f"--replay {str(d)!r}: {fname} cannot be read: {exc}") from None
    x, ready = arrays
    assert x is not None
    try:
        cfg._check_input(x)
    except QsimError as exc:
        raise UsageError(f"--replay {str(d)!r}: inputs.npy does not fit the block: "
                         f"{exc}") from None
    if x.size == 0 or cfg.frames_of(x) == 0:
        raise UsageError(f"--replay {str(d)!r}: inputs.npy holds no frame (shape {x.shape!r})")
    if ready is not None and (ready.ndim != 1 or ready.size == 0):
        raise UsageError(f"--replay {str(d)!r}: ready.npy must be a non-empty 1-D pattern, "
                         f"got shape {ready.shape!r}")
    return cfg, x, ready


_DEFAULTS = {"block": ("model,cppsim", "results/fuzz"),
             "stitched": ("model,rtlsim-stitched", "results/fuzz-stitched")}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .fuzz import BLOCK_TARGET, run_campaign

    console = Console(stderr=True, soft_wrap=True)
    stitched_replay = bool(args.replay) and (Path(args.replay) / "design.json").is_file()
    target_name = "stitched" if stitched_replay else args.target
    args.levels = args.levels or _DEFAULTS[target_name][0]
    args.results = args.results or _DEFAULTS[target_name][1]
    levels = levels_arg(args.levels, available_levels())
    if stitched_replay:
        return _replay_stitched(Path(args.replay), levels, console)
    if args.replay:
        from .blockcheck import check_block

        cfg, x, ready = load_failure(Path(args.replay))
        res = check_block(cfg, x, levels, ready=ready)
        for m in res.mismatches:
            console.print(f"[red]mismatch[/red] {m.describe()}")
        if res.errors:
            console.print("[red]a level crashed[/red]")
            return 3
        console.print("[green]passes now[/green]" if res.passed else "[red]still fails[/red]")
        return 0 if res.passed else 1
    results = output_dir(args.results, "--results")
    if args.batch:
        if args.target != "block":
            raise UsageError("--batch fuzzes block configs: it cannot be combined with "
                             f"--target {args.target!r}")
        return _run_batched(args, results, console)
    target = BLOCK_TARGET
    if args.target == "stitched":
        from .fuzz_stitched import STITCHED_TARGET as target
    with console.status(f"fuzzing ({target.name})") as status:
        def tick(rec: dict[str, Any]) -> None:
            mark = "ok" if rec["pass"] else "FAIL"
            status.update(f"round {rec['round']}: {rec['block']} {mark} ({rec['seconds']} s)")

        summary = run_campaign(results, args.minutes, args.seed, levels,
                               resume=args.resume, on_example=tick, max_rounds=args.max_rounds,
                               target=target)
    console.print(f"fuzz ({target.name}): {summary.tried} configs tried in {summary.rounds} rounds "
                  f"({summary.skipped_rounds} resumed rounds skipped), levels "
                  f"{','.join(levels)}, {len(summary.failures)} failure(s)")
    for fid in summary.failures:
        console.print(f"[red]failure[/red] {args.results}/failures/{fid} (replay: qsim fuzz "
                      f"--replay {args.results}/failures/{fid} --levels {args.levels})")
    return 1 if summary.failures else 0


def _replay_stitched(d: Path, levels: list[str], console: Any) -> int:
    """``--replay`` of a saved stitched failure (design.json, example.json)."""
    from qsim.errors import MismatchError

    from .fuzz_stitched import replay_stitched

    input_dir(str(d), "--replay")
    try:
        outcome = replay_stitched(d, levels)
    except MismatchError as exc:
        console.print(f"[red]mismatch[/red] {exc}")
        console.print("[red]still fails[/red]")
        return 1
    except (OSError, ValueError, KeyError, TypeError, ConfigError) as exc:
        raise UsageError(f"--replay {str(d)!r}: not a stitched failure folder: "
                         f"{type(exc).__name__}: {exc}") from None
    console.print(f"[green]passes now[/green] ({outcome})")
    return 0


def _run_batched(args: argparse.Namespace, results: Path, console: Any) -> int:
    from .fuzz_batch import run_batch_campaign

    with console.status("fuzzing (batched)") as status:
        def tick(rec: dict[str, Any]) -> None:
            status.update(f"batch {rec['batch']}: {rec['passed']}/{rec['configs']} passed, "
                          f"{rec['distinct_so_far']} distinct configs so far")

        s = run_batch_campaign(results, args.minutes, args.seed, size=args.batch,
                               on_batch=tick, max_batches=args.max_rounds)
    console.print(f"fuzz: {s.tried} configs in {s.batches} batches through model,cppsim,rtlsim; "
                  f"{len(s.passed_keys)} distinct (block, shapes, folding, datatypes) passed; "
                  f"{len(s.failures)} failure(s)")
    for fid in s.failures:
        console.print(f"[red]failure[/red] {args.results}/failures/{fid}")
    return 1 if s.failures else 0
