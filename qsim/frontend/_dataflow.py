"""FINN dataflow graph import: MVAU / MatrixVectorActivation, Thresholding,
ConvolutionInputGenerator, StreamingMaxPool and LabelSelect nodes (domain
``finn.custom_op.fpgadataflow``, FINN attribute names) to a Design.

Weights (MW, MH) and thresholds (MH or C, S) come from the initializers named by the node's
second and third inputs. A FINN XNOR MVAU (``binaryXnorMode=1``) carries BINARY {0, 1} inputs
and weights and outputs popcount(xnor). StreamingDataWidthConverter and StreamingFIFO nodes are
stream glue and pass the tensor through. The design is integer end to end: scale 1, bias 0.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import onnx

from qsim.errors import ModelImportError, QsimError
from qsim.frontend._graph import Graph, node_label
from qsim.frontend.design import Design, Layer
from qsim.models import MVTU, LabelSelect, MaxPool, SlidingWindow, Thresholding

__all__ = ["import_dataflow"]

_GLUE = ("StreamingDataWidthConverter", "StreamingFIFO")


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


_BUILDERS: dict[str, Callable[[Graph, onnx.NodeProto], Any]] = {
    "MVAU": _mvau, "Thresholding": _thresholding, "ConvolutionInputGenerator": _swg,
    "StreamingMaxPool": _maxpool, "LabelSelect": _labelselect}


def _in_shape(g: Graph, node: onnx.NodeProto, blk: Any, prev: tuple[int, ...]) -> tuple[int, ...]:
    """Per-sample input shape: the tensor's inferred shape, else numInputVectors + frame."""
    frame = tuple(blk.in_frame_shape)
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


def import_dataflow(graph: Graph, model_name: str) -> Design:
    """Import a FINN dataflow graph (see module docstring)."""
    g = graph.model.graph
    inputs = [i for i in g.input if i.name not in graph.inits]
    if len(inputs) != 1:
        raise ModelImportError(f"model {model_name!r}: a dataflow graph needs one input")
    shape = graph.shape(inputs[0].name)
    if shape is None:
        raise ModelImportError(f"model {model_name!r}: graph input {inputs[0].name!r} has no "
                               f"static shape")
    cur, prev_shape = inputs[0].name, tuple(shape[1:])
    layers: list[Layer] = []
    for node in graph.nodes:
        if node.op_type == "Constant":
            continue
        if not node.input or node.input[0] != cur:
            raise ModelImportError(f"{node_label(node)}: does not consume {cur!r}; qsim imports "
                                   f"a single chain of dataflow nodes in graph order")
        op = _op(node)
        cur = node.output[0]
        if op in _GLUE:
            continue
        if op not in _BUILDERS:
            raise ModelImportError(f"{node_label(node)}: FINN op {node.op_type!r} is not "
                                   f"supported (qsim maps {sorted(_BUILDERS)!r}; padding and "
                                   f"VVAU have no qsim block)")
        try:
            blk = _BUILDERS[op](graph, node)
        except QsimError:
            raise
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            raise ModelImportError(f"{node_label(node)}: cannot import it: "
                                   f"{type(exc).__name__}: {exc}") from exc
        in_shape = _in_shape(graph, node, blk, prev_shape)
        layers.append(Layer(name=node.name, block=blk, in_shape=in_shape))
        prev_shape = layers[-1].out_shape
    if not layers:
        raise ModelImportError(f"model {model_name!r}: no dataflow layer found")
    idt = layers[0].block.idt
    first = layers[0].in_shape
    in_shape = tuple(shape[1:]) if int(np.prod(shape[1:])) == int(np.prod(first)) else first
    return Design(layers=tuple(layers), input_shape=in_shape, idt=idt, name=model_name)

