"""``qsim fuzz``: a hypothesis campaign over block configs, shrinking every failure to a
minimal repro that is saved as soon as it is found.

Layout of the results directory::

    campaign.jsonl        one line per example tried (and one per finished round), appended
                          and flushed as they happen: an interrupted campaign keeps them
    failures/<id>/        config.json, inputs.npy, ready.npy, mismatch.json, repro.sh
    hypothesis-db/        hypothesis's example database (replays earlier failures first)

Rounds are deterministic: round r generates from seed ``S * 1000 + r``, so a rerun with the
same seed tries the same configs; ``--resume`` skips rounds already finished in the file.
A round is logged done only when all its examples ran (not when the time budget or an
interruption cut it). The time budget is checked between examples only, and not at all once a
round found a failure: that failure is saved at once, shrunk to the end and the shrunk repro
replaces it (a failure found near the time limit is never lost to a cut shrink).
Before appending, a torn last line (a ``kill -9`` mid-write) is cut
off; on ``--resume`` the records of this seed's unfinished rounds are dropped too, as those
rounds run again from their start: an interrupted-then-resumed campaign holds the same
example records as an uninterrupted one of the same seed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import seed as hyp_seed
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky, Unsatisfiable

from .blockcheck import check_block
from .compare import Mismatch
from .report import write_json_atomic, write_text_atomic
from .strategies import any_block, rand_values

__all__ = ["CampaignSummary", "run_campaign"]

EXAMPLES_PER_ROUND = 10


@dataclass
class CampaignSummary:
    tried: int = 0
    rounds: int = 0
    failures: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    skipped_rounds: int = 0


def _block_kind(cfg: Any) -> str:
    return type(cfg).__name__


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a") as fh:
        fh.write(json.dumps(record) + "\n")
        fh.flush()


def _records(path: Path) -> list[tuple[str, Optional[dict[str, Any]]]]:
    """(line, record or None if unparsable) for every complete line of the log."""
    if not path.exists():
        return []
    text = path.read_text()
    if not text.endswith("\n"):  # a torn last line: everything after the last newline
        text = text[:text.rfind("\n") + 1]
    out: list[tuple[str, Optional[dict[str, Any]]]] = []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            rec = None
        out.append((line, rec if isinstance(rec, dict) else None))
    return out


def _prepare_log(path: Path, seed: int, resume: bool) -> set[int]:
    """Repair the log before appending and return the rounds of ``seed`` already done
    (empty unless ``resume``). Rewritten atomically when anything is dropped."""
    lines = _records(path)
    done = {int(r["round"]) for _, r in lines
            if r and r.get("event") == "round done" and r.get("seed") == seed} if resume \
        else set()
    keep = [ln for ln, r in lines if r is not None and not (
        resume and r.get("seed") == seed and r.get("event") != "round done"
        and int(r.get("round", -1)) not in done)]
    if path.exists() and "".join(f"{ln}\n" for ln in keep) != path.read_text():
        write_text_atomic(path, "".join(f"{ln}\n" for ln in keep))
    return done


def save_failure(out: Path, cfg: Any, x: np.ndarray, ready: Optional[np.ndarray],
                 mismatches: Sequence[Any], levels: Sequence[str]) -> str:
    """Write a self-contained repro directory; returns its id."""
    data = json.dumps({"block": _block_kind(cfg), "config": cfg.to_dict()}, sort_keys=True)
    digest = hashlib.sha256(data.encode() + x.tobytes()).hexdigest()[:12]
    fid = f"{_block_kind(cfg).lower()}-{digest}"
    d = out / "failures" / fid
    d.mkdir(parents=True, exist_ok=True)
    write_json_atomic(d / "config.json", json.loads(data))
    np.save(d / "inputs.npy", x)
    if ready is not None:
        np.save(d / "ready.npy", ready)
    write_json_atomic(d / "mismatch.json", [m.to_dict() for m in mismatches])
    (d / "repro.sh").write_text(f"#!/bin/sh\n# replays this failure through {','.join(levels)}\n"
                                f"qsim fuzz --replay {d} --levels {','.join(levels)}\n")
    return fid


def load_block(config_json: Path) -> Any:
    """The block config saved by :func:`save_failure`."""
    from qsim import models

    data = json.loads(config_json.read_text())
    return getattr(models, data["block"]).from_dict(data["config"])


def run_campaign(out: Path, minutes: float, seed: int, levels: Sequence[str],
                 resume: bool = False, on_example: Optional[Callable[[dict[str, Any]], None]]
                 = None, max_rounds: Optional[int] = None) -> CampaignSummary:
    """Fuzz until ``minutes`` have passed (or ``max_rounds`` rounds); returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    log = out / "campaign.jsonl"
    done = _prepare_log(log, seed, resume)
    db = DirectoryBasedExampleDatabase(str(out / "hypothesis-db"))
    deadline = time.monotonic() + 60.0 * minutes
    summary = CampaignSummary(levels=list(levels))
    r = 0
    while time.monotonic() < deadline and (max_rounds is None or r < max_rounds):
        if r in done:
            summary.skipped_rounds += 1
            r += 1
            continue
        if not _run_round(out, log, db, seed, r, deadline, levels, summary, on_example):
            break  # the time budget cut this round: it is not done, --resume reruns it
        _append(log, {"event": "round done", "seed": seed, "round": r})
        summary.rounds += 1
        r += 1
    return summary


