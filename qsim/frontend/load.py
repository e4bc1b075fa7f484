"""``qsim.frontend.load``: an ONNX file or model to a qsim Design."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

import onnx
from qonnx.core.modelwrapper import ModelWrapper

from qsim.errors import ModelImportError
from qsim.frontend._graph import Graph, topo_order
from qsim.frontend._sanity import check_model, fix_symbolic_batch
from qsim.frontend.design import Design, apply_folding

__all__ = ["load", "open_model"]

ModelLike = Union[str, Path, onnx.ModelProto, ModelWrapper]
_DATAFLOW_DOMAIN = "finn.custom_op.fpgadataflow"


def open_model(model: ModelLike) -> tuple[ModelWrapper, str]:
    """A ModelWrapper with shapes inferred, and a name for messages."""
    if isinstance(model, ModelWrapper):
        mw, label = ModelWrapper(onnx.ModelProto.FromString(model.model.SerializeToString())), \
            model.graph.name
    elif isinstance(model, onnx.ModelProto):
        mw, label = ModelWrapper(onnx.ModelProto.FromString(model.SerializeToString())), \
            model.graph.name
    else:
        path = Path(model)
        try:
            mw = ModelWrapper(str(path))
        except Exception as exc:
            raise ModelImportError(f"cannot read ONNX model {str(path)!r}: {exc}") from None
        label = path.stem
    topo_order(list(mw.graph.node), label)  # a cycle is refused before shape inference
    check_model(mw.model, label if isinstance(model, (ModelWrapper, onnx.ModelProto))
                else str(model))  # versions, standard nodes, finite constants
    fix_symbolic_batch(mw.model)
    if not any(n.domain.startswith(_DATAFLOW_DOMAIN) for n in mw.graph.node):
        from qonnx.transformation.infer_shapes import InferShapes

        try:
            mw = mw.transform(InferShapes())
        except Exception as exc:
            raise ModelImportError(f"model {label!r}: shape inference failed ({exc}); qsim "
                                   f"needs static shapes") from None
    return mw, label


def load(path: ModelLike, folding: Optional[Union[Mapping[str, Any], str, Path]] = None) -> Design:
    """Import an ONNX model as a qsim Design and apply a FINN folding config.

    Accepts QONNX exports of Brevitas models (``brevitas.export.export_qonnx``), FINN-style
    streamlined graphs (MatMul + MultiThreshold + Im2Col + MaxPoolNHWC + Transpose, integer
    weights with datatype annotations) and FINN dataflow graphs (MVAU, Thresholding,
    ConvolutionInputGenerator, StreamingMaxPool, LabelSelect nodes). Raises ModelImportError
    naming the node, op type and reason for anything qsim cannot map, and ConfigError for a
    folding that names unknown nodes or breaks a divisibility rule.
    """
    mw, label = open_model(path)
    if any(n.domain.startswith(_DATAFLOW_DOMAIN) for n in mw.graph.node):
        from qsim.frontend._dataflow import import_dataflow

        design = import_dataflow(Graph(mw), label)
    else:
        from qsim.frontend._streamline import streamline

        design = streamline(Graph(mw), label)
    return apply_folding(design, folding) if folding is not None else design
