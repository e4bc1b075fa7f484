"""``qsim regress`` on a LocalCluster of 2 workers: a worker and then the client are killed
(SIGKILL) mid-run, ``--resume`` finishes the suite; no result is lost and no finished job runs
again (checked on the result files' mtimes and start ids and on DIR/starts.jsonl, the run
counter every job start appends to). Then JUnit and HTML are checked and a second, fresh run
is diffed against the first."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASES = ["maxpool_k2_pe2_bipolar", "thresholding_int8_uint2_pe4", "swg_depthwise_k3_simd2",
         "mvtu_xnor_bipolar_pe2_simd16"]
N_JOBS = len(CASES) + 2
SUITE = f"""
[farm]
timeout = 300
[[models]]
model = "{EXAMPLES / 'tfc_w2a2_digits.onnx'}"
foldings = ["{EXAMPLES / 'tfc_folding.json'}"]
levels = "model"
seeds = [0, 1]
inputs = 2
[golden]
cases = {json.dumps(CASES)}
levels = "model"
"""


def _wait(what: str, cond: Callable[[], Any], timeout: float = 240.0) -> Any:
    t0 = time.time()
    while time.time() - t0 < timeout:
        value = cond()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _starts(out: Path) -> list[dict[str, Any]]:
    p = out / "starts.jsonl"
    lines = p.read_text().splitlines() if p.exists() else []
    return [json.loads(line) for line in lines if line.endswith("}")]


def _results(out: Path) -> dict[str, tuple[int, dict[str, Any]]]:
    return {p.stem: (p.stat().st_mtime_ns, json.loads(p.read_text()))
            for p in (out / "jobs").glob("*.json")} if (out / "jobs").is_dir() else {}


def _regress(suite: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "qsim.cli", "regress", str(suite), "--out", str(out),
            "--workers", "2", *extra]


def _kill_mid_run(suite: Path, out: Path) -> str:
    """Start a run, SIGKILL the worker of the first running job, then the client; the key
    of the job whose worker was killed."""
    with (out.parent / "client.log").open("w") as log:
        client = subprocess.Popen(_regress(suite, out), stdout=log, stderr=log,
                                  start_new_session=True)
    try:
        first = _wait("a job start", lambda: _starts(out))[0]
        assert first["key"] not in _results(out), "the first job finished before the kill"
        os.kill(first["pid"], signal.SIGKILL)  # the worker running it
        _wait("two finished jobs", lambda: len(_results(out)) >= 2)
        assert client.poll() is None, "the client finished before it could be killed"
    finally:
        os.kill(client.pid, signal.SIGKILL)
        client.wait()
    time.sleep(3)  # anything the dead client left behind would write now
    return str(first["key"])


def test_kill_worker_and_client_then_resume(tmp_path: Path) -> None:
    suite, out = tmp_path / "suite.toml", tmp_path / "out"
    suite.write_text(SUITE)
    victim = _kill_mid_run(suite, out)
    before = _results(out)
    n_starts = len(_starts(out))
    assert 2 <= len(before) < N_JOBS, f"{len(before)} of {N_JOBS} finished before the kill"
    proc = subprocess.run(_regress(suite, out, "--resume"), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    after = _results(out)
    assert len(after) == N_JOBS and all(r["status"] == "pass" for _, r in after.values())
    for key, (mtime, rec) in before.items():  # finished jobs: untouched
        assert after[key][0] == mtime and after[key][1]["start"] == rec["start"]
    resumed = _starts(out)[n_starts:]
    assert sorted(s["key"] for s in resumed) == sorted(set(after) - set(before))
    assert {after[s["key"]][1]["start"] for s in resumed} == {s["start"] for s in resumed}
    # the job of the killed worker ran again (rescheduled by dask, or by the resume) and passed
    assert sum(s["key"] == victim for s in _starts(out)) >= 2 and victim in after
    assert f"({len(before)} finished earlier, skipped)" in proc.stderr
    _check_reports(out)
    _fresh_run_diffs_against_the_last(suite, out)


def _check_reports(out: Path) -> None:
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == \
        (str(N_JOBS), "0", "0")
    assert len(suite.findall("testcase")) == N_JOBS
    page = (out / "report.html").read_text()
    assert "<h2>Job matrix</h2>" in page and page.count("PASS</span>") >= N_JOBS
    assert all((out / "logs" / f"{k}.log").stat().st_size > 0 for k in _results(out))


def _fresh_run_diffs_against_the_last(suite: Path, out: Path) -> None:
    """A fresh run of a suite with a failing job: the diff names it a new failure."""
    text = suite.read_text().replace('levels = "model"\nseeds = [0, 1]',
                                     'levels = "model"\nseeds = [0]')
    text = text.replace(f"cases = {json.dumps(CASES)}", 'cases = ["maxpool_k2_pe2_bipolar"]')
    bad = out.parent / "bad_fold.json"
    bad.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 7, "SIMD": 1}}))
    small = out.parent / "small.toml"
    small.write_text(text + f'[[models]]\nmodel = "{EXAMPLES / "tfc_w2a2_digits.onnx"}"\n'
                            f'foldings = ["{bad}"]\nlevels = "model"\n')
    proc = subprocess.run(_regress(small, out), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"pass": 2, "error": 1}
    assert [summary["names"][k] for k in summary["diff"]["new_failures"]] == \
        [f"verify {EXAMPLES / 'tfc_w2a2_digits.onnx'} bad_fold.json model seed=0"]
    assert len(list((out / "previous" / "jobs").glob("*.json"))) == N_JOBS  # the diff's base
    log = out / "logs" / f"{summary['diff']['new_failures'][0]}.log"
    assert "MH % PE == 0 violated: MH=64, PE=7" in log.read_text()


@pytest.mark.slow
@pytest.mark.rtlsim
def test_stitched_shards_of_the_bundled_example_are_bit_exact(tmp_path: Path) -> None:
    """Two rtlsim-stitched shards (the harness built once, under the build lock) each
    compare their frames exactly with the model."""
    suite, out = tmp_path / "suite.toml", tmp_path / "out"
    suite.write_text(f'[[stitched]]\nmodel = "{EXAMPLES / "tfc_w2a2_digits.onnx"}"\n'
                     f'folding = "{EXAMPLES / "tfc_folding.json"}"\nframes = 24\nshards = 2\n')
    proc = subprocess.run(_regress(suite, out), capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr
    logs = sorted((out / "logs").glob("*.log"))
    texts = sorted(p.read_text().strip().splitlines()[-1] for p in logs)
    assert [t.split(" (")[0] for t in texts] == ["shard 0: frames 0..11 bit-exact",
                                                  "shard 1: frames 12..23 bit-exact"]
