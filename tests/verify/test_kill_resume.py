"""kill -9 in the middle of ``qsim fuzz`` and ``qsim verify``, then resume: nothing lost,
nothing mixed (issue 17). The runs are real child processes killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from qsim.cli import main
from qsim.verify import report
from qsim.verify.fuzz import run_campaign

from ._models import tiny_mlp


def _qsim(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "qsim.cli", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool],
               timeout: float = 60.0) -> None:
    """SIGKILL ``proc`` as soon as ``ready()``; fails if it ended before that point."""
    end = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before the kill point"
        assert time.monotonic() < end, "the kill point was never reached"
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before the kill point"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _examples(path: Path) -> list[dict[str, Any]]:
    """The example records, without their wall-clock field."""
    recs = [json.loads(line) for line in _lines(path)]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in recs
            if r["event"] == "example"]


def test_fuzz_killed_mid_round_then_resumed_equals_uninterrupted(tmp_path: Path) -> None:
    seed, rounds = 4, 3
    run_campaign(tmp_path / "whole", minutes=5, seed=seed, levels=["model"], max_rounds=rounds)
    cut = tmp_path / "cut"
    log = cut / "campaign.jsonl"
    proc = _qsim("fuzz", "--seed", str(seed), "--levels", "model", "--max-rounds",
                 str(rounds), "--results", str(cut))
    # kill inside round 1: round 0 is done, some (not all) of round 1's examples are logged
    _kill_when(proc, lambda: any('"round": 1' in ln and '"example"' in ln for ln in _lines(log)))
    done = [json.loads(ln)["round"] for ln in _lines(log) if '"round done"' in ln]
    assert done == [0]
    with log.open("a") as fh:  # and the kill tore the line being written
        fh.write('{"event": "example", "seed": 4, "rou')
    s = run_campaign(cut, minutes=5, seed=seed, levels=["model"], max_rounds=rounds,
                     resume=True)
    assert s.skipped_rounds == 1 and s.rounds == rounds - 1
    assert all(json.loads(ln) for ln in _lines(log))  # the torn line is gone
    assert _examples(log) == _examples(tmp_path / "whole" / "campaign.jsonl")
    assert len(_examples(log)) == 10 * rounds


def test_fuzz_round_cut_by_the_time_budget_is_not_done(tmp_path: Path) -> None:
    s = run_campaign(tmp_path, minutes=1e-9, seed=2, levels=["model"], max_rounds=2)
    assert s.rounds == 0
    assert not any('"round done"' in ln for ln in _lines(tmp_path / "campaign.jsonl"))


def _report(d: Path) -> tuple[dict[str, Any], str]:
    return json.loads((d / "report.json").read_text()), (d / "report.html").read_text()


def _same_run(d: Path) -> bool:
    """report.json (a finished run's verdict) only beside the report.html of its own run."""
    if not (d / "report.json").exists():
        return True
    data, html = _report(d)
    return f"<code class='run-id'>{data['run_id']}</code>" in html


def test_verify_killed_then_rerun_never_mixes_runs(tmp_path: Path) -> None:
    model = str(tiny_mlp(tmp_path / "tiny.onnx"))
    args = ["verify", model, "--levels", "ref,model", "--random", "1000", "--seed", "9"]
    rep = tmp_path / "rep"
    assert main([*args[:5], "2", "--report", str(rep)]) == 0  # an older run's report
    old = _report(rep)[0]["run_id"]
    proc = _qsim(*args, "--report", str(rep))
    # kill the moment the run retires the old verdict (between its two steps, at the worst)
    _kill_when(proc, lambda: not (rep / "report.json").exists())
    assert _same_run(rep) and not (rep / "report.json").exists()
    assert main([*args[:5], "2", "--report", str(rep)]) == 0
    proc = _qsim(*args, "--report", str(rep))
    t0: list[float] = []  # and again well inside the run of the levels

    def mid_run() -> bool:
        if (rep / "report.json").exists():
            return False
        t0.append(time.monotonic())
        return time.monotonic() - t0[0] > 0.5

    _kill_when(proc, mid_run)
    assert _same_run(rep) and not (rep / "report.json").exists()
    assert "no verdict" in (rep / "report.html").read_text()
    assert main([*args, "--report", str(rep)]) == 0  # the rerun ("resume")
    assert main([*args, "--report", str(tmp_path / "whole")]) == 0  # never interrupted
    data, whole = _report(rep)[0], _report(tmp_path / "whole")[0]
    assert _same_run(rep) and data["run_id"] != old
    for key in ("pass", "inputs", "checks", "mismatches", "model_sha256", "seed"):
        assert data[key] == whole[key], key


def test_verify_interrupted_between_the_two_reports(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    model = str(tiny_mlp(tmp_path / "tiny.onnx"))
    args = ["verify", model, "--levels", "model", "--random", "2", "--report", str(tmp_path)]
    assert main(args) == 0

    def interrupted(path: Path, data: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_json_atomic", interrupted)
    assert main(args) == 130
    # the new HTML is there, the old JSON was removed at the start: never one of each run
    assert (tmp_path / "report.html").exists() and not (tmp_path / "report.json").exists()
    assert not list(tmp_path.glob(".*.tmp"))


ROUNDS = 6  # model-only rounds take ~0.1-0.3 s: enough of them that SIGINT lands mid-run


def _sigint_default() -> None:
    """In the child before exec: SIGINT back to its default. A test run started as a
    background job (``cmd &`` in a script, as a CI runner may) inherits SIGINT ignored, and
    Python keeps an ignored SIGINT ignored, so the fuzz run would never see the Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_mid_fuzz_round_is_130_and_resumes_like_a_kill(tmp_path: Path) -> None:
    cut = tmp_path / "cut"
    log = cut / "campaign.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "qsim.cli", "fuzz", "--seed", "6",
                             "--levels", "model", "--max-rounds", str(ROUNDS), "--results",
                             str(cut)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_sigint_default)
    end = time.monotonic() + 60
    while not any('"round": 0' in ln and '"example"' in ln for ln in _lines(log)):
        assert proc.poll() is None and time.monotonic() < end, "no kill point reached"
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"interrupted" in err and b"Traceback" not in err
    # the round the signal landed in was cut: fewer rounds done than asked for
    assert sum('"round done"' in ln for ln in _lines(log)) < ROUNDS
    run_campaign(cut, minutes=5, seed=6, levels=["model"], max_rounds=ROUNDS, resume=True)
    run_campaign(tmp_path / "whole", minutes=5, seed=6, levels=["model"], max_rounds=ROUNDS)
    assert _examples(log) == _examples(tmp_path / "whole" / "campaign.jsonl")
