"""Reports of a farm run: DIR/junit.xml (one testcase per job), DIR/summary.json and
DIR/report.html (verdict, diff against the previous run, job matrix, failures with their
one-line repro, every job with its time, log and waveforms)."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from qsim.verify.report import _CSS, write_text_atomic

__all__ = ["render_html", "write_junit"]

_CLS = {"pass": "pass", "fail": "fail", "error": "error", "timeout": "error",
        "pending": "skip"}


def write_junit(path: Path, results: list[dict[str, Any]], suite: str) -> None:
    """JUnit XML: a failure element for "fail", an error element for "error"/"timeout"."""
    bad = {s: sum(r["status"] == s for r in results) for s in ("fail", "error", "timeout")}
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=f"qsim regress {suite}", tests=str(len(results)),
                       failures=str(bad["fail"]), errors=str(bad["error"] + bad["timeout"]),
                       time=f"{sum(float(r.get('seconds', 0)) for r in results):.3f}")
    for r in results:
        tc = ET.SubElement(ts, "testcase", classname=f"qsim.regress.{r['kind']}",
                           name=r["name"], time=f"{float(r.get('seconds', 0)):.3f}")
        if r["status"] == "fail":
            el = ET.SubElement(tc, "failure", message=f"exit {r['returncode']}: {r['repro']}")
        elif r["status"] == "timeout":
            el = ET.SubElement(tc, "error", type="timeout",
                               message=f"timeout after {r['timeout']:g} s: {r['repro']}")
        elif r["status"] != "pass":
            el = ET.SubElement(tc, "error", message=f"exit {r['returncode']}: {r['repro']}")
        else:
            continue
        el.text = r.get("log_tail", "")
    ET.indent(root)
    write_text_atomic(path, ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")


def _status(r: dict[str, Any]) -> str:
    s = r["status"]
    text = f"TIMEOUT ({r['timeout']:g} s)" if s == "timeout" else s.upper()
    return f"<span class='{_CLS.get(s, 'error')}'>{html.escape(text)}</span>"


def _matrix(results: list[dict[str, Any]]) -> str:
    """verify jobs: a row per (model, folding), a column per (levels, seed)."""
    e = html.escape
    cells: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    cols: list[str] = []
    for r in results:
        if r["kind"] != "verify":
            continue
        words = r["name"].split(" ")
        model, fold, levels, seed = words[1:5] if len(words) == 5 else (r["name"], "", "", "")
        col = f"{levels} {seed}"
        cols += [col] if col not in cols else []
        cells.setdefault((model, fold), {})[col] = r
    if not cells:
        return ""
    rows = ["<h2>Job matrix</h2><table><tr><th>model</th><th>folding</th>"
            + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr>"]
    for (model, fold), row in cells.items():
        tds = "".join(f"<td><a href='{e(row[c]['log'])}'>{_status(row[c])}</a></td>"
                      if c in row else "<td class='skip'>-</td>" for c in cols)
        rows.append(f"<tr><td>{e(model)}</td><td>{e(fold)}</td>{tds}</tr>")
    return "\n".join(rows) + "</table>"


def _waves(out: Path, key: str) -> str:
    work = out / "work" / key
    files = sorted(p for ext in ("*.vcd", "*.fst") for p in work.rglob(ext)) \
        if work.is_dir() else []
    return " ".join(f"<a href='{html.escape(str(p.relative_to(out)))}'>{html.escape(p.name)}</a>"
                    for p in files[:4])


def _diff(diff: dict[str, list[str]], names: dict[str, str]) -> str:
    e = html.escape
    parts = ["<h2>Against the previous run</h2><ul>"]
    for what, cls in (("new_failures", "fail"), ("fixed", "pass"), ("flaky", "error")):
        keys = diff.get(what, [])
        listed = ", ".join(e(names.get(k, k)) for k in keys) or "none"
        parts.append(f"<li><span class='{cls}'>{what.replace('_', ' ')}</span> "
                     f"({len(keys)}): {listed}</li>")
    return "\n".join(parts) + "</ul>"


def render_html(out: Path, results: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    """The self-contained summary page (links are relative to DIR)."""
    e = html.escape
    counts = summary["counts"]
    verdict = "PASS" if summary["pass"] else "FAIL"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>qsim regress: "
             f"{e(summary['suite'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>qsim regress</h1><div class='verdict {'pass' if summary['pass'] else 'fail'}'>"
             f"{verdict}</div><p>Suite <code>{e(summary['suite'])}</code>, "
             f"{len(results)} jobs: " + ", ".join(f"{v} {k}" for k, v in counts.items())
             + f"; wall {summary['seconds']:.1f} s on {e(summary['cluster'])}, run "
             f"<code>{e(summary['run_id'])}</code>.</p>"]
    parts.append(_diff(summary["diff"], {r["key"]: r["name"] for r in results}))
    parts.append(_matrix(results))
    failed = [r for r in results if r["status"] not in ("pass", "pending")]
    if failed:
        parts.append("<h2>Failures</h2><ul>")
        parts += [f"<li>{_status(r)} {e(r['name'])}: <code>{e(r['repro'])}</code> "
                  f"(<a href='{e(r['log'])}'>log</a>)</li>" for r in failed]
        parts.append("</ul>")
    parts.append("<h2>Jobs</h2><table><tr><th>job</th><th>status</th><th>seconds</th>"
                 "<th>host</th><th>log</th><th>waveforms</th></tr>")
    for r in results:
        log = f"<a href='{e(r['log'])}'>log</a>" if r.get("log") else ""
        parts.append(f"<tr><td>{e(r['name'])}</td><td>{_status(r)}</td>"
                     f"<td>{float(r.get('seconds', 0)):.1f}</td><td>{e(str(r.get('host', '')))}"
                     f"</td><td>{log}</td><td>{_waves(out, r['key'])}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts)
