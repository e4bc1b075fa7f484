"""Client side of the farm: jobs as Dask distributed tasks, on a LocalCluster or a scheduler.

A LocalCluster has ``workers`` processes with one thread each and the resource
``build=1``; a remote scheduler's workers get ``build`` only if they were started with
``--resources build=1`` (jobs then ask for it; without it they don't, and the per-machine
build lock still holds). Tasks are submitted with ``retries`` (a job whose function raised),
and a task on a worker that dies is rescheduled by the scheduler itself.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from qsim.errors import UsageError

from ._runjob import FarmPaths, run_job, token_files
from ._store import finished, write_result
from ._suite import Job

__all__ = ["client", "run_jobs"]


@contextmanager
def client(scheduler: Optional[str], workers: int) -> Iterator[Any]:
    """A distributed Client on ``scheduler`` (tcp://HOST:PORT) or a new LocalCluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            c = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"--scheduler {scheduler!r}: cannot connect ({exc})") from None
        with c:
            yield c
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      resources={"build": 1}, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as c:
        yield c


def _has_build_resource(c: Any) -> bool:
    info = c.scheduler_info().get("workers", {})
    return any("build" in (w.get("resources") or {}) for w in info.values())


def run_jobs(c: Any, jobs: list[Job], out: Path, cache: Path, retries: int,
             build_slots: int, on_done: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run ``jobs`` on the cluster of ``c``; every result is stored under DIR/jobs as it
    arrives (by the worker when it shares DIR, else here) and passed to ``on_done``."""
    from distributed import as_completed

    run_id = uuid.uuid4().hex
    paths = FarmPaths(out=str(out.resolve()), cache=str(cache.resolve()),
                      token=uuid.uuid4().hex, run_id=run_id, build_slots=build_slots)
    token_files(paths)
    build_res = _has_build_resource(c)
    futures: dict[Any, Job] = {}
    for job in jobs:
        res = {"build": 1} if job.builds and build_res else None
        futures[c.submit(run_job, job, paths, key=f"qsim-{job.key}-{run_id[:8]}",
                         retries=retries, resources=res, pure=False)] = job
    t0 = time.time()
    try:
        for fut in as_completed(list(futures)):
            result = _result_of(fut, futures[fut], run_id)
            stored = finished(out).get(result["key"])
            if result["start"] is not None and (stored is None
                                                or stored.get("start") != result["start"]):
                _client_side_store(out, result)
            on_done(result)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return {"run_id": run_id, "seconds": round(time.time() - t0, 3)}


def _result_of(fut: Any, job: Job, run_id: str) -> dict[str, Any]:
    """The job's result, or an "error" record when the task itself failed (every retry; not
    stored, so a resume runs the job again)."""
    try:
        return dict(fut.result())
    except Exception as exc:
        return {"key": job.key, "name": job.name, "kind": job.kind, "status": "error",
                "returncode": None, "seconds": 0.0, "timeout": job.timeout, "repro": "",
                "log": "", "log_tail": f"farm task failed: {type(exc).__name__}: {exc}",
                "run_id": run_id, "start": None, "host": "", "finished": time.time(),
                "content": job.content()}


def _client_side_store(out: Path, result: dict[str, Any]) -> None:
    """A worker that does not share DIR returned its log: write it and the result here."""
    log = out / "logs" / f"{result['key']}.log"
    if not log.exists() and result.get("log"):
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.get("log_tail", ""))
    write_result(out, result)
