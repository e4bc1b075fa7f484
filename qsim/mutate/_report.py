"""A campaign's summary: OUT/summary.json and a self-contained OUT/report.html.

Kill rate of a core = (killed + timeout) / (killed + timeout + survived): invalid mutants (they
do not build) are not mutants of the design and stay out of it, and so do ``equivalent`` ones.
A mutant is ``equivalent`` only with a proof (``qsim mutate --prove``: a yosys miter of the
original and the mutant proved by ABC's PDR from reset, its log in ``OUT/proofs/<id>.log``);
without one a survivor stays a survivor.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any

from qsim import __version__

__all__ = ["summarize", "write_summary"]

_KILLED = ("killed", "timeout")
_VERDICTS = ("killed", "timeout", "survived", "equivalent", "invalid")


def _rate(counts: Counter[str]) -> float | None:
    judged = sum(counts[v] for v in (*_KILLED, "survived"))
    return round(sum(counts[v] for v in _KILLED) / judged, 4) if judged else None


def summarize(records: dict[str, dict[str, Any]], plan: dict[str, list[Any]],
              meta: dict[str, Any]) -> dict[str, Any]:
    """Per-core and total counts, kill rates, the survivors with their diffs."""
    planned = {m.id for ms in plan.values() for m in ms}
    recs = [r for r in records.values() if r["id"] in planned]
    cores = {}
    total: Counter[str] = Counter()
    for core in plan:
        counts = Counter(r["verdict"] for r in recs if r["core"] == core)
        total.update(counts)
        by_op: dict[str, Counter[str]] = {}
        for r in recs:
            if r["core"] == core:
                by_op.setdefault(r["op"], Counter())[r["verdict"]] += 1
        cores[core] = {"planned": len(plan[core]), "run": sum(counts.values()),
                       **{v: counts[v] for v in _VERDICTS},
                       "kill_rate": _rate(counts),
                       "by_operator": {op: dict(c) for op, c in sorted(by_op.items())}}
    survivors = [{**{k: r[k] for k in ("id", "core", "file", "line", "op", "before", "after")},
                  "proof": r.get("proof"), "proof_reason": r.get("proof_reason")}
                 for r in sorted(recs, key=lambda r: r["id"]) if r["verdict"] == "survived"]
    return {"qsim_version": __version__, **meta, "cores": cores,
            "total": {"planned": len(planned), "run": len(recs),
                      **{v: total[v] for v in _VERDICTS},
                      "kill_rate": _rate(total)},
            "survivors": survivors,
            "equivalents": [{k: r.get(k) for k in ("id", "core", "file", "line", "op", "before",
                                                   "after", "proof_log", "proof_configs")}
                            for r in sorted(recs, key=lambda r: r["id"])
                            if r["verdict"] == "equivalent"],
            "complete": len(recs) == len(planned)}


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


def render_html(summary: dict[str, Any]) -> str:
    """The campaign as one HTML page: kill rate per core, then every survivor's diff."""
    esc = html.escape
    rows = "".join(
        f"<tr class='{'ok' if (c['kill_rate'] or 0) >= 0.95 else 'bad'}'><td>{esc(core)}</td>"
        f"<td>{c['planned']}</td><td>{c['run']}</td><td>{c['killed'] + c['timeout']}</td>"
        f"<td>{c['survived']}</td><td>{c['equivalent']}</td><td>{c['invalid']}</td>"
        f"<td>{_pct(c['kill_rate'])}</td></tr>"
        for core, c in summary["cores"].items())
    t = summary["total"]
    surv = "".join(
        f"<h3>{esc(s['id'])}</h3><pre>--- {esc(s['file'])}:{s['line']}\n+++ ({esc(s['op'])})\n"
        f"-{esc(s['before'])}\n+{esc(s['after'])}</pre>" for s in summary["survivors"])
    eqv = "".join(
        f"<li>{esc(s['id'])}: <code>{esc(s['after'].strip())}</code>, proof "
        f"<a href='{esc(str(s['proof_log']))}'>{esc(str(s['proof_log']))}</a></li>"
        for s in summary["equivalents"])
    state = "complete" if summary["complete"] else "INCOMPLETE (rerun to resume)"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>qsim mutate</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:3px 8px;text-align:right}"
        "td:first-child{text-align:left}.ok td:last-child{background:#cfc}"
        ".bad td:last-child{background:#fcc}pre{background:#f4f4f4;padding:6px}</style></head>"
        f"<body><h1>qsim mutate</h1><p>qsim {esc(str(summary['qsim_version']))}, seed "
        f"{summary.get('seed')}, {summary.get('per_core')} mutants per core, campaign {state}, "
        f"{summary.get('seconds', 0):.0f} s wall.</p>"
        "<p>Kill rate = (killed + timeout) / (killed + timeout + survived); invalid mutants "
        "(rejected by Verilator) and equivalent ones (proved, log linked) are left out. A "
        "survivor is listed until a new test kills it or a proof shows it equivalent.</p>"
        "<table><tr><th>core</th><th>planned</th><th>run</th><th>killed</th><th>survived</th>"
        "<th>equivalent</th><th>invalid</th><th>kill rate</th></tr>"
        f"{rows}<tr><th>total</th><th>{t['planned']}"
        f"</th><th>{t['run']}</th><th>{t['killed'] + t['timeout']}</th><th>{t['survived']}"
        f"</th><th>{t['equivalent']}</th><th>{t['invalid']}</th><th>{_pct(t['kill_rate'])}"
        "</th></tr></table>"
        f"<h2>Survivors ({len(summary['survivors'])})</h2>{surv or '<p>none</p>'}"
        f"<h2>Proved equivalent ({len(summary['equivalents'])})</h2>"
        f"{'<ul>' + eqv + '</ul>' if eqv else '<p>none</p>'}"
        "</body></html>")


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    """OUT/report.html then OUT/summary.json, each written atomically."""
    from qsim.verify.report import write_json_atomic, write_text_atomic

    write_text_atomic(Path(out) / "report.html", render_html(summary))
    write_json_atomic(Path(out) / "summary.json", summary)
