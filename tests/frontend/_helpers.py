"""Shared helpers of the frontend tests: zoo exports (cached per session), integer comparison
against the reference, small hand-built ONNX graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qsim.frontend import Design, reference

QONNX = "qonnx.custom_op.general"
FINN = "finn.custom_op.fpgadataflow"


def random_input(design: Design, n: int, seed: int = 0) -> np.ndarray:
    """n random integer inputs covering the inputs the design's source model takes (its
    input type, or a narrow-range quantizer's range)."""
    rng = np.random.default_rng(seed)
    lo, hi = design.input_bounds
    x = rng.integers(lo, hi + 1, size=(n, *design.input_shape))
    if design.idt.get_canonical_name() == "BIPOLAR":
        x = np.where(x >= 0, 1, -1)
    return x


def assert_matches_reference(design: Design, model: Any, x: np.ndarray,
                             layers: bool = False) -> None:
    """design(x) == reference output in the integer domain, exactly; with ``layers`` also
    every layer whose output has a source tensor in the model."""
    xs = design.input_to_source(x)
    if layers:
        ctx = reference(model, xs, all_tensors=True)
        y_ref = ctx[_output_name(model)]
    else:
        y_ref = reference(model, xs)
    got = design.run_layers(x)
    np.testing.assert_array_equal(design.output_to_int(y_ref), list(got.values())[-1])
    if layers:
        checked = 0
        for layer in design.layers:
            if layer.source and layer.source in ctx:
                # the source may keep unit dims a layer drops ((N, C, 1, 1) -> (N, C)): the
                # Design reshapes between layers, never permutes (as the verify ref level)
                want = design.output_to_int(ctx[layer.source], layer=layer.name)
                assert want.size == got[layer.name].size, f"layer {layer.name}: size differs"
                np.testing.assert_array_equal(want.reshape(got[layer.name].shape),
                                              got[layer.name], err_msg=f"layer {layer.name}")
                checked += 1
        assert checked >= len(design.layers) // 2, "too few layer boundaries compared"


def _output_name(model: Any) -> str:
    m = onnx.load(str(model)) if isinstance(model, (str, Path)) else model
    m = m.model if isinstance(m, ModelWrapper) else m
    return m.graph.output[0].name


def make_model(nodes: list[onnx.NodeProto], inp: tuple[str, list[int]],
               out: tuple[str, list[int]], inits: Optional[dict[str, np.ndarray]] = None,
               dtypes: Optional[dict[str, str]] = None,
               value_info: Optional[dict[str, list[int]]] = None) -> ModelWrapper:
    """A one-input one-output float graph with qonnx datatype annotations."""
    init = [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k)
            for k, v in (inits or {}).items()]
    vis = [helper.make_tensor_value_info(k, TensorProto.FLOAT, s)
           for k, s in (value_info or {}).items()]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(inp[0], TensorProto.FLOAT, inp[1])],
        [helper.make_tensor_value_info(out[0], TensorProto.FLOAT, out[1])], initializer=init,
        value_info=vis)
    mw = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    for k, v in (dtypes or {}).items():
        mw.set_tensor_datatype(k, DataType[v])
    return mw


def ascending_thresholds(rng: np.random.Generator, c: int, s: int, lo: int, hi: int) -> np.ndarray:
    """(c, s) sorted random thresholds in [lo, hi]; a few half-integers to exercise ceil."""
    t = np.sort(rng.integers(lo, hi + 1, size=(c, s)), axis=1).astype(np.float64)
    t[:, 0] += 0.5
    return np.sort(t, axis=1)
