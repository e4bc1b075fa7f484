"""``qsim resources``: per-layer and stitched yosys counts beside the analytic estimate.

:func:`measure` synthesizes each layer's core (its generated AXI-Stream top) and the stitched
top, ``jobs`` yosys runs at a time, each cached by content (:mod:`qsim.synth.synth`), with an
optional progress callback. :class:`ResourceReport` holds the rows, renders the table and the
JSON, and :mod:`qsim.synth.fit` checks it against a board.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from qsim.errors import ConfigError
from qsim.rtlsim.build import DEFAULT_CACHE
from qsim.synth.counts import RESOURCES, Resources
from qsim.synth.estimate import estimate
from qsim.synth.synth import SynthResult, Unit, layer_unit, stitched_unit, synthesize

__all__ = ["LayerRow", "ResourceReport", "measure"]

Progress = Callable[[SynthResult], None]


@dataclass(frozen=True)
class LayerRow:
    """One layer: its block type, yosys counts (None: not synthesized) and the estimate."""

    name: str
    block: str
    synth: Optional[SynthResult]
    estimate: Optional[Resources]


@dataclass
class ResourceReport:
    """Per-layer rows, the stitched top's counts and the estimate's total."""

    design: str
    layers: list[LayerRow]
    stitched: Optional[SynthResult] = None
    notes: list[str] = field(default_factory=list)

    @property
    def estimate_total(self) -> Resources:
        """Sum of the layers' estimates (layers without one count 0)."""
        total = Resources()
        for row in self.layers:
            total = total + (row.estimate or Resources())
        return total

    def used(self) -> tuple[Resources, str]:
        """The counts a fit check uses and where they come from: the stitched top's, else
        the sum of the synthesized layers', else the estimate."""
        if self.stitched is not None:
            return self.stitched.resources, "yosys, stitched top"
        done = [r.synth.resources for r in self.layers if r.synth is not None]
        if done:
            total = Resources()
            for res in done:
                total = total + res
            return total, "yosys, sum of the layers"
        return self.estimate_total, "analytic estimate"

    def to_json(self) -> dict[str, Any]:
        """JSON form (``qsim resources --json``, the HTML report)."""
        def synth(s: Optional[SynthResult]) -> Optional[dict[str, Any]]:
            return None if s is None else {"top": s.top, **s.resources.by_name(),
                                           "seconds": round(s.seconds, 2),
                                           "cpu_seconds": round(s.cpu_seconds, 2),
                                           "cached": s.cached}
        return {"design": self.design,
                "layers": [{"name": r.name, "block": r.block, "yosys": synth(r.synth),
                            "estimate": None if r.estimate is None else r.estimate.by_name()}
                           for r in self.layers],
                "stitched": synth(self.stitched),
                "estimate_total": self.estimate_total.by_name(), "notes": self.notes}

    def table(self) -> list[list[str]]:
        """Rows of the text table: header, one row per layer (yosys / estimate), totals."""
        head = ["layer", "block", *RESOURCES, "estimate LUT", "estimate BRAM18", "yosys s"]
        rows = [head]
        for r in self.layers:
            rows.append([r.name, r.block, *_counts(r.synth), *_est(r.estimate),
                         _secs(r.synth)])
        if self.stitched is not None:
            rows.append(["stitched", self.stitched.top, *_counts(self.stitched),
                         *_est(self.estimate_total), _secs(self.stitched)])
        return rows


def _counts(s: Optional[SynthResult]) -> list[str]:
    if s is None:
        return ["-"] * len(RESOURCES)
    return [f"{v:,}" for v in s.resources.by_name().values()]


def _est(e: Optional[Resources]) -> list[str]:
    return ["-", "-"] if e is None else [f"{e.lut:,}", f"{e.bram18:,}"]


def _secs(s: Optional[SynthResult]) -> str:
    return "-" if s is None else ("cached" if s.cached else f"{s.seconds:.0f}")


def measure(design: Any, per_layer: bool = True, stitched: bool = True, jobs: int = 2,
            cache: Path = DEFAULT_CACHE, timeout: Optional[float] = None,
            progress: Optional[Progress] = None) -> ResourceReport:
    """Synthesize the layers (``per_layer``) and the stitched top (``stitched``) of ``design``.

    Raises
    ------
    ConfigError
        ``jobs`` < 1, or nothing to synthesize.
    SimulationError, ToolchainError
        A yosys run failed (the first failure, naming its unit).
    """
    if jobs < 1:
        raise ConfigError(f"jobs={jobs!r}: at least 1 yosys run at a time")
    report = ResourceReport(design.name, [])
    units: list[Unit] = []
    for la in design.layers:
        try:
            unit = layer_unit(la.name, la.block)
        except ConfigError as exc:
            report.notes.append(f"{la.name}: no RTL core ({exc})")
        else:
            if per_layer:
                units.append(unit)
    if stitched:
        units.append(stitched_unit(design))
    if not units:
        raise ConfigError(f"Design {design.name!r}: nothing to synthesize")
    results: dict[str, SynthResult] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(synthesize, u, cache, timeout): u for u in units}
        for fut in as_completed(futures):
            res = fut.result()
            results[res.unit] = res
            if progress is not None:
                progress(res)
    report.layers = [LayerRow(la.name, type(la.block).__name__, results.get(la.name),
                              estimate(la.block)) for la in design.layers]
    report.stitched = results.get("stitched")
    return report
