"""Worker side of the farm: run one :class:`~qsim.farm._suite.Job` as a subprocess.

Every job is a child process (``python -m qsim.cli verify ...``, ``python -m qsim.cli fuzz
...``, ``python -m qsim.farm.tasks ...``) with its own timeout (the whole process group is
killed when it expires), one thread for OpenMP/BLAS/MKL/numba, and its working directory
at the root of the build cache, so qsim's ``.qsim_cache`` (Verilator and g++ builds,
content-addressed) is the farm's. The cache and the output directory are *shared* when the
worker sees the token the client wrote in them (same folder on every machine); otherwise
the worker uses a cache of its own machine and returns logs to the client.

Jobs that compile (cppsim, rtlsim levels, stitched shards) hold one of the machine's build
slots: an ``fcntl`` lock on ``<cache>/build-slot-<i>.lock``.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from ._store import append_line, write_result
from ._suite import Job

__all__ = ["FarmPaths", "THREAD_ENV", "command", "run_job"]

THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}
LOG_TAIL = 4000
TOKEN_FILE = ".qsim-farm-token"


@dataclass(frozen=True)
class FarmPaths:
    """Where the client keeps results (``out``) and the build cache, and its run token."""

    out: str
    cache: str
    token: str
    run_id: str
    build_slots: int = 1


def _shared(folder: str, token: str) -> bool:
    try:
        return (Path(folder) / TOKEN_FILE).read_text().strip() == token
    except OSError:
        return False


def _local_cache() -> Path:
    return Path(tempfile.gettempdir()) / f"qsim-farm-cache-{os.getuid()}"


def _pdeathsig() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Own process group, killed with SIGKILL if the worker dies (Linux prctl)."""
    os.setsid()
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextmanager
def build_slot(cache: Path, slots: int, needed: bool) -> Iterator[None]:
    """Hold one of ``slots`` build locks of ``cache`` while ``needed`` (else a no-op)."""
    if not needed:
        yield
        return
    cache.mkdir(parents=True, exist_ok=True)
    fh = None
    for i in range(slots):  # a free slot, else wait on slot 0
        fh = (cache / f"build-slot-{i}.lock").open("w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            fh.close()
            fh = None
    if fh is None:
        fh = (cache / "build-slot-0.lock").open("w")
        fcntl.flock(fh, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def zoo_files(job: Job, cache: Path) -> tuple[str, Optional[str]]:
    """(model path, folding path or None) of ``job``; a zoo net is exported once per cache
    (under a lock, the model file renamed into place last)."""
    m = job.model
    assert m is not None
    fold = None if job.folding == "none" else job.folding
    if m.zoo is None:
        assert m.path is not None
        return m.path, fold
    net, variant = m.zoo
    zdir = cache / "zoo"
    zdir.mkdir(parents=True, exist_ok=True)
    onnx, fjson = zdir / f"{net}-{variant}-seed0.onnx", zdir / f"{net}-default-folding.json"
    with (zdir / f"{net}-{variant}.lock").open("w") as lk:  # one export per net and variant
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not onnx.exists():
            subprocess.run([sys.executable, "-m", "qsim.farm.tasks", "zoo", net, variant,
                            str(onnx), str(fjson)], check=True, cwd=cache, capture_output=True,
                           env={**os.environ, **THREAD_ENV}, timeout=job.timeout)
    return str(onnx), (str(fjson) if job.folding == "default" else fold)


def command(job: Job, model: Optional[str], folding: Optional[str], work: Path) -> list[str]:
    """The argv of ``job`` (after ``python -m``)."""
    o = job.opt
    if job.kind == "verify":
        argv = ["qsim.cli", "verify", str(model)] + (["--folding", folding] if folding else [])
        return argv + ["--levels", o("levels"), "--random", str(o("random")), "--seed",
                       str(o("seed")), "--report", str(work)]
    if job.kind == "fuzz":
        argv = ["qsim.cli", "fuzz", "--seed", str(o("seed")), "--minutes", str(o("minutes")),
                "--levels", o("levels"), "--results", str(work), "--resume"]
        return argv + (["--max-rounds", str(o("max_rounds"))] if o("max_rounds") else [])
    if job.kind == "stitched":
        return ["qsim.farm.tasks", "shard", str(model), "--folding", folding or "none"] + [
            x for k in ("frames", "shards", "index", "seed") for x in (f"--{k}", str(o(k)))]
    return ["qsim.farm.tasks", "golden", o("case"), "--levels", o("levels")]


def repro(argv: list[str]) -> str:
    """One-line repro: ``qsim ...`` for CLI commands, ``python -m ...`` otherwise."""
    if argv[0] == "qsim.cli":
        return shlex.join(["qsim", *argv[1:]])
    return shlex.join(["python", "-m", *argv])


def _run(argv: list[str], cwd: Path, deadline: float, timeout: float, log: Path
         ) -> tuple[str, Optional[int]]:
    """Run ``python -m argv`` with its output in ``log`` until ``deadline`` (time.time(); the
    job's ``timeout`` is what the log names); (status, exit code)."""
    env = {**os.environ, **THREAD_ENV, "PYTHONUNBUFFERED": "1"}
    left = deadline - time.time()
    with log.open("ab") as fh:
        if left <= 0:
            fh.write(f"\n[qsim regress] timeout after {timeout:g} s: not started\n".encode())
            return "timeout", None
        proc = subprocess.Popen([sys.executable, "-m", *argv], cwd=cwd, env=env, stdout=fh,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=_pdeathsig)
        try:
            rc = proc.wait(timeout=left)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            fh.write(f"\n[qsim regress] timeout after {timeout:g} s: killed\n".encode())
            return "timeout", None
    return {0: "pass", 1: "fail"}.get(rc, "error"), rc


def _execute(job: Job, paths: FarmPaths, cache: Path, work: Path, log: Path, t0: float
             ) -> tuple[str, Optional[int], list[str]]:
    """Export a zoo model if needed, take a build slot if the job compiles, run it.

    A stitched shard builds its harness in the slot and simulates outside it; ``qsim verify``
    builds and simulates in one process, so a verify job that compiles holds the slot."""
    done, status, rc = False, "error", None
    deadline = t0 + job.timeout
    with build_slot(cache, paths.build_slots, job.builds):
        model, folding = zoo_files(job, cache) if job.model else (None, None)
        argv = command(job, model, folding, work)
        if job.kind == "stitched":
            status, rc = _run(argv + ["--build-only"], cache, deadline, job.timeout, log)
            done = status != "pass"
        elif job.builds:
            status, rc = _run(argv, cache, deadline, job.timeout, log)
            done = True
    if not done:
        status, rc = _run(argv, cache, deadline, job.timeout, log)
    return status, rc, argv


def run_job(job: Job, paths: FarmPaths) -> dict[str, Any]:
    """Run ``job`` on this worker; its result record (also written to DIR/jobs/<key>.json
    and its start to DIR/starts.jsonl when DIR is shared with this worker)."""
    out_shared = _shared(paths.out, paths.token)
    cache = Path(paths.cache) if _shared(paths.cache, paths.token) else _local_cache()
    base = Path(paths.out) if out_shared else cache / "farm-out"
    work, logs = base / "work" / job.key, base / "logs"
    for d in (work, logs, cache):
        d.mkdir(parents=True, exist_ok=True)
    log = logs / f"{job.key}.log"
    log.write_text("")
    start = {"key": job.key, "run_id": paths.run_id, "start": uuid.uuid4().hex,
             "host": socket.gethostname(), "pid": os.getpid(), "time": time.time()}
    if out_shared:
        append_line(Path(paths.out) / "starts.jsonl", start)
    t0 = time.time()
    status, rc, argv = "error", None, ["?"]
    try:
        status, rc, argv = _execute(job, paths, cache, work, log, t0)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        with log.open("a") as fh:
            fh.write(f"\n[qsim regress] job could not start: {type(exc).__name__}: {exc}\n"
                     f"{detail.decode(errors='replace') if isinstance(detail, bytes) else detail}")
    text = log.read_text(errors="replace")
    result = {"key": job.key, "name": job.name, "kind": job.kind, "status": status,
              "returncode": rc, "seconds": round(time.time() - t0, 3),
              "timeout": job.timeout, "repro": repro(argv), "log": f"logs/{job.key}.log",
              "log_tail": text[-LOG_TAIL:], "run_id": paths.run_id, "start": start["start"],
              "host": start["host"], "worker_pid": os.getpid(), "finished": time.time(),
              "content": job.content()}
    if out_shared:
        write_result(Path(paths.out), result)
    return result


def token_files(paths: FarmPaths) -> None:
    """Client side: mark ``out`` and the cache with this run's token (see :func:`_shared`)."""
    for folder in {paths.out, paths.cache}:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / TOKEN_FILE).write_text(paths.token + "\n")


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, sort_keys=True)
