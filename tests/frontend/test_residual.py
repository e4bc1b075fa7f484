"""Residual graphs: the fork (DuplicateStreams), the join (AddStreams), Conv padding (FMPadding)
and global average pooling (GlobalAccPool), from Brevitas/QONNX and FINN-style graphs. Every
design equals the reference level exactly as integers; bad graphs are refused naming the
nodes. (FINN dataflow residual graphs: test_residual_dataflow.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from brevitas import nn as qnn
from brevitas.quant import (
    Int8ActPerTensorFixedPoint,
    Int8WeightPerTensorFixedPoint,
    Uint8ActPerTensorFixedPoint,
)
from onnx import helper, numpy_helper
from torch import nn

from qsim.errors import ModelImportError
from qsim.frontend import load, reference
from qsim.models import MVTU, AddStreams, DuplicateStreams, FMPadding, GlobalAccPool
from tests.frontend._helpers import assert_matches_reference, make_model, random_input

RNG = np.random.default_rng(5)


# ---- a residual Brevitas net, written here independently of the zoo ------------------------
def _relu(bits: int) -> nn.Module:
    return qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=bits,
                         scaling_impl_type="const", max_val=4.0, return_quant_tensor=True)


def _conv(cin: int, cout: int, k: int, stride: int) -> nn.Module:
    return qnn.QuantConv2d(cin, cout, k, stride=stride, padding=(k - 1) // 2, bias=False,
                           weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=3)


class _Residual(nn.Module):
    """Basic block; the shortcut is the input itself or a 1x1 conv, stride 2, + BN."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.main = nn.Sequential(_conv(cin, cout, 3, stride), nn.BatchNorm2d(cout), _relu(3),
                                  _conv(cout, cout, 3, 1), nn.BatchNorm2d(cout))
        self.short = nn.Identity() if stride == 1 and cin == cout else \
            nn.Sequential(_conv(cin, cout, 1, stride), nn.BatchNorm2d(cout))
        self.join = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=4,
                                      scaling_impl_type="const", min_val=-4.0, max_val=4.0,
                                      return_quant_tensor=True)
        self.out = _relu(3)

    def forward(self, x: Any) -> Any:
        return self.out(self.join(self.main(x)) + self.join(self.short(x)))


def _brevitas_net() -> nn.Module:
    torch.manual_seed(3)
    net = nn.Sequential(
        qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=8,
                          return_quant_tensor=True),
        _conv(3, 6, 3, 1), nn.BatchNorm2d(6), _relu(3),
        _Residual(6, 6, 1), _Residual(6, 12, 2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        qnn.QuantLinear(12, 5, bias=False, weight_quant=Int8WeightPerTensorFixedPoint,
                        weight_bit_width=3))
    for m in net.modules():  # non-trivial BatchNorm statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.3, 2.0)
            m.weight.data.uniform_(-1.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return net.eval()


def _export(tmp_path: Path, size: int) -> Path:
    from qsim.frontend.reference import export

    path = tmp_path / f"residual_{size}.onnx"
    export(_brevitas_net(), torch.zeros(1, 3, size, size), path, fmt="qonnx")
    return path


@pytest.fixture(scope="module")
def brevitas_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(tmp_path_factory.mktemp("res"), 8)


def test_brevitas_residual_net(brevitas_path: Path) -> None:
    """padding=1, identity and 1x1-conv shortcuts, AdaptiveAvgPool2d: the Design equals the
    reference at the output and at every layer boundary the graph exposes."""
    design = load(brevitas_path)
    kinds = [type(la.block) for la in design.layers]
    assert kinds.count(DuplicateStreams) == 2 and kinds.count(AddStreams) == 2
    assert kinds.count(FMPadding) == 5 and kinds.count(GlobalAccPool) == 1
    adds = [la for la in design.layers if isinstance(la.block, AddStreams)]
    assert all(len(la.inputs) == 2 for la in adds)
    assert_matches_reference(design, brevitas_path, random_input(design, 12, seed=1),
                             layers=True)


def test_brevitas_residual_odd_pool(tmp_path: Path) -> None:
    """A 6x6 input pools over 3x3: the 1/9 is not a power of two, yet the integers match (the
    float32 reference is within 1e-3 of an integer on the output scale)."""
    path = _export(tmp_path, 6)
    design = load(path)
    pool = [la.block for la in design.layers if isinstance(la.block, GlobalAccPool)]
    assert [p.ifm_dim for p in pool] == [(3, 3)]
    assert_matches_reference(design, path, random_input(design, 32, seed=7), layers=True)


def test_brevitas_residual_matches_torch(brevitas_path: Path) -> None:
    design = load(brevitas_path)
    x = random_input(design, 8, seed=2)
    with torch.no_grad():
        y = _brevitas_net()(torch.as_tensor(design.input_to_source(x)))
    np.testing.assert_array_equal(design.output_to_int(y.numpy()), design(x))


def test_brevitas_residual_folded(brevitas_path: Path) -> None:
    """FINN folding entries reach the new blocks; outputs are fold-independent."""
    plain = load(brevitas_path)
    folded = load(brevitas_path, folding={"AddStreams_0": {"PE": 3},
                                          "DuplicateStreams_1": {"PE": 2},
                                          "FMPadding_0": {"SIMD": 3},
                                          "GlobalAccPool_0": {"PE": 4}})
    assert (folded["AddStreams_0"].block.pe, folded["DuplicateStreams_1"].block.pe,
            folded["FMPadding_0"].block.simd, folded["GlobalAccPool_0"].block.pe) == (3, 2, 3, 4)
    x = random_input(plain, 4, seed=3)
    np.testing.assert_array_equal(folded(x), plain(x))


# ---- small integer graphs (FINN-style annotations) -------------------------------------------
def _mm(name: str, x: str, w: str, y: str) -> Any:
    return helper.make_node("MatMul", [x, w], [y], name=name)


def _save(mw: Any, tmp_path: Path, name: str = "m.onnx") -> Path:
    path = tmp_path / name
    mw.save(str(path))
    return path


def _two_branches(tmp_path: Path, mid: list[Any], w1_cols: int = 4) -> tuple[Path, Any, Any]:
    """x (INT4) -> mm0 (W0) -> [mid nodes: a0 -> a] and x -> mm1 (W1) -> b; add(a, b) -> y."""
    w0 = RNG.integers(-2, 2, size=(4, 4))
    w1 = RNG.integers(-2, 2, size=(4, w1_cols))
    nodes = [_mm("mm0", "x", "W0", "a0" if mid else "a"), *mid, _mm("mm1", "x", "W1", "b"),
             helper.make_node("Add", ["a", "b"], ["y"], name="add")]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 4]), {"W0": w0, "W1": w1},
                    {"x": "INT4", "W0": "INT2", "W1": "INT2"})
    return _save(mw, tmp_path), w0, w1


