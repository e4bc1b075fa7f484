"""One-node ONNX graphs built in the tests, run by onnxruntime (standard ops) or by qonnx's
executor (QONNX custom ops). Values travel as float32; every tensor used here is an integer
well inside float32's exact range, and results are converted back and checked integral."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

QONNX_DOMAIN = "qonnx.custom_op.general"


def _to_int(y: np.ndarray) -> np.ndarray:
    assert np.array_equal(y, np.rint(y)), "reference produced non-integers"
    return np.rint(y).astype(np.int64)


def _model(node: onnx.NodeProto, inputs: dict[str, np.ndarray], out_shape: list[int],
           inits: Optional[dict[str, np.ndarray]] = None) -> onnx.ModelProto:
    inits = inits or {}
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(a.shape))
          for n, a in inputs.items()]
    out = helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, out_shape)
    init = [helper.make_tensor(n, TensorProto.FLOAT, list(a.shape),
                               a.astype(np.float32).ravel().tolist()) for n, a in inits.items()]
    graph = helper.make_graph([node], "g", vi, [out], initializer=init)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def run_ort(node: onnx.NodeProto, inputs: dict[str, np.ndarray], out_shape: list[int],
            inits: Optional[dict[str, np.ndarray]] = None) -> np.ndarray:
    model = _model(node, inputs, out_shape, inits)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {n: a.astype(np.float32) for n, a in inputs.items()}
    return _to_int(sess.run(None, feeds)[0])


def run_qonnx(node: onnx.NodeProto, inputs: dict[str, np.ndarray], out_shape: list[int],
              inits: Optional[dict[str, np.ndarray]] = None,
              dtypes: Optional[dict[str, Any]] = None) -> np.ndarray:
    model = ModelWrapper(_model(node, inputs, out_shape, inits))
    for name, dt in (dtypes or {}).items():
        model.set_tensor_datatype(name, dt)
    ctx = {n: a.astype(np.float32) for n, a in inputs.items()}
    return _to_int(execute_onnx(model, ctx)[node.output[0]])


def qonnx_node(op: str, inputs: list[str], output: str, **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op, inputs, [output], domain=QONNX_DOMAIN, **attrs)
