"""Sign-off items beyond the per-layer levels: the stitched design under backpressure, its FIFOs
and width converters in a coverage bench, and the coverage the rtlsim runs collected (see
:mod:`qsim.verify.coverage`).

The stitched run itself is native Verilator (no coverage build): the FIFOs and data-width
converters of the stitched plan (each distinct depth/width of the build once) are simulated in
one cocotb bench with coverage on, under every valid/ready pattern of the block benches plus
a stall burst longer than the deepest FIFO (so every FIFO fills), against their models
(words, cycles, protocol). Their ``qsim_fifo`` / ``qsim_dwc`` rows then join the per-core
coverage, thresholds and waivers as any core's."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import numpy as np

__all__ = ["GLUE_CHECK", "STITCHED_CHECK", "coverage_on", "coverage_items", "glue_item",
           "stitched_item"]

STITCHED_CHECK = ("rtlsim-stitched agrees with the model, cycle-exact under backpressure, "
                  "with the FIFO depths of the build")
COVERAGE_CHECK = "coverage collected for every core"
GLUE_CHECK = ("the stitched design's FIFOs and width converters agree with their models under "
              "every valid/ready pattern (coverage bench)")
_GLUE = ("Fifo", "DataWidthConverter")
#: The downstream pattern of the stitched run: random stalls, p = 0.3.
STALL = 0.3


@contextlib.contextmanager
def coverage_on() -> Iterator[float]:
    """Coverage builds for the cocotb benches inside the block; yields the start time."""
    from qsim.rtlsim.build import COVERAGE_ENV

    old = os.environ.get(COVERAGE_ENV)
    os.environ[COVERAGE_ENV] = "1"
    try:
        yield time.time() - 1.0  # file mtimes have coarse resolution on some filesystems
    finally:
        if old is None:
            del os.environ[COVERAGE_ENV]
        else:
            os.environ[COVERAGE_ENV] = old


def _fifo_depths(st: Any) -> list[int]:
    return [int(n.cfg.depth) for n in st.nodes if type(n.cfg).__name__ == "Fifo"]


def stitched_item(design: Any, x: np.ndarray, model: str, seed: int, out: Path, console: Any
                  ) -> tuple[dict[str, Any], list[Path]]:
    """Run ``model`` and ``rtlsim-stitched`` (the Design's own FIFO depths, the ones the
    bitstream is built with) with the downstream stalling at random (p = 0.3); write
    ``out/report-stitched/`` and return the checklist item and the report files."""
    from qsim.pipeline.plan import stitch
    from qsim.rtlsim.patterns import Pattern

    from ._stitched_level import _rtl_prefix
    from .cli_verify import run_meta, run_with_progress
    from .levels import Context
    from .report import write_reports

    rtl, _ = _rtl_prefix(design)
    st = stitch(rtl)
    n = st.samples_of(x)
    horizon = 4 * (int(st.simulate(n).transfer.max()) + 1) + 256
    ready = np.asarray(Pattern(f"stall{STALL}", p_stall=STALL).ready(
        horizon, np.random.default_rng(seed)), dtype=bool)
    ctx = Context(seed=seed, out_dir=str(out), ready=ready)
    levels = ["model", "rtlsim-stitched"]
    result = run_with_progress(design, x, levels, ctx, console)
    rep = out / "report-stitched"
    write_reports(result, rep, {**run_meta(model, None, seed, len(x), levels),
                                "signoff": True, "ready": f"random stall p={STALL}"})
    problems = [f"{k}: {v}" for k, v in {**result.skipped, **result.errors}.items()]
    problems += [str(m.to_dict()) for m in result.mismatches[:3]]
    detail = (f"{len(st.nodes)} nodes, FIFO depths {_fifo_depths(st)}, {len(x)} vectors, "
              f"downstream stall p={STALL}")
    item = {"name": STITCHED_CHECK, "pass": result.passed and not problems,
            "detail": detail + ("; " + "; ".join(problems) if problems else "")}
    return item, [rep / "report.json", rep / "report.html"]


def _glue_configs(design: Any) -> list[Any]:
    """The distinct FIFO and width-converter configs of the stitched plan (names dropped)."""
    import dataclasses

    from qsim.pipeline.plan import stitch

    from ._stitched_level import _rtl_prefix

    rtl, _ = _rtl_prefix(design)
    found: dict[str, Any] = {}
    for node in stitch(rtl).nodes:
        if type(node.cfg).__name__ in _GLUE:
            cfg = dataclasses.replace(node.cfg, name="")
            found.setdefault(_describe(cfg), cfg)  # by value: the configs compare by id
    return list(found.values())


def _describe(cfg: Any) -> str:
    import dataclasses

    fields = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(cfg).items() if k != "name")
    return f"{type(cfg).__name__}({fields})"


def glue_item(design: Any, seed: int) -> tuple[Optional[dict[str, Any]], list[str]]:
    """Simulate the stitched plan's FIFOs and width converters with coverage on (see the
    module docstring): the checklist item (None when the plan has neither) and the SV
    modules whose coverage rows they add."""
    from qsim.errors import QsimError
    from qsim.rtlsim.check import verify_rtl
    from qsim.rtlsim.patterns import DEFAULT_PATTERNS, Pattern
    from qsim.rtlsim.svgen import core_spec

    cfgs = _glue_configs(design)
    if not cfgs:
        return None, []
    deepest = max([int(getattr(c, "depth", 0)) for c in cfgs] + [1])
    fill = Pattern(f"fill{deepest + 4}", p_stall=0.2, burst=deepest + 4)
    detail = ", ".join(_describe(c) for c in cfgs)
    try:
        with coverage_on():
            rep = verify_rtl(cfgs, frames=4 * deepest + 32, patterns=(*DEFAULT_PATTERNS, fill),
                             seed=seed)
        ok, detail = True, f"{detail}; {rep.cycles} cycles over {len(DEFAULT_PATTERNS) + 1} " \
                           f"patterns"
    except QsimError as exc:
        ok, detail = False, f"{detail}: {exc}"
    modules = sorted({core_spec(c).module for c in cfgs})
    return {"name": GLUE_CHECK, "pass": ok, "detail": detail}, modules


def coverage_items(design: Any, out: Path, since: float, min_line: float, min_toggle: float,
                   waivers: list[Any], extra_modules: Sequence[str] = ()
                   ) -> tuple[list[dict[str, Any]], list[Path]]:
    """Merge the coverage the rtlsim run wrote since ``since`` for the Design's cores; write
    ``out/coverage/`` (coverage.json, coverage.info as LCOV, coverage.html) and return the
    checklist items (one per core, plus "collected") and the files. ``extra_modules``: SV
    modules simulated besides the layers' cores (the stitched FIFOs and width converters)."""
    from qsim.rtlsim.build import DEFAULT_CACHE
    from qsim.rtlsim.svgen import RTL_DIR, core_spec, rtl_sources

    from .coverage import collect_runs, coverage_checks, merge_coverage, write_lcov
    from .report import write_json_atomic, write_text_atomic

    cov = out / "coverage"
    dats = collect_runs(DEFAULT_CACHE, since, cov / "raw")
    specs = [core_spec(la.block) for la in design.layers if hasattr(la.block, "stall_free")]
    modules = [p.stem for p in rtl_sources(*specs)] if specs else []
    modules += [m for m in extra_modules if m not in modules]
    merged = merge_coverage(dats, modules)
    checks = coverage_checks(merged, min_line, min_toggle, waivers, RTL_DIR)
    missing = [m for m, rec in merged.items() if not rec["line"][1] + rec["toggle"][1]]
    checks.insert(0, {"name": COVERAGE_CHECK, "pass": bool(dats) and not missing,
                      "detail": f"{len(dats)} simulation(s), modules {sorted(merged)!r}"
                                + (f"; no points for {missing!r}" if missing else "")})
    write_lcov(cov / "coverage.info", merged, RTL_DIR)
    data = {"min_line": min_line, "min_toggle": min_toggle,
            "waivers": [w.to_dict() for w in waivers], "simulations": len(dats),
            "modules": {m: {k: rec[k] for k in ("file", "line", "toggle")}
                        for m, rec in merged.items()}, "checks": checks}
    write_text_atomic(cov / "coverage.html", _html(checks, min_line, min_toggle))
    write_json_atomic(cov / "coverage.json", data)
    return checks, [cov / "coverage.json", cov / "coverage.info", cov / "coverage.html"]


def _html(checks: list[dict[str, Any]], min_line: float, min_toggle: float) -> str:
    import html

    def cell(v: Any) -> str:
        return "-" if v is None else f"{v:.1f}%"

    rows = "".join(
        f"<tr class='{'ok' if c['pass'] else 'bad'}'><td>{html.escape(c['name'][9:])}</td>"
        f"<td>{cell(c['line'])}</td><td>{cell(c['toggle'])}</td>"
        f"<td>{'pass' if c['pass'] else 'FAIL'}</td><td>{html.escape(c['detail'])}</td></tr>"
        for c in checks if "line" in c)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>qsim sign-off coverage"
            "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
            "collapse}td,th{border:1px solid #999;padding:3px 8px}.ok{background:#efe}.bad"
            "{background:#fdd}</style></head><body><h1>Sign-off coverage per core</h1>"
            f"<p>Verilator line (line + branch points) and toggle coverage, merged over every "
            f"instance and simulation of the sign-off; thresholds line &gt;= {min_line:g}%, "
            f"toggle &gt;= {min_toggle:g}%. LCOV: coverage.info.</p><table><tr><th>core</th>"
            f"<th>line</th><th>toggle</th><th>verdict</th><th>detail</th></tr>{rows}</table>"
            "</body></html>")
