"""A Design as a FINN-style streamlined ONNX graph of standard/QONNX ops.

This is the "standard-ONNX equivalent" of a dataflow design (DESIGN.md section 6, ``ref``):
SlidingWindow -> ``Im2Col``; MVTU -> ``MatMul`` (``XnorPopcountMatMul`` for BINARY XNOR mode;
``MatMul`` + ``Add(MW)`` + ``Mul(0.5)`` for BIPOLAR XNOR mode) + ``MultiThreshold``;
Thresholding -> ``MultiThreshold``; MaxPool -> ``MaxPoolNHWC``; LabelSelect -> ``TopK``;
FMPadding -> ``Pad`` (constant 0); DuplicateStreams -> the same tensor read by several nodes;
AddStreams -> ``Add``; GlobalAccPool -> ``ReduceSum`` over H, W; reshapes between layers ->
``Reshape``. All tensors are channels last; integer weights and
thresholds are float initializers (exact below 2**24) with qonnx datatype annotations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qsim.frontend.design import Design, Layer
from qsim.models import (
    MVTU,
    AddStreams,
    DuplicateStreams,
    FMPadding,
    GlobalAccPool,
    MaxPool,
    SlidingWindow,
    Thresholding,
)
from qsim.models._dtypes import BINARY, BIPOLAR, name

__all__ = ["layer_inputs", "to_dataflow_onnx", "to_streamlined_onnx"]

QONNX = "qonnx.custom_op.general"


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.dtypes: dict[str, Any] = {}
        self.n = 0
        self.created: list[str] = []  # run-time tensors made since the last shapes() call
        self.int64: set[str] = set()  # TopK indices
        self.value_info: list[onnx.ValueInfoProto] = []

    def shapes(self, shape: list[int]) -> None:
        """Declare the shape of every run-time tensor made since the last call."""
        for t in self.created:
            elem = TensorProto.INT64 if t in self.int64 else TensorProto.FLOAT
            self.value_info.append(helper.make_tensor_value_info(t, elem, shape))
        self.created = []

    def tensor(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_t{self.n}"

    def const(self, prefix: str, value: Any, dt: Any = None) -> str:
        t = self.tensor(prefix)
        arr = np.asarray(value)
        self.inits.append(numpy_helper.from_array(
            arr.astype(np.int64 if arr.dtype.kind in "iu" and dt == "shape" else np.float32), t))
        if dt is not None and dt != "shape":
            self.dtypes[t] = dt
        return t

    def node(self, op: str, inputs: list[str], prefix: str, qonnx: bool = False,
             n_out: int = 1, **attrs: Any) -> list[str]:
        outs = [self.tensor(prefix) for _ in range(n_out)]
        self.created += outs
        if op == "TopK":
            self.int64.add(outs[1])
        self.nodes.append(helper.make_node(op, inputs, outs, name=f"{prefix}_{op}_{self.n}",
                                           domain=QONNX if qonnx else "", **attrs))
        return outs


def _multithreshold(b: _Builder, x: str, layer: Layer, t: np.ndarray, odt: Any,
                    act_val: int) -> str:
    layout = "NHWC" if len(layer.in_shape) == 3 else "NC"
    scale, bias = (2.0, -1.0) if odt == BIPOLAR else (1.0, float(act_val))
    return b.node("MultiThreshold", [x, b.const(layer.name, t)], layer.name, qonnx=True,
                  out_dtype=name(odt), out_scale=scale, out_bias=bias, data_layout=layout)[0]


def _mvtu(b: _Builder, x: str, layer: Layer, blk: MVTU) -> str:
    w = b.const(layer.name, blk.weights, blk.wdt)
    if blk.binary_xnor and blk.idt == BINARY:
        y = b.node("XnorPopcountMatMul", [x, w], layer.name, qonnx=True)[0]
    elif blk.binary_xnor:  # BIPOLAR: popcount = (dot + MW) / 2
        y = b.node("MatMul", [x, w], layer.name)[0]
        y = b.node("Add", [y, b.const(layer.name, np.float32(blk.mw))], layer.name)[0]
        y = b.node("Mul", [y, b.const(layer.name, np.float32(0.5))], layer.name)[0]
    else:
        y = b.node("MatMul", [x, w], layer.name)[0]
    if blk.thresholds is None:
        return y
    return _multithreshold(b, y, layer, blk.thresholds, blk.odt, int(blk.act_val))


def layer_inputs(design: Design) -> dict[str, tuple[str, ...]]:
    """The producer of each input port of every layer ("input" = the design input)."""
    return {layer.name: tuple(layer.inputs) for layer in design.layers}


def _graph_layer(b: _Builder, xs: list[str], layer: Layer) -> str:
    """The standard-ONNX form of the graph blocks (FMPadding, DuplicateStreams, AddStreams,
    GlobalAccPool), channels last."""
    blk = layer.block
    if isinstance(blk, DuplicateStreams):
        return xs[0]  # every reader reads the same tensor
    if isinstance(blk, AddStreams):
        return b.node("Add", xs, layer.name)[0]
    if isinstance(blk, FMPadding):
        t, left, bot, r = blk.padding
        pads = b.const(layer.name, np.array([0, t, left, 0, 0, bot, r, 0], np.int64), "shape")
        return b.node("Pad", [xs[0], pads], layer.name, mode="constant")[0]
    axes = b.const(layer.name, np.array([1, 2], np.int64), "shape")  # (N, H, W, C) -> (N, C)
    return b.node("ReduceSum", [xs[0], axes], layer.name, keepdims=0)[0]


def _layer(b: _Builder, xs: list[str], layer: Layer) -> str:
    blk = layer.block
    x = xs[0]
    if isinstance(blk, (DuplicateStreams, AddStreams, FMPadding, GlobalAccPool)):
        return _graph_layer(b, xs, layer)
    if isinstance(blk, MVTU):
        return _mvtu(b, x, layer, blk)
    if isinstance(blk, Thresholding):
        return _multithreshold(b, x, layer, blk.thresholds, blk.odt, int(blk.act_val))
    if isinstance(blk, SlidingWindow):
        h, w = blk.ifm_dim
        return b.node("Im2Col", [x], layer.name, qonnx=True, stride=list(blk.stride),
                      kernel_size=list(blk.kernel), dilations=list(blk.dilation),
                      input_shape=f"(1, {h}, {w}, {blk.channels})", pad_amount=[0, 0, 0, 0],
                      depthwise=int(blk.depthwise))[0]
    if isinstance(blk, MaxPool):
        return b.node("MaxPoolNHWC", [x], layer.name, qonnx=True, kernel_shape=list(blk.kernel),
                      strides=list(blk.kernel), pads=[0, 0, 0, 0])[0]
    k = b.const(layer.name, np.array([blk.k], dtype=np.int64), "shape")
    return b.node("TopK", [x, k], layer.name, n_out=2, axis=-1)[1]


def to_streamlined_onnx(design: Design, batch: int = 1) -> ModelWrapper:
    """The design as a FINN-style streamlined ONNX model (channels last, batch ``batch``)."""
    b = _Builder()
    made: dict[str, tuple[str, tuple[int, ...], Any]] = {
        "input": ("global_in", design.input_shape, design.idt)}  # layer -> (tensor, shape, dt)
    for layer in design.layers:
        xs = []
        for src in layer_inputs(design)[layer.name]:
            x, shape, dt = made[src]
            if tuple(layer.in_shape) != tuple(shape):
                s = b.const(layer.name, np.array([-1, *layer.in_shape], dtype=np.int64), "shape")
                x = b.node("Reshape", [x, s], layer.name)[0]
                b.shapes([batch, *layer.in_shape])
                b.dtypes[x] = dt
            xs.append(x)
        x = _layer(b, xs, layer)
        shape, dt = layer.out_shape, layer.odt
        b.shapes([batch, *shape])
        b.dtypes[x] = dt
        made[layer.name] = (x, shape, dt)
    last = design.layers[-1].block
    out_t = TensorProto.INT64 if type(last).__name__ == "LabelSelect" else TensorProto.FLOAT
    b.nodes.append(helper.make_node("Identity", [x], ["global_out"], name="output_Identity"))
    graph = helper.make_graph(
        b.nodes, design.name or "design",
        [helper.make_tensor_value_info("global_in", TensorProto.FLOAT,
                                       [batch, *design.input_shape])],
        [helper.make_tensor_value_info("global_out", out_t, [batch, *shape])],
        initializer=b.inits, value_info=b.value_info)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid(QONNX, 1)])
    mw = ModelWrapper(model)
    mw.set_tensor_datatype("global_in", design.idt)
    for t, dt in b.dtypes.items():
        mw.set_tensor_datatype(t, dt if not isinstance(dt, str) else DataType[dt])
    from qonnx.transformation.infer_shapes import InferShapes

    return mw.transform(InferShapes())


FINN_DOMAIN = "finn.custom_op.fpgadataflow"


def _graph_node(layer: Layer, xs: list[str], ys: list[str], lead: list[int]) -> onnx.NodeProto:
    """FINN nodes of the graph blocks (FINN v0.10 attribute names)."""
    blk = layer.block
    kw: dict[str, Any] = {"name": layer.name, "domain": FINN_DOMAIN, "backend": "fpgadataflow",
                          "NumChannels": blk.channels, "inputDataType": name(blk.idt)}
    if isinstance(blk, FMPadding):
        return helper.make_node("FMPadding", xs, ys, ImgDim=list(blk.ifm_dim),
                                Padding=list(blk.padding), SIMD=blk.simd, **kw)
    if isinstance(blk, DuplicateStreams):
        return helper.make_node("DuplicateStreams", xs, ys, PE=blk.pe,
                                NumOutputStreams=blk.n_outputs, numInputVectors=lead, **kw)
    if isinstance(blk, AddStreams):
        del kw["inputDataType"]
        return helper.make_node("AddStreams", xs, ys, PE=blk.pe, numInputVectors=lead,
                                inputDataTypes=[name(blk.idt), name(blk.idt1)], **kw)
    return helper.make_node("GlobalAccPool", xs, ys, PE=blk.pe,
                            numInputVectors=[1, *blk.ifm_dim], **kw)


def _dataflow_node(layer: Layer, xs: list[str], ys: list[str], b: _Builder) -> onnx.NodeProto:
    blk = layer.block
    lead = [1, *layer.in_shape[: len(layer.in_shape) - len(blk.in_frame_shape)]]
    if isinstance(blk, (FMPadding, DuplicateStreams, AddStreams, GlobalAccPool)):
        return _graph_node(layer, xs, ys, lead)
    x, y = xs[0], ys[0]
    if isinstance(blk, MVTU):
        ins = [x, b.const(layer.name, blk.weights, blk.wdt)]
        if blk.thresholds is not None:
            ins.append(b.const(layer.name, blk.thresholds))
        return helper.make_node(
            "MVAU", ins, [y], name=layer.name, domain=FINN_DOMAIN, backend="fpgadataflow",
            MW=blk.mw, MH=blk.mh, PE=blk.pe, SIMD=blk.simd, inputDataType=name(blk.idt),
            weightDataType=name(blk.wdt), outputDataType=name(blk.odt), ActVal=int(blk.act_val),
            binaryXnorMode=int(blk.binary_xnor), noActivation=int(blk.thresholds is None),
            numInputVectors=lead, mem_mode="internal_default")
    if isinstance(blk, Thresholding):
        return helper.make_node(
            "Thresholding", [x, b.const(layer.name, blk.thresholds)], [y], name=layer.name,
            domain=FINN_DOMAIN, backend="fpgadataflow", NumChannels=blk.channels, PE=blk.pe,
            numSteps=blk.n_thresholds, inputDataType=name(blk.idt), outputDataType=name(blk.odt),
            ActVal=int(blk.act_val), numInputVectors=lead)
    if isinstance(blk, SlidingWindow):
        return helper.make_node(
            "ConvolutionInputGenerator", [x], [y], name=layer.name, domain=FINN_DOMAIN,
            backend="fpgadataflow", ConvKernelDim=list(blk.kernel), IFMChannels=blk.channels,
            IFMDim=list(blk.ifm_dim), OFMDim=list(blk.ofm_dim), SIMD=blk.simd,
            Stride=list(blk.stride), Dilation=list(blk.dilation), inputDataType=name(blk.idt),
            outputDataType=name(blk.idt), depthwise=int(blk.depthwise))
    if isinstance(blk, MaxPool):
        return helper.make_node(
            "StreamingMaxPool", [x], [y], name=layer.name, domain=FINN_DOMAIN,
            backend="fpgadataflow", ImgDim=list(blk.ifm_dim), PoolDim=list(blk.kernel),
            NumChannels=blk.channels, PE=blk.pe, dataType=name(blk.idt))
    return helper.make_node(
        "LabelSelect", [x], [y], name=layer.name, domain=FINN_DOMAIN, backend="fpgadataflow",
        Labels=blk.labels, PE=blk.pe, K=blk.k, inputDataType=name(blk.idt),
        outputDataType=name(blk.odt))


def to_dataflow_onnx(design: Design) -> ModelWrapper:
    """The design as a FINN dataflow graph (MVAU, Thresholding, ConvolutionInputGenerator,
    StreamingMaxPool, LabelSelect, FMPadding, DuplicateStreams, AddStreams, GlobalAccPool with
    FINN's attribute names; batch 1, channels last). A DuplicateStreams gets one output tensor
    per reader, handed out in layer order."""
    b = _Builder()
    outs: dict[str, list[str]] = {"input": ["global_in"]}  # layer -> its unread output tensors
    vis = []
    for i, layer in enumerate(design.layers):
        n_out = getattr(layer.block, "out_ports", 1)
        ys = ["global_out"] if i == len(design.layers) - 1 else \
            [f"{layer.name}_out{k}" if n_out > 1 else f"{layer.name}_out" for k in range(n_out)]
        xs = [outs[src].pop(0) for src in layer_inputs(design)[layer.name]]
        b.nodes.append(_dataflow_node(layer, xs, ys, b))
        vis += [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, *layer.out_shape])
                for y in ys if y != "global_out"]
        outs[layer.name] = ys
    graph = helper.make_graph(
        b.nodes, design.name or "dataflow",
        [helper.make_tensor_value_info("global_in", TensorProto.FLOAT, [1, *design.input_shape])],
        [helper.make_tensor_value_info("global_out", TensorProto.FLOAT,
                                       [1, *design.output_shape])],
        initializer=b.inits, value_info=vis)
    mw = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    mw.set_tensor_datatype("global_in", design.idt)
    for t, dt in b.dtypes.items():
        mw.set_tensor_datatype(t, dt)
    return mw
