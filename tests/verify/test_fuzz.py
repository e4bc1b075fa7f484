"""``qsim fuzz``: a short campaign, shrinking to a minimal repro, and resuming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from qsim.cli import main
from qsim.models import MVTU
from qsim.verify import levels as lv
from qsim.verify.fuzz import load_block, run_campaign
from qsim.verify.levels import Context, LayerRun, Level, LevelResult, register


class FlipMvtu(Level):
    """Test double: flips bit 0 of element 1 of every MVTU output with at least 2 channels."""

    name = "flipmvtu"
    description = "test double"

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray], ctx: Context,
             progress: Any) -> LevelResult:
        res = LevelResult(self.name)
        for layer in design.layers:
            y = np.array(expected[layer.name], copy=True)
            if isinstance(layer.block, MVTU) and layer.block.mh >= 2:
                y.reshape(-1)[1] ^= 1
            res.layers[layer.name] = LayerRun(y)
        return res


@pytest.fixture()
def flipmvtu() -> Iterator[None]:
    register(FlipMvtu)
    yield
    del lv._REGISTRY["flipmvtu"]


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_short_campaign_passes_and_logs(tmp_path: Path) -> None:
    s = run_campaign(tmp_path, minutes=5, seed=1, levels=["model"], max_rounds=2)
    assert s.rounds == 2 and s.tried == 20 and not s.failures
    recs = _records(tmp_path / "campaign.jsonl")
    assert sum(r["event"] == "example" for r in recs) == 20
    assert {r["block"] for r in recs if r["event"] == "example"} >= {"MVTU", "SlidingWindow"}


def test_same_seed_gives_same_configs(tmp_path: Path) -> None:
    run_campaign(tmp_path / "a", minutes=5, seed=7, levels=["model"], max_rounds=1)
    run_campaign(tmp_path / "b", minutes=5, seed=7, levels=["model"], max_rounds=1)

    def configs(d: Path) -> list[Any]:
        return [(r["block"], r["config"]) for r in _records(d / "campaign.jsonl")
                if r["event"] == "example"]

    assert configs(tmp_path / "a") == configs(tmp_path / "b")


def test_resume_skips_finished_rounds(tmp_path: Path) -> None:
    run_campaign(tmp_path, minutes=5, seed=3, levels=["model"], max_rounds=2)
    # an interruption cut the last line in half: the finished rounds are still known
    with (tmp_path / "campaign.jsonl").open("a") as fh:
        fh.write('{"event": "exam')
    s = run_campaign(tmp_path, minutes=5, seed=3, levels=["model"], max_rounds=3, resume=True)
    assert s.skipped_rounds == 2 and s.rounds == 1


def test_failure_is_shrunk_and_saved(flipmvtu: None, tmp_path: Path) -> None:
    s = run_campaign(tmp_path, minutes=5, seed=0, levels=["flipmvtu"], max_rounds=3)
    assert s.failures, "the broken level was not caught"
    d = tmp_path / "failures" / s.failures[0]
    cfg = load_block(d / "config.json")
    assert isinstance(cfg, MVTU) and cfg.mh == 2 and cfg.mw == 1  # shrunk to the minimum
    (mm,) = json.loads((d / "mismatch.json").read_text())
    assert (mm["level"], mm["word"] * cfg.pe + mm["lane"]) == ("flipmvtu", 1)
    assert (d / "inputs.npy").exists() and "qsim fuzz --replay" in (d / "repro.sh").read_text()
    # the saved repro replays through the CLI and still fails there
    assert main(["fuzz", "--replay", str(d), "--levels", "flipmvtu"]) == 1


def test_cli_rejects_unknown_level(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--levels", "nope", "--minutes", "0.01"]) == 2
    assert "unknown level(s) ['nope']" in capsys.readouterr().err
