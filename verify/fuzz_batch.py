"""``qsim fuzz --batch N``: random configs through model, cppsim and rtlsim, N per build.

One Verilator build and one g++ translation unit per ``--batch`` configs (the per-example
campaign of :mod:`qsim.verify.fuzz` pays a Verilator build per example, 9-15 RTL examples in
3 minutes). A batch holds configs of every block (wide foldings included, see
:func:`~qsim.verify.strategies.wide_mvtu_configs`) plus FIFOs and data-width converters
(model and rtlsim only: they have no HLS kernel); each block gets random frames and, for
the accumulating ones, up to 4 corner frames of :mod:`qsim.verify.corners`. The RTL bench
runs two valid/ready patterns per batch (none, and one of random idle/stall 0.3 or 0.5 and
stall bursts) and compares words, cycles and protocol.

A failing config is isolated from its batch (the messages name the instance) and saved
as a repro (``failures/<id>/``, as :func:`~qsim.verify.fuzz.save_failure`), then shrunk
(:mod:`qsim.verify._shrink`: fewer frames, smaller folding, shapes and datatypes, each
candidate re-checked alone through the level that failed, within :data:`SHRINK_CHECKS` checks
and :data:`SHRINK_SECONDS`); the smallest failing config is saved beside the original as
``failures/<id>/shrunk/`` (replay: ``qsim fuzz --replay failures/<id>/shrunk --levels
model,cppsim,rtlsim``). ``campaign.jsonl`` gets one ``batch`` record per batch with its
distinct config keys and the seconds per level, and one ``shrunk`` record per failure.

P4 counts distinct ``(block, shapes, folding, datatypes)`` keys (the config without its
weights, thresholds and name) that passed all three levels.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hyp_seed
from hypothesis import strategies as st

from qsim.errors import QsimError
from qsim.models._block import Block

from ._shrink import shrink
from .compare import Mismatch
from .corners import corner_inputs, has_corners
from .fuzz import _append, save_failure
from .report import write_json_atomic
from .strategies import any_block, glue_configs, rand_values, wide_mvtu_configs

__all__ = ["BatchSummary", "config_key", "run_batch_campaign"]

_INSTANCE = re.compile(r"\(instance i(\d+)")
LEVELS = ("model", "cppsim", "rtlsim")
#: The shrink budget per failing config: re-checks (each a one-config build and run) and time.
SHRINK_CHECKS, SHRINK_SECONDS = 24, 300.0


@dataclass
class BatchSummary:
    batches: int = 0
    tried: int = 0
    passed_keys: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def config_key(cfg: Any) -> str:
    """The (block, shapes, folding, datatypes) key of a config: its fields without weights,
    thresholds and name, with the block kind."""
    import dataclasses

    full = cfg.to_dict() if hasattr(cfg, "to_dict") else dataclasses.asdict(cfg)
    d = {k: v for k, v in full.items() if k not in ("weights", "thresholds", "name")}
    if getattr(cfg, "thresholds", None) is not None:
        d["n_thresholds"] = int(np.asarray(cfg.thresholds).shape[1])
    return json.dumps([type(cfg).__name__, d], sort_keys=True)


def _draw_batch(seed: int, size: int) -> list[Any]:
    """``size`` configs of distinct keys drawn by hypothesis from seed ``seed`` (its
    generation phase only: no database, no shrinking)."""
    one = st.one_of(any_block, any_block, any_block, glue_configs(), wide_mvtu_configs())
    drawn: dict[str, Any] = {}

    @hyp_seed(seed)
    @settings(max_examples=4 * size, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cfg=one)
    def draw(cfg: Any) -> None:
        if len(drawn) < size:
            drawn.setdefault(config_key(cfg), cfg)

    draw()
    return list(drawn.values())


_MAX_CORNER_FRAMES = 4


def _inputs(cfg: Block, rng: np.random.Generator) -> np.ndarray:
    """1-2 random frames, then up to 4 corner frames of an accumulating block (a random
    choice when it has more: one per channel and end can be hundreds of frames)."""
    x = rand_values(rng, cfg.in_stream.dtype, (int(rng.integers(1, 3)), *cfg.in_frame_shape))
    if has_corners(cfg) and cfg.in_ports == 1:
        corners = np.asarray(corner_inputs(cfg))
        if corners.shape[0] > _MAX_CORNER_FRAMES:
            pick = rng.choice(corners.shape[0], _MAX_CORNER_FRAMES, replace=False)
            corners = corners[np.sort(pick)]
        x = np.concatenate([x, corners])
    return x


def _cppsim(blocks: Sequence[tuple[int, Block, np.ndarray]]) -> dict[int, str]:
    """Compile ``blocks`` into two translation units; {index: problem} where cppsim differs
    from the model or fails."""
    from qsim.cppsim import CppsimLibrary, build_libraries, generate_source

    if not blocks:
        return {}
    groups: list[dict[str, Any]] = [{}, {}]
    for n, (k, cfg, _) in enumerate(blocks):
        groups[n % 2][f"b{k}"] = cfg
    libs = {}
    for res, g in zip(build_libraries([generate_source(g) for g in groups if g], jobs=2),
                      [g for g in groups if g]):
        lib = CppsimLibrary(res.path)
        libs.update({sym: lib for sym in g})
    bad: dict[int, str] = {}
    for k, cfg, x in blocks:
        try:
            y, _ = libs[f"b{k}"].run(f"b{k}", cfg, x)
        except QsimError as exc:
            bad[k] = f"cppsim: {exc}"
            continue
        want = cfg(x)
        if y.shape != want.shape or not np.array_equal(y, want):
            idx = tuple(int(i) for i in np.argwhere(y != want)[0]) if y.shape == want.shape \
                else ()
            bad[k] = f"cppsim: {cfg.owner}: output differs from the model at {idx!r}"
    return bad


def _rtlsim(cfgs: Sequence[Any], xs: dict[int, np.ndarray], seed: int) -> dict[int, str]:
    """One bench for every config; {index: first problem} (SimulationError: every config)."""
    from qsim.rtlsim.check import _block_ports, _Instance, _random_ports, _run_instances
    from qsim.rtlsim.patterns import DEFAULT_PATTERNS

    rng = np.random.default_rng(seed)
    insts = []
    for k, cfg in enumerate(cfgs):
        if k in xs:
            insts.append(_Instance(cfg, cfg.frames_of(xs[k]), *_block_ports(cfg, [xs[k]])))
        else:
            frames = int(rng.integers(2, 6))
            insts.append(_Instance(cfg, frames, *_random_ports(cfg, frames, rng)))
    try:
        # no backpressure and one random pattern of the rest (idle/stall, bursts) per batch
        pats = [DEFAULT_PATTERNS[0], DEFAULT_PATTERNS[int(rng.integers(1, len(
            DEFAULT_PATTERNS)))]]
        run = _run_instances(insts, pats, rng, Path(".qsim_cache"))
    except QsimError as exc:
        named = {int(m) for m in _INSTANCE.findall(str(exc))}
        return {k: f"rtlsim: {exc}" for k in (named or range(len(cfgs)))}
    bad: dict[int, str] = {}
    for p in run.problems:
        m = _INSTANCE.search(p)
        if m is not None:
            bad.setdefault(int(m.group(1)), f"rtlsim: {p}")
    return bad


def _save_glue(out: Path, cfg: Any, mm: Mismatch, dest: Optional[Path] = None) -> str:
    """A FIFO / data-width converter failure: its config and the mismatch (rtlsim drew its
    words from the bench seed; the config alone reproduces it with verify_rtl)."""
    key = config_key(cfg)
    fid = f"{type(cfg).__name__.lower()}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    d = dest or out / "failures" / fid
    d.mkdir(parents=True, exist_ok=True)
    write_json_atomic(d / "config.json", json.loads(key))
    write_json_atomic(d / "mismatch.json", [mm.to_dict()])
    return fid


def _save(out: Path, cfg: Any, x: np.ndarray, why: str, dest: Optional[Path] = None) -> str:
    mm = Mismatch("block", why.split(":")[0], "model", why)
    if isinstance(cfg, Block):
        return save_failure(out, cfg, x, None, [mm], LEVELS, dest)
    return _save_glue(out, cfg, mm, dest)


def _recheck(level: str, seed: int) -> Callable[[Any, np.ndarray], Optional[str]]:
    """check(config, inputs) for the shrinker: the problem ``level`` (cppsim or rtlsim)
    still finds on that one config, or None (a crash is a different failure: None)."""
    def check(cfg: Any, x: np.ndarray) -> Optional[str]:
        try:
            if level == "cppsim":
                bad = _cppsim([(0, cfg, x)])
            else:
                bad = _rtlsim([cfg], {0: x} if isinstance(cfg, Block) else {}, seed)
        except QsimError:
            return None
        return bad.get(0)
    return check


def _shrink_and_save(out: Path, log: Path, fid: str, cfg: Any, x: np.ndarray, why: str,
                     seed: int) -> None:
    """Shrink a failing config (re-checked by the level that failed) and save the smallest
    failing one beside the original, as ``failures/<id>/shrunk/``."""
    level = why.split(":")[0]
    if level not in ("cppsim", "rtlsim"):
        return
    s = shrink(cfg, x, why, _recheck(level, seed), SHRINK_CHECKS, SHRINK_SECONDS)
    rec: dict[str, Any] = {"event": "shrunk", "id": fid, "steps": s.steps, "checks": s.checks,
                           "seconds": s.seconds}
    if s.steps:
        dest = out / "failures" / fid / "shrunk"
        rec["shrunk_id"] = _save(out, s.cfg, s.x, s.why, dest)
        rec["key"] = config_key(s.cfg)
    _append(log, rec)


def _run_batch(out: Path, log: Path, seed: int, b: int, size: int,
               summary: BatchSummary) -> dict[str, Any]:
    cfgs = _draw_batch(seed * 100_000 + b, size)
    rng = np.random.default_rng(seed * 100_000 + b)
    xs = {k: _inputs(c, rng) for k, c in enumerate(cfgs) if isinstance(c, Block)}
    t0 = time.monotonic()
    bad = _cppsim([(k, cfgs[k], x) for k, x in xs.items()])
    t1 = time.monotonic()
    for k, why in _rtlsim(cfgs, xs, seed * 100_000 + b).items():
        bad.setdefault(k, why)
    t2 = time.monotonic()
    for k, why in sorted(bad.items()):
        x = xs.get(k, np.zeros((0,), np.int64))
        fid = _save(out, cfgs[k], x, why)
        summary.failures.append(fid)
        _append(log, {"event": "failure", "seed": seed, "batch": b, "id": fid, "why": why})
        _shrink_and_save(out, log, fid, cfgs[k], x, why, seed * 100_000 + b)
    keys = [config_key(c) for k, c in enumerate(cfgs) if k not in bad]
    summary.passed_keys.update(keys)
    summary.tried += len(cfgs)
    for name, sec in (("cppsim", t1 - t0), ("rtlsim", t2 - t1)):
        summary.seconds[name] = summary.seconds.get(name, 0.0) + sec
    rec = {"event": "batch", "seed": seed, "batch": b, "configs": len(cfgs),
           "passed": len(keys), "passed_keys": keys, "failed": sorted(bad),
           "cppsim_s": round(t1 - t0, 1),
           "rtlsim_s": round(t2 - t1, 1), "distinct_so_far": len(summary.passed_keys)}
    _append(log, rec)
    return rec


def run_batch_campaign(out: Path, minutes: float, seed: int, size: int = 24,
                       on_batch: Optional[Callable[[dict[str, Any]], None]] = None,
                       max_batches: Optional[int] = None) -> BatchSummary:
    """Batches of ``size`` configs through model, cppsim and rtlsim until ``minutes`` have
    passed (checked between batches) or ``max_batches`` ran."""
    out.mkdir(parents=True, exist_ok=True)
    log = out / "campaign.jsonl"
    deadline = time.monotonic() + 60.0 * minutes
    summary = BatchSummary()
    while time.monotonic() < deadline and (max_batches is None or summary.batches < max_batches):
        rec = _run_batch(out, log, seed, summary.batches, size, summary)
        summary.batches += 1
        if on_batch:
            on_batch(rec)
    return summary
