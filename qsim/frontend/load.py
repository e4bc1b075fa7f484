"""``qsim.frontend.load``: an ONNX file or model to a qsim Design."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

import onnx
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qsim.errors import ConfigError, ModelImportError
from qsim.frontend._graph import Graph, topo_order
from qsim.frontend._sanity import check_model, fix_symbolic_batch
from qsim.frontend.design import Design, apply_folding
from qsim.models._dtypes import DType

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


Folding = Union[Mapping[str, Any], str, Path]


def load(path: ModelLike, folding: Optional[Folding] = None,
         raw_input: Union[str, bool, None] = "auto", topk: int = 0) -> Design:
    """Import an ONNX model as a qsim Design and apply a FINN folding config.

    ``raw_input`` (float-input models, e.g. Brevitas exports): an unsigned type name such as
    ``"UINT8"`` makes the Design take raw integers ``p`` (FINN's uint8 pixels, NHWC): the
    source input is ``p / 255`` (FINN's divide-by-255 step) and the input quantizer becomes a
    Thresholding layer ``Thresholding_0`` (a folding file may call it
    ``Thresholding_Batch_0``, ``Thresholding_hls_0`` or ``Thresholding_rtl_0``). ``False`` or
    None: the quantizer's integers are the Design input (no layer). ``"auto"`` (default): raw
    UINT8 when ``folding`` names a Thresholding layer that only the raw form has (FINN's input
    quantizer, as in finn-examples' folding files), else the quantizer's integers.

    ``topk``: end in a LabelSelect of the top-K outputs (FINN's InsertTopK, exact in the float
    order, see ``Design.topk``); with ``raw_input="auto"`` a folding that names a LabelSelect
    the model lacks inserts one with K = 1, as FINN's bnn-pynq flow does.

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

        raw = _raw_type(raw_input, label)
        design = streamline(Graph(mw), label, raw, topk)
        if raw_input == "auto" and folding is not None:
            raw_now = raw if not _wants(design, folding, "Thresholding_") else DataType["UINT8"]
            k = topk if topk or not _wants(design, folding, "LabelSelect_") else 1
            if raw_now is not raw or k != topk:
                design = streamline(Graph(mw), label, raw_now, k)
    return apply_folding(design, folding) if folding is not None else design


def _raw_type(raw_input: Union[str, bool, None], label: str) -> Optional[DType]:
    """The raw input type asked for (None: the quantizer's integers)."""
    if raw_input in (None, False, "auto", "none", "off"):
        return None
    try:
        dt = DataType[str(raw_input)]
    except KeyError:
        dt = None
    if dt is None or not dt.is_integer() or dt.signed() or dt.bitwidth() < 2:
        raise ConfigError(f"model {label!r}: raw_input={raw_input!r} must be an unsigned "
                          f"integer type name such as 'UINT8' (or 'auto', None)")
    return dt


def _wants(design: Design, folding: Folding, kind: str) -> bool:
    """The folding names a ``kind`` layer (``Thresholding_``: FINN's input quantizer,
    ``LabelSelect_``: FINN's InsertTopK) that the Design lacks."""
    from qsim.frontend.design import _canonical, _load_folding

    have = {_canonical(la.name) for la in design.layers}
    return any(_canonical(str(k)).startswith(kind) and _canonical(str(k)) not in have
               for k in _load_folding(folding))
