"""``qsim fuzz``: a hypothesis campaign over block configs, shrinking every failure to a
minimal repro that is saved as soon as it is found.

The engine is generic over a :class:`Target` (what is drawn, how it is checked, saved and
logged): :data:`BLOCK_TARGET` (one block config per example, the default) and
``qsim.verify.fuzz_stitched.STITCHED_TARGET`` (``--target stitched``: stitched chains and
fork/join graphs) share the deadline, resume, shrinking and saving below.

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

__all__ = ["BLOCK_TARGET", "CampaignSummary", "Target", "load_block", "run_campaign",
           "save_failure"]

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


def _prepare_log(path: Path, seed: int, resume: bool, target: str = "block") -> set[int]:
    """Repair the log before appending and return the rounds of ``seed`` (and ``target``)
    already done (empty unless ``resume``). Rewritten atomically when anything is dropped."""
    lines = _records(path)

    def mine(r: dict[str, Any]) -> bool:
        return r.get("seed") == seed and r.get("target", "block") == target

    done = {int(r["round"]) for _, r in lines
            if r and r.get("event") == "round done" and mine(r)} if resume else set()
    keep = [ln for ln, r in lines if r is not None and not (
        resume and mine(r) and r.get("event") != "round done"
        and int(r.get("round", -1)) not in done)]
    if path.exists() and "".join(f"{ln}\n" for ln in keep) != path.read_text():
        write_text_atomic(path, "".join(f"{ln}\n" for ln in keep))
    return done


def save_failure(out: Path, cfg: Any, x: np.ndarray, ready: Optional[np.ndarray],
                 mismatches: Sequence[Any], levels: Sequence[str],
                 dest: Optional[Path] = None) -> str:
    """Write a self-contained repro directory (``out/failures/<id>``, or ``dest``); returns
    its id."""
    data = json.dumps({"block": _block_kind(cfg), "config": cfg.to_dict()}, sort_keys=True)
    digest = hashlib.sha256(data.encode() + x.tobytes()).hexdigest()[:12]
    fid = f"{_block_kind(cfg).lower()}-{digest}"
    d = dest or out / "failures" / fid
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


@dataclass(frozen=True)
class Target:
    """What ``qsim fuzz`` fuzzes: hypothesis draws ``strategy`` (a dict); ``prepare`` turns a
    draw into the example (cheap, deterministic: inputs, ready pattern); ``run`` checks it and
    returns (log fields, mismatches); ``save`` writes a failing example's repro and returns
    its id; ``describe`` gives the example's ``block`` and ``config`` for the log."""

    name: str
    strategy: Any
    prepare: Callable[[dict[str, Any]], dict[str, Any]]
    run: Callable[[dict[str, Any], Path, int, Sequence[str]],
                  tuple[dict[str, Any], list[Any]]]
    save: Callable[[Path, dict[str, Any], Sequence[Any], Sequence[str]], str]
    describe: Callable[[dict[str, Any]], dict[str, Any]]
    examples: int = EXAMPLES_PER_ROUND


def _block_prepare(d: dict[str, Any]) -> dict[str, Any]:
    cfg, frames = d["cfg"], d["frames"]
    rng = np.random.default_rng(d["data_seed"])
    x = rand_values(rng, cfg.idt, (frames, *cfg.in_frame_shape))
    ready = (rng.random(4 * frames * max(cfg.schedule.steps, 1) + 64) >= d["p_stall"])
    return {"cfg": cfg, "x": x, "ready": ready, "frames": frames, "p_stall": d["p_stall"]}


def _block_run(ex: dict[str, Any], out: Path, seed: int, levels: Sequence[str]
               ) -> tuple[dict[str, Any], list[Any]]:
    res = check_block(ex["cfg"], ex["x"], levels, seed=seed, ready=ex["ready"],
                      out_dir=str(out / "sim"))
    return ({"frames": ex["frames"], "p_stall": ex["p_stall"], "levels": sorted(res.levels),
             "skipped": res.skipped, "errors": res.errors}, list(res.mismatches))


def _block_save(out: Path, ex: dict[str, Any], mm: Sequence[Any], levels: Sequence[str]
                ) -> str:
    return save_failure(out, ex["cfg"], ex["x"], ex["ready"], mm, levels)


BLOCK_TARGET = Target(
    name="block",
    strategy=st.fixed_dictionaries({
        "cfg": any_block, "frames": st.integers(1, 3), "data_seed": st.integers(0, 2**32 - 1),
        "p_stall": st.sampled_from([0.0, 0.3, 0.5])}),
    prepare=_block_prepare, run=_block_run, save=_block_save,
    describe=lambda ex: {"block": _block_kind(ex["cfg"]), "config": _short(ex["cfg"])})


