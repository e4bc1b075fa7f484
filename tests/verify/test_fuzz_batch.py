"""``qsim fuzz --batch``: configs batched into one g++ and one Verilator build; a failing
config is isolated from its batch and saved, the others count as passed (P4 keys)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qsim.models import MVTU, Thresholding
from qsim.pipeline import DataWidthConverter, Fifo
from qsim.verify import fuzz_batch
from qsim.verify.fuzz_batch import config_key, run_batch_campaign

pytestmark = [pytest.mark.rtlsim, pytest.mark.cppsim]


def _batch(seed: int, size: int) -> list[Any]:
    return [Fifo(depth=2, width=5), DataWidthConverter(in_width=8, out_width=4),
            MVTU(mw=4, mh=2, pe=1, simd=2, idt="INT2", wdt="INT2",
                 weights=np.array([[1, -2], [0, 1], [-1, -1], [1, 0]])),
            Thresholding(channels=2, pe=2, idt="UINT3", odt="UINT2",
                         thresholds=np.array([[0, 3, 7], [1, 2, 8]]))]


def test_a_failing_config_is_isolated_and_saved(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    good = DataWidthConverter.transform

    def corrupt(self: DataWidthConverter, words: Any) -> list[int]:
        out = good(self, words)
        out[1] ^= 1
        return out

    monkeypatch.setattr(fuzz_batch, "_draw_batch", _batch)
    monkeypatch.setattr(DataWidthConverter, "transform", corrupt)
    s = run_batch_campaign(tmp_path, minutes=5, seed=0, size=4, max_batches=1)
    assert s.batches == 1 and s.tried == 4
    assert [f.split("-")[0] for f in s.failures] == ["datawidthconverter"]
    assert s.passed_keys == {config_key(c) for c in _batch(0, 4) if
                             not isinstance(c, DataWidthConverter)}
    (mm,) = json.loads((tmp_path / "failures" / s.failures[0] / "mismatch.json").read_text())
    assert "instance i1" in mm["reason"] and "output word 1 lane 0" in mm["reason"]
    (rec,) = [json.loads(ln) for ln in (tmp_path / "campaign.jsonl").read_text().splitlines()
              if '"batch"' in ln and '"failure"' not in ln]
    assert rec["failed"] == [1] and rec["passed"] == 3


def test_config_key_ignores_weights_and_names() -> None:
    a = MVTU(mw=2, mh=2, pe=1, simd=1, idt="INT2", wdt="INT2", weights=[[1, 0], [0, 1]],
             name="a")
    b = MVTU(mw=2, mh=2, pe=1, simd=1, idt="INT2", wdt="INT2", weights=[[0, 1], [1, 0]],
             name="b")
    c = MVTU(mw=2, mh=2, pe=2, simd=1, idt="INT2", wdt="INT2", weights=[[1, 1], [0, 1]])
    assert config_key(a) == config_key(b) != config_key(c)
