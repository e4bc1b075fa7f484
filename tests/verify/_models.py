"""Tiny ONNX models written in the tests (FINN-style streamlined MatMul + MultiThreshold)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes


def tiny_mlp(path: Path, seed: int = 0) -> Path:
    """16 -> 8 (UINT2 activation) -> 4 (accumulator output); INT4 input, INT2 weights."""
    rng = np.random.default_rng(seed)
    w0 = rng.integers(-2, 2, (16, 8)).astype(np.float32)
    t0 = np.sort(rng.integers(-20, 20, (8, 3)), axis=1).astype(np.float32)
    w1 = rng.integers(-2, 2, (8, 4)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W0"], ["a0"], name="MatMul_0"),
             helper.make_node("MultiThreshold", ["a0", "T0"], ["y0"], name="MultiThreshold_0",
                              domain="qonnx.custom_op.general", out_dtype="UINT2"),
             helper.make_node("MatMul", ["y0", "W1"], ["y"], name="MatMul_1")]
    graph = helper.make_graph(
        nodes, "tiny_mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        initializer=[numpy_helper.from_array(w0, "W0"), numpy_helper.from_array(t0, "T0"),
                     numpy_helper.from_array(w1, "W1")])
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    for name, dt in (("x", "INT4"), ("W0", "INT2"), ("W1", "INT2")):
        model.set_tensor_datatype(name, DataType[dt])
    model = model.transform(InferShapes())
    model.save(str(path))
    return path
