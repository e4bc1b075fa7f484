"""One farm run: skip finished jobs (``resume``), run the rest on the cluster with a progress
bar, then write summary.json, junit.xml, report.html and a line of history.jsonl."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from qsim.verify.report import write_json_atomic, write_text_atomic

from ._cluster import client, run_jobs
from ._report import render_html, write_junit
from ._store import append_line, diff_runs, finished, history, retire_previous
from ._suite import Suite

__all__ = ["FarmOptions", "run_suite"]


@dataclass(frozen=True)
class FarmOptions:
    """Where and how to run: ``out`` (DIR), ``cache`` (None: DIR/cache), cluster choice."""

    out: Path
    scheduler: Optional[str] = None
    workers: int = 2
    resume: bool = False
    cache: Optional[Path] = None


def _status_of(path: Path) -> dict[str, str]:
    """Status by job key of the summary.json at ``path`` ({} if there is none)."""
    import json

    try:
        return dict(json.loads(path.read_text()).get("status", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def run_suite(suite: Suite, opts: FarmOptions, console: Any) -> dict[str, Any]:
    """Run ``suite``; the summary (``pass``, ``counts``, ``diff``, ``skipped``...)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    out = opts.out
    # the diff's baseline: the last complete run before this one (a resume continues a run)
    before = _status_of(out / ("previous" if opts.resume else ".") / "summary.json")
    if not opts.resume:
        retire_previous(out)
    done = finished(out) if opts.resume else {}
    keys = {j.key for j in suite.jobs}
    todo = [j for j in suite.jobs if j.key not in done]
    cluster = opts.scheduler or f"LocalCluster({opts.workers} workers x 1 thread)"
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[last]}"), TimeElapsedColumn())
    t0 = time.time()
    meta: dict[str, Any] = {"run_id": "resumed-nothing-to-run", "seconds": 0.0}
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("regress", total=len(suite.jobs), last="",
                            completed=len(suite.jobs) - len(todo))
        if todo:
            def tick(r: dict[str, Any]) -> None:
                bar.update(task, advance=1, last=f"{r['status']}: {r['name']}"[:70])

            with client(opts.scheduler, opts.workers) as c:
                meta = run_jobs(c, todo, out, opts.cache or out / "cache", suite.retries,
                                suite.build_slots, tick)
    stored = finished(out)
    results = [stored.get(j.key) or _pending(j) for j in suite.jobs]
    return _finish(suite, out, results, before, {**meta, "seconds": time.time() - t0,
                                                 "cluster": cluster,
                                                 "skipped": len(keys & set(done))})


def _pending(job: Any) -> dict[str, Any]:
    return {"key": job.key, "name": job.name, "kind": job.kind, "status": "pending",
            "returncode": None, "seconds": 0.0, "timeout": job.timeout, "repro": "",
            "log": "", "log_tail": "", "host": ""}


def _finish(suite: Suite, out: Path, results: list[dict[str, Any]],
            before: dict[str, str], meta: dict[str, Any]) -> dict[str, Any]:
    status = {r["key"]: r["status"] for r in results}
    counts: dict[str, int] = {}
    for s in status.values():
        counts[s] = counts.get(s, 0) + 1
    summary = {"suite": str(suite.path), "run_id": meta["run_id"], "pass": all(
        s == "pass" for s in status.values()), "counts": counts, "status": status,
        "diff": diff_runs(status, before, history(out)), "seconds": round(meta["seconds"], 3),
        "cluster": meta["cluster"], "skipped": meta["skipped"],
        "names": {r["key"]: r["name"] for r in results}}
    write_junit(out / "junit.xml", results, suite.path.name)
    write_text_atomic(out / "report.html", render_html(out, results, summary))
    write_json_atomic(out / "summary.json", summary)
    if "pending" not in counts:
        append_line(out / "history.jsonl", {"run_id": meta["run_id"], "status": status})
    return summary
