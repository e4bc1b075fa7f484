"""HLS campaigns: the plan over hls/qsim, the per-core test selections, the CLI's core names,
and one HLS mutant run on a copy of the headers (the checkout untouched, QSIM_HLS_DIR set)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import pytest

import qsim.mutate._campaign as campaign
from qsim.cppsim.build import HLS_DIR_ENV
from qsim.errors import UsageError
from qsim.mutate import HLS_CORE_TESTS, Campaign, is_hls_core, plan_hls_mutants
from qsim.mutate._campaign import SelectionRun, _verdict
from qsim.verify.cli_mutate import _cores

REPO = Path(__file__).resolve().parents[2]
HLS = REPO / "hls" / "qsim"


def test_every_kernel_header_is_a_core_with_existing_tests() -> None:
    headers = {p.stem for p in HLS.glob("*.hpp")} - {"cppsim"}
    assert {c.removeprefix("hls:") for c in HLS_CORE_TESTS} == headers
    for core, tests in HLS_CORE_TESTS.items():
        assert is_hls_core(core) and tests
        for t in tests:
            path, _, name = t.partition("::")
            assert path.startswith("tests/cppsim/") and (REPO / path).is_file(), t
            assert f"def {name.split('[')[0]}(" in (REPO / path).read_text(), t


def test_plan_is_reproducible_and_stratified() -> None:
    cores = ["hls:thresholding", "hls:maxpool"]
    plan = plan_hls_mutants(HLS, cores, 30, seed=0)
    assert plan == plan_hls_mutants(HLS, cores, 30, seed=0)
    assert plan != plan_hls_mutants(HLS, cores, 30, seed=1)
    for core, ms in plan.items():
        assert len(ms) == 30 and len({m.id for m in ms}) == 30
        assert {m.file for m in ms} == {core.removeprefix("hls:") + ".hpp"}
        assert len({m.op for m in ms}) >= 8  # the sample holds most operators
    small = plan_hls_mutants(HLS, ["hls:maxpool"], 10, seed=0)["hls:maxpool"]
    assert {m.id for m in small} <= {m.id for m in plan["hls:maxpool"]}  # a prefix: resumable
    with pytest.raises(UsageError, match=r"unknown HLS core 'hls:nope'"):
        plan_hls_mutants(HLS, ["hls:nope"], 3, seed=0)


def test_cli_core_names() -> None:
    assert _cores("hls") == sorted(HLS_CORE_TESTS)
    assert _cores("hls:mvtu, qsim_mvtu") == ["hls:mvtu", "qsim_mvtu"]
    assert "hls:mvtu" not in _cores("all")
    with pytest.raises(UsageError, match=r"unknown core\(s\) \['hls:qsim_mvtu'\]"):
        _cores("hls:qsim_mvtu")


def test_a_crashed_test_process_kills_the_mutant() -> None:
    assert _verdict(SelectionRun(-6, 3.0, False, "")) == "killed"  # SIGABRT in the kernel
    assert _verdict(SelectionRun(1, 3.0, False, "", build_failed=True)) == "invalid"


def test_an_hls_mutant_runs_on_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def fake(tests: Sequence[str], rtl_dir: Path, work: Path, repo: Path, timeout: float,
             env: Optional[Mapping[str, str]] = None) -> SelectionRun:
        assert env is not None
        hdr = Path(env[HLS_DIR_ENV]) / "maxpool.hpp"
        seen.append({"work": work, "rtl": rtl_dir, "env": dict(env), "text": hdr.read_text()})
        return SelectionRun(0 if work.name.startswith("baseline") else 1, 0.5, False, "x")

    monkeypatch.setattr(campaign, "run_selection", fake)
    before = hashlib.sha256((HLS / "maxpool.hpp").read_bytes()).hexdigest()
    plan = plan_hls_mutants(HLS, ["hls:maxpool"], 2, seed=0)
    records = Campaign(REPO, tmp_path, plan, lambda core: HLS_CORE_TESTS[core], jobs=1).run()
    assert [r["verdict"] for r in records.values()] == ["killed", "killed"]
    assert hashlib.sha256((HLS / "maxpool.hpp").read_bytes()).hexdigest() == before
    base, *runs = seen
    assert base["text"] == (HLS / "maxpool.hpp").read_text()
    for run, m in zip(runs, plan["hls:maxpool"]):
        assert run["env"] == {HLS_DIR_ENV: str(tmp_path / "work" / m.id / "hls" / "qsim"),
                              "CCACHE_DISABLE": "1"}
        assert run["rtl"] == REPO / "qsim" / "rtl"
        assert run["text"].split("\n")[m.line - 1] == m.after
        assert not (tmp_path / "work" / m.id).exists()  # cleaned after the verdict
