"""Malformed or unsupported models and foldings give typed errors with actionable messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from onnx import TensorProto, helper
from torch import nn

from qsim.errors import ConfigError, ModelImportError
from qsim.frontend import load
from qsim.frontend.reference import export
from qsim.zoo import build, default_folding
from tests.frontend._helpers import QONNX, make_model


def _save(mw, tmp_path: Path, name: str = "m.onnx") -> Path:
    path = tmp_path / name
    mw.save(str(path))
    return path


@pytest.fixture(scope="module")
def tfc_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("err") / "tfc.onnx"
    export(build("tfc", "w2a2"), torch.zeros(1, 1, 28, 28), path, fmt="qonnx")
    return path


def test_missing_input_shape(tmp_path: Path) -> None:
    mw = make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], ("x", [1, 4]),
                    ("y", [1, 2]), {"W": np.ones((4, 2))}, {"x": "INT4", "W": "INT2"})
    mw.graph.input[0].type.tensor_type.ClearField("shape")
    with pytest.raises(ModelImportError, match=r"graph input 'x' has no static shape"):
        load(_save(mw, tmp_path))


def test_unsupported_op(tmp_path: Path) -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["a"], name="mm"),
             helper.make_node("Softmax", ["a"], ["y"], name="soft")]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 2]), {"W": np.ones((4, 2))},
                    {"x": "INT4", "W": "INT2"})
    with pytest.raises(ModelImportError, match=r"node 'soft' \(Softmax\): op type 'Softmax' "
                                               r"is not supported"):
        load(_save(mw, tmp_path))


def test_float_activation_needs_quantizer(tmp_path: Path) -> None:
    """A float (unannotated) input straight into a MatMul: qsim needs a quantizer."""
    mw = make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], ("x", [1, 4]),
                    ("y", [1, 2]), {"W": np.ones((4, 2))}, {"W": "INT2"})
    with pytest.raises(ModelImportError, match=r"node 'mm' \(MatMul\).*float activation.*"
                                               r"quantizer"):
        load(_save(mw, tmp_path))


def test_float_activation_in_brevitas_model(tmp_path: Path) -> None:
    """A Brevitas net whose hidden activation is a plain float ReLU (no quantizer)."""
    model = nn.Sequential(
        qnn.QuantIdentity(bit_width=8, return_quant_tensor=True), nn.Flatten(),
        qnn.QuantLinear(16, 8, bias=False, weight_bit_width=4), nn.ReLU(),
        qnn.QuantLinear(8, 4, bias=False, weight_bit_width=4)).eval()
    path = tmp_path / "m.onnx"
    export(model, torch.zeros(1, 16), path, fmt="qonnx")
    with pytest.raises(ModelImportError, match=r"\((MatMul|Gemm)\).*\['relu'\] without a "
                                               r"quantizer"):
        load(path)


def test_float_weights(tmp_path: Path) -> None:
    mw = make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], ("x", [1, 4]),
                    ("y", [1, 2]), {"W": np.full((4, 2), 0.3)}, {"x": "INT4"})
    with pytest.raises(ModelImportError, match=r"node 'mm' \(MatMul\): constant input 'W' "
                                               r"holds float values"):
        load(_save(mw, tmp_path))


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"not an onnx model")
    with pytest.raises(ModelImportError, match=r"cannot read ONNX model"):
        load(path)


def test_folding_unknown_nodes(tfc_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"names nodes \['MVAU_9', 'Thresholding_7'\] that "
                                          r"are not in Design"):
        load(tfc_path, folding={"MVAU_0": {"PE": 4}, "MVAU_9": {"PE": 2},
                                "Thresholding_7": {"PE": 1}})


def test_folding_breaks_divisibility(tfc_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"MVTU 'MVAU_3': folding rule MH % PE == 0 violated: "
                                          r"MH=10, PE=4"):
        load(tfc_path, folding={"MVAU_3": {"PE": 4}})


def test_folding_unknown_attribute(tfc_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'MVAU_0': attribute 'PEE' is not a folding"):
        load(tfc_path, folding={"MVAU_0": {"PEE": 4}})


def test_folding_file(tfc_path: Path, tmp_path: Path) -> None:
    """A folding_config.json path works like the dict; Defaults apply per attribute."""
    import json

    fold = default_folding("tfc")
    fold["Defaults"] = {"PE": [2, ["MVAU"]]}
    del fold["MVAU_1"]
    path = tmp_path / "fold.json"
    path.write_text(json.dumps(fold))
    design = load(tfc_path, folding=path)
    assert (design["MVAU_1"].block.pe, design["MVAU_1"].block.simd) == (2, 1)
    assert design["MVAU_0"].block.pe == 16
    with pytest.raises(ConfigError, match=r"cannot be read"):
        load(tfc_path, folding=tmp_path / "missing.json")


def test_non_sequential_input_count(tmp_path: Path) -> None:
    mm = helper.make_node("MatMul", ["x", "z"], ["y"], name="mm")
    mw = make_model([mm], ("x", [1, 4]), ("y", [1, 4]), dtypes={"x": "INT4"})
    mw.graph.input.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, [4, 4]))
    with pytest.raises(ModelImportError, match=r"one input and one output"):
        load(_save(mw, tmp_path))


def test_overlapping_maxpool(tmp_path: Path) -> None:
    node = helper.make_node("MaxPoolNHWC", ["x"], ["y"], name="pool", domain=QONNX,
                            kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 0, 0])
    mw = make_model([node], ("x", [1, 7, 7, 2]), ("y", [1, 3, 3, 2]), dtypes={"x": "UINT3"})
    with pytest.raises(ModelImportError, match=r"'pool' \(MaxPoolNHWC\): only non-overlapping"):
        load(_save(mw, tmp_path))


def test_batchnorm_on_channels_last(tmp_path: Path) -> None:
    ones = np.ones(3, dtype=np.float32)
    nodes = [helper.make_node("MaxPoolNHWC", ["x"], ["p"], name="pool", domain=QONNX,
                              kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0]),
             helper.make_node("BatchNormalization", ["p", "g", "b", "m", "v"], ["y"],
                              name="bn")]
    mw = make_model(nodes, ("x", [1, 4, 4, 3]), ("y", [1, 2, 2, 3]),
                    {"g": ones, "b": ones, "m": ones, "v": ones}, {"x": "INT4"},
                    value_info={"p": [1, 2, 2, 3]})
    with pytest.raises(ModelImportError, match=r"'bn' \(BatchNormalization\).*channels-last"):
        load(_save(mw, tmp_path))
