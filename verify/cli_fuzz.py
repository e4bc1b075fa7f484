"""``qsim fuzz``: property-based fuzzing of block configs through the levels."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from qsim.errors import QsimError

from .levels import available_levels

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("fuzz", help="hypothesis campaign over block configs, with shrinking",
                       description="Generate block configs (shapes, datatypes, PE/SIMD, "
                                   "stride/dilation, thresholds, ready patterns), run them "
                                   "through the levels and save each failure as a minimal "
                                   "repro under RESULTS/failures/.")
    p.add_argument("--minutes", type=float, default=5.0, help="time budget (default 5)")
    p.add_argument("--seed", type=int, default=0, help="campaign seed (default 0)")
    p.add_argument("--levels", default="model,cppsim",
                   help=f"levels to compare with the model (known: "
                        f"{','.join(available_levels())}; default %(default)s)")
    p.add_argument("--results", default="results/fuzz", help="results dir (default %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="skip rounds of this seed already finished in RESULTS/campaign.jsonl")
    p.add_argument("--max-rounds", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--replay", metavar="FAILURE_DIR", help="re-run one saved failure")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .fuzz import load_block, run_campaign

    console = Console(stderr=True, soft_wrap=True)
    levels = [lv.strip() for lv in args.levels.split(",") if lv.strip()]
    unknown = [lv for lv in levels if lv not in available_levels()]
    if unknown:
        console.print(f"[red]error:[/red] unknown level(s) {unknown!r}; known: "
                      f"{available_levels()!r}")
        return 2
    if args.replay:
        from .blockcheck import check_block

        d = Path(args.replay)
        try:
            cfg = load_block(d / "config.json")
            x = np.load(d / "inputs.npy")
            ready = np.load(d / "ready.npy") if (d / "ready.npy").exists() else None
        except (OSError, ValueError, KeyError, QsimError) as exc:
            console.print(f"[red]error:[/red] cannot read failure {str(d)!r}: {exc}")
            return 2
        res = check_block(cfg, x, levels, ready=ready)
        for m in res.mismatches:
            console.print(f"[red]mismatch[/red] {m.describe()}")
        console.print("[green]passes now[/green]" if res.passed else "[red]still fails[/red]")
        return 0 if res.passed else 1
    with console.status("fuzzing") as status:
        def tick(rec: dict[str, Any]) -> None:
            mark = "ok" if rec["pass"] else "FAIL"
            status.update(f"round {rec['round']}: {rec['block']} {mark} ({rec['seconds']} s)")

        summary = run_campaign(Path(args.results), args.minutes, args.seed, levels,
                               resume=args.resume, on_example=tick, max_rounds=args.max_rounds)
    console.print(f"fuzz: {summary.tried} configs tried in {summary.rounds} rounds "
                  f"({summary.skipped_rounds} resumed rounds skipped), levels "
                  f"{','.join(levels)}, {len(summary.failures)} failure(s)")
    for fid in summary.failures:
        console.print(f"[red]failure[/red] {args.results}/failures/{fid} (replay: qsim fuzz "
                      f"--replay {args.results}/failures/{fid} --levels {args.levels})")
    return 1 if summary.failures else 0
