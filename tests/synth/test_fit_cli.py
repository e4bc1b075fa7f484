"""`qsim bitstream` refuses a design that does not fit the board, naming the resource and the
excess, before looking for a sign-off; the analytic estimate decides here, no synthesis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qsim.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples"


def test_bitstream_refuses_an_overflowing_folding(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # MVAU_0 fully parallel: 784 x 64 INT8 x INT2 products in one cycle, ~10x the LUTs
    fold = tmp_path / "parallel.json"
    fold.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 64, "SIMD": 784}}))
    rc = main(["bitstream", str(EXAMPLE / "tfc_w2a2_digits.onnx"), "--folding", str(fold),
               "--signoff", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert rc == 1
    assert re.search(r"refused:.*does not fit pynq-z2.*LUT: [\d,.]+ used > 47,880.0 allowed",
                     err.replace("\n", " ")), err
    assert main(["bitstream", str(EXAMPLE / "tfc_w2a2_digits.onnx"), "--folding", str(fold),
                 "--signoff", str(tmp_path), "--board", "zcu104"]) == 2
    assert "unknown board 'zcu104'; known boards: ['pynq-z2']" in capsys.readouterr().err
