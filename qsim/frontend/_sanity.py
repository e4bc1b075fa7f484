"""Checks an ONNX model passes before import: versions the installed onnx/onnxruntime read,
standard nodes valid for the model's opset, finite constants, and a symbolic batch fixed.

Each failure is a :class:`~qsim.errors.ModelImportError` naming the model, the node or
tensor and the offending value, raised before any level runs (``qsim`` exit status 2).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import checker, numpy_helper

from qsim.errors import ModelImportError

__all__ = ["check_model", "fix_symbolic_batch"]

_STANDARD = ("", "ai.onnx")
_MIN_IR = 3  # the first IR version with opset imports


def check_model(model: onnx.ModelProto, label: str) -> None:
    """IR version and opset in the supported range, standard nodes valid for that opset,
    every float constant finite."""
    ir, top = int(model.ir_version), int(onnx.IR_VERSION)
    if not _MIN_IR <= ir <= top:
        raise ModelImportError(f"model {label!r}: IR version {ir!r} is not supported (onnx "
                               f"{onnx.__version__} reads IR versions {_MIN_IR}..{top})")
    opsets = {o.domain: int(o.version) for o in model.opset_import}
    opset = next((opsets[d] for d in _STANDARD if d in opsets), None)
    newest = int(onnx.defs.onnx_opset_version())
    if opset is not None and not 1 <= opset <= newest:
        raise ModelImportError(f"model {label!r}: opset {opset!r} (domain ai.onnx) is not "
                               f"supported (onnx {onnx.__version__} knows opsets 1..{newest})")
    _check_nodes(model, label, opset)
    _check_finite(model, label)


def _check_nodes(model: onnx.ModelProto, label: str, opset: int | None) -> None:
    ctx = checker.C.CheckerContext()
    ctx.ir_version = int(model.ir_version)
    ctx.opset_imports = {o.domain: int(o.version) for o in model.opset_import}
    lex = checker.C.LexicalScopeContext()
    for node in model.graph.node:
        if node.domain not in _STANDARD:
            continue  # QONNX/FINN custom ops: checked by their importers
        try:
            checker.C.check_node(node.SerializeToString(), ctx, lex)
        except Exception as exc:  # onnx raises ValidationError (and others) from C++
            why = str(exc).split("==>")[0].strip()
            raise ModelImportError(f"model {label!r}: node {node.name!r} ({node.op_type}) is "
                                   f"not valid ONNX at opset {opset!r}: {why}") from None


def _check_finite(model: onnx.ModelProto, label: str) -> None:
    users: dict[str, list[str]] = {}
    for node in model.graph.node:
        for i in node.input:
            users.setdefault(i, []).append(f"{node.name or '?'} ({node.op_type})")
    consts = [(init.name, init) for init in model.graph.initializer]
    for node in model.graph.node:  # Constant nodes hold their tensor in an attribute
        if node.op_type == "Constant" and node.domain in _STANDARD:
            consts += [(node.output[0], a.t) for a in node.attribute if a.name == "value"]
    for tensor, init in consts:
        arr = numpy_helper.to_array(init)
        if arr.dtype.kind != "f" or bool(np.all(np.isfinite(arr))):
            continue
        at = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ModelImportError(f"model {label!r}: constant {tensor!r} of node(s) "
                               f"{users.get(tensor, ['(unused)'])!r} holds "
                               f"{float(arr[at])!r} at index {at!r}: NaN and infinity have "
                               f"no integer meaning")


def fix_symbolic_batch(model: onnx.ModelProto) -> bool:
    """Give a symbolic (or unset) batch dimension of the graph input the value 1, in the
    input, outputs and value infos that share it; True if anything changed. qsim imports one
    sample and runs the reference one sample at a time, so the batch size is never needed."""
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        return False
    dims = inputs[0].type.tensor_type.shape.dim
    if not dims or dims[0].HasField("dim_value"):
        return False
    if any(not d.HasField("dim_value") for d in dims[1:]):
        return False  # more than the batch is symbolic: shape inference reports it
    param = dims[0].dim_param
    for vi in (*inputs, *model.graph.output, *model.graph.value_info):
        d = vi.type.tensor_type.shape.dim
        if d and not d[0].HasField("dim_value") and d[0].dim_param == param:
            d[0].dim_value = 1
    return True
