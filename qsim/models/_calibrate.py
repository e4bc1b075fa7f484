"""Choose the MVTU's exact matmul path by measured speed on the running machine.

Every candidate path is exact for the operands it is offered for (qsim/models/_mvtu_fast.py
states each bound), so the choice changes speed only, never results. The choice is made per
*shape class* (exactness mode, operand bit widths, power-of-two buckets of M, K, N and the set
of exact candidates) by timing each candidate on random operands of that class, the first
time the class is needed (tens of milliseconds per class), and cached:

* in memory for the process, and
* in ``$XDG_CACHE_HOME/qsim/matmul_paths.json`` (default ``~/.cache/qsim``) under a key of the
  machine (CPU model and flags, core count, numpy/torch/numba versions), so a later process on
  the same machine skips the measurement. An unwritable cache directory means no disk cache.

``QSIM_MATMUL_PATH=<name>`` forces a path wherever it is exact (tests and benchmarks); where
it is not, the measured choice serves.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import time
from pathlib import Path
from typing import Callable, Optional

from qsim.errors import ConfigError

__all__ = ["ISA_LIMITS", "PATHS", "cache_path", "calibrate", "calibration_rows", "choose",
           "cpu_features", "forced_path", "isa_limits", "machine_key", "measure", "reset",
           "shape_class"]

# every path the MVTU knows, in the order preferred when timings tie
PATHS = ("xnor", "int8", "f32", "f64", "int64")
ENV_PATH = "QSIM_MATMUL_PATH"
_CACHE_VERSION = 1
_M_CAP = 1 << 14  # M buckets stop here: beyond, time per row no longer depends on M
_CAL_MACS = 1 << 25  # work of one calibration run (rows are cut to fit)
_memory: dict[str, str] = {}


def forced_path() -> Optional[str]:
    """The path named by ``QSIM_MATMUL_PATH``, or None when unset or empty."""
    name = os.environ.get(ENV_PATH, "").strip()
    if not name:
        return None
    if name not in PATHS:
        raise ConfigError(f"{ENV_PATH}={name!r} is not a matmul path; choose one of {PATHS!r}")
    return name


def _cpuinfo() -> tuple[str, list[str]]:
    """(model name, flags) from /proc/cpuinfo; (platform.processor(), []) elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine(), []
    model, flags = "", list[str]()
    for line in text.splitlines():
        key, _, val = line.partition(":")
        if key.strip() == "model name" and not model:
            model = val.strip()
        elif key.strip() == "flags" and not flags:
            flags = val.split()
    return model or platform.machine(), flags


def cpu_features() -> dict[str, object]:
    """CPU model, core count and the SIMD flags that decide which path is fast."""
    model, flags = _cpuinfo()
    simd = sorted(f for f in flags if f.startswith(("avx", "sse4", "fma", "amx"))
                  or "vnni" in f or f in ("popcnt", "bmi2", "asimd", "sve"))
    return {"model": model, "cores": os.cpu_count(), "simd": simd,
            "vnni": any("vnni" in f for f in flags), "isa_limits": isa_limits()}


#: environment variables that narrow the instruction sets the kernels use (an older CPU
#: emulated on a newer one): they change which path is fast, so they are part of the key
ISA_LIMITS = ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "ATEN_CPU_CAPABILITY",
              "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "OPENBLAS_CORETYPE")


def isa_limits() -> dict[str, str]:
    """The :data:`ISA_LIMITS` variables that are set, with their values."""
    return {k: os.environ[k] for k in ISA_LIMITS if os.environ.get(k)}


@functools.lru_cache(maxsize=1)
def machine_key() -> str:
    """Short hash of what decides path speed: CPU, flags, cores and library versions."""
    import numba
    import numpy

    try:
        import torch

        tv = f"{torch.__version__}/{torch.get_num_threads()}"
    except ImportError:  # torch is optional for the model: the int8 path is then not offered
        tv = "none"
    model, flags = _cpuinfo()
    text = "|".join([model, " ".join(sorted(flags)), str(os.cpu_count()), numpy.__version__,
                     tv, numba.__version__, str(_CACHE_VERSION), *isa_limits().values()])
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _bucket(v: int) -> int:
    """Smallest power of two >= v."""
    return 1 << max(0, int(v) - 1).bit_length()


def shape_class(mode: str, xbits: str, wbits: str, m: int, k: int, n: int,
                candidates: tuple[str, ...]) -> str:
    """Cache key of one matmul class (M capped at 2**14 rows); ``xbits``/``wbits`` describe
    the operand widths (e.g. "8", "s1")."""
    mb = min(_bucket(m), _M_CAP)
    return (f"{mode}|x{xbits}|w{wbits}|M{mb}|K{_bucket(k)}|N{_bucket(n)}|"
            f"{','.join(candidates)}")


