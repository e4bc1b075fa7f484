"""FINN dataflow residual graphs: a DuplicateStreams fork, two branches, an AddStreams join
(the structure of FINN's own residual tests), with FMPadding and GlobalAccPool, built here with
onnx.helper and FINN v0.10 attribute names. The Design equals an independent NumPy
computation and the reference level (the standard-ONNX equivalent run by qonnx); malformed
graphs and foldings are refused naming the nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from onnx import helper

from qsim.errors import ConfigError, ModelImportError
from qsim.frontend import load, reference
from qsim.frontend._export import to_dataflow_onnx
from qsim.models import (
    MVTU,
    AddStreams,
    DuplicateStreams,
    FMPadding,
    GlobalAccPool,
    SlidingWindow,
    Thresholding,
)
from tests.frontend._helpers import FINN, make_model

RNG = np.random.default_rng(23)


def _node(op: str, ins: list[str], outs: list[str], name: str, **attrs: Any) -> Any:
    return helper.make_node(op, ins, outs, name=name, domain=FINN, backend="fpgadataflow",
                            **attrs)


def _residual_nodes() -> list[Any]:
    """x (1, 4, 4, 4) INT4 -> DuplicateStreams_Batch -> [FMPadding -> SWG 3x3 -> MVAU (UINT2
    thresholds)] and [StreamingFIFO -> Thresholding_Batch (INT4 -> INT3)] -> AddStreams_Batch
    -> GlobalAccPool_Batch -> y (1, 1, 1, 4)."""
    return [
        _node("DuplicateStreams_Batch", ["x"], ["d0", "d1"], "DuplicateStreams_Batch_0",
              NumChannels=4, PE=2, NumOutputStreams=2, inputDataType="INT4",
              numInputVectors=[1, 4, 4]),
        _node("FMPadding_rtl", ["d0"], ["p0"], "FMPadding_rtl_0", ImgDim=[4, 4],
              Padding=[1, 1, 1, 1], NumChannels=4, SIMD=2, inputDataType="INT4"),
        _node("ConvolutionInputGenerator_rtl", ["p0"], ["c0"], "ConvolutionInputGenerator_rtl_0",
              ConvKernelDim=[3, 3], IFMChannels=4, IFMDim=[6, 6], OFMDim=[4, 4], SIMD=2,
              Stride=[1, 1], Dilation=[1, 1], inputDataType="INT4", outputDataType="INT4",
              depthwise=0),
        _node("MVAU_hls", ["c0", "W0", "T0"], ["m0"], "MVAU_hls_0", MW=36, MH=4, PE=2, SIMD=6,
              inputDataType="INT4", weightDataType="INT3", outputDataType="UINT2", ActVal=0,
              binaryXnorMode=0, noActivation=0, numInputVectors=[1, 4, 4]),
        _node("StreamingFIFO_rtl", ["d1"], ["f1"], "StreamingFIFO_rtl_0", depth=64,
              folded_shape=[1, 4, 4, 2, 2], dataType="INT4"),
        _node("Thresholding_Batch", ["f1", "T1"], ["t1"], "Thresholding_Batch_0", NumChannels=4,
              PE=1, inputDataType="INT4", outputDataType="INT3", ActVal=-4, numSteps=7,
              numInputVectors=[1, 4, 4]),
        _node("AddStreams_Batch", ["m0", "t1"], ["a0"], "AddStreams_Batch_0", NumChannels=4,
              PE=2, inputDataTypes=["UINT2", "INT3"], numInputVectors=[1, 4, 4]),
        _node("GlobalAccPool_Batch", ["a0"], ["y"], "GlobalAccPool_Batch_0", NumChannels=4, PE=1,
              inputDataType="INT4", numInputVectors=[1, 4, 4]),
    ]


_SHAPES = {"d0": [1, 4, 4, 4], "d1": [1, 4, 4, 4], "p0": [1, 6, 6, 4], "c0": [1, 4, 4, 36],
           "m0": [1, 4, 4, 4], "f1": [1, 4, 4, 4], "t1": [1, 4, 4, 4], "a0": [1, 4, 4, 4]}


def _params() -> dict[str, np.ndarray]:
    return {"W0": RNG.integers(-4, 4, size=(36, 4)),
            "T0": np.sort(RNG.integers(-40, 40, size=(4, 3)), axis=1),
            "T1": np.sort(RNG.integers(-8, 8, size=(4, 7)), axis=1)}


def _save(tmp_path: Path, nodes: list[Any], p: dict[str, np.ndarray],
          shapes: dict[str, list[int]] = _SHAPES, out: str = "y") -> Path:
    mw = make_model(nodes, ("x", [1, 4, 4, 4]), (out, [1, 1, 1, 4]), p,
                    {"x": "INT4", "W0": "INT3"}, value_info=shapes)
    path = tmp_path / "residual_dataflow.onnx"
    mw.save(str(path))
    return path


def _numpy(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """The graph computed directly: pad, im2col in (kh, kw, c) order, MatMul, thresholds."""
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = np.concatenate([xp[:, i:i + 4, j:j + 4] for i in range(3) for j in range(3)], axis=3)
    main = ((cols @ p["W0"])[..., None] >= p["T0"]).sum(-1)  # (N, 4, 4, 4) in 0..3
    short = (x[..., None] >= p["T1"]).sum(-1) - 4  # -4..3
    return (main + short).sum(axis=(1, 2))  # (N, 4)


def test_finn_residual_graph(tmp_path: Path) -> None:
    p = _params()
    path = _save(tmp_path, _residual_nodes(), p)
    design = load(path)
    assert [type(la.block) for la in design.layers] == [
        DuplicateStreams, FMPadding, SlidingWindow, MVTU, Thresholding, AddStreams, GlobalAccPool]
    assert design["AddStreams_Batch_0"].inputs == ("MVAU_hls_0", "Thresholding_Batch_0")
    assert design["Thresholding_Batch_0"].inputs == ("DuplicateStreams_Batch_0",)
    assert design["FMPadding_rtl_0"].block.padding == (1, 1, 1, 1)
    assert (design["DuplicateStreams_Batch_0"].block.pe, design["AddStreams_Batch_0"].block.pe,
            design["FMPadding_rtl_0"].block.simd) == (2, 2, 2)
    x = RNG.integers(-8, 8, size=(10, 4, 4, 4))
    want = _numpy(x, p)
    np.testing.assert_array_equal(design(x).reshape(10, 4), want)
    ref = reference(path, x.astype(np.float32))
    np.testing.assert_array_equal(np.asarray(ref).reshape(10, 4), want)


def test_finn_residual_round_trip(tmp_path: Path) -> None:
    """Design -> to_dataflow_onnx -> load: the same layers, inputs and outputs."""
    design = load(_save(tmp_path, _residual_nodes(), _params()))
    path = tmp_path / "again.onnx"
    to_dataflow_onnx(design).save(str(path))
    again = load(path)
    assert [(la.name, la.inputs) for la in again.layers] == \
        [(la.name, la.inputs) for la in design.layers]
    x = RNG.integers(-8, 8, size=(4, 4, 4, 4))
    np.testing.assert_array_equal(again(x), design(x))


def test_folding_names_missing_port(tmp_path: Path) -> None:
    path = _save(tmp_path, _residual_nodes(), _params())
    with pytest.raises(ConfigError, match=r"'AddStreams_Batch_0': inFIFODepths=\[2, 2, 32\] "
                                          r"names port 2 but the layer has 2 input port"):
        load(path, folding={"AddStreams_Batch_0": {"inFIFODepths": [2, 2, 32]}})


def test_fan_out_without_duplicate_refused(tmp_path: Path) -> None:
    nodes = _residual_nodes()[1:]
    nodes[0].input[0], nodes[3].input[0] = "x", "x"  # FMPadding and the FIFO both read x
    with pytest.raises(ModelImportError, match=r"its output 'x' feeds \['FMPadding_rtl_0', "
                                               r"'StreamingFIFO_rtl_0'\].*DuplicateStreams"):
        load(_save(tmp_path, nodes, _params()))


def test_branch_never_rejoins_refused(tmp_path: Path) -> None:
    """No add: the main branch pools to the output, the shortcut's Thresholding is read by
    nobody."""
    nodes = _residual_nodes()
    nodes[6:] = [_node("GlobalAccPool_Batch", ["m0"], ["y"], "GlobalAccPool_Batch_0",
                       NumChannels=4, PE=1, inputDataType="UINT2", numInputVectors=[1, 4, 4])]
    with pytest.raises(ModelImportError, match=r"'Thresholding_Batch_0' "
                                               r"\(Thresholding_Batch\): its output 't1' is read "
                                               r"by no node.*never rejoins"):
        load(_save(tmp_path, nodes, _params()))


def test_add_of_different_shapes_refused(tmp_path: Path) -> None:
    """The shortcut pools to (4,) before the add: 4 values against 64."""
    nodes = _residual_nodes()
    nodes[5] = _node("GlobalAccPool_Batch", ["f1"], ["t1"], "GlobalAccPool_Batch_1",
                     NumChannels=4, PE=1, inputDataType="INT4", numInputVectors=[1, 4, 4])
    shapes = {**_SHAPES, "t1": [1, 1, 1, 4]}
    with pytest.raises(ModelImportError, match=r"'AddStreams_Batch_0' \(AddStreams_Batch\): "
                                               r"its inputs differ in shape"):
        load(_save(tmp_path, nodes, _params(), shapes))


def test_cycle_refused(tmp_path: Path) -> None:
    nodes = _residual_nodes()
    nodes[4].input[0] = "a0"  # the FIFO reads the add's output: FIFO -> Thr -> Add -> FIFO
    with pytest.raises(ModelImportError, match=r"cycle: nodes \['StreamingFIFO_rtl_0', "
                                               r"'Thresholding_Batch_0', 'AddStreams_Batch_0'"):
        load(_save(tmp_path, nodes, _params()))
