"""``qsim fuzz --target stitched``: the stitched campaign (random chains and fork/join graphs,
random FIFO depths and ready patterns) under the block campaign's deadline, shrinking, saving
and replay; and stitched inputs drawn within the Design's (narrow) input range."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from qsim.cli import main
from qsim.frontend import Design, Layer
from qsim.models import Thresholding
from qsim.verify import levels as lv
from qsim.verify.fuzz import run_campaign
from qsim.verify.fuzz_stitched import (
    STITCHED_TARGET,
    check_stitched,
    design_from_dict,
    design_inputs,
    design_to_dict,
    stitched_designs,
)
from qsim.verify.levels import Context, LayerRun, Level, LevelResult, register
from tests.verify._clock import JumpClock

CLOCK = JumpClock()  # the campaign's clock
SEEN: list[np.ndarray] = []


class FifoFlip(Level):
    """Test double for rtlsim-stitched: flips bit 0 of the last layer's first element when
    any FIFO of the Design is 2 or more deep; the first failure takes an hour (the clock
    jumps past the campaign's deadline). Records every input it is given."""

    name = "fifoflip"
    description = "test double"

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray], ctx: Context,
             progress: Any) -> LevelResult:
        SEEN.append(np.array(x, copy=True))
        res = LevelResult(self.name)
        for layer in design.layers:
            y = np.array(expected[layer.name], copy=True)
            if layer is design.layers[-1] and max(design.fifo_depths or (0,)) >= 2:
                y.reshape(-1)[0] ^= 1
                if CLOCK.jump == 0.0:
                    CLOCK.jump = 3600.0
            res.layers[layer.name] = LayerRun(y)
        return res


@pytest.fixture()
def fifoflip(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import qsim.verify.fuzz as fuzz

    register(FifoFlip)
    CLOCK.jump = 0.0
    SEEN.clear()
    monkeypatch.setattr(fuzz, "time", CLOCK)
    yield
    del lv._REGISTRY["fifoflip"]


def test_stitched_failure_at_the_deadline_is_shrunk_saved_and_replays(
        fifoflip: None, tmp_path: Path) -> None:
    s = run_campaign(tmp_path, minutes=10, seed=0, levels=["model", "fifoflip"],
                     max_rounds=4, target=STITCHED_TARGET)
    assert CLOCK.jump > 0, "no Design with a FIFO of depth >= 2 was drawn"
    assert len(s.failures) == 1 and s.rounds == 1  # the round finished; no later round ran
    assert sorted(p.name for p in (tmp_path / "failures").iterdir()) == s.failures
    d = tmp_path / "failures" / s.failures[0]
    design = design_from_dict(json.loads((d / "design.json").read_text()))
    # shrunk to the smallest failing Design: the 2-layer chain, one FIFO of depth 2
    assert [la.name for la in design.layers] == ["SWG_0", "MVAU_0"]
    assert design.fifo_depths == (2,) and design.input_range is None
    assert json.loads((d / "example.json").read_text()) == {
        "samples": 1, "seed": 0, "p_stall": 0.0, "levels": ["model", "fifoflip"]}
    (mm,) = json.loads((d / "mismatch.json").read_text())
    assert mm["layer"] == "MVAU_0" and "fuzz_chain (depths (2,))" in mm["reason"]
    assert "layer 'MVAU_0': fifoflip vs model: word 0 lane 0" in mm["reason"]
    recs = [json.loads(ln) for ln in (tmp_path / "campaign.jsonl").read_text().splitlines()]
    assert {r.get("target") for r in recs} == {"stitched"}
    assert [r["id"] for r in recs if r["event"] == "failure"] == s.failures
    assert main(["fuzz", "--replay", str(d), "--levels", "model,fifoflip"]) == 1
    assert main(["fuzz", "--replay", str(d), "--levels", "model"]) == 0


def test_stitched_resume_skips_its_own_finished_rounds_only(tmp_path: Path) -> None:
    run_campaign(tmp_path, minutes=5, seed=2, levels=["model"], max_rounds=1)  # block target
    run_campaign(tmp_path, minutes=5, seed=2, levels=["model"], max_rounds=1,
                 target=STITCHED_TARGET)
    s = run_campaign(tmp_path, minutes=5, seed=2, levels=["model"], max_rounds=2,
                     resume=True, target=STITCHED_TARGET)
    # round 0 of the stitched target is done, round 1 not (the block round 0 does not count)
    assert s.skipped_rounds == 1 and s.rounds == 1 and s.tried == STITCHED_TARGET.examples


@given(design=stitched_designs())
@settings(max_examples=15, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_saved_design_rebuilds_the_same_design(design: Any) -> None:
    again = design_from_dict(json.loads(json.dumps(design_to_dict(design))))
    assert design_to_dict(again) == design_to_dict(design)
    x = design_inputs(np.random.default_rng(0), design, 2)
    assert np.array_equal(again(x), design(x))


def _narrow_thresholding(idt: str, bounds: tuple[int, int]) -> Design:
    t = Thresholding(channels=4, pe=2, idt=idt, odt="UINT2",
                     thresholds=np.tile(np.array([[-1, 0, 1]]), (4, 1)))
    return Design(layers=(Layer(name="Thr_0", block=t, in_shape=(4,)),), input_shape=(4,),
                  idt=idt, name="narrow", input_range=bounds)


@pytest.mark.parametrize(("idt", "bounds", "excluded"), [
    ("INT2", (-1, 1), -2), ("UINT2", (0, 2), 3), ("INT4", (-7, 7), -8)])
def test_narrow_range_designs_never_get_the_excluded_value(idt: str, bounds: tuple[int, int],
                                                           excluded: int) -> None:
    design = _narrow_thresholding(idt, bounds)
    x = design_inputs(np.random.default_rng(1), design, 4000)
    assert excluded not in x
    assert int(x.min()) == bounds[0] and int(x.max()) == bounds[1]  # the rest is reached


def test_check_stitched_draws_within_the_input_range(fifoflip: None) -> None:
    design = _narrow_thresholding("INT2", (-1, 1))
    for seed in range(20):
        assert check_stitched(design, 50, seed, 0.0, ["model", "fifoflip"]) == "pass"
    seen = np.concatenate(SEEN)
    assert seen.size == 20 * 50 * 4 and -2 not in seen and set(np.unique(seen)) == {-1, 0, 1}


def test_cli_runs_the_stitched_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    out = tmp_path / "st"
    assert main(["fuzz", "--target", "stitched", "--levels", "model", "--max-rounds", "1",
                 "--results", str(out)]) == 0
    assert "fuzz (stitched): 5 configs tried in 1 rounds" in capsys.readouterr().err
    recs = [json.loads(ln) for ln in (out / "campaign.jsonl").read_text().splitlines()]
    assert {r["block"] for r in recs if r["event"] == "example"} <= {"fuzz_chain",
                                                                     "fuzz_fork_join"}


def test_cli_refuses_batch_with_stitched_and_a_broken_stitched_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--target", "stitched", "--batch", "2"]) == 2
    assert "--batch fuzzes block configs" in capsys.readouterr().err
    (tmp_path / "design.json").write_text('{"layers": []}')
    assert main(["fuzz", "--replay", str(tmp_path), "--levels", "model"]) == 2
    assert "not a stitched failure folder: KeyError" in capsys.readouterr().err
