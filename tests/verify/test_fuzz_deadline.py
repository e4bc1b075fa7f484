"""``qsim fuzz`` near its time limit: a failure found just before the deadline is still
shrunk to the minimal repro and saved (the deadline is checked between examples only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from qsim.models import MVTU
from qsim.verify import levels as lv
from qsim.verify.fuzz import load_block, run_campaign
from qsim.verify.levels import Context, LayerRun, Level, LevelResult, register
from tests.verify._clock import JumpClock

CLOCK = JumpClock()  # the campaign's clock


class SlowFlip(Level):
    """Test double: flips element 1 of every MVTU output with >= 2 channels; the first
    failing example takes an hour (the clock jumps past the campaign's deadline)."""

    name = "slowflip"
    description = "test double"
    slept = False

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray], ctx: Context,
             progress: Any) -> LevelResult:
        res = LevelResult(self.name)
        for layer in design.layers:
            y = np.array(expected[layer.name], copy=True)
            if isinstance(layer.block, MVTU) and layer.block.mh >= 2:
                y.reshape(-1)[1] ^= 1
                if not SlowFlip.slept:
                    SlowFlip.slept = True
                    CLOCK.jump += 3600.0
            res.layers[layer.name] = LayerRun(y)
        return res


@pytest.fixture()
def slowflip(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import qsim.verify.fuzz as fuzz

    register(SlowFlip)
    SlowFlip.slept = False
    CLOCK.jump = 0.0
    monkeypatch.setattr(fuzz, "time", CLOCK)
    yield
    del lv._REGISTRY["slowflip"]


def test_failure_at_the_deadline_is_shrunk_and_saved(slowflip: None, tmp_path: Path) -> None:
    s = run_campaign(tmp_path, minutes=10, seed=0, levels=["slowflip"], max_rounds=3)
    assert SlowFlip.slept, "no MVTU failure was drawn before the deadline"
    assert len(s.failures) == 1
    saved = sorted(p.name for p in (tmp_path / "failures").iterdir())
    assert saved == s.failures  # the unshrunk copy saved when found was replaced
    cfg = load_block(tmp_path / "failures" / s.failures[0] / "config.json")
    assert isinstance(cfg, MVTU) and cfg.mh == 2 and cfg.mw == 1  # shrunk to the minimum
    recs = [json.loads(ln) for ln in (tmp_path / "campaign.jsonl").read_text().splitlines()]
    assert [r["id"] for r in recs if r["event"] == "failure"] == s.failures