def calibration_rows(m: int, k: int, n: int) -> int:
    """Rows of the final calibration runs: the class's M bucket, cut to about 2**25 MACs."""
    return max(8, min(_bucket(m), _M_CAP, _CAL_MACS // max(1, k * n)))


def cache_path() -> Path:
    """The JSON cache file (it may not exist or be writable)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qsim" / "matmul_paths.json"


# {"path": name, "load": 1-min load average, "ms": {name: ms per run}, "took_s": seconds}
Entry = dict[str, object]


def _load() -> dict[str, dict[str, Entry]]:
    """machine key -> {class key -> entry} from the disk cache ({} when absent or invalid)."""
    try:
        data = json.loads(cache_path().read_text())
    except (OSError, ValueError):
        return {}
    ok = isinstance(data, dict) and data.get("version") == _CACHE_VERSION and \
        isinstance(data.get("machines"), dict)
    return data["machines"] if ok else {}


def _store(key: str, entry: Entry) -> None:
    """Add one choice to the disk cache (atomic replace); silently skip when unwritable."""
    machines = _load()
    machines.setdefault(machine_key(), {})[key] = entry
    data = {"version": _CACHE_VERSION, "machines": machines}
    file = cache_path()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, file)
    except OSError:
        pass


def _load_avg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # not available on this platform
        return 0.0


def measure(runners: dict[str, Callable[[], object]], rounds: int = 3, budget: float = 0.08,
            max_rounds: int = 30) -> dict[str, float]:
    """Best seconds per run of each candidate.

    Each runs twice to warm up (compiles, caches, thread pools). Then rounds of one run per
    candidate, interleaved so that load from other processes falls on all of them alike,
    keeping each one's minimum: at least ``rounds`` rounds, more (up to ``max_rounds``) while
    the time spent stays under ``budget`` seconds, since on a busy machine only the quiet
    moments show what a path costs. The order rotates: a path that leaves threads spinning
    (BLAS) does not always slow the same successor. After three rounds, candidates 4x slower
    than the best stop (their times stay in the result), so the close ones get the rounds.
    """
    for _ in range(2):  # the first calls also start thread pools
        for run in runners.values():
            run()
    names = list(runners)
    best = {name: float("inf") for name in names}
    start = time.perf_counter()
    for r in range(max_rounds):
        if r >= rounds and time.perf_counter() - start > budget:
            break
        for name in names[r % len(names):] + names[:r % len(names)]:  # rotate who goes first
            t0 = time.perf_counter()
            runners[name]()
            best[name] = min(best[name], time.perf_counter() - t0)
        if r == 2:  # three runs each: the clearly slower ones stop using the budget
            names = [n for n in names if best[n] <= 4 * min(best.values())]
    return best


def calibrate(rows: int, make_runners: Callable[[int], dict[str, Callable[[], object]]]
              ) -> Entry:
    """Screen every candidate on rows / 8, then time those within 3x of the best on
    ``rows`` (small runs are dominated by thread wake-ups; large ones would cost seconds
    for the slow paths)."""
    t0 = time.perf_counter()
    first = measure(make_runners(max(8, rows // 8)))
    fastest = min(first.values())
    live = [p for p, t in first.items() if t <= 3 * fastest]
    final = measure({p: r for p, r in make_runners(rows).items() if p in live}) \
        if len(live) > 1 else {live[0]: first[live[0]] * 8}
    order = list(first)  # the candidates in their order of preference
    path = min(final, key=lambda p: (final[p], order.index(p)))
    times = {p: round(1e3 * final.get(p, 8 * first[p]), 4) for p in first}
    return {"path": path, "load": round(_load_avg(), 2), "ms": times,
            "took_s": round(time.perf_counter() - t0, 3)}


def _usable(entry: object, candidates: tuple[str, ...]) -> bool:
    """A cached entry names a candidate and was not measured on a busy machine that is
    quiet now (then it is measured again)."""
    if not isinstance(entry, dict) or entry.get("path") not in candidates:
        return False
    cores = os.cpu_count() or 1
    busy_then = float(entry.get("load", 0.0)) >= cores  # type: ignore[arg-type]
    return not (busy_then and _load_avg() < cores / 2)


def choose(key: str, candidates: tuple[str, ...], rows: int,
           make_runners: Callable[[int], dict[str, Callable[[], object]]]) -> str:
    """The fastest of ``candidates`` for class ``key``: from memory, the disk cache, or by
    measuring the runs ``make_runners(rows)`` builds (name -> one calibration run)."""
    hit = _memory.get(key)
    if hit is None:
        entry = _load().get(machine_key(), {}).get(key)
        if not _usable(entry, candidates):
            entry = calibrate(rows, make_runners)
            _store(key, entry)
        assert isinstance(entry, dict)
        hit = str(entry["path"])
        _memory[key] = hit
    return hit


def reset() -> None:
    """Forget the in-memory choices (tests; the disk cache is kept)."""
    _memory.clear()
