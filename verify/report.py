"""Reports of a verification run: DIR/report.json (machine-readable) and DIR/report.html
(self-contained: layer table, cycle chart with the bottleneck marked, level x layer matrix)."""

from __future__ import annotations

import base64
import html
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from qsim import __version__
from qsim.models._dtypes import name as dt_name

from .runner import VerifyResult

__all__ = ["clear_reports", "layer_table", "write_json_atomic", "write_reports",
           "write_text_atomic"]



def layer_table(design: Any) -> list[dict[str, Any]]:
    """Per layer: block, shapes, types, folding and stall-free cycles per input sample."""
    rows = []
    for layer in design.layers:
        b = layer.block
        per_sample = None
        if hasattr(b, "stall_free"):
            frames = int(np.prod(layer.in_shape)) // int(np.prod(b.in_frame_shape))
            per_sample = int(b.stall_free().period) * frames
        rows.append({"name": layer.name, "block": type(b).__name__,
                     "in_shape": list(layer.in_shape), "out_shape": list(layer.out_shape),
                     "idt": dt_name(b.idt), "odt": dt_name(b.odt),
                     "pe": getattr(b, "pe", None), "simd": getattr(b, "simd", None),
                     "cycles_per_sample": per_sample})
    known = [r["cycles_per_sample"] for r in rows if r["cycles_per_sample"] is not None]
    worst = max(known) if known else None
    for r in rows:
        r["bottleneck"] = worst is not None and r["cycles_per_sample"] == worst
    return rows


