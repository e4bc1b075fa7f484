"""``qsim verify``: exit codes (0 pass, 1 verification failure, 2 bad input) and reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qsim.cli import main

from ._models import tiny_mlp


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_mlp(tmp_path_factory.mktemp("m") / "tiny.onnx")


def test_pass_writes_both_reports(model: Path, tmp_path: Path) -> None:
    rc = main(["verify", str(model), "--levels", "ref,model", "--random", "6", "--seed", "3",
               "--report", str(tmp_path)])
    assert rc == 0
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["pass"] is True and data["inputs"] == 6 and data["seed"] == 3
    assert set(data["levels"]) == {"ref", "model"}
    # the reference was compared at both layer boundaries, the model's cycles were checked
    kinds = {(c["level"], c["layer"], c["kind"]) for c in data["checks"]}
    assert ("ref", "MVAU_1", "values") in kinds and ("model", "MVAU_0", "cycle model") in kinds
    html = (tmp_path / "report.html").read_text()
    assert "PASS" in html and "data:image/png;base64," in html and "MVAU_1" in html


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())


def test_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "nope.onnx"), "--report", str(tmp_path)]) == 2
    assert "does not exist" in _err(capsys)


def test_corrupt_onnx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf")
    assert main(["verify", str(bad), "--report", str(tmp_path)]) == 2
    assert "bad.onnx" in _err(capsys)


def test_folding_names_unknown_node(model: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"Defaults": {}, "MVAU_7": {"PE": 2}}))
    assert main(["verify", str(model), "--folding", str(fold), "--report", str(tmp_path)]) == 2
    assert "MVAU_7" in _err(capsys)


def test_folding_breaking_divisibility(model: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 3, "SIMD": 4}}))
    assert main(["verify", str(model), "--folding", str(fold), "--report", str(tmp_path)]) == 2
    assert "MH % PE == 0 violated" in _err(capsys)


def test_wrong_shaped_inputs(model: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((3, 15), dtype=np.int64))
    assert main(["verify", str(model), "--inputs", str(x), "--report", str(tmp_path)]) == 2
    assert "has shape (3, 15); expected (N, 16)" in _err(capsys)


def test_out_of_range_inputs(model: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    x = tmp_path / "x.npy"
    np.save(x, np.full((2, 16), 9, dtype=np.int64))
    assert main(["verify", str(model), "--inputs", str(x), "--report", str(tmp_path)]) == 2
    assert "value 9 at index (0, 0) is outside INT4" in _err(capsys)


def test_unknown_level(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(model), "--levels", "model,magic",
                 "--report", str(tmp_path)]) == 2
    assert "unknown level(s) ['magic']" in _err(capsys)


def test_given_inputs_are_used(model: Path, tmp_path: Path) -> None:
    x = tmp_path / "x.npy"
    np.save(x, np.arange(-8, 8).reshape(1, 16))
    assert main(["verify", str(model), "--inputs", str(x), "--levels", "ref,model",
                 "--report", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "report.json").read_text())["inputs"] == 1


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify"]) == 2  # argparse's usage error, returned rather than raised
    assert "the following arguments are required: model" in _err(capsys)
