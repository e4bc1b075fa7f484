"""brevitas_examples' bnn_pynq networks (FINN's bnn-pynq examples) through qsim (issue 12):
narrow-range input quantizers carried into the Design, ``qsim verify --levels ref,model`` on
every net and variant the wheel ships, with random weights and BatchNorm statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from qsim.cli import main
from qsim.errors import StreamError
from qsim.frontend import load
from qsim.frontend.reference import export
from qsim.zoo.bnn_pynq import BNN_PYNQ, BNN_PYNQ_SHAPES, build_bnn_pynq

_CACHE: dict[tuple[str, str, int], Path] = {}
CASES = [(net, v) for net, vs in BNN_PYNQ.items() for v in vs]
FAST = {("tfc", "w1a1"), ("tfc", "w1a2"), ("tfc", "w2a2")}


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bnn_pynq")


def _exported(export_dir: Path, net: str, variant: str, seed: int = 1) -> Path:
    key = (net, variant, seed)
    if key not in _CACHE:
        path = export_dir / f"{net}_{variant}_{seed}.onnx"
        used = export(build_bnn_pynq(net, variant, seed), torch.rand(1, *BNN_PYNQ_SHAPES[net]),
                      path, fmt="qonnx")
        assert used == "qonnx"
        _CACHE[key] = path
    return _CACHE[key]


def test_narrow_input_range_carried(export_dir: Path) -> None:
    """TFC w1a2: the input quantizer is INT2 narrow, the Design takes [-1, 1] only."""
    design = load(_exported(export_dir, "tfc", "w1a2"))
    assert design.idt.get_canonical_name() == "INT2"
    assert design.input_range == (-1, 1)
    assert design.input_bounds == (-1, 1)
    x = np.zeros((2, *design.input_shape), np.int64)
    design.check_input_range(x)  # in range: no error
    x[1, 7, 3, 0] = -2
    with pytest.raises(StreamError, match=r"input 1 holds -2 at index \(7, 3, 0\), outside the "
                                          r"input range \[-1, 1\] of idt=INT2 \(narrow range\)"):
        design.check_input_range(x)


def test_full_range_input_has_no_range(export_dir: Path) -> None:
    """CNV's 8-bit input quantizer is not narrow: the whole INT8 range is valid."""
    design = load(_exported(export_dir, "cnv", "w1a1"))
    assert design.input_range is None
    assert design.input_bounds == (-128, 127)


def test_verify_inputs_outside_narrow_range_exit_2(export_dir: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    model = _exported(export_dir, "tfc", "w1a2")
    x = np.ones((3, 28, 28, 1), np.int64)
    x[2, 10, 4, 0] = -2
    np.save(tmp_path / "x.npy", x)
    rc = main(["verify", str(model), "--levels", "ref,model", "--inputs",
               str(tmp_path / "x.npy"), "--report", str(tmp_path / "rep")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "input 2 holds -2 at index (10, 4, 0)" in err.replace("\n", "")
    assert "[-1, 1]" in err


def _verify(model: Path, out: Path, levels: str, extra: list[str]) -> dict[str, Any]:
    """Run ``qsim verify`` in-process; exit 0 and a passing report with every level run."""
    rc = main(["verify", str(model), "--levels", levels, "--report", str(out), *extra])
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    assert rc == 0, report["mismatches"][:3]
    assert report["pass"] is True and report["verdict"] == "PASS"
    assert sorted(report["levels"]) == sorted(levels.split(","))
    return report


@pytest.mark.parametrize("net,variant", [
    pytest.param(n, v, marks=() if (n, v) in FAST else pytest.mark.slow) for n, v in CASES])
def test_bnn_pynq_verify_ref_model(export_dir: Path, tmp_path: Path, net: str,
                                   variant: str) -> None:
    """``qsim verify --levels ref,model`` on the default --random inputs passes, with both
    signs of the final TensorNorm weight (seeds 0 and 1)."""
    for seed in (0, 1):
        report = _verify(_exported(export_dir, net, variant, seed), tmp_path / f"r{seed}",
                         "ref,model", [])
        assert report["inputs"] == 8