def to_json(result: VerifyResult, meta: dict[str, Any]) -> dict[str, Any]:
    levels: dict[str, Any] = {}
    for name, why in result.skipped.items():
        levels[name] = {"status": "skipped", "reason": why}
    failed = {(m.level, m.layer) for m in result.mismatches}
    for name, lr in result.levels.items():
        if name in result.errors:  # a crashed level verified nothing: never "pass"
            levels[name] = {"status": "error", "error": result.errors[name],
                            "seconds": round(lr.seconds, 4), "notes": lr.notes, "layers": {}}
            continue
        layers = {}
        for lname, run in lr.layers.items():
            layers[lname] = {"pass": (name, lname) not in failed, "cycles": run.cycles,
                             "trip_count": run.trip_count, "waveform": run.waveform}
        status = "fail" if any((name, ln) in failed for ln in lr.layers) else "pass"
        levels[name] = {"status": status, "seconds": round(lr.seconds, 4), "notes": lr.notes,
                        "layers": layers}
    return {"qsim_version": __version__, **meta, "pass": result.passed,
            "verdict": "ERROR" if result.errors else ("PASS" if result.passed else "FAIL"),
            "levels": levels, "layers": layer_table(result.design),
            "mismatches": [m.to_dict() for m in result.mismatches], "checks": result.checks}


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` through a temporary file, fsync and a rename: after a crash or a
    ``kill -9`` the file is either the old one, the new one or absent, never half written."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(data, indent=2, default=_default))


def clear_reports(out_dir: Path) -> None:
    """Retire the previous run's reports at the start of a run: report.json (the verdict,
    written last by a run) is removed, then report.html is replaced by a "no verdict" page.
    A kill at any point leaves report.json only beside the report.html of its own run."""
    out_dir = Path(out_dir)
    (out_dir / "report.json").unlink(missing_ok=True)  # first: the verdict, written last
    if (out_dir / "report.html").exists():
        write_text_atomic(out_dir / "report.html", _UNFINISHED)


_UNFINISHED = ("<!doctype html><html><head><meta charset='utf-8'><title>qsim verify: no "
               "verdict</title></head><body><h1>qsim verify</h1><p>A run into this directory "
               "started and has not finished (or was interrupted): there is no verdict. The "
               "previous report was removed.</p></body></html>")


def _default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_reports(result: VerifyResult, out_dir: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write report.json and report.html into ``out_dir``; returns the JSON data."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = to_json(result, meta)
    # the HTML first: report.json, written last, marks a finished run (both carry run_id)
    write_text_atomic(out_dir / "report.html", render_html(data))
    write_json_atomic(out_dir / "report.json", data)
    return data


def _chart(rows: list[dict[str, Any]]) -> str:
    """Per-layer cycles-per-sample bar chart as a base64 PNG ('' if nothing to plot)."""
    rows = [r for r in rows if r["cycles_per_sample"] is not None]
    if not rows:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(rows) + 2), 3.6), dpi=110)
    colors = ["#c0392b" if r["bottleneck"] else "#2e86c1" for r in rows]
    ax.bar(range(len(rows)), [r["cycles_per_sample"] for r in rows], color=colors)
    ax.set_xticks(range(len(rows)), [r["name"] for r in rows], rotation=40, ha="right",
                  fontsize=8)
    ax.set_ylabel("cycles per input sample")
    ax.set_title("Stall-free cycles per layer (red: bottleneck)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


_CSS = """body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:12px 0;font-size:13px}th,td{border:1px solid #ccc;
padding:4px 8px;text-align:left}th{background:#f3f3f3}.pass{color:#1e8449;font-weight:600}
.fail,.error{color:#c0392b;font-weight:600}.skip{color:#888}.bn{background:#fdecea}
code{background:#f6f6f6;padding:1px 4px}.verdict{font-size:22px;margin:8px 0}"""


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    verdict = data.get("verdict") or ("PASS" if data["pass"] else "FAIL")
    cls = "pass" if data["pass"] else "fail"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>qsim verify: "
             f"{e(str(data.get('model', '')))}</title><style>{_CSS}</style></head><body>",
             f"<h1>qsim verify</h1><div class='verdict {cls}'>{verdict}</div>",
             f"<p>Model <code>{e(str(data.get('model')))}</code>, folding "
             f"<code>{e(str(data.get('folding')))}</code>, {data.get('inputs')} inputs, seed "
             f"{data.get('seed')}, qsim {e(data['qsim_version'])}, run "
             f"<code class='run-id'>{e(str(data.get('run_id')))}</code>.</p>"]
    if data.get("repro"):
        parts.append(f"<p>Reproduce: <code>{e(data['repro'])}</code></p>")
    parts.append(_matrix(data))
    crashed = {lv: info["error"] for lv, info in data["levels"].items()
               if info["status"] == "error"}
    if crashed:
        parts.append("<h2>Levels that crashed</h2><ul>")
        parts += [f"<li class='error'>{e(lv)}: {e(msg)}</li>" for lv, msg in crashed.items()]
        parts.append("</ul>")
    if data["mismatches"]:
        parts.append("<h2>Mismatches</h2><ul>")
        for m in data["mismatches"]:
            parts.append(f"<li class='fail'>{e(_mm_text(m))}</li>")
        parts.append("</ul>")
    parts.append(_layers(data))
    if data.get("resources"):  # sign-off: the fit check's counts against the board
        from qsim.synth.html import render_section

        parts.append(render_section(data["resources"]))
    png = _chart(data["layers"])
    if png:
        parts.append(f"<h2>Cycles</h2><img alt='cycles per layer' "
                     f"src='data:image/png;base64,{png}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _mm_text(m: dict[str, Any]) -> str:
    if m.get("word") is None:
        return f"layer {m['layer']}: {m['level']} vs {m['against']}: {m['reason']}"
    cyc = f" at cycle {m['cycle']}" if m.get("cycle") is not None else ""
    wave = f" (waveform {m['waveform']})" if m.get("waveform") else ""
    return (f"layer {m['layer']}: {m['level']} vs {m['against']}: word {m['word']} lane "
            f"{m['lane']}: expected {m['expected']}, got {m['got']}{cyc}{wave}")


def _matrix(data: dict[str, Any]) -> str:
    names = [r["name"] for r in data["layers"]]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = [f"<h2>Levels x layers</h2><table><tr><th>level</th><th>status</th><th>s</th>"
            f"{head}</tr>"]
    for lv, info in data["levels"].items():
        if info["status"] == "skipped":
            cells = "".join("<td class='skip'>-</td>" for _ in names)
            rows.append(f"<tr><td>{lv}</td><td class='skip' title='{html.escape(info['reason'])}'"
                        f">skipped</td><td></td>{cells}</tr>")
            continue
        if info["status"] == "error":
            cells = "".join("<td class='error'>!</td>" for _ in names)
            rows.append(f"<tr><td>{lv}</td><td class='error' title='"
                        f"{html.escape(info['error'])}'>error</td><td>{info['seconds']}</td>"
                        f"{cells}</tr>")
            continue
        cells = ""
        for n in names:
            lay = info["layers"].get(n)
            if lay is None:
                cells += "<td class='skip'>-</td>"
            else:
                cells += "<td class='pass'>&#10003;</td>" if lay["pass"] else \
                    "<td class='fail'>&#10007;</td>"
        st = info["status"]
        rows.append(f"<tr><td>{lv}</td><td class='{st}'>{st}</td><td>{info['seconds']}</td>"
                    f"{cells}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _layers(data: dict[str, Any]) -> str:
    out = ["<h2>Layers</h2><table><tr><th>layer</th><th>block</th><th>in</th><th>out</th>"
           "<th>types</th><th>PE</th><th>SIMD</th><th>cycles/sample</th></tr>"]
    for r in data["layers"]:
        bn = " class='bn'" if r["bottleneck"] else ""
        out.append(f"<tr{bn}><td>{html.escape(r['name'])}</td><td>{r['block']}</td>"
                   f"<td>{r['in_shape']}</td><td>{r['out_shape']}</td><td>{r['idt']} &rarr; "
                   f"{r['odt']}</td><td>{r['pe'] or ''}</td><td>{r['simd'] or ''}</td>"
                   f"<td>{r['cycles_per_sample'] or ''}{' (bottleneck)' if r['bottleneck'] else ''}"
                   f"</td></tr>")
    out.append("</table>")
    return "".join(out)
