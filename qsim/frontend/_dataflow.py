"""FINN dataflow graph import: MVAU / MatrixVectorActivation, Thresholding,
ConvolutionInputGenerator, StreamingMaxPool, LabelSelect, FMPadding, DuplicateStreams,
AddStreams and GlobalAccPool nodes (domain ``finn.custom_op.fpgadataflow``, FINN v0.10
attribute names; ``_Batch``/``_hls``/``_rtl`` variants) to a Design.

The graph may fork and join: a DuplicateStreams node has one output tensor per reader, an
AddStreams node reads two streams (port order = input order). Every other stream tensor has
exactly one reader; a tensor read by nobody (other than the graph output) is a branch that
never rejoins and is refused, as is a cycle.

Weights (MW, MH) and thresholds (MH or C, S) come from the initializers named by the node's
second and third inputs. A FINN XNOR MVAU (``binaryXnorMode=1``) carries BINARY {0, 1} inputs
and weights and outputs popcount(xnor). StreamingDataWidthConverter and StreamingFIFO nodes are
stream glue and pass the tensor through, as do standard Reshape/Flatten/Squeeze/Unsqueeze/
Identity nodes and Transposes that only move unit dims (tidy graphs); other Transposes are
refused. Unnamed nodes are named ``<op type>_<i>`` as qonnx's GiveUniqueNodeNames names them
(the names a folding file must use). The design is integer end to end: scale 1, bias 0.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import onnx

from qsim.errors import ModelImportError, QsimError
from qsim.frontend._graph import Graph, node_label, topo_order
from qsim.frontend.design import Design, Layer
from qsim.models import (
    MVTU,
    AddStreams,
    DuplicateStreams,
    FMPadding,
    GlobalAccPool,
    LabelSelect,
    MaxPool,
    SlidingWindow,
    Thresholding,
)

__all__ = ["import_dataflow"]

_GLUE = ("StreamingDataWidthConverter", "StreamingFIFO")
# standard ONNX data-movement ops that only relabel a stream (qsim reshapes between layers)
_RELABEL = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Transpose")


def give_unique_names(graph: Graph, model_name: str) -> list[str]:
    """Name every unnamed node FINN-style, ``<op type>_<i>`` with ``i`` counting the nodes of
    that op type in graph order (as qonnx's GiveUniqueNodeNames names them); named nodes keep
    their names. Returns the names given; ModelImportError if names are still not unique."""
    counts: dict[str, int] = {}
    taken = {n.name for n in graph.nodes if n.name}
    given = []
    for n in graph.nodes:
        i = counts.get(n.op_type, 0)
        counts[n.op_type] = i + 1
        if n.name:
            continue
        cand = f"{n.op_type}_{i}"
        while cand in taken:  # a user name already holds it: the next free index
            i += 1
            cand = f"{n.op_type}_{i}"
        n.name = cand
        taken.add(cand)
        given.append(cand)
    names = [n.name for n in graph.nodes]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise ModelImportError(f"model {model_name!r}: node names {dup!r} are not unique; a "
                               f"folding file refers to nodes by name (FINN: apply qonnx's "
                               f"GiveUniqueNodeNames before export)")
    return given


def _relabels(graph: Graph, node: onnx.NodeProto) -> bool:
    """A standard data-movement node that keeps the element order (a Transpose only moving
    unit dims)."""
    if node.domain not in ("", "ai.onnx") or node.op_type not in _RELABEL:
        return False
    if node.op_type != "Transpose":
        return True
    shape = graph.shape(node.input[0])
    if shape is None:
        raise ModelImportError(f"{node_label(node)}: Transpose of {node.input[0]!r} whose shape "
                               f"is unknown; qsim absorbs a Transpose only if it moves unit "
                               f"dims (annotate the shape)")
    perm = list(graph.attr(node, "perm", list(reversed(range(len(shape))))))
    moved = [p for p in perm if shape[p] != 1]
    if moved != sorted(moved):
        raise ModelImportError(f"{node_label(node)}: Transpose perm {perm!r} of shape "
                               f"{tuple(shape)!r} reorders the stream; qsim absorbs only "
                               f"Transposes that move unit dims (FINN streams are NHWC)")
    return True


def _op(node: onnx.NodeProto) -> str:
    """FINN op type without implementation/legacy suffixes: ``MVAU_hls`` -> ``MVAU``."""
    op = node.op_type
    for suffix in ("_hls", "_rtl", "_Batch", "_Batch_hls"):
        if op.endswith(suffix):
            op = op[: -len(suffix)]
    return {"MatrixVectorActivation": "MVAU", "StreamingFCLayer": "MVAU"}.get(op, op)


def _get(g: Graph, node: onnx.NodeProto, key: str, default: Any = ...) -> Any:
    v = g.attr(node, key, None)
    if v is None:
        if default is ...:
            raise ModelImportError(f"{node_label(node)}: FINN attribute {key!r} is missing")
        return default
    return v


def _init(g: Graph, node: onnx.NodeProto, idx: int, what: str) -> np.ndarray:
    if len(node.input) <= idx or node.input[idx] not in g.inits:
        raise ModelImportError(f"{node_label(node)}: {what} must be an initializer on input "
                               f"{idx}")
    return np.asarray(g.inits[node.input[idx]])


def _mvau(g: Graph, node: onnx.NodeProto) -> Any:
    mw, mh = int(_get(g, node, "MW")), int(_get(g, node, "MH"))
    no_act = int(_get(g, node, "noActivation", 0))
    w = _init(g, node, 1, "weights")
    if w.shape != (mw, mh):
        raise ModelImportError(f"{node_label(node)}: weights shape {w.shape!r} is not (MW, MH) "
                               f"= ({mw}, {mh})")
    kw: dict[str, Any] = {}
    if not no_act:
        kw = {"thresholds": _init(g, node, 2, "thresholds"),
              "act_val": int(_get(g, node, "ActVal", 0)),
              "odt": _get(g, node, "outputDataType")}
    else:
        kw = {"odt": _get(g, node, "outputDataType", None)}
    return MVTU(mw=mw, mh=mh, pe=int(_get(g, node, "PE", 1)), simd=int(_get(g, node, "SIMD", 1)),
                idt=_get(g, node, "inputDataType"), wdt=_get(g, node, "weightDataType"),
                weights=w, binary_xnor=bool(_get(g, node, "binaryXnorMode", 0)), name=node.name,
                **kw)


def _thresholding(g: Graph, node: onnx.NodeProto) -> Any:
    return Thresholding(channels=int(_get(g, node, "NumChannels")), pe=int(_get(g, node, "PE", 1)),
                        idt=_get(g, node, "inputDataType"), odt=_get(g, node, "outputDataType"),
                        thresholds=_init(g, node, 1, "thresholds"),
                        act_val=int(_get(g, node, "ActVal", 0)), name=node.name)


def _swg(g: Graph, node: onnx.NodeProto) -> Any:
    return SlidingWindow(ifm_dim=list(_get(g, node, "IFMDim")),
                         channels=int(_get(g, node, "IFMChannels")),
                         kernel=list(_get(g, node, "ConvKernelDim")),
                         stride=list(_get(g, node, "Stride", [1, 1])),
                         dilation=list(_get(g, node, "Dilation", [1, 1])),
                         simd=int(_get(g, node, "SIMD", 1)), idt=_get(g, node, "inputDataType"),
                         depthwise=bool(_get(g, node, "depthwise", 0)), name=node.name)


def _maxpool(g: Graph, node: onnx.NodeProto) -> Any:
    return MaxPool(ifm_dim=list(_get(g, node, "ImgDim")),
                   channels=int(_get(g, node, "NumChannels")),
                   kernel=list(_get(g, node, "PoolDim")), pe=int(_get(g, node, "PE", 1)),
                   idt=_get(g, node, "dataType"), name=node.name)


def _labelselect(g: Graph, node: onnx.NodeProto) -> Any:
    return LabelSelect(labels=int(_get(g, node, "Labels")), k=int(_get(g, node, "K", 1)),
                       pe=int(_get(g, node, "PE", 1)), idt=_get(g, node, "inputDataType"),
                       odt=_get(g, node, "outputDataType", None) or None, name=node.name)


def _strs(v: Any) -> list[str]:
    return [x.decode() if isinstance(x, bytes) else str(x) for x in v]


def _fmpadding(g: Graph, node: onnx.NodeProto) -> Any:
    img = _get(g, node, "ImgDim")
    pad = _get(g, node, "Padding")
    pad = [pad] if isinstance(pad, int) else list(pad)
    if len(pad) != 4:
        raise ModelImportError(f"{node_label(node)}: Padding={pad!r}; qsim reads FINN's "
                               f"per-side form [top, left, bottom, right]")
    return FMPadding(ifm_dim=img if isinstance(img, int) else list(img),
                     channels=int(_get(g, node, "NumChannels")), padding=tuple(pad),
                     simd=int(_get(g, node, "SIMD", 1)), idt=_get(g, node, "inputDataType"),
                     name=node.name)


def _duplicate(g: Graph, node: onnx.NodeProto) -> Any:
    n = int(_get(g, node, "NumOutputStreams", len(node.output)))
    if n != len(node.output):
        raise ModelImportError(f"{node_label(node)}: NumOutputStreams={n} but the node has "
                               f"{len(node.output)} outputs {list(node.output)!r}")
    return DuplicateStreams(channels=int(_get(g, node, "NumChannels")),
                            pe=int(_get(g, node, "PE", 1)), idt=_get(g, node, "inputDataType"),
                            n_outputs=n, name=node.name)


def _addstreams(g: Graph, node: onnx.NodeProto) -> Any:
    dts = g.attr(node, "inputDataTypes", None)
    dts = _strs(dts) if dts is not None else [_get(g, node, "inputDataType")] * 2
    if len(dts) != 2:
        raise ModelImportError(f"{node_label(node)}: inputDataTypes={dts!r} must name 2 types")
    return AddStreams(channels=int(_get(g, node, "NumChannels")), pe=int(_get(g, node, "PE", 1)),
                      idt=dts[0], idt1=dts[1], name=node.name)


def _globalaccpool(g: Graph, node: onnx.NodeProto) -> Any:
    niv = [int(d) for d in _get(g, node, "numInputVectors")]
    if len(niv) != 3:
        raise ModelImportError(f"{node_label(node)}: numInputVectors={niv!r} must be [N, H, W]")
    return GlobalAccPool(ifm_dim=(niv[1], niv[2]), channels=int(_get(g, node, "NumChannels")),
                         pe=int(_get(g, node, "PE", 1)), idt=_get(g, node, "inputDataType"),
                         name=node.name)


_BUILDERS: dict[str, Callable[[Graph, onnx.NodeProto], Any]] = {
    "MVAU": _mvau, "Thresholding": _thresholding, "ConvolutionInputGenerator": _swg,
    "StreamingMaxPool": _maxpool, "LabelSelect": _labelselect, "FMPadding": _fmpadding,
    "DuplicateStreams": _duplicate, "AddStreams": _addstreams, "GlobalAccPool": _globalaccpool}


def _in_shape(g: Graph, node: onnx.NodeProto, blk: Any, prev: tuple[int, ...]) -> tuple[int, ...]:
    """Per-sample input shape: an image frame as is, the tensor's inferred shape, else
    numInputVectors + frame."""
    frame = tuple(blk.in_frame_shape)
    if len(frame) == 3:  # FMPadding, GlobalAccPool: the frame is the whole (H, W, C) image
        return frame
    niv = g.attr(node, "numInputVectors", None)
    if niv is not None:
        return (*[int(d) for d in list(niv)[1:]], *frame)
    shape = g.shape(node.input[0])
    if shape is not None and tuple(shape[1:])[-len(frame):] == frame:
        return tuple(shape[1:])
    if int(np.prod(prev)) % int(np.prod(frame)) == 0 and len(frame) == 1:
        lead = prev[:-1] if prev[-1] == frame[0] else ()
        return (*lead, *frame)
    return frame


def _ordered(graph: Graph, out: str, model_name: str) -> list[onnx.NodeProto]:
    """The nodes the output depends on, in topological order (the output's producer last);
    a node whose output never reaches the graph output is a branch that never rejoins."""
    need: set[int] = set()
    stack = [out]
    while stack:
        n = graph.producer.get(stack.pop())
        if n is not None and id(n) not in need:
            need.add(id(n))
            stack.extend(n.input)
    order = topo_order(graph.nodes, model_name)
    dead = [n.name for n in order if id(n) not in need and n.op_type != "Constant"]
    if dead:
        raise ModelImportError(f"model {model_name!r}: nodes {dead!r} never reach the graph "
                               f"output {out!r}: a branch that never rejoins")
    return [n for n in order if id(n) in need and n.op_type != "Constant"]


def _check_fanout(graph: Graph, inp: str, out: str) -> None:
    """Every stream tensor (the graph input included) has exactly one reader, the graph
    output none: a fork needs a DuplicateStreams node, one output tensor per reader."""
    streams = [(f"graph input {inp!r}", inp)] + [
        (node_label(n), t) for n in graph.nodes if n.op_type != "Constant" for t in n.output]
    for what, t in streams:
        readers = [r.name for r in graph.consumers.get(t, [])]
        if len(readers) > 1:
            raise ModelImportError(f"{what}: its output {t!r} feeds {readers!r}; a stream has "
                                   f"one reader: fork it with a DuplicateStreams node")
        if not readers and t != out:
            raise ModelImportError(f"{what}: its output {t!r} is read by no node and is not "
                                   f"the graph output: a branch that never rejoins")


def _build(graph: Graph, node: onnx.NodeProto) -> Any:
    op = _op(node)
    if op not in _BUILDERS:
        raise ModelImportError(f"{node_label(node)}: FINN op {node.op_type!r} is not "
                               f"supported (qsim maps {sorted(_BUILDERS)!r}; VVAU and "
                               f"Concat have no qsim block)")
    try:
        return _BUILDERS[op](graph, node)
    except QsimError:
        raise
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ModelImportError(f"{node_label(node)}: cannot import it: "
                               f"{type(exc).__name__}: {exc}") from exc


def import_dataflow(graph: Graph, model_name: str) -> Design:
    """Import a FINN dataflow graph (see module docstring)."""
    g = graph.model.graph
    inputs = [i for i in g.input if i.name not in graph.inits]
    if len(inputs) != 1 or len(g.output) != 1:
        raise ModelImportError(f"model {model_name!r}: a dataflow graph needs one input and one "
                               f"output, got {[i.name for i in inputs]!r}, "
                               f"{[o.name for o in g.output]!r}")
    shape = graph.shape(inputs[0].name)
    if shape is None:
        raise ModelImportError(f"model {model_name!r}: graph input {inputs[0].name!r} has no "
                               f"static shape")
    out = g.output[0].name
    give_unique_names(graph, model_name)
    _check_fanout(graph, inputs[0].name, out)
    made_by = {inputs[0].name: "input"}  # stream tensor -> the layer producing it
    shapes = {inputs[0].name: tuple(shape[1:])}
    layers: list[Layer] = []
    for node in _ordered(graph, out, model_name):
        acts = [t for t in node.input if t and not graph.is_const(t)]
        unknown = [t for t in acts if t not in made_by]
        if unknown:
            raise ModelImportError(f"{node_label(node)}: reads {unknown!r}, which neither the "
                                   f"graph input nor a dataflow node produces")
        if _op(node) in _GLUE or _relabels(graph, node):
            made_by[node.output[0]], shapes[node.output[0]] = made_by[acts[0]], shapes[acts[0]]
            continue
        blk = _build(graph, node)
        if len(acts) != blk.in_ports:
            raise ModelImportError(f"{node_label(node)}: reads {len(acts)} streams {acts!r}; a "
                                   f"{type(blk).__name__} has {blk.in_ports}")
        if len({int(np.prod(shapes[t])) for t in acts}) > 1:
            raise ModelImportError(f"{node_label(node)}: its inputs differ in shape: "
                                   f"{ {made_by[t]: shapes[t] for t in acts}!r}")
        layer = Layer(name=node.name, block=blk, in_shape=_in_shape(graph, node, blk,
                                                                    shapes[acts[0]]),
                      inputs=tuple(made_by[t] for t in acts))
        layers.append(layer)
        for t in node.output:
            made_by[t], shapes[t] = node.name, layer.out_shape
    if not layers:
        raise ModelImportError(f"model {model_name!r}: no dataflow layer found")
    idt = layers[0].block.idt
    first = layers[0].in_shape
    in_shape = tuple(shape[1:]) if int(np.prod(shape[1:])) == int(np.prod(first)) else first
    return Design(layers=tuple(layers), input_shape=in_shape, idt=idt, name=model_name)
