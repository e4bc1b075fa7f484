"""Import handlers of the nodes that make qsim layers: quantizers and MultiThreshold (integer
thresholds), MatMul/Gemm/Conv (MVTU), Im2Col (SlidingWindow), MaxPool, TopK (LabelSelect).

Each handler takes the walker, the node and the current :class:`State` and returns the new
state; see :mod:`qsim.frontend._streamline` for the walk and the maths.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import onnx
from qonnx.core.datatype import DataType
from qonnx.custom_op.general.intquant import resolve_rounding_mode

from qsim.errors import ModelImportError
from qsim.frontend._common import acc_range, uniform
from qsim.frontend._graph import node_label, quant_dtype
from qsim.frontend._linear import HANDLERS_L
from qsim.frontend._state import State
from qsim.frontend._thresholds import search_thresholds
from qsim.models import MVTU, Thresholding
from qsim.models._block import smallest_int_type
from qsim.models._dtypes import BIPOLAR, DType

__all__ = ["HANDLERS", "negate_columns"]

Reach = Callable[[np.ndarray], np.ndarray]


# ---- thresholds ---------------------------------------------------------------------------
def negate_columns(st: State) -> None:
    """Make every channel's count non-decreasing: negate weight columns with A < 0."""
    p = st.pending
    assert p is not None
    neg = st.a < 0
    if not np.any(neg):
        return
    w = p.weights.copy()
    w[:, neg] = -w[:, neg]
    if p.binary_xnor:  # popcount' = MW - popcount
        st.b = np.where(neg, st.b + st.a * w.shape[0], st.b)
    if not (int(w.min()) >= int(p.wdt.min()) and int(w.max()) <= int(p.wdt.max())):
        bits = p.wdt.bitwidth() + 1
        p.wdt = DataType[f"INT{bits}"]
    p.weights = w
    st.a = np.abs(st.a)


def _thresholds(w: Any, node: onnx.NodeProto, st: State, reach: Reach, steps: int, odt: DType,
                act_val: int, new_a: np.ndarray, new_b: np.ndarray) -> State:
    for op, arg in st.post:
        if op == "affine" and np.any(arg[0] < 0):
            raise ModelImportError(f"{node_label(node)}: a negative scale after a Relu/Clip "
                                   f"makes the activation decreasing; qsim cannot threshold it")
    p = st.pending
    if p is not None:
        negate_columns(st)
        lo, hi = acc_range(p)
    else:
        if np.any(st.a < 0):
            raise ModelImportError(f"{node_label(node)}: negative scale on a thresholded "
                                   f"activation with no MatMul/Conv before it; qsim cannot "
                                   f"absorb the sign")
        lo, hi = st.lo, st.hi
    t = search_thresholds(reach, lo, hi, steps)
    if p is not None:
        blk: Any = MVTU(mw=p.weights.shape[0], mh=p.weights.shape[1], idt=p.idt, wdt=p.wdt,
                        odt=odt, weights=p.weights, thresholds=t, act_val=act_val,
                        binary_xnor=p.binary_xnor, name=p.name)
        in_shape = p.in_shape
        st.pending = None
    else:
        blk = Thresholding(channels=st.a.size, idt=st.dtype, odt=odt, thresholds=t,
                           act_val=act_val, name=w._name("Thresholding"))
        in_shape = st.ours
    st.a, st.b, st.post, st.dtype = new_a, new_b, [], odt
    st.lo, st.hi = (np.full(new_a.size, int(odt.min()), np.int64),
                    np.full(new_a.size, int(odt.max()), np.int64))
    st.tensor = node.output[0]
    w._add(blk.name, blk, in_shape, st, source=node.output[0])
    return st


def _identity_requant(st: State, reach: Reach, steps: int, odt: DType, act_val: int) -> bool:
    """True if thresholding the (non-pending) integer input maps every value to itself."""
    n_vals = int(odt.max()) - int(odt.min()) + 1
    if st.pending is not None or st.post or odt != st.dtype or \
            n_vals * steps * st.a.size > 1 << 22:  # too large to enumerate: keep the layer
        return False
    vals = np.arange(int(odt.min()), int(odt.max()) + 1)
    if odt == BIPOLAR:
        vals = np.array([-1, 1])
    cand = np.broadcast_to(vals[:, None, None], (vals.size, st.a.size, steps))
    count = np.stack([reach(np.ascontiguousarray(c)) for c in cand]).sum(axis=-1)  # (V, C)
    out = 2 * count - 1 if odt == BIPOLAR else count + act_val
    return bool(np.all(out == vals[:, None]))


