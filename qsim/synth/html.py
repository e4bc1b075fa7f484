"""HTML of the resource counts: a table and a bar chart of each resource against the board
budget (the section of the verify/sign-off report, and the page of ``qsim resources
--report``)."""

from __future__ import annotations

import base64
import html
import io
from typing import Any, Optional

from qsim.synth.boards import board as get_board

__all__ = ["render_page", "render_section"]


def _chart(fit: dict[str, Any]) -> str:
    """Base64 PNG: used / budget per resource, the headroom line dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budget = get_board(fit["board"]).budget()
    names = list(budget)
    pct = [100.0 * fit["used"][n] / budget[n] if budget[n] else 0.0 for n in names]
    limit = 100.0 * (1.0 - fit["headroom"])
    fig, ax = plt.subplots(figsize=(6.5, 2.8), dpi=110)
    ax.barh(names, pct, color=["#c0392b" if p > limit else "#2e86c1" for p in pct])
    ax.axvline(limit, color="#555", linestyle="--", linewidth=1)
    ax.axvline(100.0, color="#000", linewidth=1)
    ax.invert_yaxis()
    ax.set_xlabel(f"% of the {fit['board']} budget (dashed: {limit:.0f}% limit)")
    ax.set_xlim(0, max(105.0, max(pct) * 1.05))
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def render_section(fit: dict[str, Any], report: Optional[dict[str, Any]] = None) -> str:
    """``<h2>Resources</h2>``: the verdict, per-layer table (when ``report`` has layers) and
    the chart. ``fit`` is :meth:`qsim.synth.fit.FitResult.to_json`, ``report``
    :meth:`qsim.synth.resources.ResourceReport.to_json`."""
    e = html.escape
    cls = "pass" if fit["fits"] else "fail"
    verdict = "fits" if fit["fits"] else "does NOT fit"
    parts = [f"<h2>Resources</h2><p class='{cls}'>{verdict} the {e(fit['board'])} with "
             f"{fit['headroom']:.0%} headroom (counts: {e(fit['source'])})</p>"]
    if fit["over"]:
        parts.append("<ul>" + "".join(
            f"<li class='fail'>{e(o['resource'])}: {o['used']:,.1f} used &gt; "
            f"{o['limit']:,.1f} allowed, {o['used'] - o['limit']:,.1f} over</li>"
            for o in fit["over"]) + "</ul>")
    budget = get_board(fit["board"]).budget()
    parts.append("<table><tr><th>resource</th><th>used</th><th>budget</th><th>%</th></tr>"
                 + "".join(f"<tr><td>{n}</td><td>{fit['used'][n]:,.1f}</td><td>{b:,}</td>"
                           f"<td>{100 * fit['used'][n] / b:.1f}</td></tr>"
                           for n, b in budget.items()) + "</table>")
    if report and report.get("layers"):
        parts.append(_layer_table(report))
    parts.append(f"<img alt='resources against the board budget' "
                 f"src='data:image/png;base64,{_chart(fit)}'>")
    return "\n".join(parts)


def _layer_table(report: dict[str, Any]) -> str:
    names = ["LUT", "LUTRAM", "FF", "BRAM36", "BRAM18", "DSP", "CARRY"]
    head = "".join(f"<th>{n}</th>" for n in names)
    rows = [f"<table><tr><th>layer</th><th>block</th>{head}<th>estimate LUT</th>"
            f"<th>estimate BRAM18</th></tr>"]
    entries = list(report["layers"])
    if report.get("stitched"):
        entries.append({"name": "stitched", "block": "top", "yosys": report["stitched"],
                        "estimate": report.get("estimate_total")})
    for r in entries:
        y, est = r.get("yosys"), r.get("estimate")
        cells = "".join(f"<td>{y[n]:,}</td>" if y else "<td>-</td>" for n in names)
        ecells = (f"<td>{est['LUT']:,}</td><td>{est['BRAM18']:,}</td>" if est else
                  "<td>-</td><td>-</td>")
        rows.append(f"<tr><td>{html.escape(r['name'])}</td><td>{r['block']}</td>{cells}"
                    f"{ecells}</tr>")
    rows.append("</table>")
    return "".join(rows)


def render_page(fit: dict[str, Any], report: Optional[dict[str, Any]], title: str) -> str:
    """A standalone page with :func:`render_section`."""
    css = ("body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:"
           "collapse;margin:12px 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px}"
           "th{background:#f3f3f3}.pass{color:#1e8449;font-weight:600}.fail{color:#c0392b;"
           "font-weight:600}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>qsim resources: "
            f"{html.escape(title)}</title><style>{css}</style></head><body><h1>qsim resources: "
            f"{html.escape(title)}</h1>{render_section(fit, report)}</body></html>\n")
