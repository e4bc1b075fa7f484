"""Import handlers of the data-moving and linear nodes: MatMul/Gemm and Conv (pending MVTU),
Im2Col (SlidingWindow), MaxPool/MaxPoolNHWC (MaxPool) and TopK (LabelSelect)."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from qsim.errors import ModelImportError
from qsim.frontend._common import no_post, uniform
from qsim.frontend._graph import QWeight, node_label
from qsim.frontend._residual import pad_input
from qsim.frontend._state import Pending, State
from qsim.models import LabelSelect, MaxPool, SlidingWindow
from qsim.models._dtypes import BIPOLAR

__all__ = ["HANDLERS_L", "label_select"]


def _prepare(w: Any, node: onnx.NodeProto, st: State) -> float:
    """Common entry of MatMul/Conv/MaxPool/TopK: flush a pending MVTU, refuse unabsorbed
    non-linear ops, return the (uniform) input scale."""
    no_post(node, st)
    w._flush(st)
    if node.input[0] != st.tensor:
        raise ModelImportError(f"{node_label(node)}: the activation must be its first input")
    return uniform(node, st.a, f"scale of its input {st.tensor!r}")


def _out_scale(node: onnx.NodeProto, qw: QWeight, axis: int) -> np.ndarray:
    """Per-output-channel weight scale; refuse scales varying along other axes."""
    s = np.moveaxis(qw.scale, axis, 0).reshape(qw.scale.shape[axis], -1)  # (MH, rest)
    if not np.all(s == s[:, :1]):
        raise ModelImportError(f"{node_label(node)}: weight scale varies along the input "
                               f"dimension; qsim needs per-tensor or per-output-channel scales")
    return s[:, 0].astype(np.float64)


def _pend(w: Any, st: State, q: np.ndarray, sw: np.ndarray, wdt: Any, a0: float,
          b_rows: np.ndarray, in_shape: tuple[int, ...]) -> None:
    """Make a pending MVTU of integer weights q (MW, MH) with real weights q * sw."""
    bias = b_rows @ (q * sw)  # input offsets through the real weights: (MW,) @ (MW, MH)
    xnor = st.dtype == BIPOLAR and wdt == BIPOLAR
    if xnor:  # dot = 2 * popcount - MW
        st.a, st.b = 2 * a0 * sw, bias - a0 * sw * q.shape[0]
    else:
        st.a, st.b = a0 * sw, bias
    st.pending = Pending(name=w._name("MVAU"), weights=q, idt=st.dtype, wdt=wdt,
                         binary_xnor=xnor, in_shape=in_shape)
    w.pending_src[st.pending.name] = st.producer  # the MVTU reads the current integer base
    st.producer = st.pending.name
    st.order = None


def _matmul(w: Any, node: onnx.NodeProto, st: State) -> State:
    a0 = _prepare(w, node, st)
    g = w.g
    qw = g.qweight(node.input[1], node)
    alpha = 1.0
    if node.op_type == "Gemm":
        if g.attr(node, "transA", 0):
            raise ModelImportError(f"{node_label(node)}: transA=1 is not supported")
        if g.attr(node, "transB", 0):
            qw = QWeight(qw.q.T, qw.scale.T, qw.dtype)
        alpha = float(g.attr(node, "alpha", 1.0))
    if qw.q.ndim != 2:
        raise ModelImportError(f"{node_label(node)}: weights of rank {qw.q.ndim}; need (MW, MH)")
    mw, mh = qw.q.shape
    sw = _out_scale(node, qw, 1) * alpha
    q = qw.q
    if st.layout == "NC":
        if st.order is not None:
            q = q[st.order]  # rows in qsim's (h, w, c) order
        in_shape: tuple[int, ...] = (mw,)
        out_shape = (st.shape[0], mh)
    elif st.layout == "NHWC":
        in_shape = st.ours
        out_shape = (*st.shape[:-1], mh)
    else:
        raise ModelImportError(f"{node_label(node)}: MatMul on a {st.layout} tensor; qsim needs "
                               f"(N, MW) or channels-last (N, H, W, MW)")
    if in_shape[-1] != mw:
        raise ModelImportError(f"{node_label(node)}: input has {in_shape[-1]} features but the "
                               f"weights have MW={mw}")
    b_rows = st.b
    _pend(w, st, q, sw, qw.dtype, a0, b_rows, in_shape)
    st.shape, st.tensor = out_shape, node.output[0]
    if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]:
        beta = float(g.attr(node, "beta", 1.0))
        c = g.const(node.input[2], node)
        if c.size not in (1, mh):
            raise ModelImportError(f"{node_label(node)}: Gemm bias of shape {c.shape!r} is not "
                                   f"per output channel ({mh},)")
        st.b = st.b + beta * np.broadcast_to(c.reshape(-1), (mh,))
    return st


def _conv(w: Any, node: onnx.NodeProto, st: State) -> State:
    a0 = _prepare(w, node, st)
    g = w.g
    if st.layout != "NCHW":
        raise ModelImportError(f"{node_label(node)}: Conv input must be NCHW, got {st.layout}")
    if int(g.attr(node, "group", 1)) != 1:
        raise ModelImportError(f"{node_label(node)}: grouped/depthwise convolution (group="
                               f"{g.attr(node, 'group')}) is not supported (qsim has no VVAU)")
    if g.attr(node, "auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise ModelImportError(f"{node_label(node)}: auto_pad={g.attr(node, 'auto_pad')!r} is "
                               f"not supported; export the conv with explicit pads")
    qw = g.qweight(node.input[1], node)  # (OC, IC, KH, KW)
    oc, ic, kh, kw = qw.q.shape
    stride = tuple(g.attr(node, "strides", [1, 1]))
    dil = tuple(g.attr(node, "dilations", [1, 1]))
    if st.ours[-1] != ic:
        raise ModelImportError(f"{node_label(node)}: input has {st.ours[-1]} channels, weights "
                               f"{ic}")
    # ONNX pads (top, left, bottom, right) = FINN's FMPadding order
    h, wd, c = pad_input(w, node, st, list(g.attr(node, "pads", [0, 0, 0, 0])))
    swg = SlidingWindow(ifm_dim=(h, wd), channels=c, kernel=(kh, kw), stride=stride,
                        dilation=dil, idt=st.dtype, name=w._name("ConvolutionInputGenerator"))
    w._add(swg.name, swg, (h, wd, c), st)
    # (OC, IC, KH, KW) -> (KH, KW, IC, OC) -> (KH*KW*IC, OC): rows in the SWG's (kh, kw, c) order
    q = qw.q.transpose(2, 3, 1, 0).reshape(kh * kw * ic, oc)
    sw = _out_scale(node, qw, 0)
    oh, ow = swg.ofm_dim
    _pend(w, st, q, sw, qw.dtype, a0, np.tile(st.b, kh * kw), (oh, ow, kh * kw * ic))
    st.shape, st.tensor = (st.shape[0], oc, oh, ow), node.output[0]
    if len(node.input) > 2 and node.input[2]:
        st.b = st.b + g.const(node.input[2], node).reshape(oc)
    return st


def _im2col(w: Any, node: onnx.NodeProto, st: State) -> State:
    no_post(node, st)
    w._flush(st)
    g = w.g
    if st.layout != "NHWC":
        raise ModelImportError(f"{node_label(node)}: Im2Col input must be NHWC, got {st.layout}")
    if int(g.attr(node, "depthwise", 0)):
        raise ModelImportError(f"{node_label(node)}: depthwise Im2Col is not supported (qsim "
                               f"has no VVAU)")
    if float(g.attr(node, "pad_value", 0)) != 0:
        raise ModelImportError(f"{node_label(node)}: pad_value={g.attr(node, 'pad_value')!r}; "
                               f"qsim's FMPadding pads zeros")
    h, wd, c = pad_input(w, node, st, list(g.attr(node, "pad_amount", [0, 0, 0, 0])))
    k = tuple(g.attr(node, "kernel_size"))
    swg = SlidingWindow(ifm_dim=(h, wd), channels=c, kernel=k,
                        stride=tuple(g.attr(node, "stride", [1, 1])),
                        dilation=tuple(g.attr(node, "dilations", [1, 1])), idt=st.dtype,
                        name=w._name("ConvolutionInputGenerator"))
    in_shape = (h, wd, c)
    kk = swg.k2  # per-channel (C,) -> per im2col column (KK*C,), c innermost
    st.a, st.b = np.tile(st.a, kk), np.tile(st.b, kk)
    st.lo, st.hi = np.tile(st.lo, kk), np.tile(st.hi, kk)
    st.shape, st.tensor = (st.shape[0], *swg.out_frame_shape), node.output[0]
    w._add(swg.name, swg, in_shape, st, source=node.output[0])
    return st


def _maxpool(w: Any, node: onnx.NodeProto, st: State) -> State:
    _prepare(w, node, st)
    g = w.g
    want = "NHWC" if node.op_type == "MaxPoolNHWC" else "NCHW"
    if st.layout != want:
        raise ModelImportError(f"{node_label(node)}: input must be {want}, got {st.layout}")
    k = tuple(g.attr(node, "kernel_shape"))
    strides = tuple(g.attr(node, "strides", k))
    if strides != k or any(g.attr(node, "pads", [0, 0, 0, 0])) or \
            any(d != 1 for d in g.attr(node, "dilations", [1, 1])):
        raise ModelImportError(f"{node_label(node)}: only non-overlapping pooling (stride == "
                               f"kernel {list(k)!r}, no padding, no dilation) is supported; got "
                               f"strides {list(strides)!r}")
    if np.any(st.a <= 0):
        raise ModelImportError(f"{node_label(node)}: a channel has a non-positive scale; "
                               f"max-pooling integers would not match the float max")
    h, wd, c = st.ours
    blk = MaxPool(ifm_dim=(h, wd), channels=c, kernel=k, idt=st.dtype,
                  name=w._name("StreamingMaxPool"))
    st.tensor = node.output[0]
    oh, ow = blk.ofm_dim
    st.shape = (st.shape[0], c, oh, ow) if want == "NCHW" else (st.shape[0], oh, ow, c)
    w._add(blk.name, blk, (h, wd, c), st, source=node.output[0])
    return st


def _topk(w: Any, node: onnx.NodeProto, st: State) -> State:
    g = w.g
    axis = int(g.attr(node, "axis", -1))
    if axis not in (-1, 1) or not int(g.attr(node, "largest", 1)) or \
            not int(g.attr(node, "sorted", 1)):
        raise ModelImportError(f"{node_label(node)}: only TopK(axis=-1, largest=1, sorted=1) "
                               f"maps to LabelSelect")
    if g.consumers.get(node.output[0]) or node.output[0] in [o.name for o in g.model.graph.output]:
        raise ModelImportError(f"{node_label(node)}: the TopK values output is used; qsim's "
                               f"LabelSelect outputs only the indices")
    k = int(g.const(node.input[1], node).reshape(-1)[0])
    return label_select(w, node, st, k, node.output[1], (st.shape[0], k))


def _argmax(w: Any, node: onnx.NodeProto, st: State) -> State:
    """ArgMax (first index among equal maxima, as ONNX's select_last_index=0): LabelSelect
    with K = 1."""
    g = w.g
    if int(g.attr(node, "axis", 0)) not in (-1, 1) or int(g.attr(node, "select_last_index", 0)):
        raise ModelImportError(f"{node_label(node)}: only ArgMax over the channel axis (axis=1 "
                               f"or -1, select_last_index=0) maps to LabelSelect")
    keep = int(g.attr(node, "keepdims", 1))
    return label_select(w, node, st, 1, node.output[0],
                         (st.shape[0], 1) if keep else (st.shape[0],))


def label_select(w: Any, node: onnx.NodeProto, st: State, k: int, out: str,
                  out_shape: tuple[int, ...]) -> State:
    """LabelSelect of the top ``k`` of ``A * b + B`` (float order = integer order, exactly):
    a uniform negative scale negates the MVTU's weight columns; per-channel offsets become
    rank thresholds on the MVTU (:func:`qsim.frontend._heads.order_preserving`)."""
    from qsim.frontend._heads import order_preserving

    no_post(node, st)
    if st.layout != "NC" or st.order is not None or len(st.shape) != 2:
        raise ModelImportError(f"{node_label(node)}: {node.op_type} needs an (N, C) input, got "
                               f"{st.shape!r}")
    order_preserving(w, node, st)
    if not out:  # an inserted head: the MVTU's output is the graph output (a boundary)
        w._flush(st, source=st.tensor if st.pending is not None else "")
    _prepare(w, node, st)
    blk = LabelSelect(labels=st.a.size, k=k, idt=st.dtype, name=w._name("LabelSelect"))
    st.tensor = out
    st.dtype = blk.odt
    st.a, st.b = np.ones(k), np.zeros(k)
    st.lo, st.hi = np.zeros(k, np.int64), np.full(k, blk.labels - 1, np.int64)
    st.shape = out_shape
    w._add(blk.name, blk, (blk.labels,), st, source=out)
    return st


HANDLERS_L = {"MatMul": _matmul, "Gemm": _matmul, "Conv": _conv, "Im2Col": _im2col,
              "MaxPool": _maxpool, "MaxPoolNHWC": _maxpool, "TopK": _topk,
              "ArgMax": _argmax}
