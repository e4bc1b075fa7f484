"""`qsim bitstream` refuses a design that does not fit the board, naming the resource and the
excess, before looking for a sign-off; the analytic estimate decides here, no synthesis."""

from __future__ import annotations

import argparse
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
               "--signoff", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1
    assert re.search(r"refused:.*does not fit pynq-z2.*LUT: [\d,.]+ used > 47,880.0 allowed",
                     err.replace("\n", " ")), err
    assert main(["bitstream", str(EXAMPLE / "tfc_w2a2_digits.onnx"), "--folding", str(fold),
                 "--signoff", str(tmp_path), "--board", "zcu104"]) == 2
    assert "board 'zcu104' is not one of ['pynq-z2']" in capsys.readouterr().err


def _args(*argv: str) -> argparse.Namespace:
    from qsim.verify import cli_resources

    parser = argparse.ArgumentParser()
    cli_resources.add_parser(parser.add_subparsers())
    return parser.parse_args(["resources", *argv])


def test_resources_json_refusal_and_bad_board(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from qsim.errors import ConfigError
    from qsim.verify import cli_resources

    fold = tmp_path / "parallel.json"
    fold.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 64, "SIMD": 784}}))
    model = str(EXAMPLE / "tfc_w2a2_digits.onnx")
    assert cli_resources.run(_args(model, "--folding", str(fold), "--json")) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["fit"]["fits"] is False
    assert [o["resource"] for o in out["fit"]["over"]] == ["LUT"]
    assert out["fit"]["over"][0]["limit"] == 53_200 * 0.9
    with pytest.raises(ConfigError, match=re.escape("board 'zcu104' is not one of "
                                                    "['pynq-z2']")):
        cli_resources.run(_args(model, "--board", "zcu104"))
    with pytest.raises(ConfigError, match=re.escape("headroom=1.0 must be in [0, 1)")):
        cli_resources.run(_args(model, "--headroom", "1.0"))


@pytest.mark.slow
@pytest.mark.synth
def test_resources_table_json_and_report(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from qsim.verify import cli_resources
    from tests.verify._models import tiny_mlp

    model = tiny_mlp(tmp_path / "tiny.onnx")
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"MVAU_0": {"PE": 2, "SIMD": 4, "ram_style": "block"},
                                "MVAU_1": {"PE": 4, "SIMD": 2}}))
    rc = cli_resources.run(_args(str(model), "--folding", str(fold), "--per-layer", "--json",
                                 "--report", str(tmp_path / "rep")))
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in data["layers"]] == ["MVAU_0", "MVAU_1"]
    assert data["layers"][0]["yosys"]["BRAM18"] >= 1  # block RAM weights
    assert data["layers"][1]["yosys"]["BRAM18"] == 0
    assert data["stitched"]["LUT"] > 0 and data["fit"]["fits"] is True
    page = (tmp_path / "rep" / "resources.html").read_text()
    assert "<h2>Resources</h2>" in page and "data:image/png;base64," in page
