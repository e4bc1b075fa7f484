"""Read-only access to an ONNX graph for the importers: constants, attributes, shapes, datatypes
and quantized weights (QONNX ``Quant``/``BipolarQuant`` on initializers or FINN integer
initializers annotated with a datatype)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import onnx
from onnx import helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qsim.errors import ModelImportError
from qsim.models._dtypes import DType

__all__ = ["Graph", "QWeight", "node_label", "quant_dtype", "topo_order"]

FloatArray = npt.NDArray[np.float64]


def node_label(node: onnx.NodeProto) -> str:
    """``node 'name' (OpType)`` for messages."""
    return f"node {node.name!r} ({node.op_type})"


_FLOAT_CONST_OPS: dict[str, Any] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
    "Pow": np.power, "Sqrt": np.sqrt, "Neg": np.negative, "Reciprocal": np.reciprocal}


def quant_dtype(bits: int, signed: bool, narrow: bool) -> tuple[DType, int, int]:
    """(DataType, qmin, qmax) of a QONNX integer quantizer; 1-bit signed is BIPOLAR."""
    if bits == 1 and signed:
        return DataType["BIPOLAR"], -1, 1
    if signed:
        return DataType[f"INT{bits}"], -(1 << (bits - 1)) + int(narrow), (1 << (bits - 1)) - 1
    return DataType[f"UINT{bits}" if bits > 1 else "BINARY"], 0, (1 << bits) - 1 - int(narrow)


def topo_order(nodes: list[onnx.NodeProto], label: str) -> list[onnx.NodeProto]:
    """The nodes in a topological order (stable: graph order where it is already one);
    ModelImportError naming the nodes on a cycle."""
    made_by = {o: i for i, n in enumerate(nodes) for o in n.output if o}
    deps = [{made_by[t] for t in n.input if t in made_by} for n in nodes]
    readers: list[list[int]] = [[] for _ in nodes]
    for i, d in enumerate(deps):
        for j in d:
            readers[j].append(i)
    waiting = [len(d) for d in deps]
    order: list[int] = []
    free = [i for i, k in enumerate(waiting) if k == 0]
    while free:
        i = free.pop(0)
        order.append(i)
        for r in readers[i]:
            waiting[r] -= 1
            if waiting[r] == 0:
                free.append(r)
        free.sort()
    if len(order) != len(nodes):
        on_cycle = {i for i, k in enumerate(waiting) if k > 0}
        while True:  # drop the nodes after a cycle (no reader left in the set)
            tail = {i for i in on_cycle if not on_cycle.intersection(readers[i])}
            if not tail:
                break
            on_cycle -= tail
        stuck = [nodes[i].name or nodes[i].op_type for i in sorted(on_cycle)]
        raise ModelImportError(f"model {label!r}: the graph has a cycle: nodes {stuck!r} "
                               f"wait on each other; qsim imports acyclic (feed-forward) "
                               f"graphs")
    return [nodes[i] for i in order]


@dataclass
class QWeight:
    """Quantized constant: real value = scale * (q - zero), all arrays of q's shape."""

    q: npt.NDArray[np.int64]
    scale: FloatArray
    dtype: DType


