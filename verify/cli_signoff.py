"""``qsim signoff`` and the gate ``qsim bitstream`` (see :mod:`qsim.verify.signoff`)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any, Optional

from qsim.errors import QsimError

from .cli_args import input_dir, input_file, nonneg_int, output_dir, positive_int
from .coverage import DEFAULT_MIN_LINE, DEFAULT_MIN_TOGGLE, DEFAULT_WAIVERS

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("signoff", help="run the whole sign-off checklist and write a manifest",
                       description="All levels agree on N vectors (rtlsim under the full "
                                   "backpressure sweep, cycle-exact, no protocol assertion), "
                                   "the generated RTL lints clean; writes OUT/manifest.json "
                                   "binding the hashes of model, folding, generated RTL/HLS "
                                   "and the report.")
    p.add_argument("model")
    p.add_argument("--folding", required=True)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--vectors", type=positive_int, default=16,
                   help="random vectors (default 16)")
    p.add_argument("--seed", type=nonneg_int, default=0)
    _fit_args(p)
    p.add_argument("--min-line", type=_percent, default=DEFAULT_MIN_LINE,
                   help="line coverage every core must reach, in %% (default %(default)s)")
    p.add_argument("--min-toggle", type=_percent, default=DEFAULT_MIN_TOGGLE,
                   help="toggle coverage every core must reach, in %% (default %(default)s)")
    p.add_argument("--waivers", metavar="FILE", default=None,
                   help="JSON list of coverage waivers {module, kind: line|toggle, reason[, "
                        "match: [line substrings]]}; recorded in the checklist and the "
                        "manifest (default: qsim/rtl/coverage_waivers.json)")
    p.set_defaults(func=run_signoff)
    b = sub.add_parser("bitstream", help="build a Pynq-Z2 bitstream (refuses without sign-off)",
                       description="Checks that OUT holds a passing sign-off manifest for this "
                                   "exact model and folding before any bitstream step.")
    b.add_argument("model")
    b.add_argument("--folding", required=True)
    b.add_argument("--signoff", required=True, metavar="DIR")
    b.add_argument("--out", metavar="PKG",
                   help="write the board package (hw/, driver/, vectors.npz) into PKG")
    b.add_argument("--fclk", type=float, default=100.0, help="FCLK0 in MHz (default 100)")
    b.add_argument("--board", default="pynq-z2",
                   help="target board (pynq-z2); also the budget of the fit check")
    _headroom_arg(b)
    b.set_defaults(func=run_bitstream)


def _fit_args(p: Any) -> None:
    p.add_argument("--board", default="pynq-z2", help="board budget of the fit check")
    _headroom_arg(p)


def _headroom_arg(p: Any) -> None:
    p.add_argument("--headroom", type=float, default=0.1,
                   help="fit check: fraction of each resource kept free (default 0.1)")


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"{value!r} must be a percentage in [0, 100]")
    return value


def _generate(design: Any, out: Path) -> tuple[list[Path], list[dict[str, Any]]]:
    """Write the RTL (per-layer package + top, hand-written cores) and the HLS top into
    ``out``; lint every layer's top. Returns (files, lint check records)."""
    from qsim.cppsim.codegen import generate_source
    from qsim.rtlsim.build import lint_sources
    from qsim.rtlsim.svgen import (
        core_spec,
        render_package,
        render_top,
        rtl_sources,
        write_mem_files,
    )

    rtl, hls = out / "rtl", out / "hls"
    rtl.mkdir(parents=True, exist_ok=True)
    hls.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    checks = []
    blocks = {}
    for layer in design.layers:
        if not hasattr(layer.block, "stall_free"):
            checks.append({"name": f"RTL for {layer.name}", "pass": False,
                           "detail": f"no RTL core for {type(layer.block).__name__}"})
            continue
        blocks[layer.name] = layer.block
        spec = core_spec(layer.block)
        # file names follow the module names (lint DECLFILENAME); the manifest maps layers
        pkg, top = rtl / f"{spec.tag}_pkg.sv", rtl / f"{spec.tag}.sv"
        pkg.write_text(render_package(spec))
        top.write_text(render_top(spec))
        mems = write_mem_files([spec], rtl)  # weights/thresholds ($readmemh)
        srcs = []
        for src in rtl_sources(spec):
            dst = rtl / src.name
            shutil.copyfile(src, dst)
            srcs.append(dst)
        try:
            lint_sources([pkg, *srcs, top], spec.tag)
            checks.append({"name": f"lint {layer.name}", "pass": True, "detail": spec.tag})
        except QsimError as exc:
            checks.append({"name": f"lint {layer.name}", "pass": False, "detail": str(exc)})
        files += [pkg, top, *srcs, *mems]
    cpp = hls / "top.cpp"
    cpp.write_text(generate_source(blocks))
    files.append(cpp)
    return sorted(set(files)), checks


