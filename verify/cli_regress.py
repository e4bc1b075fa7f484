"""``qsim regress``: run a regression suite on a Dask cluster with durable, resumable results."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qsim.errors import UsageError

from .cli_args import output_dir, positive_int

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("regress", help="run a regression suite (SUITE.toml) on a Dask cluster",
                       description="Run every job of SUITE.toml (models x foldings x levels x "
                                   "seeds, fuzz shards, rtlsim-stitched shards, golden cases) "
                                   "as Dask tasks, each a subprocess with its own timeout; "
                                   "results in DIR/jobs, DIR/junit.xml and DIR/report.html. "
                                   "Exit 0 all pass, 1 a job failed, timed out or crashed, "
                                   "2 bad suite or arguments, 130 interrupted (rerun with "
                                   "--resume).")
    p.add_argument("suite", help="suite file (TOML; format in docs/farm.md)")
    p.add_argument("--out", required=True, metavar="DIR", help="results directory")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help="a running dask scheduler (default: a LocalCluster)")
    where.add_argument("--workers", type=positive_int, default=None,
                       help="LocalCluster worker processes, 1 thread each (default 2)")
    p.add_argument("--resume", action="store_true",
                   help="run only the jobs without a result in DIR/jobs")
    p.add_argument("--cache", metavar="CACHE_DIR",
                   help="build cache shared by the workers (default DIR/cache; a worker that "
                        "cannot see it uses a cache of its own machine)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the suite and arguments, run the jobs, print the verdict."""
    from rich.console import Console

    from qsim.farm import FarmOptions, load_suite, run_suite

    console = Console(stderr=True, soft_wrap=True)
    suite = load_suite(args.suite)
    if args.scheduler is not None and not args.scheduler.startswith(("tcp://", "tls://",
                                                                      "inproc://")):
        raise UsageError(f"--scheduler {args.scheduler!r} must be an address like "
                         f"tcp://HOST:8786")
    out = output_dir(args.out, "--out")
    cache = output_dir(args.cache, "--cache") if args.cache else None
    opts = FarmOptions(out=out, scheduler=args.scheduler, workers=args.workers or 2,
                       resume=args.resume, cache=cache)
    summary = run_suite(suite, opts, console)
    _print(summary, console, Path(out))
    return 0 if summary["pass"] else 1


def _print(summary: dict[str, Any], console: Any, out: Path) -> None:
    names = summary["names"]
    counts = ", ".join(f"{v} {k}" for k, v in sorted(summary["counts"].items()))
    console.print(f"regress: {counts} ({summary['skipped']} finished earlier, skipped) in "
                  f"{summary['seconds']:.1f} s on {summary['cluster']}")
    for what in ("new_failures", "fixed", "flaky"):
        for key in summary["diff"][what]:
            console.print(f"{what.replace('_', ' ')}: {names.get(key, key)}")
    verdict = "[green]PASS[/green]" if summary["pass"] else "[red]FAIL[/red]"
    console.print(f"{verdict}: {out}/report.html, {out}/junit.xml")