def _quant(w: Any, node: onnx.NodeProto, st: State) -> State:
    g = w.g
    scale = w._channel_const(node, st, g.const(node.input[1], node))
    if node.op_type == "BipolarQuant":
        zero, odt, qmin, qmax, mode = np.zeros_like(scale), BIPOLAR, -1, 1, "ROUND"
    else:
        zero = w._channel_const(node, st, g.const(node.input[2], node))
        bits = g.const(node.input[3], node).reshape(-1)
        if bits.size != 1 or bits[0] != int(bits[0]) or bits[0] < 1:
            raise ModelImportError(f"{node_label(node)}: bit width {bits!r} is not one positive "
                                   f"integer")
        odt, qmin, qmax = quant_dtype(int(bits[0]), bool(g.attr(node, "signed", 1)),
                                      bool(g.attr(node, "narrow", 0)))
        mode = str(g.attr(node, "rounding_mode", "ROUND"))
    if np.any(scale <= 0):
        raise ModelImportError(f"{node_label(node)}: quantizer scale must be positive, got "
                               f"{scale[:4]!r}")
    if st.dtype is None:
        return _input_quant(w, node, st, scale, zero, odt, (qmin, qmax))
    rnd = resolve_rounding_mode(mode)

    if odt == BIPOLAR:
        def reach(b: np.ndarray) -> np.ndarray:
            return st.real(b) >= 0
        steps, act_val = 1, 0
    else:
        levels = qmin + 1 + np.arange(qmax - qmin)  # (S,)

        def reach(b: np.ndarray) -> np.ndarray:
            y = st.real(b) / scale[:, None] + zero[:, None]  # (C, S)
            q = rnd(np.clip(y, qmin, qmax))
            return q >= levels[None, :]
        steps, act_val = qmax - qmin, qmin
    new_a, new_b = scale.copy(), -zero * scale
    if _identity_requant(st, reach, steps, odt, act_val) and np.array_equal(new_a, st.a) and \
            np.array_equal(new_b, st.b):
        st.tensor = node.output[0]
        return st
    return _thresholds(w, node, st, reach, steps, odt, act_val, new_a, new_b)


def _input_quant(w: Any, node: onnx.NodeProto, st: State, scale: np.ndarray, zero: np.ndarray,
                 odt: DType, qrange: tuple[int, int]) -> State:
    """The quantizer on the float input defines the design input: x_int = q, within
    ``qrange`` (narrower than ``odt`` for a narrow-range quantizer)."""
    if st.post:
        raise ModelImportError(f"{node_label(node)}: non-linear ops {st.post!r} on the float "
                               f"input before its quantizer are not supported")
    s = uniform(node, scale, "input quantizer scale")
    z = uniform(node, zero, "input quantizer zero point")
    a = uniform(node, st.a, "input preprocessing scale")
    b = uniform(node, st.b, "input preprocessing offset")
    if a == 0:
        raise ModelImportError(f"{node_label(node)}: input preprocessing multiplies by 0")
    # source x -> a*x + b -> q = round((a*x + b)/s + z): choose x = (s*(q - z) - b) / a
    w.input_scale, w.input_bias = s / a, (-s * z - b) / a
    w.idt = odt
    if qrange != (int(odt.min()), int(odt.max())):
        w.input_range = qrange
    st.dtype = odt
    c = st.a.size
    st.lo, st.hi = np.full(c, qrange[0], np.int64), np.full(c, qrange[1], np.int64)
    st.a, st.b = np.full(c, s), np.full(c, -s * z)
    st.tensor = node.output[0]
    return st


def _multithreshold(w: Any, node: onnx.NodeProto, st: State) -> State:
    g = w.g
    layout = str(g.attr(node, "data_layout", "") or "")
    rank = len(st.shape)
    cdim = layout.index("C") if "C" in layout else (1 if rank in (2, 4) else rank - 1)
    if cdim != st.chan_axis:
        raise ModelImportError(f"{node_label(node)}: thresholds apply along axis {cdim} "
                               f"(data_layout={layout!r}) but the channels of {st.tensor!r} "
                               f"are on axis {st.chan_axis} ({st.layout}); set data_layout")
    t = g.const(node.input[1], node)
    c = st.a.size
    if t.ndim != 2 or t.shape[0] not in (1, c):
        raise ModelImportError(f"{node_label(node)}: thresholds shape {t.shape!r} must be "
                               f"({c}, S) or (1, S)")
    t = np.broadcast_to(t, (c, t.shape[1]))
    if st.order is not None:
        t = t[st.order]
    odt = DataType[str(g.attr(node, "out_dtype"))]
    oscale, obias = float(g.attr(node, "out_scale", 1.0)), float(g.attr(node, "out_bias", 0.0))
    steps = t.shape[1]

    def reach(b: np.ndarray) -> np.ndarray:
        return st.real(b) >= t

    if odt == BIPOLAR:
        if steps != 1:
            raise ModelImportError(f"{node_label(node)}: BIPOLAR out_dtype needs 1 threshold "
                                   f"per channel, got {steps}")
        act_val, new_a, new_b = 0, oscale / 2, oscale / 2 + obias
    else:
        act_val = _act_val(odt, oscale, obias, steps)
        if act_val < int(odt.min()) or act_val + steps > int(odt.max()):
            odt = smallest_int_type(act_val, act_val + steps)
        new_a, new_b = oscale, obias - oscale * act_val
    return _thresholds(w, node, st, reach, steps, odt, act_val, np.full(c, new_a),
                       np.full(c, new_b))


def _act_val(odt: DType, oscale: float, obias: float, steps: int) -> int:
    if oscale != 0 and obias / oscale == int(obias / oscale):
        cand = int(obias / oscale)
        if int(odt.min()) <= cand and cand + steps <= int(odt.max()):
            return cand
    return 0 if steps <= int(odt.max()) and int(odt.min()) <= 0 else int(odt.min())


HANDLERS_Q = {"Quant": _quant, "IntQuant": _quant, "BipolarQuant": _quant,
              "MultiThreshold": _multithreshold}
HANDLERS: dict[str, Any] = {**HANDLERS_Q, **HANDLERS_L}
