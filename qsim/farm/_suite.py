"""A regression suite (SUITE.toml) read into a flat list of :class:`Job` s.

A suite names models (ONNX files, relative to the suite file, or zoo names ``net:variant``)
x foldings x levels x seeds, fuzz shards (seed ranges, minutes), bulk rtlsim-stitched shards
(frames split over shards) and golden cases. Every problem is a
:class:`~qsim.errors.UsageError` naming the entry (``models[1].levels``), which ``qsim
regress`` turns into exit status 2 before any job runs.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from qsim import __version__
from qsim.errors import UsageError

__all__ = ["Job", "ModelRef", "Suite", "load_suite"]

_FARM_KEYS = {"timeout", "retries", "build_slots"}
_MODEL_KEYS = {"model", "foldings", "levels", "seeds", "inputs", "timeout"}
_FUZZ_KEYS = {"seeds", "minutes", "levels", "max_rounds", "timeout"}
_STITCHED_KEYS = {"model", "folding", "frames", "shards", "seed", "timeout"}
_GOLDEN_KEYS = {"cases", "levels", "timeout"}
_TOP_KEYS = {"farm", "models", "fuzz", "stitched", "golden"}
#: Levels that compile something (g++ or Verilator): such jobs take a build slot.
BUILD_LEVELS = {"cppsim", "rtlsim", "rtlsim-stitched"}


@dataclass(frozen=True)
class ModelRef:
    """A model: a zoo net (``zoo`` = (net, variant), seed-0 weights) or an ONNX ``path``."""

    name: str
    zoo: Optional[tuple[str, str]] = None
    path: Optional[str] = None
    sha256: str = ""

    def identity(self) -> str:
        """What a job key hashes: the zoo name, or the file's content hash."""
        return f"zoo:{self.name}" if self.zoo else f"sha256:{self.sha256}"


@dataclass(frozen=True)
class Job:
    """One farm job: ``kind`` (verify, fuzz, stitched, golden) with its options.

    ``folding`` is "default" (the zoo folding), "none" or a JSON file path; ``key`` is the
    hash of the job's content (model identity, folding content, options, qsim version), so a
    changed model or option is a new job and an unchanged one a finished job.
    """

    kind: str
    name: str
    opts: tuple[tuple[str, Any], ...]
    model: Optional[ModelRef] = None
    folding: str = "none"
    folding_sha256: str = ""
    timeout: float = 900.0
    builds: bool = False
    key: str = field(default="", compare=False)

    def opt(self, name: str, default: Any = None) -> Any:
        return dict(self.opts).get(name, default)

    def content(self) -> dict[str, Any]:
        return {"kind": self.kind, "opts": [list(o) for o in self.opts],
                "model": self.model.identity() if self.model else None,
                "folding": self.folding_sha256 or self.folding, "qsim": __version__}


def _with_key(job: Job) -> Job:
    digest = hashlib.sha256(json.dumps(job.content(), sort_keys=True).encode()).hexdigest()
    return Job(**{**job.__dict__, "key": digest[:20]})


@dataclass(frozen=True)
class Suite:
    """The jobs of a suite file and its farm settings."""

    path: Path
    jobs: list[Job]
    retries: int = 2
    build_slots: int = 1


def _keys(entry: Any, allowed: set[str], where: str, required: tuple[str, ...] = ()
          ) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise UsageError(f"suite entry {where} must be a table, got {entry!r}")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise UsageError(f"suite entry {where}: unknown key(s) {unknown!r}; known: "
                         f"{sorted(allowed)!r}")
    for k in required:
        if k not in entry:
            raise UsageError(f"suite entry {where}: missing key {k!r}")
    return entry


def _int(value: Any, where: str, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise UsageError(f"suite entry {where} = {value!r} must be an integer >= {least}")
    return value


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UsageError(f"suite entry {where} = {value!r} must be a positive number")
    return float(value)


def _seeds(value: Any, where: str) -> list[int]:
    """A list of seeds, or a range table ``{start = a, stop = b}`` (b excluded)."""
    if isinstance(value, dict):
        _keys(value, {"start", "stop"}, where, ("start", "stop"))
        seeds = list(range(_int(value["start"], f"{where}.start"),
                           _int(value["stop"], f"{where}.stop")))
    elif isinstance(value, list):
        seeds = [_int(s, f"{where}[{i}]") for i, s in enumerate(value)]
    else:
        raise UsageError(f"suite entry {where} = {value!r} must be a list of seeds or "
                         f"{{start = A, stop = B}}")
    if not seeds:
        raise UsageError(f"suite entry {where} = {value!r} names no seed")
    return seeds


def _levels(value: Any, where: str, known: list[str]) -> str:
    from qsim.verify.cli_args import levels_arg

    if not isinstance(value, str):
        raise UsageError(f"suite entry {where} = {value!r} must be a string like 'ref,model'")
    return ",".join(levels_arg(value, known, flag=f"suite entry {where}"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file(value: Any, base: Path, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise UsageError(f"suite entry {where} = {value!r} must be a file name")
    p = (base / value).resolve()
    if not p.is_file():
        raise UsageError(f"suite entry {where}: file {value!r} does not exist "
                         f"(looked for {str(p)!r})")
    return p


def model_ref(value: Any, base: Path, where: str) -> ModelRef:
    """A zoo name ``net:variant`` or an ONNX file relative to ``base``."""
    from qsim.zoo import NETS, VARIANTS

    if isinstance(value, str) and ":" in value and not value.endswith(".onnx"):
        net, _, variant = value.partition(":")
        if net not in NETS or variant not in VARIANTS:
            raise UsageError(f"suite entry {where}: unknown zoo name {value!r}; nets "
                             f"{sorted(NETS)!r}, variants {list(VARIANTS)!r}")
        return ModelRef(name=value, zoo=(net, variant))
    p = _file(value, base, where)
    return ModelRef(name=str(value), path=str(p), sha256=_sha(p))


def folding_ref(value: Any, model: ModelRef, base: Path, where: str) -> tuple[str, str]:
    """(folding, its content hash): "default" (zoo nets only), "none" or a JSON file."""
    if value == "none":
        return "none", ""
    if value == "default":
        if model.zoo is None:
            raise UsageError(f"suite entry {where} = 'default' needs a zoo model, not the "
                             f"file {model.name!r}; give a folding JSON file or 'none'")
        return "default", ""
    p = _file(value, base, where)
    return str(p), _sha(p)


def load_suite(path: str) -> Suite:
    """Read and check SUITE.toml; every job it names, in file order."""
    from . import _entries

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"suite {path!r} does not exist or is not a file")
    try:
        data = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"suite {path!r} is not valid TOML: {exc}") from None
    _keys(data, _TOP_KEYS, "(top level)")
    farm = _keys(data.get("farm", {}), _FARM_KEYS, "farm")
    timeout = _num(farm.get("timeout", 900), "farm.timeout")
    jobs = _entries.expand(data, p.resolve().parent, timeout)
    if not jobs:
        raise UsageError(f"suite {path!r} names no job (add [[models]], [[fuzz]], "
                         f"[[stitched]] or [golden])")
    keys = [j.key for j in jobs]
    dup = sorted({j.name for j in jobs if keys.count(j.key) > 1})
    if dup:
        raise UsageError(f"suite {path!r} names the same job twice: {dup[:3]!r}")
    return Suite(p, jobs, retries=_int(farm.get("retries", 2), "farm.retries"),
                 build_slots=_int(farm.get("build_slots", 1), "farm.build_slots", 1))
