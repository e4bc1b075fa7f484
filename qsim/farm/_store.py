"""The farm's durable result store in DIR.

Layout::

    jobs/<key>.json     one result per finished job (written atomically: temp file, fsync,
                        os.replace), <key> the hash of the job's content
    logs/<key>.log      the job's output; work/<key>/ its report or fuzz results
    starts.jsonl        one line per job start (the run counter a resume is checked with)
    summary.json        the last run's verdict per job; history.jsonl one line per run
    previous/           the results of the run before (the diff's baseline), when not resuming

A job whose result file exists is finished; a kill at any moment leaves each result either
complete or absent, so ``--resume`` runs exactly the jobs without one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from qsim.verify.report import write_json_atomic

__all__ = ["append_line", "diff_runs", "finished", "history", "retire_previous",
           "write_result"]

PASSING = "pass"
HISTORY = 5  # runs the flaky check looks back over


def write_result(out: Path, result: dict[str, Any]) -> Path:
    """``DIR/jobs/<key>.json``, atomically."""
    path = out / "jobs" / f"{result['key']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, result)
    return path


def append_line(path: Path, record: dict[str, Any]) -> None:
    """One JSON line, appended and fsynced (O_APPEND: lines of concurrent writers don't mix)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def finished(out: Path) -> dict[str, dict[str, Any]]:
    """Every complete result in ``DIR/jobs`` by key (unreadable files are not finished)."""
    results: dict[str, dict[str, Any]] = {}
    for p in sorted((out / "jobs").glob("*.json")):
        try:
            rec = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(rec, dict) and rec.get("key") == p.stem:
            results[p.stem] = rec
    return results


def retire_previous(out: Path) -> None:
    """A fresh (non-resumed) run: the last run's results move to DIR/previous."""
    prev = out / "previous"
    if (out / "jobs").is_dir():
        shutil.rmtree(prev, ignore_errors=True)
        prev.mkdir(parents=True)
        for name in ("jobs", "logs", "summary.json"):
            if (out / name).exists():
                os.replace(out / name, prev / name)
    for name in ("work", "starts.jsonl"):
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def history(out: Path) -> list[dict[str, str]]:
    """Status by key of each earlier run (oldest first), from DIR/history.jsonl."""
    path = out / "history.jsonl"
    if not path.exists():
        return []
    runs = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:  # a torn last line
            continue
        if isinstance(rec, dict) and isinstance(rec.get("status"), dict):
            runs.append(rec["status"])
    return runs


def diff_runs(now: dict[str, str], before: dict[str, str], past: list[dict[str, str]]
              ) -> dict[str, list[str]]:
    """Keys of new failures (failing now, passed or absent before), fixed (failed before,
    pass now) and flaky (status changed at least twice over the last runs and this one)."""
    new = sorted(k for k, s in now.items() if s != PASSING and before.get(k, PASSING) == PASSING)
    fixed = sorted(k for k, s in now.items() if s == PASSING and k in before
                   and before[k] != PASSING)
    flaky = []
    for k, s in now.items():
        seq = [r[k] for r in past[-HISTORY:] if k in r] + [s]
        if sum(a != b for a, b in zip(seq, seq[1:])) >= 2:
            flaky.append(k)
    return {"new_failures": new, "fixed": fixed, "flaky": sorted(flaky)}
