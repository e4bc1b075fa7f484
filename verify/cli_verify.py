"""``qsim verify``: run a model through the verification levels and write the reports."""

from __future__ import annotations

import argparse
import hashlib
import shlex
from pathlib import Path
from typing import Any, Optional

import numpy as np

from qsim.errors import QsimError, StreamError

from .levels import Context, available_levels
from .runner import VerifyResult, run_levels

__all__ = ["add_parser", "load_inputs", "run"]

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("verify", help="cross-check a model through the verification levels",
                       description="Run MODEL.onnx through the chosen levels, compare every "
                                   "layer boundary exactly and write DIR/report.{json,html}.")
    p.add_argument("model", help="ONNX model (QONNX/Brevitas export, streamlined or FINN "
                                 "dataflow ONNX)")
    p.add_argument("--folding", help="FINN folding_config.json")
    p.add_argument("--levels", default="ref,model,cppsim,rtlsim",
                   help="comma-separated levels (default: %(default)s; known: "
                        f"{','.join(available_levels())})")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--inputs", help="integer inputs .npy of shape (N, *design input shape)")
    src.add_argument("--random", type=int, metavar="N", help="N random inputs (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed of --random (default 0)")
    p.add_argument("--report", default="reports/verify", metavar="DIR",
                   help="report directory (default: %(default)s)")
    p.set_defaults(func=run)


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_inputs(design: Any, inputs: Optional[str], random: Optional[int],
                seed: int) -> np.ndarray:
    """Integer inputs of shape (N, *design.input_shape): from a .npy file or random over idt."""
    shape = tuple(design.input_shape)
    if inputs is not None:
        try:
            x = np.load(inputs, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise StreamError(f"--inputs {inputs!r} cannot be read as a .npy array: {exc}") \
                from None
        if x.ndim == len(shape):
            x = x[None]
        if tuple(x.shape[1:]) != shape:
            raise StreamError(f"--inputs {inputs!r} has shape {x.shape!r}; expected "
                              f"(N, {', '.join(map(str, shape))}) for design input shape "
                              f"{shape!r} (integers, channels last)")
        first = design.layers[0]
        first.block._check_input(x.reshape((x.shape[0],) + tuple(first.in_shape)))
        return x.astype(np.int64)
    n = 8 if random is None else random
    if n < 1:
        raise StreamError(f"--random {n!r} must be at least 1")
    rng = np.random.default_rng(seed)
    dt = design.idt
    if dt.get_canonical_name() == "BIPOLAR":
        return rng.integers(0, 2, (n,) + shape) * 2 - 1
    return rng.integers(int(dt.min()), int(dt.max()) + 1, (n,) + shape)


def load_design(model: str, folding: Optional[str], inputs: Optional[str],
                random: Optional[int], seed: int) -> tuple[Any, np.ndarray]:
    """The Design of ``model`` (with ``folding``) and its integer inputs; QsimError on bad
    input (missing file, import failure, folding, inputs), which the CLI reports as exit 2."""
    from qsim.frontend import load

    if not Path(model).is_file():
        raise StreamError(f"model {model!r} does not exist")
    design = load(model, folding=folding)
    return design, load_inputs(design, inputs, random, seed)


def run_meta(model: str, folding: Optional[str], seed: int, x: np.ndarray,
             levels: list[str]) -> dict[str, Any]:
    """What a report records about its run: the inputs' identity (hashes), seed and levels."""
    return {"model": model, "model_sha256": sha256(model), "folding": folding,
            "folding_sha256": sha256(folding) if folding else None, "seed": seed,
            "inputs": int(x.shape[0]), "requested_levels": levels}


def repro_command(args: argparse.Namespace) -> str:
    parts = ["qsim", "verify", args.model]
    if args.folding:
        parts += ["--folding", args.folding]
    parts += ["--levels", args.levels]
    if args.inputs:
        parts += ["--inputs", args.inputs]
    else:
        parts += ["--random", str(args.random or 8), "--seed", str(args.seed)]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .report import write_reports

    console = Console(stderr=True, soft_wrap=True)
    levels = [lv.strip() for lv in args.levels.split(",") if lv.strip()]
    try:
        design, x = load_design(args.model, args.folding, args.inputs, args.random, args.seed)
        unknown = [lv for lv in levels if lv not in available_levels()]
        if not levels:
            raise StreamError(f"--levels names no level; known: {available_levels()!r}")
        if unknown:
            raise StreamError(f"unknown level(s) {unknown!r}; known: {available_levels()!r}")
    except QsimError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return EXIT_BAD_INPUT
    ctx = Context(source=args.model, seed=args.seed, out_dir=args.report)
    result = run_with_progress(design, x, levels, ctx, console)
    meta = {**run_meta(args.model, args.folding, args.seed, x, levels),
            "repro": repro_command(args)}
    write_reports(result, Path(args.report), meta)
    print_summary(result, console, Path(args.report))
    return EXIT_OK if result.passed else EXIT_FAIL


def run_with_progress(design: Any, x: np.ndarray, levels: list[str], ctx: Context,
                      console: Any) -> VerifyResult:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    n_layers = len(design.layers)
    columns = (TextColumn("{task.description:<10}"), BarColumn(),
               TextColumn("{task.fields[layer]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def tick(level: str, layer: str) -> None:
            if level not in tasks:
                tasks[level] = bar.add_task(level, total=n_layers, layer="")
            bar.update(tasks[level], advance=1, layer=layer)

        return run_levels(design, x, levels, ctx, progress=tick)


def print_summary(result: VerifyResult, console: Any, out: Path) -> None:
    from rich.table import Table

    table = Table(title="qsim verify")
    table.add_column("level")
    table.add_column("status")
    table.add_column("layers checked", justify="right")
    table.add_column("seconds", justify="right")
    failed = {m.level for m in result.mismatches}
    for name, lr in result.levels.items():
        status = "[red]FAIL[/red]" if name in failed else "[green]pass[/green]"
        table.add_row(name, status, str(len(lr.layers)), f"{lr.seconds:.2f}")
    for name, why in result.skipped.items():
        table.add_row(name, "[yellow]skipped[/yellow]", "-", why[:60])
    console.print(table)
    for m in result.mismatches[:5]:
        console.print(f"[red]mismatch[/red] {m.describe()}")
    verdict = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
    console.print(f"{verdict}: reports in {out}/report.json and {out}/report.html")
