"""``qsim fifo-size``: smallest FIFO depths that keep the deep-FIFO timing, as a folding config.

Sizes on the pipeline cycle model (:mod:`qsim.pipeline.fifo_sizing`), prints the steady-state
cycles per sample before and after against the bottleneck layer, writes the input folding
with ``inFIFODepths`` entries added (``qsim.load`` and ``qsim verify --folding`` read them
back), and with ``--check-rtl`` reruns baseline and sized chains in native rtlsim.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qsim.errors import ConfigError, UsageError

from .cli_args import nonneg_int, output_file, positive_int

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("fifo-size", help="size the stitched design's FIFOs on the cycle model",
                       description="Smallest FIFO depth per link that keeps the total cycles "
                                   "(or, with --criterion period, the last sample's period) "
                                   "of deep FIFOs; writes the folding with inFIFODepths.")
    p.add_argument("model")
    p.add_argument("--folding", default=None)
    p.add_argument("--out", required=True, metavar="FOLDING.json",
                   help="where to write the folding config with the sized depths")
    p.add_argument("--samples", type=positive_int, default=4,
                   help="samples simulated (default 4)")
    p.add_argument("--criterion", choices=["cycles", "period"], default="period",
                   help="keep the total cycles or the steady-state period (default)")
    p.add_argument("--check-rtl", action="store_true",
                   help="rerun baseline and sized chains in native rtlsim (builds two models)")
    p.add_argument("--seed", type=nonneg_int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the arguments and the --out path, size the FIFOs, write the folding."""
    from rich.console import Console

    from qsim.pipeline.fifo_sizing import size_fifos

    from .cli_verify import load_design
    from .report import write_text_atomic

    console = Console(stderr=True, soft_wrap=True)
    if args.samples < 2:
        raise ConfigError(f"--samples {args.samples}: at least 2 (a period needs two)")
    out = output_file(args.out, "--out")
    folding = _read_folding(args.folding)
    design, x = load_design(args.model, args.folding, None, args.samples, args.seed)
    sizing = size_fifos(design, samples=args.samples, criterion=args.criterion,
                        progress=lambda m: console.print(f"  {m}"))
    if not _report(console, design, sizing, x, args):
        return 1
    for entry in folding.values():  # the sized inFIFODepths alone set each link's depth
        if isinstance(entry, dict):
            entry.pop("outFIFODepths", None)
    for layer, entry in sizing.folding(design).items():
        folding.setdefault(layer, {}).update(entry)
    write_text_atomic(out, json.dumps(folding, indent=2) + "\n")
    console.print(f"wrote {args.out}")
    return 0


def _report(console: Any, design: Any, sizing: Any, x: Any, args: argparse.Namespace) -> bool:
    """Print the periods before/after (and the native rtlsim check); False if it differs."""
    from qsim.pipeline.fifo_sizing import DEADLOCK_CYCLES, chain_cycles
    from qsim.rtlsim.native_run import check_native

    console.print(sizing.summary())
    n = max(args.samples, 4)
    for label, depths in (("as given", list(design.link_fifo_depths)),
                          ("sized", list(sizing.depths))):
        period = chain_cycles(design, depths, n, "period")
        console.print(f"  {label}: " + ("deadlocks (a fork/join shortcut FIFO is too shallow)"
                                         if period == DEADLOCK_CYCLES else
                                         f"{period} cycles per sample in steady state ({n} "
                                         f"samples)"))
    if not args.check_rtl:
        return True
    base, sized = check_native(design, sizing, x, assertions=False)
    ok = (base, sized) == (sizing.baseline_cycles, sizing.cycles)
    console.print(f"  native rtlsim: baseline {base} cycles, sized {sized} cycles "
                  f"({'equal to' if ok else '[red]DIFFERENT from[/red]'} the model)")
    return ok


def _read_folding(path: Any) -> dict[str, Any]:
    """The --folding JSON object ({} when not given); UsageError naming the file."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--folding {path!r} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"--folding {path!r} is a JSON {type(data).__name__}, not an object")
    return data