def _with_const(path: Path, name: str, value: Any) -> Path:
    """Add an initializer to a saved model."""
    m = onnx.load(str(path))
    m.graph.initializer.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
    onnx.save(m, str(path))
    return path


def test_fork_and_join_of_accumulators(tmp_path: Path) -> None:
    path, w0, w1 = _two_branches(tmp_path, [])
    design = load(path)
    assert [type(la.block) for la in design.layers] == [DuplicateStreams, MVTU, MVTU, AddStreams]
    x = RNG.integers(-8, 8, size=(16, 4))
    np.testing.assert_array_equal(design(x), x @ w0 + x @ w1)
    assert_matches_reference(design, path, x)


@pytest.mark.parametrize("factor", [4.0, 0.5])
def test_integer_scale_ratio_scales_weights(tmp_path: Path, factor: float) -> None:
    """a = factor * (x @ W0): the branch with the larger scale gets its weights multiplied by
    the integer ratio (exact), the sum keeps the smaller scale."""
    mul = helper.make_node("Mul", ["a0", "k"], ["a"], name="scale")
    path, w0, w1 = _two_branches(tmp_path, [mul])
    design = load(_with_const(path, "k", factor))
    mvtus = [la.block for la in design.layers if isinstance(la.block, MVTU)]
    x = RNG.integers(-8, 8, size=(16, 4))
    if factor == 4.0:
        np.testing.assert_array_equal(mvtus[0].weights, 4 * w0)
        np.testing.assert_array_equal(design(x), 4 * (x @ w0) + x @ w1)
    else:
        np.testing.assert_array_equal(mvtus[1].weights, 2 * w1)
        np.testing.assert_array_equal(design(x), x @ w0 + 2 * (x @ w1))
    assert_matches_reference(design, path, x)


# ---- bad input --------------------------------------------------------------------------------
def test_irreconcilable_scales_refused(tmp_path: Path) -> None:
    mul = helper.make_node("Mul", ["a0", "k"], ["a"], name="scale")
    path = _with_const(_two_branches(tmp_path, [mul])[0], "k", 1.5)
    with pytest.raises(ModelImportError, match=r"'add' \(Add\): its inputs 'a' and 'b' have "
                                               r"scales 1\.5 and 1\.0"):
        load(path)


