"""Streamlining importer: a QONNX (Brevitas export) or FINN-style streamlined graph -> Design.

The walk visits the nodes in topological order, keeping every activation tensor as
``post(A * b + B)`` over an integer ``b`` (see :mod:`qsim.frontend._state`); forks, joins,
padding and global pooling: :mod:`qsim.frontend._residual`.

- ``Quant``/``BipolarQuant`` on the float input: the design input quantizer (``idt``,
  ``input_scale``).
- ``MatMul``/``Gemm`` (quantized weights): a pending MVTU, weights ``q`` and per-output scale
  folded into ``A``; ``Conv`` (group 1): [FMPadding +] SlidingWindow + pending MVTU with weights
  in (kh, kw, c) order; ``Im2Col``: SlidingWindow.
- ``Add``/``Sub``/``Mul``/``Div`` by a per-channel constant, ``BatchNormalization``: folded into
  ``A``/``B``; ``Relu``/``Clip``: kept in ``post``.
- ``Quant``/``BipolarQuant``/``MultiThreshold`` on an integer tensor: exact integer thresholds
  (:mod:`qsim.frontend._thresholds`) of the pending MVTU, or a Thresholding layer. Channels
  with ``A < 0`` get their weight column negated so every count is non-decreasing.
- ``MaxPool``/``MaxPoolNHWC``: MaxPool (needs ``A > 0``); ``TopK``: LabelSelect.
- ``Reshape``/``Flatten``/``Squeeze``/``Unsqueeze``/``Transpose``/``Identity``/``Dropout``:
  layout bookkeeping only; a
  (C, H, W) flatten permutes the next MVTU's weight rows to qsim's (h, w, c) order.

Anything else raises ModelImportError naming the node, its op type and the reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import numpy as np
import onnx

from qsim.errors import ModelImportError, QsimError
from qsim.frontend._common import acc_range
from qsim.frontend._graph import Graph, node_label, topo_order
from qsim.frontend._handlers import HANDLERS as _LAYER_HANDLERS
from qsim.frontend._residual import HANDLERS_R, fork, join
from qsim.frontend._state import State
from qsim.frontend.design import Design, Layer
from qsim.models import MVTU
from qsim.models._dtypes import DType

__all__ = ["streamline"]

_PASS = ("Identity", "Dropout")
_ELEMWISE = ("Add", "Sub", "Mul", "Div")


def streamline(graph: Graph, model_name: str, raw: Optional[DType] = None,
               topk: int = 0) -> Design:
    """Import a QONNX/FINN-streamlined graph (see module docstring).

    ``raw``: an unsigned type (e.g. UINT8) of raw integer inputs ``p`` for a float-input
    model: the source input is ``p / raw.max()`` (FINN's divide-by-255 step) and the input
    quantizer becomes a Thresholding layer (FINN's ``Thresholding_0``) on ``p``. ``topk``: end
    in a LabelSelect of the top ``topk`` outputs (FINN's InsertTopK; ``Design.topk``).
    """
    return _Walker(graph, model_name, raw, topk).run()


class _Walker:
    def __init__(self, graph: Graph, model_name: str, raw: Optional[DType] = None,
                 topk: int = 0) -> None:
        self.g = graph
        self.raw = raw
        self.topk = topk
        self.model_name = model_name
        self.layers: list[Layer] = []
        self.counts: dict[str, int] = {}
        self.visited: set[int] = set()  # ids of the nodes on the activation path
        self.input_scale, self.input_bias = 1.0, 0.0
        self.idt: Optional[DType] = None
        self.input_range: Optional[tuple[int, int]] = None  # a narrow input quantizer's range
        self.pending_src: dict[str, str] = {}  # pending MVTU name -> the layer it reads

    # ---- walk -------------------------------------------------------------------------------
    def run(self) -> Design:
        g = self.g.model.graph
        inputs = [i for i in g.input if i.name not in self.g.inits]
        if len(inputs) != 1 or len(g.output) != 1:
            raise ModelImportError(f"model {self.model_name!r}: qsim imports graphs with one "
                                   f"input and one output, got inputs "
                                   f"{[i.name for i in inputs]!r}, outputs "
                                   f"{[o.name for o in g.output]!r}")
        st = self._input_state(inputs[0].name)
        in_shape, src_layout = st.ours, "NCHW" if st.layout == "NCHW" else ""
        out_name = g.output[0].name
        ready: dict[str, list[State]] = {}  # tensor -> one State per reading node input
        final = self._publish(st, ready, out_name)
        for node in topo_order(self.g.nodes, self.model_name):
            acts = [i for i in node.input if i in ready]
            if not acts:
                continue
            self.visited.add(id(node))
            st = self._join_or_step(node, [ready[i].pop(0) for i in acts])
            final = self._publish(st, ready, out_name) or final
        self._check_all_visited()
        if final is None:
            raise ModelImportError(f"model {self.model_name!r}: the graph output {out_name!r} "
                                   f"is not reached from the input")
        return self._finish(final, in_shape, src_layout)

    def _join_or_step(self, node: onnx.NodeProto, states: list[State]) -> State:
        if len(states) == 1:
            return self._step(node, states[0])
        if node.op_type == "Add" and len(states) == 2:
            return join(self, node, states[0], states[1])
        raise ModelImportError(f"{node_label(node)}: reads the activations "
                               f"{[s.tensor for s in states]!r}; qsim joins branches only with "
                               f"an Add of two tensors")

    def _publish(self, st: State, ready: dict[str, list[State]], out_name: str
                 ) -> Optional[State]:
        """Hand the State of a new tensor to its readers (a fork for several); returns it if it
        is the graph output."""
        readers = self.g.consumers.get(st.tensor, [])
        if st.tensor == out_name:
            if readers:
                raise ModelImportError(f"model {self.model_name!r}: the graph output "
                                       f"{out_name!r} also feeds {[n.name for n in readers]!r}; "
                                       f"qsim needs the output to end the graph")
            return st
        if not readers:
            made_by = self.g.producer.get(st.tensor)
            what = node_label(made_by) if made_by is not None else f"tensor {st.tensor!r}"
            raise ModelImportError(f"{what}: its output {st.tensor!r} is read by no node and is "
                                   f"not the graph output {out_name!r}: a branch that never "
                                   f"rejoins (qsim needs every branch to end in an Add)")
        ready[st.tensor] = [st] if len(readers) == 1 else fork(self, st, readers)
        return None

    def _input_state(self, tensor: str) -> State:
        shape = self.g.shape(tensor)
        if shape is None or not shape:
            raise ModelImportError(f"model {self.model_name!r}: graph input {tensor!r} has no "
                                   f"static shape; export with a fixed input shape (only the "
                                   f"batch dimension may be symbolic)")
        layout = {4: "NCHW", 2: "NC"}.get(len(shape))
        if layout is None:
            raise ModelImportError(f"model {self.model_name!r}: graph input {tensor!r} has rank "
                                   f"{len(shape)}; qsim takes (N, C) or (N, C, H, W) inputs")
        dt = self.g.datatype(tensor)
        if dt.is_integer():  # FINN-style graph: the input is already integer
            if layout == "NCHW" and self._nhwc_input(tensor):
                layout = "NHWC"
            st = State(tensor, shape, layout, dt, *self._range(dt, 1), np.ones(1), np.zeros(1))
            self.idt = dt
        elif self.raw is not None:  # raw pixels p: the source input is p / max (FINN's /255)
            top = int(self.raw.max())
            st = State(tensor, shape, layout, self.raw, *self._range(self.raw, 1),
                       np.full(1, 1.0 / top), np.zeros(1))
            self.idt, self.input_scale = self.raw, 1.0 / top
        else:
            st = State(tensor, shape, layout, None, np.zeros(1, np.int64), np.zeros(1, np.int64),
                       np.ones(1), np.zeros(1))
        return self._per_channel(st)

    def _nhwc_input(self, tensor: str) -> bool:
        """An integer (FINN-style) 4-D input is NHWC unless its first consumer is an NCHW op
        (Transpose to NHWC, Conv, MaxPool, MultiThreshold without an NHWC data_layout)."""
        cons = self.g.consumers.get(tensor, [])
        if not cons:
            return True
        n = cons[0]
        if n.op_type == "Transpose":
            return tuple(self.g.attr(n, "perm", [])) != (0, 2, 3, 1)
        if n.op_type == "MultiThreshold":
            return str(self.g.attr(n, "data_layout", "")) == "NHWC"
        return n.op_type not in ("Conv", "MaxPool", "BatchNormalization", "AveragePool",
                                 "GlobalAveragePool")

    @staticmethod
    def _per_channel(st: State) -> State:
        c = st.channels if st.layout != "NC" else int(np.prod(st.shape[1:]))
        st.a = np.broadcast_to(st.a, (c,)).astype(np.float64).copy()
        st.b = np.broadcast_to(st.b, (c,)).astype(np.float64).copy()
        st.lo = np.broadcast_to(st.lo, (c,)).astype(np.int64).copy()
        st.hi = np.broadcast_to(st.hi, (c,)).astype(np.int64).copy()
        return st

    @staticmethod
    def _range(dt: DType, c: int) -> tuple[Any, Any]:
        return np.full(c, int(dt.min()), np.int64), np.full(c, int(dt.max()), np.int64)

    def _check_all_visited(self) -> None:
        for n in self.g.nodes:
            if id(n) not in self.visited and not all(self.g.is_const(o) for o in n.output):
                raise ModelImportError(f"{node_label(n)}: not reached from the graph input "
                                       f"(its inputs {list(n.input)!r} are neither constants "
                                       f"nor activations)")

    def _name(self, kind: str) -> str:
        i = self.counts.get(kind, 0)
        self.counts[kind] = i + 1
        return f"{kind}_{i}"

    def _step(self, node: onnx.NodeProto, st: State) -> State:
        op = node.op_type
        if op in _PASS:
            st.tensor = node.output[0]
            return st
        handler = _HANDLERS.get(op)
        if handler is None:
            raise ModelImportError(f"{node_label(node)}: op type {op!r} is not supported by "
                                   f"qsim's importer (supported: {sorted(_HANDLERS)!r})")
        if st.dtype is None and op not in ("Quant", "IntQuant", "BipolarQuant", "Reshape",
                                           "Flatten", "Transpose", "Squeeze", "Unsqueeze",
                                           *_ELEMWISE):
            raise ModelImportError(f"{node_label(node)}: its input {st.tensor!r} is a float "
                                   f"activation, but qsim needs a quantizer (Quant/"
                                   f"BipolarQuant or an integer datatype annotation) here")
        try:
            new: State = handler(self, node, st)
        except QsimError:
            raise
        except (ValueError, IndexError, KeyError, TypeError, AssertionError) as exc:
            # malformed attributes/constants: still report the node, op type and reason
            raise ModelImportError(f"{node_label(node)}: cannot import it: "
                                   f"{type(exc).__name__}: {exc}") from exc
        return new

    # ---- layers -----------------------------------------------------------------------------
    def _add(self, name_: str, block: Any, in_shape: tuple[int, ...], st: State,
             source: str = "", inputs: Optional[tuple[str, ...]] = None) -> None:
        """Append a layer reading ``inputs`` (default: the producer of ``st``'s integer base,
        or the recorded input of the pending MVTU being emitted); it becomes the producer."""
        if inputs is None:
            src = self.pending_src.pop(name_) if st.producer == name_ else st.producer
            inputs = (src,)
        kw: dict[str, Any] = {}
        # a permuted flatten (order) has no element-wise source tensor to compare against
        if source and st.order is None:
            kw = {"source": source, "scale": st.a.copy(), "bias": st.b.copy(),
                  "source_layout": "NCHW" if st.layout == "NCHW" else ""}
        self.layers.append(Layer(name=name_, block=block, in_shape=tuple(in_shape),
                                 inputs=inputs, **kw))
        st.producer = name_

    def _flush(self, st: State, source: str = "") -> State:
        """Emit a pending MVTU without activation (its output is the accumulator)."""
        p = st.pending
        if p is None:
            return st
        blk = MVTU(mw=p.weights.shape[0], mh=p.weights.shape[1], idt=p.idt, wdt=p.wdt,
                   weights=p.weights, binary_xnor=p.binary_xnor, name=p.name)
        st.lo, st.hi = acc_range(p)
        st.pending = None
        st.dtype = blk.odt
        self._add(p.name, blk, p.in_shape, st, source)
        return st

    def _finish(self, st: State, in_shape: tuple[int, ...], src_layout: str) -> Design:
        if st.post:
            raise ModelImportError(f"model {self.model_name!r}: the output {st.tensor!r} ends "
                                   f"in {[op for op, _ in st.post]!r} without a quantizer; qsim "
                                   f"cannot express it on the integer output")
        a, b = st.a.copy(), st.b.copy()  # the graph output's mapping
        if self.topk and self.idt is not None:
            self._insert_topk(st)  # may negate the pending MVTU's weights first
        self._flush(st, source=st.tensor)
        if not self.layers or self.idt is None:
            raise ModelImportError(f"model {self.model_name!r}: no quantized layer found between "
                                   f"input and output")
        if not self.topk:  # the graph output may follow the last layer through layout ops
            assert self.layers[-1].name == st.producer, "the output layer must come last"
            self.layers[-1] = dataclasses.replace(
                self.layers[-1], source=st.tensor, scale=a.copy(), bias=b.copy(),
                source_layout="NCHW" if st.layout == "NCHW" else "")
        scale = float(a[0]) if np.all(a == a[0]) else a.copy()
        bias = float(b[0]) if np.all(b == b[0]) else b.copy()
        return Design(layers=tuple(self.layers), input_shape=in_shape, idt=self.idt,
                      input_scale=self.input_scale, input_bias=self.input_bias,
                      source_layout=src_layout, scale=scale, bias=bias, name=self.model_name,
                      input_range=self.input_range, topk=self.topk)

    def _insert_topk(self, st: State) -> None:
        """FINN's InsertTopK: a LabelSelect of the top ``self.topk`` output channels, in the
        float order of the graph output (see :mod:`qsim.frontend._heads`)."""
        from onnx import helper

        from qsim.frontend._linear import label_select

        if st.layout != "NC" or len(st.shape) != 2:
            raise ModelImportError(f"model {self.model_name!r}: a label select (top-k) needs a "
                                   f"(N, C) output, got {st.shape!r}")
        node = helper.make_node("TopK", [st.tensor], [""], name="InsertTopK")
        label_select(self, node, st, self.topk, "", (st.shape[0], self.topk))

    # ---- helpers for handlers ---------------------------------------------------------------
    def _channel_const(self, node: onnx.NodeProto, st: State, value: np.ndarray) -> np.ndarray:
        """A constant broadcast against the activation -> (C,) in qsim order; refuses values
        that vary along non-channel axes."""
        full = np.broadcast_to(value, st.shape) if value.ndim <= len(st.shape) else None
        if full is None or full.shape != tuple(st.shape):
            raise ModelImportError(f"{node_label(node)}: constant of shape {value.shape!r} does "
                                   f"not broadcast to the activation shape {st.shape!r}")
        if st.layout == "NC":
            vec = np.asarray(full[0], dtype=np.float64).reshape(-1)
            return vec[st.order] if st.order is not None else vec
        moved = np.moveaxis(np.asarray(full[0:1], dtype=np.float64), st.chan_axis, -1)
        pix = moved.reshape(-1, moved.shape[-1])  # (pixels, C)
        if not np.all(pix == pix[0]):
            raise ModelImportError(f"{node_label(node)}: constant varies along spatial axes; "
                                   f"qsim folds only per-channel constants")
        return pix[0].copy()

    def _const_operand(self, node: onnx.NodeProto, st: State) -> tuple[np.ndarray, bool]:
        """(constant value, activation is the first operand)."""
        a, b = node.input[0], node.input[1]
        if a == st.tensor and self.g.is_const(b):
            return self.g.const(b, node), True
        if b == st.tensor and self.g.is_const(a):
            return self.g.const(a, node), False
        raise ModelImportError(f"{node_label(node)}: needs one constant operand; qsim joins two "
                               f"activations only with an Add of two reached tensors")

    def affine(self, st: State, mul: np.ndarray, add: np.ndarray) -> None:
        """y -> mul * y + add, per channel (C,)."""
        if st.post:
            st.post.append(("affine", (mul, add)))
        else:
            st.a, st.b = st.a * mul, st.b * mul + add

    def _layout_tag(self, st: State) -> str:
        return "NCHW" if st.layout == "NCHW" else ""


def _h_elemwise(w: _Walker, node: onnx.NodeProto, st: State) -> State:
    val, first = w._const_operand(node, st)
    v = w._channel_const(node, st, val)
    op = node.op_type
    if op == "Add":
        w.affine(st, np.ones_like(v), v)
    elif op == "Sub":
        w.affine(st, np.ones_like(v), -v) if first else w.affine(st, -np.ones_like(v), v)
    elif op == "Mul":
        w.affine(st, v, np.zeros_like(v))
    elif op == "Div":
        if not first or np.any(v == 0):
            raise ModelImportError(f"{node_label(node)}: only division of the activation by a "
                                   f"non-zero constant is supported")
        w.affine(st, 1.0 / v, np.zeros_like(v))
    st.tensor = node.output[0]
    return st


def _h_batchnorm(w: _Walker, node: onnx.NodeProto, st: State) -> State:
    if st.layout == "NHWC":
        raise ModelImportError(f"{node_label(node)}: BatchNormalization normalises axis 1, but "
                               f"{st.tensor!r} is channels-last (NHWC)")
    gamma, beta, mean, var = (w.g.const(i, node).reshape(-1) for i in node.input[1:5])
    if {gamma.size, beta.size, mean.size, var.size} != {st.a.size}:
        raise ModelImportError(f"{node_label(node)}: parameters of size {gamma.size} do not "
                               f"match the {st.a.size} channels of {st.tensor!r}")
    eps = float(w.g.attr(node, "epsilon", 1e-5))
    if np.any(var + eps <= 0):
        raise ModelImportError(f"{node_label(node)}: variance {float(var.min())!r} + epsilon "
                               f"{eps!r} is not positive (channel {int(np.argmin(var))})")
    k = gamma / np.sqrt(var + eps)
    if st.layout == "NC" and st.order is not None:
        k, mean, beta = k[st.order], mean[st.order], beta[st.order]
    w.affine(st, k.astype(np.float64), (beta - mean * k).astype(np.float64))
    st.tensor = node.output[0]
    return st


def _h_relu(w: _Walker, node: onnx.NodeProto, st: State) -> State:
    st.post.append(("relu", None))
    st.tensor = node.output[0]
    return st


def _h_clip(w: _Walker, node: onnx.NodeProto, st: State) -> State:
    lo = float(w.g.const(node.input[1], node)) if len(node.input) > 1 and node.input[1] \
        else float(w.g.attr(node, "min", -np.inf))
    hi = float(w.g.const(node.input[2], node)) if len(node.input) > 2 and node.input[2] \
        else float(w.g.attr(node, "max", np.inf))
    st.post.append(("clip", (lo, hi)))
    st.tensor = node.output[0]
    return st


def _h_reshape(w: _Walker, node: onnx.NodeProto, st: State) -> State:
    out = w.g.shape(node.output[0])
    if out is None:
        raise ModelImportError(f"{node_label(node)}: output {node.output[0]!r} has no inferred "
                               f"shape; run shape inference (qonnx InferShapes) before import")
    st.tensor = node.output[0]
    if tuple(out) == tuple(st.shape):
        return st
    if len(out) == 2 and len(st.shape) == 4 and out[1] == int(np.prod(st.shape[1:])):
        h, w_, c = st.ours
        if st.layout == "NCHW":  # qsim (h, w, c) flat index -> ONNX (c, h, w) flat index
            hh, ww, cc = np.meshgrid(np.arange(h), np.arange(w_), np.arange(c), indexing="ij")
            st.order = (cc * h * w_ + hh * w_ + ww).reshape(-1)
        else:
            st.order = None
        tile = h * w_  # per-channel (C,) -> per-feature (H*W*C,), c innermost
        st.a, st.b = np.tile(st.a, tile), np.tile(st.b, tile)
        st.lo, st.hi = np.tile(st.lo, tile), np.tile(st.hi, tile)
        st.post = [(op, (np.tile(arg[0], tile), np.tile(arg[1], tile)) if op == "affine"
                    else arg) for op, arg in st.post]
        st.shape, st.layout = tuple(out), "NC"
        if st.order is not None and np.array_equal(st.order, np.arange(st.order.size)):
            st.order = None
        return st
    if st.dtype is None and len(out) == 2 and len(st.shape) == 2:
        st.shape = tuple(out)
        return st
    if len(st.shape) == 2 and len(out) == 4 and tuple(out[1:]) == (st.shape[1], 1, 1) \
            and st.order is None:  # (N, C) -> (N, C, 1, 1): Unsqueeze of an older FINN export
        st.shape, st.layout = tuple(out), "NCHW"
        return st
    raise ModelImportError(f"{node_label(node)}: reshape from {st.shape!r} to {tuple(out)!r} is "
                           f"not supported (qsim supports flattening (N, C, H, W) to (N, CHW))")


def _h_transpose(w: _Walker, node: onnx.NodeProto, st: State) -> State:
    perm = tuple(w.g.attr(node, "perm", []))
    st.tensor = node.output[0]
    if st.layout == "NCHW" and perm == (0, 2, 3, 1):
        n, c, h, w_ = st.shape
        st.shape, st.layout = (n, h, w_, c), "NHWC"
        return st
    if st.layout == "NHWC" and perm == (0, 3, 1, 2):
        n, h, w_, c = st.shape
        st.shape, st.layout = (n, c, h, w_), "NCHW"
        return st
    if st.layout == "NC" and perm == (0, 1):
        return st
    raise ModelImportError(f"{node_label(node)}: transpose perm {list(perm)!r} on a "
                           f"{st.layout} tensor is not supported (only NCHW <-> NHWC)")



_HANDLERS: dict[str, Any] = {
    "Add": _h_elemwise, "Sub": _h_elemwise, "Mul": _h_elemwise, "Div": _h_elemwise,
    "BatchNormalization": _h_batchnorm, "Relu": _h_relu, "Clip": _h_clip,
    "Reshape": _h_reshape, "Flatten": _h_reshape, "Squeeze": _h_reshape,
    "Unsqueeze": _h_reshape, "Transpose": _h_transpose,
    **_LAYER_HANDLERS, **HANDLERS_R,
}
