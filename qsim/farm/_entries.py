"""Expansion of each suite section into jobs (see :mod:`qsim.farm._suite` for the format)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qsim.errors import UsageError

from ._suite import (
    _FUZZ_KEYS,
    _GOLDEN_KEYS,
    _MODEL_KEYS,
    _STITCHED_KEYS,
    BUILD_LEVELS,
    Job,
    _int,
    _keys,
    _levels,
    _num,
    _seeds,
    _with_key,
    folding_ref,
    model_ref,
)

__all__ = ["expand"]


def _tables(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise UsageError(f"suite entry {name} must be an array of tables ([[{name}]])")
    return value


def _builds(levels: str) -> bool:
    return bool(BUILD_LEVELS & set(levels.split(",")))


def _model_jobs(i: int, entry: Any, base: Path, timeout: float) -> list[Job]:
    from qsim.verify.levels import available_levels

    where = f"models[{i}]"
    e = _keys(entry, _MODEL_KEYS, where, ("model", "levels"))
    model = model_ref(e["model"], base, f"{where}.model")
    foldings = e.get("foldings", ["default" if model.zoo else "none"])
    if not isinstance(foldings, list) or not foldings:
        raise UsageError(f"suite entry {where}.foldings = {foldings!r} must be a non-empty list")
    levels = e["levels"] if isinstance(e["levels"], list) else [e["levels"]]
    levels = [_levels(lv, f"{where}.levels[{k}]", available_levels())
              for k, lv in enumerate(levels)]
    seeds = _seeds(e.get("seeds", [0]), f"{where}.seeds")
    inputs = _int(e.get("inputs", 4), f"{where}.inputs", 1)
    tmo = _num(e.get("timeout", timeout), f"{where}.timeout")
    jobs = []
    for k, fold in enumerate(foldings):
        fname, fsha = folding_ref(fold, model, base, f"{where}.foldings[{k}]")
        for lv in levels:
            for seed in seeds:
                short = Path(fname).name if fsha else fname
                jobs.append(_with_key(Job(
                    kind="verify", name=f"verify {model.name} {short} {lv} seed={seed}",
                    opts=(("levels", lv), ("random", inputs), ("seed", seed)), model=model,
                    folding=fname, folding_sha256=fsha, timeout=tmo, builds=_builds(lv))))
    return jobs


def _fuzz_jobs(i: int, entry: Any, timeout: float) -> list[Job]:
    from qsim.verify.levels import available_levels

    where = f"fuzz[{i}]"
    e = _keys(entry, _FUZZ_KEYS, where, ("seeds",))
    minutes = _num(e.get("minutes", 1.0), f"{where}.minutes")
    levels = _levels(e.get("levels", "model,cppsim"), f"{where}.levels", available_levels())
    rounds = e.get("max_rounds")
    opts: list[tuple[str, Any]] = [("minutes", minutes), ("levels", levels)]
    if rounds is not None:
        opts.append(("max_rounds", _int(rounds, f"{where}.max_rounds", 1)))
    tmo = _num(e.get("timeout", max(timeout, 60 * minutes + 300)), f"{where}.timeout")
    return [_with_key(Job(kind="fuzz", name=f"fuzz {levels} seed={s} {minutes:g} min",
                          opts=(("seed", s), *opts), timeout=tmo, builds=_builds(levels)))
            for s in _seeds(e["seeds"], f"{where}.seeds")]


def _stitched_jobs(i: int, entry: Any, base: Path, timeout: float) -> list[Job]:
    where = f"stitched[{i}]"
    e = _keys(entry, _STITCHED_KEYS, where, ("model", "frames"))
    model = model_ref(e["model"], base, f"{where}.model")
    fname, fsha = folding_ref(e.get("folding", "default" if model.zoo else "none"), model,
                              base, f"{where}.folding")
    frames = _int(e["frames"], f"{where}.frames", 1)
    shards = _int(e.get("shards", 1), f"{where}.shards", 1)
    if shards > frames:
        raise UsageError(f"suite entry {where}.shards = {shards!r} exceeds frames = {frames!r}")
    seed = _int(e.get("seed", 0), f"{where}.seed")
    tmo = _num(e.get("timeout", timeout), f"{where}.timeout")
    return [_with_key(Job(kind="stitched", name=f"stitched {model.name} shard {k}/{shards} "
                                                 f"of {frames} frames seed={seed}",
                          opts=(("frames", frames), ("shards", shards), ("index", k),
                                ("seed", seed)),
                          model=model, folding=fname, folding_sha256=fsha, timeout=tmo,
                          builds=True))
            for k in range(shards)]


def _golden_jobs(entry: Any, timeout: float) -> list[Job]:
    from qsim.verify.golden import CASES
    from qsim.verify.levels import available_levels

    e = _keys(entry, _GOLDEN_KEYS, "golden", ("cases",))
    known = {c.name: c for c in CASES}
    cases = e["cases"]
    if cases == "all":
        cases = [c.name for c in CASES if not c.slow]
    if not isinstance(cases, list) or not cases:
        raise UsageError(f"suite entry golden.cases = {cases!r} must be 'all' or a list of "
                         f"case names")
    unknown = [c for c in cases if c not in known]
    if unknown:
        raise UsageError(f"suite entry golden.cases: unknown golden case(s) {unknown!r}")
    levels = _levels(e.get("levels", "model"), "golden.levels", available_levels())
    tmo = _num(e.get("timeout", timeout), "golden.timeout")
    return [_with_key(Job(kind="golden", name=f"golden {c} {levels}",
                          opts=(("case", c), ("levels", levels)), timeout=tmo,
                          builds=_builds(levels)))
            for c in cases]


def expand(data: dict[str, Any], base: Path, timeout: float) -> list[Job]:
    """Every job of the parsed suite ``data`` (files relative to ``base``), in file order."""
    jobs: list[Job] = []
    for i, entry in enumerate(_tables(data, "models")):
        jobs += _model_jobs(i, entry, base, timeout)
    for i, entry in enumerate(_tables(data, "fuzz")):
        jobs += _fuzz_jobs(i, entry, timeout)
    for i, entry in enumerate(_tables(data, "stitched")):
        jobs += _stitched_jobs(i, entry, base, timeout)
    if "golden" in data:
        jobs += _golden_jobs(data["golden"], timeout)
    return jobs