def test_add_of_different_shapes_refused(tmp_path: Path) -> None:
    path, _, _ = _two_branches(tmp_path, [], w1_cols=1)
    with pytest.raises(ModelImportError, match=r"'add' \(Add\): its inputs 'a' \(1, 4\) and "
                                               r"'b' \(1, 1\) differ in shape"):
        load(path)


def test_branch_that_never_rejoins_refused(tmp_path: Path) -> None:
    nodes = [_mm("mm0", "x", "W", "y"), _mm("mm1", "x", "W", "dangling")]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 4]), {"W": np.ones((4, 4))},
                    {"x": "INT4", "W": "INT2"})
    with pytest.raises(ModelImportError, match=r"'mm1' \(MatMul\): its output 'dangling' is "
                                               r"read by no node.*never rejoins"):
        load(_save(mw, tmp_path))


def test_cycle_refused(tmp_path: Path) -> None:
    nodes = [_mm("mm0", "x", "W", "a"), helper.make_node("Add", ["a", "c"], ["b"], name="add"),
             _mm("mm1", "b", "W", "c"), _mm("mm2", "b", "W", "y")]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 4]), {"W": np.ones((4, 4))},
                    {"x": "INT4", "W": "INT2"})
    with pytest.raises(ModelImportError, match=r"cycle: nodes \['add', 'mm1'\] wait on each "
                                               r"other"):
        load(_save(mw, tmp_path))


def test_float_fork_refused(tmp_path: Path) -> None:
    nodes = [_mm("mm0", "x", "W", "a"), _mm("mm1", "x", "W", "b"),
             helper.make_node("Add", ["a", "b"], ["y"], name="add")]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 4]), {"W": np.ones((4, 4))}, {"W": "INT2"})
    with pytest.raises(ModelImportError, match=r"float tensor 'x' feeds \['mm0', 'mm1'\]"):
        load(_save(mw, tmp_path))


# ---- padding and global pooling ----------------------------------------------------------------
def _conv_graph(tmp_path: Path, pads: list[int], offset: float = 0.0) -> tuple[Path, Any]:
    """x INT4 (1, 2, 5, 5) NCHW [-> Conv 1x1 -> Add offset] -> Conv 3x3 (INT2, pads) -> y."""
    w = RNG.integers(-2, 2, size=(3, 2, 3, 3))
    oh, ow = 5 + pads[0] + pads[2] - 2, 5 + pads[1] + pads[3] - 2
    nodes = [helper.make_node("Conv", ["x1" if offset else "x", "W"], ["y"], name="conv",
                              kernel_shape=[3, 3], pads=pads)]
    inits: dict[str, Any] = {"W": w}
    if offset:  # a 1x1 conv first: an integer 4-D input read by a Conv is NCHW
        nodes[:0] = [helper.make_node("Conv", ["x", "W1"], ["x0"], name="pre",
                                      kernel_shape=[1, 1]),
                     helper.make_node("Add", ["x0", "off"], ["x1"], name="offset")]
        inits["off"], inits["W1"] = np.full((1, 2, 1, 1), offset), np.ones((2, 2, 1, 1))
    mw = make_model(nodes, ("x", [1, 2, 5, 5]), ("y", [1, 3, oh, ow]), inits,
                    {"x": "INT4", "W": "INT2", "W1": "INT2"})
    return _save(mw, tmp_path), w


def test_asymmetric_conv_padding(tmp_path: Path) -> None:
    """ONNX pads (top, left, bottom, right) = FMPadding's order; against a NumPy conv."""
    path, w = _conv_graph(tmp_path, [1, 2, 0, 1])
    design = load(path)
    pad = design.layers[0].block
    assert isinstance(pad, FMPadding) and pad.padding == (1, 2, 0, 1)
    x = RNG.integers(-8, 8, size=(6, 5, 5, 2))  # NHWC
    xp = np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 0)))  # (6, 6, 8, 2)
    want = np.stack([np.stack([np.einsum("nhwc,ochw->no", xp[:, i:i + 3, j:j + 3], w)
                               for j in range(6)], axis=1) for i in range(4)], axis=1)
    np.testing.assert_array_equal(design(x), want)
    assert_matches_reference(design, path, x)


def test_padding_with_offset_refused(tmp_path: Path) -> None:
    path, _ = _conv_graph(tmp_path, [1, 1, 1, 1], offset=0.5)
    with pytest.raises(ModelImportError, match=r"'conv' \(Conv\): pads \[1, 1, 1, 1\] with a "
                                               r"non-zero offset 0\.5"):
        load(path)


