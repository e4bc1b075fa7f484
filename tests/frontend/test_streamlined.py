"""FINN-style streamlined graphs (MatMul + MultiThreshold, Im2Col, MaxPoolNHWC, Transpose,
element-wise scales): single-node graphs and chains load and equal the qonnx/onnxruntime
reference exactly; zoo designs survive a round trip through their streamlined form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper

from qsim.frontend import load, reference
from qsim.frontend._export import to_streamlined_onnx
from qsim.models import MVTU, MaxPool, SlidingWindow, Thresholding
from tests.frontend._helpers import QONNX, ascending_thresholds, make_model

RNG = np.random.default_rng(7)


def _ints(lo: int, hi: int, shape: tuple[int, ...]) -> np.ndarray:
    return RNG.integers(lo, hi + 1, size=shape)


def _check(mw, x: np.ndarray, tmp_path: Path):
    path = tmp_path / "m.onnx"
    mw.save(str(path))
    design = load(path)
    got = design(x)
    ref = reference(path, design.input_to_source(x))
    np.testing.assert_array_equal(design.output_to_int(ref), got)
    return design


def test_single_matmul(tmp_path: Path) -> None:
    w = _ints(-4, 3, (12, 6))
    mw = make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                    ("x", [1, 12]), ("y", [1, 6]), {"W": w}, {"x": "INT4", "W": "INT3"})
    design = _check(mw, _ints(-8, 7, (5, 12)), tmp_path)
    (layer,) = design.layers
    assert isinstance(layer.block, MVTU) and layer.block.thresholds is None
    assert layer.name == "MVAU_0"


@pytest.mark.parametrize(("odt", "oscale", "obias", "steps"),
                         [("UINT2", 1.0, 0.0, 3), ("INT2", 1.0, -2.0, 3),
                          ("BIPOLAR", 2.0, -1.0, 1), ("INT4", 1.0, -8.0, 15)])
def test_matmul_multithreshold(tmp_path: Path, odt: str, oscale: float, obias: float,
                               steps: int) -> None:
    w = _ints(-4, 3, (16, 8))
    t = ascending_thresholds(RNG, 8, steps, -40, 40)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["acc"], name="mm"),
             helper.make_node("MultiThreshold", ["acc", "T"], ["y"], name="mt", domain=QONNX,
                              out_dtype=odt, out_scale=oscale, out_bias=obias)]
    mw = make_model(nodes, ("x", [1, 16]), ("y", [1, 8]), {"W": w, "T": t},
                    {"x": "INT4", "W": "INT3"})
    design = _check(mw, _ints(-8, 7, (64, 16)), tmp_path)
    blk = design.layers[0].block
    assert blk.thresholds is not None and blk.odt.get_canonical_name() == odt
    # exact integer thresholds: the ceiling of the real boundary
    np.testing.assert_array_equal(blk.thresholds, np.ceil(t).astype(np.int64))


def test_single_multithreshold(tmp_path: Path) -> None:
    t = ascending_thresholds(RNG, 6, 3, -100, 100)
    node = helper.make_node("MultiThreshold", ["x", "T"], ["y"], name="mt", domain=QONNX,
                            out_dtype="UINT2")
    mw = make_model([node], ("x", [1, 6]), ("y", [1, 6]), {"T": t}, {"x": "INT8"})
    design = _check(mw, _ints(-128, 127, (50, 6)), tmp_path)
    assert isinstance(design.layers[0].block, Thresholding)


@pytest.mark.parametrize(("k", "stride", "dil"), [(3, 1, 1), ((3, 2), (2, 1), (1, 2))])
def test_single_im2col(tmp_path: Path, k, stride, dil) -> None:
    kk = (k, k) if isinstance(k, int) else k
    ss = (stride, stride) if isinstance(stride, int) else stride
    dd = (dil, dil) if isinstance(dil, int) else dil
    h, w, c = 7, 8, 3
    oh = (h - (kk[0] - 1) * dd[0] - 1) // ss[0] + 1
    ow = (w - (kk[1] - 1) * dd[1] - 1) // ss[1] + 1
    node = helper.make_node("Im2Col", ["x"], ["y"], name="im2col", domain=QONNX,
                            stride=list(ss), kernel_size=list(kk), dilations=list(dd),
                            input_shape=f"(1, {h}, {w}, {c})", pad_amount=[0, 0, 0, 0])
    mw = make_model([node], ("x", [1, h, w, c]), ("y", [1, oh, ow, kk[0] * kk[1] * c]),
                    dtypes={"x": "INT4"})
    design = _check(mw, _ints(-8, 7, (1, h, w, c)), tmp_path)
    assert isinstance(design.layers[0].block, SlidingWindow)
    assert design.input_shape == (h, w, c)


def test_single_maxpool_nhwc(tmp_path: Path) -> None:
    node = helper.make_node("MaxPoolNHWC", ["x"], ["y"], name="pool", domain=QONNX,
                            kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
    mw = make_model([node], ("x", [1, 6, 4, 5]), ("y", [1, 3, 2, 5]), dtypes={"x": "UINT3"})
    design = _check(mw, _ints(0, 7, (1, 6, 4, 5)), tmp_path)
    assert isinstance(design.layers[0].block, MaxPool)


def test_conv_chain_with_transposes_and_scales(tmp_path: Path) -> None:
    """NCHW input -> Transpose -> Im2Col -> MatMul -> Mul (some negative) -> Add ->
    MultiThreshold -> MaxPoolNHWC -> Transpose back; negative scales flip weight columns."""
    c, oc, h = 2, 4, 6
    w = _ints(-3, 3, (9 * c, oc))
    mul = np.array([0.5, -1.0, 2.0, -0.25])
    add = np.array([0.3, -1.0, 0.0, 2.5])
    t = ascending_thresholds(RNG, oc, 3, -20, 20)
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 3, 1], name="tr0"),
        helper.make_node("Im2Col", ["xt"], ["cols"], domain=QONNX, name="im2col",
                         stride=[1, 1], kernel_size=[3, 3], input_shape=f"(1, {h}, {h}, {c})",
                         pad_amount=[0, 0, 0, 0]),
        helper.make_node("MatMul", ["cols", "W"], ["acc"], name="mm"),
        helper.make_node("Mul", ["acc", "m"], ["accm"], name="mul"),
        helper.make_node("Add", ["accm", "a"], ["acca"], name="add"),
        helper.make_node("MultiThreshold", ["acca", "T"], ["act"], domain=QONNX, name="mt",
                         out_dtype="INT2", out_bias=-2.0, data_layout="NHWC"),
        helper.make_node("MaxPoolNHWC", ["act"], ["pool"], domain=QONNX, name="pool",
                         kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0]),
        helper.make_node("Transpose", ["pool"], ["y"], perm=[0, 3, 1, 2], name="tr1"),
    ]
    mw = make_model(nodes, ("x", [1, c, h, h]), ("y", [1, oc, 2, 2]),
                    {"W": w, "m": mul, "a": add, "T": t}, {"x": "INT4", "W": "INT3"},
                    value_info={"xt": [1, h, h, c], "cols": [1, 4, 4, 9 * c],
                                "acc": [1, 4, 4, oc], "accm": [1, 4, 4, oc],
                                "acca": [1, 4, 4, oc], "act": [1, 4, 4, oc],
                                "pool": [1, 2, 2, oc]})
    mw.set_tensor_datatype("cols", mw.get_tensor_datatype("x"))
    mw.set_tensor_datatype("xt", mw.get_tensor_datatype("x"))
    design = load(_save(mw, tmp_path))
    assert design.source_layout == "NCHW"
    x = _ints(-8, 7, (6, h, h, c))
    ref = reference(tmp_path / "m.onnx", design.input_to_source(x))
    np.testing.assert_array_equal(design.output_to_int(ref), design(x))
    mvtu = design["MVAU_0"].block
    assert np.array_equal(mvtu.weights[:, [1, 3]], -w[:, [1, 3]])  # negated columns


def _save(mw, tmp_path: Path) -> Path:
    path = tmp_path / "m.onnx"
    mw.save(str(path))
    return path


@pytest.mark.parametrize(("net", "variant"), [("tfc", "w1a1"), ("qenet", "w2a2"),
                                              ("tfc", "w4a4")])
def test_zoo_roundtrip_streamlined(tmp_path: Path, net: str, variant: str) -> None:
    """Zoo design -> streamlined ONNX -> load: same blocks, same outputs, reference agrees."""
    import torch

    from qsim.frontend.reference import export
    from qsim.zoo import INPUT_SHAPES, build

    src = tmp_path / "src.onnx"
    export(build(net, variant), torch.zeros(1, *INPUT_SHAPES[net]), src, fmt="qonnx")
    design = load(src)
    path = _save(to_streamlined_onnx(design), tmp_path)
    again = load(path)
    assert [type(la.block) for la in again.layers] == [type(la.block) for la in design.layers]
    x = RNG.integers(-128, 128, size=(3, *design.input_shape))
    np.testing.assert_array_equal(again(x), design(x))
    np.testing.assert_array_equal(reference(path, x.astype(np.float32)), design(x))


def test_load_model_objects() -> None:
    """load() takes a ModelWrapper or ModelProto as well as a path."""
    w = _ints(-4, 3, (5, 3))
    mw = make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                    ("x", [1, 5]), ("y", [1, 3]), {"W": w}, {"x": "INT4", "W": "INT3"})
    x = _ints(-8, 7, (4, 5))
    np.testing.assert_array_equal(load(mw)(x), x @ w)
    np.testing.assert_array_equal(load(mw.model)(x), x @ w)
