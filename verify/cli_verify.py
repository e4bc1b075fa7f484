"""``qsim verify``: run a model through the verification levels and write the reports."""

from __future__ import annotations

import argparse
import hashlib
import shlex
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Union

import numpy as np

from qsim.errors import StreamError

from ._chunked import CHUNK, run_chunked
from .cli_args import input_file, levels_arg, nonneg_int, output_dir, positive_int
from .levels import Context, available_levels
from .runner import VerifyResult

__all__ = ["add_parser", "input_chunks", "load_inputs", "run"]

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_CRASH = 0, 1, 2, 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser("verify", help="cross-check a model through the verification levels",
                       description="Run MODEL.onnx through the chosen levels, compare every "
                                   "layer boundary exactly and write DIR/report.{json,html}. "
                                   "Exit 0 pass, 1 mismatch, 2 bad input, 3 a level crashed, "
                                   "130 interrupted.")
    p.add_argument("model", help="ONNX model (QONNX/Brevitas export, streamlined or FINN "
                                 "dataflow ONNX)")
    p.add_argument("--folding", help="FINN folding_config.json")
    p.add_argument("--levels", default="ref,model,cppsim,rtlsim",
                   help="comma-separated levels (default: %(default)s; known: "
                        f"{','.join(available_levels())})")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--inputs", help="integer inputs .npy of shape (N, *design input shape) "
                                      "(an .npz is refused: save the one array with np.save)")
    src.add_argument("--random", type=positive_int, metavar="N",
                     help="N random inputs (default 8)")
    p.add_argument("--raw-input", default="auto", metavar="TYPE",
                   help="float-input models: 'UINT8' takes raw pixels p (source input p/255, "
                        "the input quantizer as FINN's Thresholding_0 layer); 'none' takes the "
                        "quantizer's integers; 'auto' (default): UINT8 when --folding names "
                        "that layer (FINN's own files), else none")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of --random (default 0)")
    p.add_argument("--report", default="reports/verify", metavar="DIR",
                   help="report directory (default: %(default)s)")
    p.set_defaults(func=run)


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _open_inputs(design: Any, inputs: str) -> np.ndarray:
    """The --inputs array, memory-mapped, with its shape checked (not its values)."""
    shape = tuple(design.input_shape)
    try:
        x = np.load(inputs, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise StreamError(f"--inputs {inputs!r} cannot be read as a .npy array: {exc}") \
            from None
    if not isinstance(x, np.ndarray):  # np.load gives an NpzFile for .npz archives
        raise StreamError(f"--inputs {inputs!r} is an .npz archive; give one .npy array of "
                          f"shape (N, {', '.join(map(str, shape))})")
    if x.ndim == len(shape):
        x = x[None]
    if tuple(x.shape[1:]) != shape:
        raise StreamError(f"--inputs {inputs!r} has shape {x.shape!r}; expected "
                          f"(N, {', '.join(map(str, shape))}) for design input shape "
                          f"{shape!r} (integers, channels last)")
    if x.shape[0] == 0:
        raise StreamError(f"--inputs {inputs!r} holds an empty batch (shape {x.shape!r}): "
                          f"give at least one input")
    return x


def input_chunks(design: Any, inputs: Optional[str], random: Optional[int], seed: int,
                 chunk: int = CHUNK) -> tuple[int, Callable[[], Iterator[np.ndarray]]]:
    """(N, a function yielding the integer inputs in chunks of at most ``chunk``), from a
    .npy file (memory-mapped) or random over idt from ``seed``; each call of the function
    yields the same chunks. The values are checked as each chunk is made."""
    if inputs is not None:
        x = _open_inputs(design, inputs)
        return int(x.shape[0]), lambda: _file_chunks(design, x, inputs, chunk)
    n = 8 if random is None else random
    if n < 1:
        raise StreamError(f"--random {n!r} must be at least 1")
    shape, dt = tuple(design.input_shape), design.idt
    lo, hi = _input_bounds(design)  # only inputs the source model can take (narrow range)

    def from_seed() -> Iterator[np.ndarray]:
        rng = np.random.default_rng(seed)
        for i in range(0, n, chunk):
            size = (min(chunk, n - i),) + shape
            if dt.get_canonical_name() == "BIPOLAR":
                yield rng.integers(0, 2, size) * 2 - 1
            else:
                yield rng.integers(lo, hi + 1, size)

    return n, from_seed


def _input_bounds(design: Any) -> tuple[int, int]:
    """The integer input range of ``design`` (a narrow-range input quantizer's, else idt's)."""
    if hasattr(design, "input_bounds"):
        return tuple(design.input_bounds)  # type: ignore[return-value]
    return int(design.idt.min()), int(design.idt.max())


def _file_chunks(design: Any, x: np.ndarray, inputs: str, chunk: int) -> Iterator[np.ndarray]:
    """The memory-mapped ``x`` in int64 chunks, each checked against the first layer."""
    first = design.layers[0]
    for i in range(0, x.shape[0], chunk):
        part = np.asarray(x[i:i + chunk])
        if part.dtype.kind in "fc" and not bool(np.all(np.isfinite(part))):
            at = tuple(int(v) for v in np.argwhere(~np.isfinite(part))[0])
            raise StreamError(f"--inputs {inputs!r}: input {i + at[0]} holds "
                              f"{complex(part[at]).real!r} at index {at!r}; inputs are integers")
        try:
            first.block._check_input(part.reshape((part.shape[0],) + tuple(first.in_shape)))
            if hasattr(design, "check_input_range"):
                design.check_input_range(part, "input", first=i)
        except StreamError as exc:
            raise StreamError(f"--inputs {inputs!r}, inputs {i}..{i + len(part) - 1}: "
                              f"{exc}") from None
        yield part.astype(np.int64)


def load_inputs(design: Any, inputs: Optional[str], random: Optional[int],
                seed: int) -> np.ndarray:
    """Integer inputs of shape (N, *design.input_shape): from a .npy file or random over idt."""
    _, chunks = input_chunks(design, inputs, random, seed, chunk=1 << 40)
    return np.concatenate(list(chunks()))


def load_design(model: str, folding: Optional[str], inputs: Optional[str],
                random: Optional[int], seed: int) -> tuple[Any, np.ndarray]:
    """The Design of ``model`` (with ``folding``) and its integer inputs; QsimError on bad
    input (missing file, import failure, folding, inputs), which the CLI reports as exit 2."""
    design = _design(model, folding)
    return design, load_inputs(design, inputs, random, seed)


def _design(model: str, folding: Optional[str], raw_input: str = "auto") -> Any:
    from qsim.frontend import load

    input_file(model, "model")
    input_file(folding, "--folding")
    return load(model, folding=folding, raw_input=raw_input)


def run_meta(model: str, folding: Optional[str], seed: int, n: int,
             levels: list[str]) -> dict[str, Any]:
    """What a report records about its run: the inputs' identity (hashes), seed, levels and
    a run id that report.json and report.html both carry (they always come from one run)."""
    return {"run_id": uuid.uuid4().hex, "model": model, "model_sha256": sha256(model),
            "folding": folding, "folding_sha256": sha256(folding) if folding else None,
            "seed": seed, "inputs": int(n), "requested_levels": levels}


def repro_command(args: argparse.Namespace) -> str:
    parts = ["qsim", "verify", args.model]
    if args.folding:
        parts += ["--folding", args.folding]
    if getattr(args, "raw_input", "auto") != "auto":
        parts += ["--raw-input", args.raw_input]
    parts += ["--levels", args.levels]
    if args.inputs:
        parts += ["--inputs", args.inputs]
    else:
        parts += ["--random", str(args.random or 8), "--seed", str(args.seed)]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    """Check every argument, then clear the old report, run the levels and write reports."""
    from rich.console import Console

    from .report import clear_reports, write_reports

    console = Console(stderr=True, soft_wrap=True)
    levels = levels_arg(args.levels, available_levels())
    input_file(args.inputs, "--inputs")
    out = output_dir(args.report, "--report")
    design = _design(args.model, args.folding, getattr(args, "raw_input", "auto"))
    n, chunks = input_chunks(design, args.inputs, args.random, args.seed)
    if args.inputs:  # a pass over the file checks every value before any level runs
        all(True for _ in chunks())
    clear_reports(out)
    ctx = Context(source=args.model, seed=args.seed, out_dir=str(out))
    result = run_with_progress(design, chunks(), levels, ctx, console, n)
    meta = {**run_meta(args.model, args.folding, args.seed, n, levels),
            "repro": repro_command(args)}
    write_reports(result, out, meta)
    print_summary(result, console, out)
    if result.errors:
        return EXIT_CRASH
    return EXIT_OK if result.passed else EXIT_FAIL


def run_with_progress(design: Any, x: Union[np.ndarray, Iterable[np.ndarray]],
                      levels: list[str], ctx: Context, console: Any, n: Optional[int] = None
                      ) -> VerifyResult:
    """Run the levels on ``x`` (one array, or chunks of ``n`` inputs in all) with a
    progress bar per level."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    chunks = [x] if isinstance(x, np.ndarray) else x
    n_chunks = 1 if n is None else max(1, -(-n // CHUNK))
    n_layers = len(design.layers) * n_chunks
    columns = (TextColumn("{task.description:<10}"), BarColumn(),
               TextColumn("{task.fields[layer]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def tick(level: str, layer: str) -> None:
            if level not in tasks:
                tasks[level] = bar.add_task(level, total=n_layers, layer="")
            bar.update(tasks[level], advance=1, layer=layer)

        return run_chunked(design, chunks, levels, ctx, progress=tick)


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
        if name in result.errors:
            status = "[red]ERROR[/red]"
        table.add_row(name, status, str(len(lr.layers)), f"{lr.seconds:.2f}")
    for name, why in result.skipped.items():
        table.add_row(name, "[yellow]skipped[/yellow]", "-", why[:60])
    console.print(table)
    for m in result.mismatches[:5]:
        console.print(f"[red]mismatch[/red] {m.describe()}")
    for why in result.errors.values():
        console.print(f"[red]error[/red] {why}")
    verdict = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
    if result.errors:
        verdict = "[red]ERROR (a level crashed)[/red]"
    console.print(f"{verdict}: reports in {out}/report.json and {out}/report.html")
