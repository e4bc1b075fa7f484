"""Campaign runs: verdicts, resuming without rerunning finished mutants, and one mutant end to
end (a copy of the RTL mutated, the checkout untouched, the mutant killed by a real test)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

import pytest

import qsim.mutate._campaign as campaign
from qsim.errors import SimulationError
from qsim.mutate import Campaign, Mutant, mutants_of, summarize, write_summary
from qsim.mutate._campaign import SelectionRun, _verdict
from qsim.rtlsim.svgen import RTL_DIR

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("run", "verdict"), [
    (SelectionRun(0, 1.0, False, "1 passed"), "survived"),
    (SelectionRun(1, 1.0, False, "FAILED ... MismatchError: RTL and cycle model"), "killed"),
    (SelectionRun(1, 1.0, False, "FAILED test_x", build_failed=True), "invalid"),
    (SelectionRun(-9, 9.0, True, ""), "timeout"),
])
def test_verdicts(run: SelectionRun, verdict: str) -> None:
    assert _verdict(run) == verdict


def test_a_build_failure_is_found_anywhere_in_the_output(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    # the error line sits far above the end of the log, behind a long build command
    # (a stand-in ``pytest`` module, found first on PYTHONPATH by ``python -m pytest``)
    (tmp_path / "pytest.py").write_text(
        "import sys\nprint('E   qsim.errors.SimulationError: Verilator build of bench [x] "
        "failed')\nprint('x' * 20000)\nsys.exit(1)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    run = campaign.run_selection(["x"], RTL_DIR, tmp_path / "w", REPO, 60.0)
    assert run.code == 1 and run.build_failed and "Verilator build" not in run.tail
    assert run.reason == "qsim.errors.SimulationError: Verilator build of bench [x] failed"
    assert _verdict(run) == "invalid"


def test_a_selection_that_collects_nothing_is_an_error() -> None:
    with pytest.raises(SimulationError, match="pytest exited 5"):
        _verdict(SelectionRun(5, 1.0, False, "no tests ran"))


def _plan() -> dict[str, list[Mutant]]:
    ms = mutants_of("qsim_oreg.sv", (RTL_DIR / "qsim_oreg.sv").read_text())
    return {"qsim_oreg": ms[:3]}


def test_resume_runs_only_unfinished_mutants(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake(tests: Sequence[str], rtl_dir: Path, work: Path, repo: Path,
             timeout: float) -> SelectionRun:
        calls.append(work.name)
        return SelectionRun(0 if work.name.startswith("baseline") else 1, 0.5, False, "x")

    monkeypatch.setattr(campaign, "run_selection", fake)
    plan = _plan()
    first = plan["qsim_oreg"][0]
    (tmp_path / "mutants").mkdir()
    (tmp_path / "mutants" / f"{first.id}.json").write_text(json.dumps(
        {**first.to_dict(), "core": "qsim_oreg", "verdict": "survived", "seconds": 1.0}))
    (tmp_path / "mutants" / "torn.json").write_text('{"id": "qsim_oreg-L1')  # a killed write
    c = Campaign(REPO, tmp_path, plan, lambda core: ["tests/x.py"], jobs=2)
    records = c.run()
    assert sorted(calls) == sorted(["baseline-qsim_oreg"] + [m.id for m in plan["qsim_oreg"][1:]])
    assert records[first.id]["verdict"] == "survived"  # kept, not rerun
    assert [records[m.id]["verdict"] for m in plan["qsim_oreg"][1:]] == ["killed", "killed"]
    calls.clear()
    assert Campaign(REPO, tmp_path, plan, lambda core: ["tests/x.py"]).run() == records
    assert calls == []  # everything recorded: nothing runs, not even the baseline
    again = Campaign(REPO, tmp_path, plan, lambda core: ["tests/x.py", "tests/new.py"],
                     rerun_survivors=True).run()
    # a survivor is judged again, with the new selection (so its baseline runs again too)
    assert sorted(calls) == sorted(["baseline-qsim_oreg", first.id])
    assert again[first.id]["verdict"] == "killed"
    summary = summarize(records, plan, {"seed": 0, "per_core": 3, "seconds": 1.0})
    assert summary["cores"]["qsim_oreg"]["kill_rate"] == round(2 / 3, 4)
    assert [s["id"] for s in summary["survivors"]] == [first.id]
    write_summary(tmp_path, summary)
    assert first.after.strip() in (tmp_path / "report.html").read_text()


def test_a_failing_baseline_stops_the_campaign(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign, "run_selection", lambda *a, **k: SelectionRun(
        1, 0.1, False, "FAILED test_x"))
    c = Campaign(REPO, tmp_path, _plan(), lambda core: ["tests/x.py"])
    with pytest.raises(SimulationError, match="'qsim_oreg' fails without any mutant"):
        c.run()
    assert not (tmp_path / "mutants").exists()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.rtlsim
def test_one_mutant_end_to_end(tmp_path: Path) -> None:
    # the threshold compare flipped from >= to >: a value equal to a threshold counts wrong
    src = RTL_DIR / "qsim_threshold.sv"
    mutant = next(m for m in mutants_of(src.name, src.read_text())
                  if m.op == "cmp" and "if (val >= $signed(thr_i" in m.before)
    before = _sha(src)
    c = Campaign(REPO, tmp_path, {"qsim_threshold": [mutant]},
                 lambda core: ["tests/mutate/sel_tiny_thresholding.py"], jobs=1)
    rec: Any = c.run()[mutant.id]
    assert rec["verdict"] == "killed", rec["tail"]
    assert rec["reason"].startswith("qsim.errors.MismatchError: RTL and cycle model disagree")
    assert json.loads((tmp_path / "baseline" / "qsim_threshold.json").read_text())["seconds"] > 0
    assert _sha(src) == before  # the checkout is never written
    assert not (tmp_path / "work" / mutant.id).exists()  # its copy and builds are removed


def test_proved_survivors_leave_the_kill_rate(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import qsim.mutate._prove as prove

    plan = _plan()
    a, b, c = plan["qsim_oreg"]
    (tmp_path / "mutants").mkdir()
    for m, verdict in ((a, "survived"), (b, "survived"), (c, "killed")):
        (tmp_path / "mutants" / f"{m.id}.json").write_text(json.dumps(
            {**m.to_dict(), "core": "qsim_oreg", "verdict": verdict, "seconds": 1.0}))
    proved: list[str] = []

    def fake(core: str, mutant: Mutant) -> prove.ProofResult:
        proved.append(mutant.id)
        verdict = "equivalent" if mutant == a else "not equivalent"
        return prove.ProofResult(verdict, ("Fifo(depth=1)",), 0.1, f"log of {mutant.id}",
                                 "" if mutant == a else "Fifo(depth=2)")

    monkeypatch.setattr(prove, "prove_mutant", fake)
    records = prove.prove_survivors(tmp_path, campaign.load_results(tmp_path))
    assert sorted(proved) == sorted([a.id, b.id])  # the killed one is not tried
    assert (tmp_path / "proofs" / f"{a.id}.log").read_text() == f"log of {a.id}"
    assert campaign.load_results(tmp_path) == records
    assert records[a.id]["verdict"] == "equivalent" and records[b.id]["proof"] == "not equivalent"
    summary = summarize(records, plan, {"seed": 0, "per_core": 3, "seconds": 1.0})
    core = summary["cores"]["qsim_oreg"]
    assert (core["equivalent"], core["survived"], core["kill_rate"]) == (1, 1, 0.5)
    assert [s["proof_log"] for s in summary["equivalents"]] == [f"proofs/{a.id}.log"]
    assert [(s["id"], s["proof"], s["proof_reason"]) for s in summary["survivors"]] == [
        (b.id, "not equivalent", "Fifo(depth=2)")]  # the config that decided
    write_summary(tmp_path, summary)
    assert f"proofs/{a.id}.log" in (tmp_path / "report.html").read_text()
    proved.clear()
    prove.prove_survivors(tmp_path, records)
    assert proved == []  # a recorded attempt is not repeated


def test_recorded_timeouts_run_again_only_when_asked(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # a timeout on a loaded machine may be no kill: --rerun-timeouts judges it again (with
    # the timeout the caller gives), and leaves killed and surviving records alone
    calls: list[tuple[str, float]] = []

    def fake(tests: Sequence[str], rtl_dir: Path, work: Path, repo: Path,
             timeout: float) -> SelectionRun:
        calls.append((work.name, timeout))
        return SelectionRun(0, 0.5, False, "x")

    monkeypatch.setattr(campaign, "run_selection", fake)
    plan = _plan()
    (tmp_path / "mutants").mkdir()
    for m, verdict in zip(plan["qsim_oreg"], ("timeout", "killed", "survived")):
        (tmp_path / "mutants" / f"{m.id}.json").write_text(json.dumps(
            {**m.to_dict(), "core": "qsim_oreg", "verdict": verdict, "seconds": 1.0}))
    Campaign(REPO, tmp_path, plan, lambda core: ["tests/x.py"]).run()
    assert calls == []
    records = Campaign(REPO, tmp_path, plan, lambda core: ["tests/x.py"], timeout=600.0,
                       rerun_timeouts=True).run()
    first = plan["qsim_oreg"][0].id
    assert calls == [("baseline-qsim_oreg", 600.0), (first, 600.0)]
    assert [records[m.id]["verdict"] for m in plan["qsim_oreg"]] == [
        "survived", "killed", "survived"]


def test_prove_only_proves_the_chosen_cores_survivors(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # a store holding survivors of two cores: --prove-only --cores qsim_oreg leaves the other
    # core's survivor alone (another campaign may be judging it again meanwhile)
    import qsim.mutate as mutate
    from qsim.cli import main

    oreg = _plan()["qsim_oreg"][0]
    fifo = mutants_of("qsim_fifo.sv", (RTL_DIR / "qsim_fifo.sv").read_text())[0]
    (tmp_path / "mutants").mkdir()
    for m, core in ((oreg, "qsim_oreg"), (fifo, "qsim_fifo")):
        (tmp_path / "mutants" / f"{m.id}.json").write_text(json.dumps(
            {**m.to_dict(), "core": core, "verdict": "survived", "seconds": 1.0}))
    import qsim.mutate._prove as prove

    proved: list[str] = []

    def fake(core: str, mutant: Mutant) -> prove.ProofResult:
        proved.append(mutant.id)
        return prove.ProofResult("equivalent", ("Fifo(depth=1)",), 0.1, "log")

    monkeypatch.setattr(prove, "prove_mutant", fake)
    assert mutate.prove_survivors is prove.prove_survivors
    main(["mutate", "--prove-only", "--cores", "qsim_oreg", "--per-core", "1",
          "--out", str(tmp_path)])
    assert proved == [oreg.id]
    assert campaign.load_results(tmp_path)[fifo.id]["verdict"] == "survived"
