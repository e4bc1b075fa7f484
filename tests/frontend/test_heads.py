"""Classifier heads exact against the reference and an independent NumPy ranking, ties
included (issue 12): TopK after a uniform positive or NEGATIVE scale and after per-channel
offsets, ArgMax as LabelSelect K=1; a scale that differs between channels is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from qsim.errors import ConfigError, ModelImportError
from qsim.frontend import LabelSelect, load, reference
from qsim.models import MVTU
from tests.frontend._helpers import make_model

RNG = np.random.default_rng(12)
C, MW = 6, 8


def _weights(bipolar: bool) -> np.ndarray:
    """(MW, C) with column 3 = column 0 and column 5 = column 1 (ties across channels)."""
    w = RNG.choice([-1, 1], size=(MW, C)) if bipolar else RNG.integers(-2, 2, size=(MW, C))
    w[:, 3], w[:, 5] = w[:, 0], w[:, 1]
    return w


def _head_model(tmp_path: Path, w: np.ndarray, scale: np.ndarray, offset: np.ndarray,
                head: str, k: int, bipolar: bool) -> Path:
    """x -> MatMul W -> Mul scale -> Add offset -> TopK(k) indices / ArgMax."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["acc"], name="mm"),
             helper.make_node("Mul", ["acc", "s"], ["m"], name="mul"),
             helper.make_node("Add", ["m", "o"], ["v"], name="add")]
    if head == "topk":
        nodes.append(helper.make_node("TopK", ["v", "K"], ["vals", "y"], name="topk"))
        out_shape = [1, k]
    else:
        keep = int(head == "argmax")
        nodes.append(helper.make_node("ArgMax", ["v"], ["y"], name="argmax", axis=1,
                                      keepdims=keep))
        out_shape = [1, 1] if keep else [1]
    dt = "BIPOLAR" if bipolar else "INT2"
    mw = make_model(nodes, ("x", [1, MW]), ("y", out_shape),
                    {"W": w, "s": scale.reshape(1, -1), "o": offset.reshape(1, -1)},
                    {"x": dt, "W": dt})
    mw.graph.initializer.append(numpy_helper.from_array(np.array([k], np.int64), "K"))
    mw.graph.output[0].type.tensor_type.elem_type = TensorProto.INT64
    path = tmp_path / f"{head}.onnx"
    mw.save(str(path))
    return path


def _inputs(n: int, bipolar: bool) -> np.ndarray:
    return RNG.choice([-1, 1], size=(n, MW)) if bipolar else RNG.integers(-2, 2, size=(n, MW))


S_POS, S_NEG = 0.5, -0.75
OFF_CH = np.array([0.0, 1.0, 0.5, -1.0, 2.0, 1.0])  # in units of the scale: cross-channel ties
CASES = [  # (head, k, scale, per-channel offset?)
    ("topk", 3, S_POS, False), ("topk", 3, S_NEG, False), ("topk", 4, S_POS, True),
    ("topk", 4, S_NEG, True), ("argmax", 1, S_NEG, True), ("argmax_flat", 1, S_POS, False),
    ("argmax", 1, S_NEG, False)]


@pytest.mark.parametrize("bipolar", [False, True])
@pytest.mark.parametrize("head,k,s,per_channel", CASES)
def test_head_exact(tmp_path: Path, head: str, k: int, s: float, per_channel: bool,
                    bipolar: bool) -> None:
    w = _weights(bipolar)
    offset = s * OFF_CH if per_channel else np.full(C, 0.25)
    path = _head_model(tmp_path, w, np.full(C, s), offset, head, k, bipolar)
    design = load(path)
    assert isinstance(design.layers[-1].block, LabelSelect)
    assert isinstance(design.layers[0].block, MVTU)
    x = _inputs(200, bipolar)
    v = s * (x @ w).astype(np.float64) + offset  # exact: dyadic scale and offsets
    want = np.argsort(-v, axis=1, kind="stable")[:, :k]  # ties: the lower index first
    got = design(x).reshape(len(x), k)
    np.testing.assert_array_equal(got, want)
    ref = np.asarray(reference(path, design.input_to_source(x))).reshape(len(x), k)
    np.testing.assert_array_equal(ref.astype(np.int64), want)
    # the inputs do hit ties inside the selected positions
    top = np.take_along_axis(v, want, axis=1)
    nxt = np.sort(v, axis=1)[:, ::-1][:, k] if k < C else None
    tied = (np.diff(top, axis=1) == 0).any(axis=1) if k > 1 else top[:, 0] == nxt
    assert tied.sum() >= 5, "too few ties to test the tie rule"


def test_per_channel_scale_refused(tmp_path: Path) -> None:
    w = _weights(False)
    scale = np.array([0.5, 0.5, 0.25, 0.5, 0.5, 0.5])
    path = _head_model(tmp_path, w, scale, np.zeros(C), "topk", 2, False)
    with pytest.raises(ModelImportError, match=r"node 'topk' \(TopK\).*differ between "
                                               r"channels.*order of the integers would not be"):
        load(path)


def test_with_label_select_refuses_negative_scale_and_names_the_exact_path(
        tmp_path: Path) -> None:
    """A built Design whose output scale is negative: ``with_label_select`` refuses (the
    integer order is the reverse of the float order) and names ``topk=K``, which is exact."""
    w = _weights(False)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["acc"], name="mm"),
             helper.make_node("Mul", ["acc", "s"], ["v"], name="mul")]
    mw = make_model(nodes, ("x", [1, MW]), ("v", [1, C]),
                    {"W": w, "s": np.full((1, C), S_NEG)}, {"x": "INT2", "W": "INT2"})
    path = tmp_path / "body.onnx"
    mw.save(str(path))
    body = load(path)  # no head: the MatMul's integers, the negative scale kept aside
    assert float(np.asarray(body.scale).reshape(-1)[0]) == S_NEG
    with pytest.raises(ConfigError, match=r"one positive output scale.*load the model with "
                                          r"topk=K instead"):
        body.with_label_select(2)
    x = _inputs(50, False)
    v = S_NEG * (x @ w).astype(np.float64)
    np.testing.assert_array_equal(load(path, topk=2)(x).reshape(len(x), 2),
                                  np.argsort(-v, axis=1, kind="stable")[:, :2])