def run_campaign(out: Path, minutes: float, seed: int, levels: Sequence[str],
                 resume: bool = False, on_example: Optional[Callable[[dict[str, Any]], None]]
                 = None, max_rounds: Optional[int] = None, target: Target = BLOCK_TARGET
                 ) -> CampaignSummary:
    """Fuzz ``target`` until ``minutes`` have passed (or ``max_rounds`` rounds); returns the
    summary."""
    out.mkdir(parents=True, exist_ok=True)
    log = out / "campaign.jsonl"
    done = _prepare_log(log, seed, resume, target.name)
    db = DirectoryBasedExampleDatabase(str(out / "hypothesis-db"))
    deadline = time.monotonic() + 60.0 * minutes
    summary = CampaignSummary(levels=list(levels))
    r = 0
    while time.monotonic() < deadline and (max_rounds is None or r < max_rounds):
        if r in done:
            summary.skipped_rounds += 1
            r += 1
            continue
        rnd = _Round(out, log, seed, r, deadline, levels, target)
        if not _run_round(rnd, db, summary, on_example):
            break  # the time budget cut this round: it is not done, --resume reruns it
        _append(log, {"event": "round done", "seed": seed, "round": r,
                      **_target_field(target.name)})
        summary.rounds += 1
        r += 1
    return summary


def _target_field(name: str) -> dict[str, str]:
    """The log field naming a campaign's target (none for "block": the older logs' form)."""
    return {} if name == "block" else {"target": name}


@dataclass
class _Round:
    """One round of a campaign and what it found."""

    out: Path
    log: Path
    seed: int
    rnd: int
    deadline: float
    levels: Sequence[str]
    target: Target
    last_fail: dict[str, Any] = field(default_factory=dict)
    cut: bool = False

    def base(self, ex: dict[str, Any]) -> dict[str, Any]:
        return {"event": "example", "seed": self.seed, "round": self.rnd,
                **_target_field(self.target.name), **self.target.describe(ex)}

    def found(self, ex: dict[str, Any], mm: Sequence[Any]) -> None:
        """Record a failing example; the first of a round is saved at once (an interruption
        while shrinking keeps it), the shrunk one replaces it at the end of the round."""
        if not self.last_fail:
            self.last_fail["first"] = self.target.save(self.out, ex, mm, self.levels)
        self.last_fail.update(ex=ex, mm=list(mm))


def _example(r: _Round, drawn: dict[str, Any], summary: CampaignSummary,
             on_example: Optional[Callable[[dict[str, Any]], None]]) -> None:
    """The property: run one drawn example; AssertionError (after saving) when it fails."""
    # the deadline is checked between examples only: once a failure is found, shrinking
    # and hypothesis's final replay run to the end whatever the clock says
    if not r.last_fail and time.monotonic() >= r.deadline:
        r.cut = True
    assume(not r.cut)
    ex = r.target.prepare(drawn)
    t0 = time.monotonic()
    try:
        extra, mm = r.target.run(ex, r.out, r.seed, r.levels)
    except Exception as exc:  # a crash is a finding too: shrink and keep it
        crash = Mismatch("block", "campaign", "model", f"crash: {type(exc).__name__}: {exc}")
        _append(r.log, {**r.base(ex), "pass": False, "crash": traceback.format_exc()})
        r.found(ex, [crash])
        raise AssertionError(crash.describe()) from None
    rec = {**r.base(ex), **extra, "pass": not mm, "seconds": round(time.monotonic() - t0, 3)}
    _append(r.log, rec)
    summary.tried += 1
    if on_example:
        on_example(rec)
    if mm:
        r.found(ex, mm)
        raise AssertionError(mm[0].describe())


def _run_round(r: _Round, db: Any, summary: CampaignSummary,
               on_example: Optional[Callable[[dict[str, Any]], None]]) -> bool:
    """Run one round; False when the deadline cut it before all its examples ran."""
    @hyp_seed(r.seed * 1000 + r.rnd)
    @settings(max_examples=r.target.examples, database=db, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=False,
              phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
    @given(drawn=r.target.strategy)
    def one(drawn: dict[str, Any]) -> None:
        _example(r, drawn, summary, on_example)

    try:
        one()
    except (AssertionError, Flaky, Unsatisfiable):
        pass  # a failure (shrunk, or as found if hypothesis gave up) is in last_fail
    if r.last_fail:  # hypothesis re-runs the shrunk example last: that is what we keep
        fid = r.target.save(r.out, r.last_fail["ex"], r.last_fail["mm"], r.levels)
        first = r.last_fail.get("first")
        if first and first != fid:  # the unshrunk copy saved when found is superseded
            shutil.rmtree(r.out / "failures" / first, ignore_errors=True)
        summary.failures.append(fid)
        _append(r.log, {"event": "failure", "seed": r.seed, "round": r.rnd, "id": fid,
                        **_target_field(r.target.name),
                        "mismatch": r.last_fail["mm"][0].describe()})
    return not r.cut


def _short(cfg: Any) -> dict[str, Any]:
    """The config without its (large) weight/threshold arrays, for the log."""
    return {k: v for k, v in cfg.to_dict().items() if k not in ("weights", "thresholds")}
