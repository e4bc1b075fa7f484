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
    # isolation only: each shrink candidate is a Verilator build (shrinking is tested below)
    monkeypatch.setattr(fuzz_batch, "SHRINK_CHECKS", 0)
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
    assert sorted(rec["passed_keys"]) == sorted(s.passed_keys)


def test_config_key_ignores_weights_and_names() -> None:
    a = MVTU(mw=2, mh=2, pe=1, simd=1, idt="INT2", wdt="INT2", weights=[[1, 0], [0, 1]],
             name="a")
    b = MVTU(mw=2, mh=2, pe=1, simd=1, idt="INT2", wdt="INT2", weights=[[0, 1], [1, 0]],
             name="b")
    c = MVTU(mw=2, mh=2, pe=2, simd=1, idt="INT2", wdt="INT2", weights=[[1, 1], [0, 1]])
    assert config_key(a) == config_key(b) != config_key(c)


X_NEG = np.array([[0, 1, 2, 3], [-3, 2, 1, 0], [1, 1, 1, 1]])  # only frame 1 holds a negative
W44 = np.array([[1, -2, 0, 1], [0, 1, 1, -1], [-1, 0, 1, 1], [1, 1, -2, 0]])


def _flip_cppsim(blocks: Any) -> dict[int, str]:
    """A deliberately wrong cppsim (test double): an MVTU with 2 or more rows gets bit 0 of
    output element 1 flipped in every frame that holds a negative input."""
    bad = {}
    for k, cfg, x in blocks:
        want = cfg(x)
        y = np.array(want, copy=True).reshape(len(x), -1)
        if isinstance(cfg, MVTU) and cfg.mh >= 2:
            y[(x < 0).reshape(len(x), -1).any(axis=1), 1] ^= 1
        if not np.array_equal(y.reshape(want.shape), want):
            idx = tuple(int(i) for i in np.argwhere(y.reshape(want.shape) != want)[0])
            bad[k] = f"cppsim: {cfg.owner}: output differs from the model at {idx!r}"
    return bad


def test_a_failure_found_in_a_batch_is_saved_shrunk(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    from qsim.verify.fuzz import load_block

    big = MVTU(mw=4, mh=4, pe=2, simd=2, idt="INT4", wdt="INT4", weights=W44, name="big")
    good_inputs = fuzz_batch._inputs
    monkeypatch.setattr(fuzz_batch, "_draw_batch", lambda seed, size: [
        Thresholding(channels=2, pe=1, idt="UINT3", odt="UINT2",
                     thresholds=np.array([[0, 3, 7], [1, 2, 8]])), big])
    monkeypatch.setattr(fuzz_batch, "_inputs", lambda cfg, rng: X_NEG if cfg is big
                        else good_inputs(cfg, rng))
    monkeypatch.setattr(fuzz_batch, "_cppsim", _flip_cppsim)
    monkeypatch.setattr(fuzz_batch, "_rtlsim", lambda cfgs, xs, seed: {})  # RTL agrees
    s = run_batch_campaign(tmp_path, minutes=5, seed=0, size=2, max_batches=1)
    (fid,) = s.failures
    d = tmp_path / "failures" / fid
    assert load_block(d / "config.json").to_dict() == big.to_dict()  # the original, as found
    small = load_block(d / "shrunk" / "config.json")
    assert (small.mw, small.mh, small.pe, small.simd) == (1, 2, 1, 1)
    assert (str(small.idt), str(small.wdt)) == ("INT3", "INT2")
    assert np.array_equal(np.load(d / "shrunk" / "inputs.npy"), [[-3]])
    assert np.array_equal(small.weights, W44[:1, :2])
    assert _flip_cppsim([(0, small, np.array([[-3]]))])  # it still fails
    (mm,) = json.loads((d / "shrunk" / "mismatch.json").read_text())
    assert mm["reason"] == "cppsim: MVTU 'big': output differs from the model at (0, 1)"
    (rec,) = [json.loads(ln) for ln in (tmp_path / "campaign.jsonl").read_text().splitlines()
              if '"shrunk"' in ln]
    assert rec["id"] == fid and rec["steps"] == ["frame 1 only", "pe=1", "simd=1", "mh=2",
                                                 "mw=1", "idt=INT3", "wdt=INT2"]
    assert rec["checks"] == 13 and rec["key"] == config_key(small)
