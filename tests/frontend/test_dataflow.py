"""FINN dataflow graphs (MVAU, Thresholding, ConvolutionInputGenerator, StreamingMaxPool,
LabelSelect with FINN attribute names) load with their folding and equal both an independent
NumPy computation and the reference level (the standard-ONNX equivalent run by qonnx)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from onnx import helper

from qsim.errors import ConfigError, ModelImportError
from qsim.frontend import LabelSelect, load, reference
from qsim.frontend._export import to_dataflow_onnx, to_streamlined_onnx
from qsim.frontend.reference import export
from qsim.models import MVTU, MaxPool, SlidingWindow
from qsim.zoo import build, default_folding
from tests.frontend._helpers import FINN, make_model

RNG = np.random.default_rng(11)


def _node(op: str, ins: list[str], out: str, name: str, **attrs) -> object:
    return helper.make_node(op, ins, [out], name=name, domain=FINN, backend="fpgadataflow",
                            **attrs)


def _conv_graph(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """SWG (6x6x4, k3) -> MVAU (36 -> 8, UINT2 thresholds) -> StreamingMaxPool (4x4, k2)
    -> MVAU (32 -> 5, no activation) -> LabelSelect (K=2). FINN v0.10 node names/op types."""
    w0 = RNG.integers(-4, 4, size=(36, 8))
    t0 = np.sort(RNG.integers(-30, 30, size=(8, 3)), axis=1)
    w1 = RNG.integers(-2, 2, size=(32, 5))
    nodes = [
        _node("ConvolutionInputGenerator_rtl", ["x"], "t0", "ConvolutionInputGenerator_rtl_0",
              ConvKernelDim=[3, 3], IFMChannels=4, IFMDim=[6, 6], OFMDim=[4, 4], SIMD=2,
              Stride=[1, 1], Dilation=[1, 1], inputDataType="INT4", outputDataType="INT4",
              depthwise=0),
        _node("MVAU_hls", ["t0", "W0", "T0"], "t1", "MVAU_hls_0", MW=36, MH=8, PE=4, SIMD=6,
              inputDataType="INT4", weightDataType="INT3", outputDataType="UINT2", ActVal=0,
              binaryXnorMode=0, noActivation=0, numInputVectors=[1, 4, 4]),
        _node("StreamingMaxPool_hls", ["t1"], "t2", "StreamingMaxPool_hls_0", ImgDim=[4, 4],
              PoolDim=[2, 2], NumChannels=8, PE=1, dataType="UINT2"),
        _node("MVAU_hls", ["t2", "W1"], "t3", "MVAU_hls_1", MW=32, MH=5, PE=1, SIMD=8,
              inputDataType="UINT2", weightDataType="INT2", outputDataType="INT8", ActVal=0,
              binaryXnorMode=0, noActivation=1, numInputVectors=[1]),
        _node("LabelSelect_hls", ["t3"], "y", "LabelSelect_hls_0", Labels=5, PE=1, K=2,
              inputDataType="INT8", outputDataType="UINT3"),
    ]
    mw = make_model(nodes, ("x", [1, 6, 6, 4]), ("y", [1, 2]), {"W0": w0, "T0": t0, "W1": w1},
                    {"x": "INT4", "W0": "INT3", "W1": "INT2"},
                    value_info={"t0": [1, 4, 4, 36], "t1": [1, 4, 4, 8], "t2": [1, 2, 2, 8],
                                "t3": [1, 5]})
    path = tmp_path / "dataflow.onnx"
    mw.save(str(path))
    return path, {"W0": w0, "T0": t0, "W1": w1}


def _numpy_conv_graph(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    cols = np.stack([x[:, a:a + 4, b:b + 4] for a in range(3) for b in range(3)], axis=3)
    acc = cols.reshape(len(x), 4, 4, 36) @ p["W0"]  # (kh, kw, c) order
    act = (acc[..., None] >= p["T0"]).sum(-1)  # (N, 4, 4, 8)
    pool = act.reshape(len(x), 2, 2, 2, 2, 8).max(axis=(2, 4))
    logits = pool.reshape(len(x), 32) @ p["W1"]
    return np.argsort(-logits, axis=1, kind="stable")[:, :2]


def test_dataflow_graph(tmp_path: Path) -> None:
    path, params = _conv_graph(tmp_path)
    design = load(path)
    assert [type(la.block) for la in design.layers] == [SlidingWindow, MVTU, MaxPool, MVTU,
                                                         LabelSelect]
    assert (design["MVAU_hls_0"].block.pe, design["MVAU_hls_0"].block.simd) == (4, 6)
    x = RNG.integers(-8, 8, size=(6, 6, 6, 4))
    want = _numpy_conv_graph(x, params)
    np.testing.assert_array_equal(design(x), want)
    np.testing.assert_array_equal(reference(path, x.astype(np.float32)), want)
    # its streamlined form (Im2Col, MatMul, MultiThreshold, MaxPoolNHWC, TopK) loads back
    spath = tmp_path / "streamlined.onnx"
    to_streamlined_onnx(design).save(str(spath))
    again = load(spath)
    assert type(again.layers[-1].block) is LabelSelect
    np.testing.assert_array_equal(again(x), want)


def test_dataflow_folding(tmp_path: Path) -> None:
    path, _ = _conv_graph(tmp_path)
    fold = {"Defaults": {}, "MVAU_hls_0": {"PE": 8, "SIMD": 12, "ram_style": "block"},
            "ConvolutionInputGenerator_rtl_0": {"SIMD": 4},
            "StreamingMaxPool_hls_0": {"PE": 2}, "MVAU_1": {"SIMD": 32, "PE": 5}}
    design = load(path, folding=fold)
    assert (design["MVAU_hls_0"].block.pe, design["MVAU_hls_0"].block.simd) == (8, 12)
    assert design["ConvolutionInputGenerator_rtl_0"].block.simd == 4
    assert design["StreamingMaxPool_hls_0"].block.pe == 2
    assert (design["MVAU_hls_1"].block.pe, design["MVAU_hls_1"].block.simd) == (5, 32)


def test_dataflow_xnor_mvau(tmp_path: Path) -> None:
    """FINN's XNOR convention: BINARY {0, 1} inputs and weights, binaryXnorMode=1; the
    accumulator is popcount(xnor) and the thresholds apply to it."""
    w = RNG.integers(0, 2, size=(16, 8))
    t = np.sort(RNG.integers(0, 17, size=(8, 1)), axis=1)
    nodes = [_node("MVAU", ["x", "W", "T"], "y", "MVAU_0", MW=16, MH=8, PE=2, SIMD=4,
                   inputDataType="BINARY", weightDataType="BINARY", outputDataType="BINARY",
                   ActVal=0, binaryXnorMode=1, noActivation=0, numInputVectors=[1])]
    mw = make_model(nodes, ("x", [1, 16]), ("y", [1, 8]), {"W": w, "T": t},
                    {"x": "BINARY", "W": "BINARY"})
    path = tmp_path / "xnor.onnx"
    mw.save(str(path))
    design = load(path)
    x = RNG.integers(0, 2, size=(20, 16))
    pop = (x[:, :, None] == w[None]).sum(axis=1)  # (N, MH)
    want = (pop >= t[:, 0]).astype(np.int64)
    np.testing.assert_array_equal(design(x), want)
    np.testing.assert_array_equal(reference(path, x.astype(np.float32)), want)


@pytest.mark.parametrize(("net", "variant"), [("tfc", "w1a1"), ("qenet", "w1a2")])
def test_zoo_as_dataflow(tmp_path: Path, net: str, variant: str) -> None:
    """A zoo design written as a FINN dataflow graph loads back with the same folding and
    outputs, and its reference (standard-ONNX equivalent) agrees."""
    from qsim.zoo import INPUT_SHAPES

    src = tmp_path / "src.onnx"
    export(build(net, variant), torch.zeros(1, *INPUT_SHAPES[net]), src, fmt="qonnx")
    design = load(src, folding=default_folding(net))
    path = tmp_path / "df.onnx"
    to_dataflow_onnx(design).save(str(path))
    again = load(path)
    assert [(la.name, getattr(la.block, "pe", None), getattr(la.block, "simd", None))
            for la in again.layers] == \
        [(la.name, getattr(la.block, "pe", None), getattr(la.block, "simd", None))
         for la in design.layers]
    x = RNG.integers(-128, 128, size=(2, *design.input_shape))
    np.testing.assert_array_equal(again(x), design(x))
    np.testing.assert_array_equal(reference(path, x.astype(np.float32)), design(x))


def test_dataflow_unsupported_node(tmp_path: Path) -> None:
    """A depthwise VVAU has no qsim block (FMPadding, once refused here, is imported now)."""
    nodes = [_node("VVAU_hls", ["x", "W"], "y", "VVAU_hls_0", Channels=2, Kernel=[3, 3],
                   PE=1, SIMD=1, Dim=[2, 2], inputDataType="INT4", weightDataType="INT4",
                   outputDataType="INT16", noActivation=1)]
    mw = make_model(nodes, ("x", [1, 2, 2, 18]), ("y", [1, 2, 2, 2]),
                    {"W": np.ones((2, 1, 3, 3))}, dtypes={"x": "INT4"})
    path = tmp_path / "vvau.onnx"
    mw.save(str(path))
    with pytest.raises(ModelImportError, match=r"'VVAU_hls_0' \(VVAU_hls\).*not supported"):
        load(path)


def test_dataflow_bad_folding_attribute(tmp_path: Path) -> None:
    path, _ = _conv_graph(tmp_path)
    with pytest.raises(ConfigError, match=r"'LabelSelect_hls_0'.*no SIMD"):
        load(path, folding={"LabelSelect_hls_0": {"SIMD": 2}})


def test_dataflow_thresholding_and_legacy_names(tmp_path: Path) -> None:
    """Thresholding_Batch and MatrixVectorActivation (FINN <= v0.9 op types) with PE folding."""
    t = np.sort(RNG.integers(-60, 60, size=(6, 3)), axis=1)
    w = RNG.integers(-2, 2, size=(6, 4))
    nodes = [
        _node("Thresholding_Batch", ["x", "T"], "t0", "Thresholding_Batch_0", NumChannels=6,
              PE=3, numSteps=3, inputDataType="INT8", outputDataType="INT2", ActVal=-2,
              numInputVectors=[1]),
        _node("MatrixVectorActivation", ["t0", "W"], "y", "MatrixVectorActivation_0", MW=6,
              MH=4, PE=2, SIMD=3, inputDataType="INT2", weightDataType="INT2",
              outputDataType="INT6", ActVal=0, binaryXnorMode=0, noActivation=1,
              numInputVectors=[1])]
    mw = make_model(nodes, ("x", [1, 6]), ("y", [1, 4]), {"T": t, "W": w},
                    {"x": "INT8", "W": "INT2"}, value_info={"t0": [1, 6]})
    path = tmp_path / "thr.onnx"
    mw.save(str(path))
    design = load(path, folding={"Thresholding_0": {"PE": 6}, "MVAU_0": {"SIMD": 6}})
    assert design["Thresholding_Batch_0"].block.pe == 6
    assert design["MatrixVectorActivation_0"].block.simd == 6
    x = RNG.integers(-128, 128, size=(30, 6))
    want = ((x[..., None] >= t).sum(-1) - 2) @ w
    np.testing.assert_array_equal(design(x), want)
    np.testing.assert_array_equal(reference(path, x.astype(np.float32)), want)


def test_with_label_select(tmp_path: Path) -> None:
    """A zoo design + LabelSelect: indices of the largest outputs, checked against the
    reference of its streamlined form (onnxruntime TopK: ties to the lower index)."""
    from qsim.zoo import INPUT_SHAPES

    src = tmp_path / "src.onnx"
    export(build("tfc", "w1a2"), torch.zeros(1, *INPUT_SHAPES["tfc"]), src, fmt="qonnx")
    base = load(src)
    design = base.with_label_select(k=3)
    assert design.layers[-1].name == "LabelSelect_0" and design.output_shape == (3,)
    x = RNG.integers(-128, 128, size=(8, *design.input_shape))
    logits = base(x)
    np.testing.assert_array_equal(design(x)[:, 0], np.argmax(logits, axis=1))
    path = tmp_path / "ls.onnx"
    to_streamlined_onnx(design).save(str(path))
    np.testing.assert_array_equal(reference(path, x.astype(np.float32)), design(x))
    per_channel = dataclasses.replace(base, scale=np.linspace(0.5, 1.0, 10))
    with pytest.raises(ConfigError, match=r"one positive output scale"):
        per_channel.with_label_select()