def run_signoff(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ._signoff_stitched import coverage_on
    from .cli_verify import load_design, run_meta, run_with_progress
    from .coverage import load_waivers
    from .levels import Context
    from .report import write_reports
    from .signoff import fit_check, manifest_path, write_manifest

    console = Console(stderr=True, soft_wrap=True)
    out = output_dir(args.out, "--out")
    waivers_file = getattr(args, "waivers", None) or str(DEFAULT_WAIVERS)
    input_file(waivers_file, "--waivers")
    waivers = load_waivers(waivers_file)
    design, x = load_design(args.model, args.folding, None, args.vectors, args.seed)
    manifest_path(out).unlink(missing_ok=True)  # a stale manifest never outlives a new run
    fit = fit_check(design, args.board, args.headroom)
    files, checks = _generate(design, out)
    levels = ["ref", "model", "cppsim", "rtlsim"]
    ctx = Context(source=args.model, seed=args.seed, out_dir=str(out), sweep=True)
    with coverage_on() as since:  # rtlsim's benches built with line + toggle coverage
        result = run_with_progress(design, x, levels, ctx, console)
    meta = {**run_meta(args.model, args.folding, args.seed, len(x), levels), "signoff": True,
            "resources": fit.get("fit")}
    write_reports(result, out / "report", meta)
    checks += _summary_checks(result) + [fit]
    files += [out / "report" / "report.json", out / "report" / "report.html"]
    more_checks, more_files = _stitched_and_coverage(args, design, x, out, since, waivers,
                                                     console)
    checks += more_checks
    files += more_files
    manifest = write_manifest(out, args.model, args.folding, checks, files,
                              extra={"coverage_waivers": [w.to_dict() for w in waivers]})
    _print_checklist(console, checks, manifest["pass"], out)
    if result.errors:  # a crashed level: exit 3, as for `qsim verify`
        console.print(f"[red]crashed:[/red] {'; '.join(result.errors.values())}")
        return 3
    return 0 if manifest["pass"] else 1


def _print_checklist(console: Any, checks: list[dict[str, Any]], passed: bool, out: Path
                     ) -> None:
    """Every item (with its detail when it failed, and always for coverage), the verdict."""
    from rich.markup import escape

    for c in checks:
        mark = "[green]pass[/green]" if c["pass"] else "[red]FAIL[/red]"
        shown = c.get("detail") and (not c["pass"] or c["name"].startswith("coverage "))
        text = escape(f"{c['name']}" + (f": {c['detail']}" if shown else ""))
        console.print(f"{mark} {text}", highlight=False)
    verdict = "[green]SIGNED OFF[/green]" if passed else "[red]NOT SIGNED OFF[/red]"
    console.print(f"{verdict}: manifest {out / 'manifest.json'}")


def _stitched_and_coverage(args: argparse.Namespace, design: Any, x: Any, out: Path,
                           since: float, waivers: list[Any], console: Any
                           ) -> tuple[list[dict[str, Any]], list[Path]]:
    """The checklist items after the per-layer levels: the stitched run under backpressure,
    its FIFOs and width converters in a coverage bench, and the coverage per core (the
    FIFO and width-converter modules included; files: their reports)."""
    from ._signoff_stitched import coverage_items, glue_item, stitched_item

    stitched, st_files = stitched_item(design, x, args.model, args.seed, out, console)
    glue, glue_modules = glue_item(design, args.seed)
    cov_checks, cov_files = coverage_items(
        design, out, since, getattr(args, "min_line", DEFAULT_MIN_LINE),
        getattr(args, "min_toggle", DEFAULT_MIN_TOGGLE), waivers, glue_modules)
    return [stitched, *([glue] if glue else []), *cov_checks], st_files + cov_files


def _summary_checks(result: Any) -> list[dict[str, Any]]:
    """The four checklist items judged on the verification result."""
    skipped = [f"{k}: {v}" for k, v in result.skipped.items()] + list(result.errors.values())
    return [
        {"name": "all levels ran", "pass": not skipped, "detail": "; ".join(skipped)},
        {"name": "all levels agree bit-exactly at every layer", "pass": not any(
            c["kind"] == "values" and not c["pass"] for c in result.checks) and not any(
            m.reason != "cycle" and m.level != "rtlsim" for m in result.mismatches)},
        {"name": "rtlsim cycle-exact and protocol-clean under the backpressure sweep",
         "pass": "rtlsim" in result.levels and not any(
             m.level == "rtlsim" for m in result.mismatches)},
        {"name": "verification passed", "pass": result.passed},
    ]


def run_bitstream(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .signoff import require_signoff

    console = Console(stderr=True, soft_wrap=True)
    input_file(args.model, "model")
    input_file(args.folding, "--folding")
    input_dir(args.signoff, "--signoff")
    refusal = _fit_refusal(args)
    if refusal is None:
        # a refusal is a SignoffError: exit 2 (bad input) through the CLI boundary
        manifest = require_signoff(args.model, args.folding, Path(args.signoff))
        refusal = _recorded_fit_refusal(manifest, args)
    if refusal is not None:  # a design that does not fit never gets to a bitstream
        console.print(f"[red]refused:[/red] {refusal}")
        return 1
    if args.out is not None:
        from qsim.board.package import write_package

        pkg = write_package(args.model, args.folding, Path(args.signoff), Path(args.out),
                            args.fclk, args.board, manifest)
        console.print(f"sign-off manifest OK; board package written to {pkg} (build the "
                      f"bitstream there with `sh hw/build.sh` where Vivado is installed)")
        return 0
    if shutil.which("vivado") is None:
        console.print("sign-off manifest OK; Vivado is not installed on this machine, so the "
                      "bitstream itself cannot be built here (run this command where "
                      "`vivado` is on PATH)")
        return 2
    console.print("sign-off manifest OK; Vivado found, but qsim does not drive the Vivado "
                  "build yet (see docs/verify.md)")
    return 2


def _fit_refusal(args: argparse.Namespace) -> Optional[str]:
    """Why the design cannot fit from its analytic estimate alone (over twice the board), or
    None. No synthesis here; a folding that does not load is left to the manifest check."""
    from qsim.synth import board, estimate_refusal
    from qsim.synth.fit import check_headroom

    from .cli_verify import load_design

    brd = board(args.board)
    check_headroom(args.headroom)
    try:
        design, _ = load_design(args.model, args.folding, None, 1, 0)
    except QsimError:
        return None  # never signed off in this form: require_signoff refuses it
    verdict = estimate_refusal(design, brd, args.headroom)
    return None if verdict is None else verdict.summary()


def _recorded_fit_refusal(manifest: dict[str, Any], args: argparse.Namespace
                          ) -> Optional[str]:
    """The sign-off's yosys counts (its fit item) against --board/--headroom: why they do not
    fit, or None."""
    from qsim.synth import board
    from qsim.synth.fit import excess

    recorded = [c["fit"] for c in manifest.get("checks", []) if isinstance(c, dict)
                and isinstance(c.get("fit"), dict)]
    if not recorded:
        return None  # the sign-off's fit item passed without counts (cannot happen today)
    fit = recorded[0]
    over = excess(fit.get("used", {}), board(args.board), args.headroom)
    if not over:
        return None
    return (f"does not fit {args.board} with {args.headroom:.0%} headroom (signed-off counts, "
            f"{fit.get('source')}): " + "; ".join(str(e) for e in over))
