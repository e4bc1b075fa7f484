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
from qsim.errors import ConfigError, StreamError
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


DATA = Path(__file__).resolve().parents[1] / "data" / "finn_examples"
FINN_FC_NAMES = ["Thresholding_0", "MVAU_0", "MVAU_1", "MVAU_2", "MVAU_3", "LabelSelect_0"]


def _finn_folding(net: str, variant: str) -> Path:
    return DATA / f"{net}-{variant}_folding_config.json"


def test_finn_examples_folding_applies_unmodified(export_dir: Path) -> None:
    """tfc-w1a2 of finn-examples as published: the input quantizer becomes FINN's
    Thresholding layer on raw UINT8 pixels (x / 255), a LabelSelect K=1 ends the design."""
    path = _exported(export_dir, "tfc", "w1a2")
    folding = json.loads(_finn_folding("tfc", "w1a2").read_text())
    design = load(path, folding=_finn_folding("tfc", "w1a2"))
    assert [la.name for la in design.layers] == FINN_FC_NAMES
    thr = design["Thresholding_0"]
    assert thr.block.idt.get_canonical_name() == "UINT8" and thr.block.channels == 784
    assert thr.block.pe == folding["Thresholding_rtl_0"]["PE"] == 49
    assert (design["MVAU_3"].block.pe, design["MVAU_3"].block.simd) == (10, 8)
    assert design.idt.get_canonical_name() == "UINT8" and design.input_scale == 1 / 255
    assert design.topk == 1 and design.output_shape == (1,)
    # the other naming generation of FINN's files folds the same layers the same way
    old = {"Thresholding_Batch_0": {"PE": 49}, "LabelSelect_Batch_0": {"PE": 1},
           **{f"MatrixVectorActivation_{i}": {k: v for k, v in folding[f"MVAU_hls_{i}"].items()
                                             if k in ("PE", "SIMD")} for i in range(4)}}
    again = load(path, folding=old)
    assert [(la.name, getattr(la.block, "pe", 0), getattr(la.block, "simd", 0))
            for la in again.layers] == [(la.name, getattr(la.block, "pe", 0),
                                         getattr(la.block, "simd", 0)) for la in design.layers]


def test_raw_input_option(export_dir: Path) -> None:
    path = _exported(export_dir, "tfc", "w1a2")
    today = load(path)  # no folding: the quantizer's integers are the input
    assert today.idt.get_canonical_name() == "INT2" and today.layers[0].name == "MVAU_0"
    raw = load(path, raw_input="UINT8", topk=3)
    assert raw.layers[0].name == "Thresholding_0" and raw.idt.get_canonical_name() == "UINT8"
    assert raw.output_shape == (3,)
    x = np.random.default_rng(3).integers(0, 256, size=(16, *raw.input_shape))
    # raw p -> p / 255 -> the quantizer: the same integers the today's form takes
    q = np.clip(np.rint(2 * x / 255 - 1), -1, 1).astype(np.int64)
    np.testing.assert_array_equal(raw.run_layers(x)["Thresholding_0"].reshape(q.shape[0], -1),
                                  q.reshape(q.shape[0], -1))
    np.testing.assert_array_equal(raw.run_layers(x)["MVAU_2"], today.run_layers(q)["MVAU_2"])
    np.testing.assert_array_equal(raw(x), load(path, topk=3)(q))
    with pytest.raises(ConfigError, match=r"raw_input='INT8' must be an unsigned integer type"):
        load(path, raw_input="INT8")
    # today's form stays reachable; FINN's files then name a layer it does not have
    with pytest.raises(ConfigError, match=r"\['LabelSelect_hls_0', 'Thresholding_rtl_0'\] "
                                          r"that are not in"):
        load(path, folding=_finn_folding("tfc", "w1a2"), raw_input=None)


FINN_CASES = [(n, v) for n in ("tfc", "cnv") for v in ("w1a1", "w1a2", "w2a2")]


@pytest.mark.parametrize("net,variant", [
    pytest.param(n, v, marks=() if n == "tfc" else pytest.mark.slow) for n, v in FINN_CASES])
def test_finn_folding_verify_ref_model(export_dir: Path, tmp_path: Path, net: str,
                                       variant: str) -> None:
    """finn-examples' folding file, unmodified, and FINN's uint8 NHWC vectors as they are."""
    model = _exported(export_dir, net, variant)
    design = load(model, folding=_finn_folding(net, variant))
    x = np.random.default_rng(7).integers(0, 256, size=(4, *design.input_shape), dtype=np.uint8)
    np.save(tmp_path / "pixels.npy", x)
    report = _verify(model, tmp_path / "r", "ref,model",
                     ["--folding", str(_finn_folding(net, variant)), "--inputs",
                      str(tmp_path / "pixels.npy")])
    assert report["inputs"] == 4


@pytest.mark.slow
@pytest.mark.cppsim
@pytest.mark.rtlsim
@pytest.mark.parametrize("net,variant", FINN_CASES)
def test_finn_folding_all_levels(export_dir: Path, tmp_path: Path, net: str,
                                 variant: str) -> None:
    model = _exported(export_dir, net, variant)
    _verify(model, tmp_path / "r", "ref,model,cppsim,rtlsim-stitched",
            ["--folding", str(_finn_folding(net, variant)), "--random", "2"])


def test_verify_raw_input_option(export_dir: Path, tmp_path: Path) -> None:
    """``--raw-input UINT8`` without a folding: raw pixels in, Thresholding_0 verified;
    ``--raw-input none`` with FINN's file: its input layer is not in the Design (exit 2)."""
    model = _exported(export_dir, "tfc", "w1a1")
    report = _verify(model, tmp_path / "a", "ref,model", ["--raw-input", "UINT8", "--random",
                                                           "3"])
    assert "Thresholding_0" in json.dumps(report["layers"])
    rc = main(["verify", str(model), "--levels", "ref,model", "--raw-input", "none",
               "--folding", str(_finn_folding("tfc", "w1a1")), "--report", str(tmp_path / "b")])
    assert rc == 2