class Graph:
    """An ONNX model with shapes inferred and lookup tables for the importers."""

    def __init__(self, model: ModelWrapper) -> None:
        self.model = model
        g = model.graph
        self.nodes = list(g.node)
        self.inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        for n in self.nodes:
            if n.op_type == "Constant":
                self.inits[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in self.nodes:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)

    # ---- attributes, shapes, datatypes -------------------------------------------------
    @staticmethod
    def attr(node: onnx.NodeProto, key: str, default: Any = None) -> Any:
        for a in node.attribute:
            if a.name == key:
                v = helper.get_attribute_value(a)
                return v.decode() if isinstance(v, bytes) else v
        return default

    def shape(self, tensor: str) -> Optional[tuple[int, ...]]:
        """Static shape of a tensor, None if unknown (dynamic dims count as unknown, except
        a symbolic batch dimension, reported as 1)."""
        if tensor in self.inits:
            return tuple(int(d) for d in self.inits[tensor].shape)
        vi = self.model.get_tensor_valueinfo(tensor)
        if vi is None or not vi.type.tensor_type.HasField("shape"):
            return None
        dims = []
        for i, d in enumerate(vi.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                dims.append(int(d.dim_value))
            elif i == 0:
                dims.append(1)
            else:
                return None
        return tuple(dims)

    def datatype(self, tensor: str) -> DType:
        return self.model.get_tensor_datatype(tensor)

    # ---- constants --------------------------------------------------------------------------
    def is_const(self, tensor: str) -> bool:
        if tensor in self.inits:
            return True
        n = self.producer.get(tensor)
        return n is not None and all(self.is_const(i) for i in n.input if i)

    def const(self, tensor: str, user: onnx.NodeProto) -> FloatArray:
        """Float value of a constant tensor (initializers and quantizers/reshapes of them)."""
        if tensor in self.inits:
            return np.asarray(self.inits[tensor], dtype=np.float64)
        n = self.producer.get(tensor)
        if n is not None and n.op_type in _FLOAT_CONST_OPS and self.is_const(tensor):
            # float arithmetic on constants (e.g. TensorNorm's sqrt(var + eps)), as qonnx's
            # FoldConstants would fold it
            args = [self.const(i, n) for i in n.input]
            return np.asarray(_FLOAT_CONST_OPS[n.op_type](*args), dtype=np.float64)
        w = self.qweight(tensor, user)
        return w.q * w.scale

    def qweight(self, tensor: str, user: onnx.NodeProto) -> QWeight:
        """Integer view of a constant operand of ``user``.

        Accepts QONNX ``Quant``/``BipolarQuant`` of a constant (zero point 0), FINN integer
        initializers (integer datatype annotation), and Transpose/Reshape/Identity of those.
        """
        if tensor in self.inits:
            dt = self.datatype(tensor)
            val = np.asarray(self.inits[tensor])
            if dt.is_integer() and np.array_equal(val, np.rint(val)):
                q = np.rint(val).astype(np.int64)
                return QWeight(q, np.ones(q.shape), dt)
            raise ModelImportError(
                f"{node_label(user)}: constant input {tensor!r} holds float values (datatype "
                f"{dt.get_canonical_name()}) but qsim needs quantized weights: export them "
                f"through a Brevitas weight quantizer (Quant/BipolarQuant) or annotate an "
                f"integer datatype")
        n = self.producer.get(tensor)
        if n is None or not self.is_const(tensor):
            raise ModelImportError(f"{node_label(user)}: input {tensor!r} must be a constant "
                                   f"(weights), but it is computed at run time")
        if n.op_type in ("Quant", "IntQuant"):
            return self._quant(n)
        if n.op_type == "BipolarQuant":
            x = self.const(n.input[0], n)
            s = np.broadcast_to(self.const(n.input[1], n), x.shape).astype(np.float64)
            return QWeight(np.where(x >= 0, 1, -1).astype(np.int64), s, DataType["BIPOLAR"])
        src = self.qweight(n.input[0], n) if n.input else None
        if n.op_type in ("Identity", "Cast") and src is not None:
            return src
        if n.op_type == "Transpose" and src is not None:
            perm = self.attr(n, "perm", list(reversed(range(src.q.ndim))))
            return QWeight(src.q.transpose(perm), src.scale.transpose(perm), src.dtype)
        if n.op_type == "Reshape" and src is not None:
            shape = [int(d) for d in self.const(n.input[1], n)]
            return QWeight(src.q.reshape(shape), src.scale.reshape(shape), src.dtype)
        raise ModelImportError(f"{node_label(n)}: op {n.op_type!r} on a weight path is not "
                               f"supported (qsim reads Quant/BipolarQuant of initializers)")

    def _quant(self, n: onnx.NodeProto) -> QWeight:
        from qonnx.custom_op.general.intquant import resolve_rounding_mode

        x = self.const(n.input[0], n)
        scale, zero, bits = (self.const(i, n) for i in n.input[1:4])
        signed, narrow = bool(self.attr(n, "signed", 1)), bool(self.attr(n, "narrow", 0))
        if np.any(zero != 0):
            raise ModelImportError(f"{node_label(n)}: weight zero point {zero!r} is not 0; qsim "
                                   f"needs symmetric weight quantization")
        if bits.size != 1 or float(bits.ravel()[0]) != int(bits.ravel()[0]):
            raise ModelImportError(f"{node_label(n)}: bit width {bits!r} is not one integer")
        if np.any(scale <= 0):
            raise ModelImportError(f"{node_label(n)}: weight scale must be positive")
        dt, qmin, qmax = quant_dtype(int(bits.ravel()[0]), signed, narrow)
        s = np.broadcast_to(scale, x.shape).astype(np.float64)
        if dt.get_canonical_name() == "BIPOLAR":
            q = np.where(x / s >= 0, 1, -1)
        else:  # QONNX Quant: clip, then round (same order as qonnx's int_quant)
            rnd = resolve_rounding_mode(str(self.attr(n, "rounding_mode", "ROUND")))
            q = rnd(np.clip(x / s, qmin, qmax))
        return QWeight(np.asarray(q).astype(np.int64), s, dt)
