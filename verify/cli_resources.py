"""``qsim resources``: yosys resource counts per layer and of the stitched top, an analytic
estimate beside them and the fit check against a board (see :mod:`qsim.synth`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .cli_args import input_file, output_dir, positive_int

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("resources", help="synthesize with yosys (xc7) and count resources",
                       description="yosys synth_xilinx -family xc7 on each layer's core and on "
                                   "the stitched top (cached by content), an analytic "
                                   "FINN-R estimate beside the counts, and the fit check "
                                   "against the board budget.")
    p.add_argument("model")
    p.add_argument("--folding", default=None)
    p.add_argument("--per-layer", action="store_true",
                   help="also synthesize every layer's core on its own")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--board", default="pynq-z2", help="board budget (default pynq-z2)")
    p.add_argument("--headroom", type=float, default=0.1,
                   help="fraction of each resource kept free (default 0.1)")
    p.add_argument("--jobs", type=positive_int, default=2,
                   help="yosys runs at a time (default 2)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per yosys run (default: none)")
    p.add_argument("--report", default=None, metavar="DIR",
                   help="write DIR/resources.json and DIR/resources.html (table + chart)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """0: the design fits the board, 1: it does not. Bad input raises a QsimError (exit 2
    through the CLI boundary, e.g. an unknown board naming the known ones), a yosys crash
    SimulationError/ToolchainError (exit 3)."""
    from rich.console import Console

    from qsim.synth import board as get_board
    from qsim.synth.fit import check_headroom, estimate_refusal, fit

    from .cli_verify import load_design

    console = Console(stderr=True, soft_wrap=True)
    brd = get_board(args.board)
    check_headroom(args.headroom)
    input_file(args.model, "model")
    input_file(args.folding, "--folding")
    report_dir = output_dir(args.report, "--report") if args.report else None
    design, _ = load_design(args.model, args.folding, None, 1, 0)
    refused = estimate_refusal(design, brd, args.headroom)
    if refused is not None:
        console.print(f"[red]refused:[/red] {refused.summary()}")
        if args.json:
            print(json.dumps({"fit": refused.to_json()}, indent=1))
        return 1
    report = _measure(design, args, console)
    used, source = report.used()
    verdict = fit(used, source, brd, args.headroom)
    if args.json:
        print(json.dumps({**report.to_json(), "fit": verdict.to_json()}, indent=1))
    else:
        _print_table(report.table())
        for note in report.notes:
            console.print(f"note: {note}")
    if report_dir is not None:
        _write_report(report_dir, report.to_json(), verdict.to_json(), args.model)
    color = "green" if verdict.fits else "red"
    console.print(f"[{color}]{verdict.summary()}[/{color}]")
    return 0 if verdict.fits else 1


def _measure(design: Any, args: argparse.Namespace, console: Any) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from qsim.synth import measure

    total = (len(design.layers) if args.per_layer else 0) + 1
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), console=console,
                  transient=False) as bar:
        task = bar.add_task("yosys synth_xilinx", total=total)

        def done(res: Any) -> None:
            how = "cached" if res.cached else f"{res.seconds:.0f} s"
            bar.update(task, advance=1, description=f"yosys: {res.unit} done ({how})")

        return measure(design, per_layer=args.per_layer, jobs=args.jobs,
                       timeout=args.timeout, progress=done)


def _write_report(out: Path, report: dict[str, Any], fit: dict[str, Any], title: str) -> None:
    from qsim.synth.html import render_page

    out.mkdir(parents=True, exist_ok=True)
    (out / "resources.json").write_text(json.dumps({**report, "fit": fit}, indent=1) + "\n")
    (out / "resources.html").write_text(render_page(fit, report, title))


def _print_table(rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*rows[0])
    for row in rows[1:]:
        table.add_row(*row)
    console = Console()
    if not console.is_terminal:  # a pipe or file: never squeeze the numbers
        console = Console(width=200)
    console.print(table)