def _run_round(out: Path, log: Path, db: Any, seed: int, rnd: int, deadline: float,
               levels: Sequence[str], summary: CampaignSummary,
               on_example: Optional[Callable[[dict[str, Any]], None]]) -> bool:
    """Run round ``rnd``; False when the deadline cut it before all its examples ran."""
    last_fail: dict[str, Any] = {}
    cut: list[bool] = []

    @hyp_seed(seed * 1000 + rnd)
    @settings(max_examples=EXAMPLES_PER_ROUND, database=db, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=False,
              phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
    @given(cfg=any_block, frames=st.integers(1, 3), data_seed=st.integers(0, 2**32 - 1),
           p_stall=st.sampled_from([0.0, 0.3, 0.5]))
    def one(cfg: Any, frames: int, data_seed: int, p_stall: float) -> None:
        # the deadline is checked between examples only: once a failure is found, shrinking
        # and hypothesis's final replay run to the end whatever the clock says
        if not last_fail and time.monotonic() >= deadline:
            cut.append(True)
        assume(not cut)
        rng = np.random.default_rng(data_seed)
        x = rand_values(rng, cfg.idt, (frames, *cfg.in_frame_shape))
        ready = (rng.random(4 * frames * max(cfg.schedule.steps, 1) + 64) >= p_stall)
        t0 = time.monotonic()
        try:
            res = check_block(cfg, x, levels, seed=seed, ready=ready, out_dir=str(out / "sim"))
        except Exception as exc:  # a crash is a finding too: shrink and keep it
            crash = Mismatch("block", "campaign", "model", f"crash: {type(exc).__name__}: "
                             f"{exc}")
            _append(log, {"event": "example", "seed": seed, "round": rnd,
                          "block": _block_kind(cfg), "config": _short(cfg), "pass": False,
                          "crash": traceback.format_exc()})
            _found(out, last_fail, levels, cfg=cfg, x=x, ready=ready, mm=[crash])
            raise AssertionError(crash.describe()) from None
        rec = {"event": "example", "seed": seed, "round": rnd, "block": _block_kind(cfg),
               "config": _short(cfg), "frames": frames, "p_stall": p_stall,
               "levels": sorted(res.levels), "skipped": res.skipped, "errors": res.errors,
               "pass": not res.mismatches, "seconds": round(time.monotonic() - t0, 3)}
        _append(log, rec)
        summary.tried += 1
        if on_example:
            on_example(rec)
        if res.mismatches:
            _found(out, last_fail, levels, cfg=cfg, x=x, ready=ready, mm=res.mismatches)
            raise AssertionError(res.mismatches[0].describe())

    try:
        one()
    except (AssertionError, Flaky, Unsatisfiable):
        pass  # a failure (shrunk, or as found if hypothesis gave up) is in last_fail
    if last_fail:  # hypothesis re-runs the shrunk example last: that is what we keep
        fid = save_failure(out, last_fail["cfg"], last_fail["x"], last_fail["ready"],
                           last_fail["mm"], levels)
        first = last_fail.get("first")
        if first and first != fid:  # the unshrunk copy saved when found is superseded
            shutil.rmtree(out / "failures" / first, ignore_errors=True)
        summary.failures.append(fid)
        _append(log, {"event": "failure", "seed": seed, "round": rnd, "id": fid,
                      "mismatch": last_fail["mm"][0].describe()})
    return not cut


def _found(out: Path, last_fail: dict[str, Any], levels: Sequence[str], **fail: Any) -> None:
    """Record a failing example; the first of a round is saved at once (an interruption
    while shrinking keeps it), the shrunk one replaces it at the end of the round."""
    if not last_fail:
        last_fail["first"] = save_failure(out, fail["cfg"], fail["x"], fail["ready"],
                                          fail["mm"], levels)
    last_fail.update(fail)


def _short(cfg: Any) -> dict[str, Any]:
    """The config without its (large) weight/threshold arrays, for the log."""
    return {k: v for k, v in cfg.to_dict().items() if k not in ("weights", "thresholds")}
