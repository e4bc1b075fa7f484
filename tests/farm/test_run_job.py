"""One job on the worker side, without a cluster: a timeout is a timeout (process group
killed, JUnit error of type timeout, TIMEOUT in the page), and a worker that does not share
DIR leaves the result to the client."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from qsim.farm import load_suite
from qsim.farm._report import render_html, write_junit
from qsim.farm._runjob import FarmPaths, run_job, token_files

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _job(tmp_path: Path, timeout: float):  # type: ignore[no-untyped-def]
    suite = tmp_path / "s.toml"
    suite.write_text(f'[[models]]\nmodel = "{EXAMPLES / "tfc_w2a2_digits.onnx"}"\n'
                     f'levels = "ref,model"\ntimeout = {timeout}\n')
    return load_suite(str(suite)).jobs[0]


def test_a_job_past_its_timeout_is_killed_and_reported_as_timeout(tmp_path: Path) -> None:
    job = _job(tmp_path, 0.5)
    paths = FarmPaths(out=str(tmp_path / "out"), cache=str(tmp_path / "cache"), token="t1",
                      run_id="r1")
    token_files(paths)
    result = run_job(job, paths)
    assert result["status"] == "timeout" and result["returncode"] is None
    assert result["seconds"] < 30
    assert (tmp_path / "out" / "jobs" / f"{job.key}.json").exists()  # DIR shared: stored
    log = (tmp_path / "out" / "logs" / f"{job.key}.log").read_text()
    assert "timeout after 0.5 s: killed" in log
    assert result["repro"].startswith("qsim verify ") and "--levels ref,model" in result["repro"]
    write_junit(tmp_path / "junit.xml", [result], "s.toml")
    err = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite/testcase/error")
    assert err is not None and err.get("type") == "timeout"
    assert "timeout after 0.5 s" in str(err.get("message"))
    summary = {"suite": "s.toml", "pass": False, "counts": {"timeout": 1}, "seconds": 1.0,
               "cluster": "test", "run_id": "r1",
               "diff": {"new_failures": [job.key], "fixed": [], "flaky": []}}
    page = render_html(tmp_path / "out", [result], summary)
    assert "TIMEOUT (0.5 s)" in page and "new failures</span> (1)" in page


def test_a_worker_without_the_token_keeps_dir_untouched(tmp_path: Path) -> None:
    job = _job(tmp_path, 0.5)
    paths = FarmPaths(out=str(tmp_path / "out"), cache=str(tmp_path / "cache"), token="t2",
                      run_id="r2")
    (tmp_path / "out").mkdir()  # no token written: this worker is "on another machine"
    result = run_job(job, paths)
    assert result["status"] == "timeout"
    assert not (tmp_path / "out" / "jobs").exists() and not (tmp_path / "cache").exists()
    assert "timeout after 0.5 s" in result["log_tail"]
