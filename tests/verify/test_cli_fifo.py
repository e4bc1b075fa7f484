"""``qsim fifo-size``: sized depths written as a folding that loads back, bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsim.cli import main
from qsim.frontend import load
from qsim.pipeline.engine import simulate_pipeline
from qsim.pipeline.plan import stitch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MODEL, FOLDING = EXAMPLES / "tfc_w2a2_digits.onnx", EXAMPLES / "tfc_folding.json"


def _period(design: object, samples: int = 4) -> int:
    st = stitch(design)
    transfer = simulate_pipeline(st.stages(samples))[-1].transfer
    return int(transfer[-1] - transfer[-1 - st.out_words_per_sample])


def test_writes_a_folding_with_depths_that_keep_the_period(tmp_path: Path) -> None:
    given = json.loads(FOLDING.read_text())
    given["MVAU_0"]["outFIFODepths"] = [64]  # dropped: the sized inFIFODepths alone count
    src = tmp_path / "in.json"
    src.write_text(json.dumps(given))
    out = tmp_path / "sized.json"
    assert main(["fifo-size", str(MODEL), "--folding", str(src), "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["MVAU_0"] == {"PE": 16, "SIMD": 49}  # folding kept
    sized = load(MODEL, out)
    deep = load(MODEL, FOLDING).with_fifo_depths([1000] * 3)
    assert sized.fifo_depths is not None and sum(sized.fifo_depths) < 3 * 1000
    assert _period(sized) == _period(deep)
    assert _period(load(MODEL, FOLDING)) > _period(deep)  # the 2-word default is slower


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fifo-size", str(tmp_path / "nope.onnx"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["fifo-size", str(MODEL), "--samples", "1", "--out", str(tmp_path / "o")]) == 2
    assert "at least 2" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
