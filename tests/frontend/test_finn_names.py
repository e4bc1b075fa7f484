"""FINN dataflow graphs as FINN leaves them (issue 12): unnamed nodes get qonnx
GiveUniqueNodeNames names (``<op type>_<i>``), tidy data-movement ops (Reshape, Squeeze,
Unsqueeze, a Transpose of unit dims) are absorbed, a reordering Transpose is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper

from qsim.errors import ConfigError, ModelImportError
from qsim.frontend import load, reference
from tests.frontend.test_dataflow import _conv_graph, _numpy_conv_graph

RNG = np.random.default_rng(5)
FINN_NAMES = ["ConvolutionInputGenerator_rtl_0", "MVAU_hls_0", "StreamingMaxPool_hls_0",
              "MVAU_hls_1", "LabelSelect_hls_0"]


def _untidy(tmp_path: Path, perm: tuple[int, ...] = (0, 2, 3, 1)) -> tuple[Path, dict]:  # type: ignore[type-arg]
    """The conv graph of test_dataflow with every node name cleared, a Reshape (1, 2, 2, 8)
    -> (1, 32) before MVAU 1 and Unsqueeze -> Transpose ``perm`` -> Squeeze before the
    LabelSelect."""
    path, params = _conv_graph(tmp_path)
    mw = ModelWrapper(str(path))
    g = mw.graph
    nodes = list(g.node)
    nodes[3].input[0] = "t2r"
    nodes[4].input[0] = "t3s"
    g.initializer.extend([numpy_helper.from_array(np.array([1, 32], np.int64), "shape"),
                          numpy_helper.from_array(np.array([2, 3], np.int64), "axes")])
    glue = [helper.make_node("Reshape", ["t2", "shape"], ["t2r"]),
            helper.make_node("Unsqueeze", ["t3", "axes"], ["t3u"]),
            helper.make_node("Transpose", ["t3u"], ["t3t"], perm=list(perm)),
            helper.make_node("Squeeze", ["t3t"], ["t3s"])]
    order = [nodes[0], nodes[1], nodes[2], glue[0], nodes[3], *glue[1:], nodes[4]]
    del g.node[:]
    g.node.extend(order)
    for n in g.node:
        n.name = ""
    ushape = [1, 5, 1, 1]
    tshape = [ushape[p] for p in perm]
    for name, shape in (("t2r", [1, 32]), ("t3u", ushape), ("t3t", tshape), ("t3s", [1, 5])):
        g.value_info.append(helper.make_tensor_value_info(name, 1, shape))
    out = tmp_path / "untidy.onnx"
    mw.save(str(out))
    return out, params


def test_unnamed_nodes_get_finn_names(tmp_path: Path) -> None:
    path, params = _untidy(tmp_path)
    design = load(path)
    assert [la.name for la in design.layers] == FINN_NAMES
    x = RNG.integers(-8, 8, size=(5, 6, 6, 4))
    want = _numpy_conv_graph(x, params)
    np.testing.assert_array_equal(design(x), want)
    np.testing.assert_array_equal(reference(path, x.astype(np.float32)), want)
    # a folding file uses the given names (or FINN's variants of them)
    folded = load(path, folding={"MVAU_hls_0": {"PE": 8}, "LabelSelect_Batch_0": {"PE": 5}})
    assert folded["MVAU_hls_0"].block.pe == 8 and folded["LabelSelect_hls_0"].block.pe == 5
    with pytest.raises(ConfigError, match=r"\['MVAU_7'\].*must use its node names "
                                          r"\['ConvolutionInputGenerator_rtl_0', 'MVAU_hls_0'"):
        load(path, folding={"MVAU_7": {"PE": 1}})


def test_reordering_transpose_refused(tmp_path: Path) -> None:
    """(1, 5, 1, 1) -> perm (0, 2, 1, 3) only moves unit dims: absorbed; a perm that swaps two
    non-unit dims would reorder the stream and is refused naming the node."""
    path, _ = _untidy(tmp_path, perm=(0, 2, 1, 3))
    assert [la.name for la in load(path).layers] == FINN_NAMES
    path, _ = _conv_graph(tmp_path)
    mw = ModelWrapper(str(path))
    g = mw.graph
    g.node[2].output[0] = "t2a"
    g.node.insert(3, helper.make_node("Transpose", ["t2a"], ["t2"], perm=[0, 2, 1, 3],
                                      name="swap"))
    g.value_info.append(helper.make_tensor_value_info("t2a", 1, [1, 2, 2, 8]))
    mw.save(str(tmp_path / "swap.onnx"))
    with pytest.raises(ModelImportError, match=r"node 'swap' \(Transpose\): Transpose perm "
                                               r"\[0, 2, 1, 3\] of shape \(1, 2, 2, 8\) "
                                               r"reorders the stream"):
        load(tmp_path / "swap.onnx")


def test_duplicate_names_refused(tmp_path: Path) -> None:
    path, _ = _conv_graph(tmp_path)
    mw = ModelWrapper(str(path))
    mw.graph.node[3].name = "MVAU_hls_0"
    mw.save(str(tmp_path / "dup.onnx"))
    with pytest.raises(ModelImportError, match=r"node names \['MVAU_hls_0'\] are not unique"):
        load(tmp_path / "dup.onnx")


def test_streamlined_unsqueeze_squeeze(tmp_path: Path) -> None:
    """An older FINN streamlined export: MatMul -> Unsqueeze (N, C) -> (N, C, 1, 1) ->
    MultiThreshold (NCHW) -> Squeeze; the Design equals an independent NumPy computation."""
    from tests.frontend._helpers import QONNX, ascending_thresholds, make_model

    w = RNG.integers(-4, 4, size=(12, 6))
    t = ascending_thresholds(RNG, 6, 3, -30, 30)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["acc"], name="mm"),
             helper.make_node("Unsqueeze", ["acc", "axes"], ["u"], name="unsq"),
             helper.make_node("MultiThreshold", ["u", "T"], ["m"], name="mt", domain=QONNX,
                              out_dtype="UINT2"),
             helper.make_node("Squeeze", ["m", "axes"], ["y"], name="sq")]
    mw = make_model(nodes, ("x", [1, 12]), ("y", [1, 6]), {"W": w, "T": t},
                    {"x": "INT4", "W": "INT3"}, value_info={"u": [1, 6, 1, 1],
                                                            "m": [1, 6, 1, 1]})
    mw.graph.initializer.append(numpy_helper.from_array(np.array([2, 3], np.int64), "axes"))
    mw.save(str(tmp_path / "unsq.onnx"))
    design = load(tmp_path / "unsq.onnx")
    x = RNG.integers(-8, 8, size=(40, 12))
    want = ((x @ w)[..., None] >= t[None]).sum(-1)
    np.testing.assert_array_equal(design(x), want)
    ref = reference(tmp_path / "unsq.onnx", design.input_to_source(x))
    np.testing.assert_array_equal(design.output_to_int(ref).reshape(want.shape), want)