def _mean_graph(tmp_path: Path, axes: list[int]) -> tuple[Path, Any]:
    """x INT4 (1, 4, 4, 3) channels last -> ReduceMean(axes) -> MatMul (3 -> 2) -> y."""
    w = RNG.integers(-2, 2, size=(3, 2))
    nodes = [helper.make_node("ReduceMean", ["x"], ["m"], name="mean", axes=axes, keepdims=0),
             _mm("fc", "m", "W", "y")]
    mw = make_model(nodes, ("x", [1, 4, 4, 3]), ("y", [1, 2]), {"W": w},
                    {"x": "INT4", "W": "INT2", "W1": "INT2"})
    return _save(mw, tmp_path), w


def test_reduce_mean_is_global_acc_pool(tmp_path: Path) -> None:
    """mean = sum / 16: GlobalAccPool sums, the 1/16 goes into the output scale."""
    path, w = _mean_graph(tmp_path, [1, 2])
    design = load(path)
    assert isinstance(design.layers[0].block, GlobalAccPool)
    x = RNG.integers(-8, 8, size=(8, 4, 4, 3))
    np.testing.assert_array_equal(design(x), x.sum(axis=(1, 2)) @ w)
    assert design.scale == 1 / 16
    y = reference(path, x.astype(np.float32))
    np.testing.assert_array_equal(design.output_to_int(y), design(x))


@pytest.mark.parametrize("kernel", [[4, 4], [2, 2]])
def test_average_pool(tmp_path: Path, kernel: list[int]) -> None:
    """AveragePool over the whole image is global pooling; a smaller window is refused."""
    w = RNG.integers(-2, 2, size=(3, 2))
    nodes = [helper.make_node("AveragePool", ["x"], ["m"], name="avg", kernel_shape=kernel),
             helper.make_node("Flatten", ["m"], ["f"], name="flat"), _mm("fc", "f", "W", "y")]
    out = 3 * (4 // kernel[0]) ** 2
    mw = make_model(nodes, ("x", [1, 3, 4, 4]), ("y", [1, 2]),
                    {"W": RNG.integers(-2, 2, size=(out, 2))}, {"x": "INT4", "W": "INT2"})
    path = _save(mw, tmp_path)
    if kernel == [2, 2]:
        with pytest.raises(ModelImportError, match=r"'avg' \(AveragePool\): AveragePool kernel "
                                                   r"\[2, 2\] is not the whole 4x4 image"):
            load(path)
        return
    mw.set_initializer("W", w.astype(np.float32))
    mw.save(str(path))
    design = load(path)
    x = RNG.integers(-8, 8, size=(8, 4, 4, 3))  # NHWC
    np.testing.assert_array_equal(design(x), x.sum(axis=(1, 2)) @ w)
    assert_matches_reference(design, path, x)


def test_reduce_mean_over_channels_refused(tmp_path: Path) -> None:
    path, _ = _mean_graph(tmp_path, [3])
    with pytest.raises(ModelImportError, match=r"'mean' \(ReduceMean\): ReduceMean over axes "
                                               r"\[3\].*only the mean over H and W"):
        load(path)


# ---- the CLI: every bad residual graph is exit 2 naming the nodes --------------------------------
def _bad_graph(tmp_path: Path, kind: str) -> Path:
    if kind == "scales":
        mul = helper.make_node("Mul", ["a0", "k"], ["a"], name="scale")
        return _with_const(_two_branches(tmp_path, [mul])[0], "k", 1.5)
    if kind == "shape":
        return _two_branches(tmp_path, [], w1_cols=1)[0]
    nodes = [_mm("mm0", "x", "W", "y"), _mm("mm1", "x", "W", "dangling")] if kind == "dangling" \
        else [_mm("mm0", "x", "W", "a"), helper.make_node("Add", ["a", "c"], ["b"], name="add"),
              _mm("mm1", "b", "W", "c"), _mm("mm2", "b", "W", "y")]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 4]), {"W": np.ones((4, 4))},
                    {"x": "INT4", "W": "INT2"})
    return _save(mw, tmp_path)


@pytest.mark.parametrize(("kind", "names"), [
    ("scales", ["'add' (Add)", "1.5 and 1.0"]), ("shape", ["'add' (Add)", "differ in shape"]),
    ("dangling", ["'mm1' (MatMul)", "never rejoins"]), ("cycle", ["['add', 'mm1']", "cycle"])])
def test_cli_bad_residual_graph_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       kind: str, names: list[str]) -> None:
    from qsim.cli import main

    path = _bad_graph(tmp_path, kind)
    code = main(["verify", str(path), "--levels", "ref,model", "--random", "2", "--report",
                 str(tmp_path / "report")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert all(n in err for n in names), err
    assert "Traceback" not in err
