"""``qsim.frontend.reference``: the ONNX reference level of a model.

- A standard-ONNX model (e.g. Brevitas ``export_onnx_qcdq``) runs in onnxruntime.
- A QONNX model (Brevitas ``export_qonnx``; custom ops Quant, BipolarQuant, MultiThreshold,
  Im2Col, MaxPoolNHWC, ...) runs in qonnx's ``execute_onnx``.
- A FINN dataflow model runs as its standard-ONNX equivalent (MatMul + MultiThreshold, Im2Col,
  MaxPoolNHWC, TopK; :mod:`qsim.frontend._export`) in qonnx's executor.
- A torch module is exported (QCDQ where Brevitas supports it, QONNX otherwise, e.g. binary
  quantizers) and run as above.

Outputs are floats in the source domain; compare them as integers through
:meth:`Design.output_to_int`, never as floats.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any, Union

import numpy as np
import onnx
from qonnx.core.modelwrapper import ModelWrapper

from qsim.errors import ModelImportError

__all__ = ["export", "reference"]

_STANDARD_DOMAINS = ("", "ai.onnx")


def export(module: Any, example: Any, path: Union[str, Path], fmt: str = "auto",
           dynamo: bool = False) -> str:
    """Export a Brevitas module to ONNX: ``fmt`` "qcdq", "qonnx" or "auto" (QCDQ, falling
    back to QONNX when Brevitas cannot export QCDQ, e.g. binary quantizers). Returns the
    format used. Each export gets its own deep copy of the module. ``dynamo=False`` uses the
    TorchScript exporter (3x faster here than torch.export; both graphs import)."""
    import torch
    from brevitas.export import export_onnx_qcdq, export_qonnx

    x = torch.as_tensor(np.asarray(example, dtype=np.float32))
    if fmt in ("qcdq", "auto"):
        try:
            export_onnx_qcdq(copy.deepcopy(module), x, str(path), dynamo=dynamo)
            return "qcdq"
        except Exception:
            if fmt == "qcdq":
                raise
    export_qonnx(copy.deepcopy(module), x, str(path), dynamo=dynamo)
    return "qonnx"


def _run_ort(model: onnx.ModelProto, x: np.ndarray) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    outs = sess.run(None, {name: x.astype(np.float32)})
    return {o.name: v for o, v in zip(sess.get_outputs(), outs)}


def _run_qonnx(mw: ModelWrapper, x: np.ndarray, full: bool) -> dict[str, np.ndarray]:
    from qonnx.core.onnx_exec import execute_onnx

    iname = [i.name for i in mw.graph.input if mw.get_initializer(i.name) is None][0]
    return execute_onnx(mw, {iname: x.astype(np.float32)}, return_full_exec_context=full)


def reference(model: Any, x: Any, all_tensors: bool = False) -> Any:
    """Run the reference level of ``model`` (path, ModelProto, ModelWrapper or torch module)
    on the float input ``x``; returns the output array (``all_tensors``: a dict of every
    tensor, QONNX execution only)."""
    if hasattr(model, "forward") and hasattr(model, "parameters"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            export(model, np.asarray(x)[:1], path)
            return reference(path, x, all_tensors)
    from qsim.frontend.load import open_model

    mw, label = open_model(model)
    x = np.asarray(x, dtype=np.float32)
    domains = {n.domain for n in mw.graph.node}
    if any(d.startswith("finn.custom_op.fpgadataflow") for d in domains):
        from qsim.frontend._dataflow import import_dataflow
        from qsim.frontend._export import to_streamlined_onnx
        from qsim.frontend._graph import Graph

        design = import_dataflow(Graph(mw), label)
        mw = to_streamlined_onnx(design, batch=1)
        domains = {"qonnx.custom_op.general"}
    if _fixed_batch(mw) == 1 and x.shape[0] > 1:  # exports hard-code batch 1 (Reshape)
        runs = [_run(mw, x[i:i + 1], domains, all_tensors, label) for i in range(x.shape[0])]
        if all_tensors:
            # run-time tensors get their batch back; constants (0-d, weights) are kept once
            return {k: np.concatenate([r[k] for r in runs]) if np.ndim(runs[0][k]) and
                    mw.get_initializer(k) is None else runs[0][k] for k in runs[0]}
        return np.concatenate(runs)
    return _run(mw, x, domains, all_tensors, label)


def _run(mw: ModelWrapper, x: np.ndarray, domains: set[str], all_tensors: bool,
         label: str) -> Any:
    out_name = mw.graph.output[0].name
    if all(d in _STANDARD_DOMAINS for d in domains) and not all_tensors:
        outs = _run_ort(mw.model, x)
    else:
        outs = _run_qonnx(mw, x, all_tensors)
    if out_name not in outs:
        raise ModelImportError(f"model {label!r}: reference run produced no {out_name!r}")
    return outs if all_tensors else outs[out_name]


def _fixed_batch(mw: ModelWrapper) -> int:
    """The graph input's static batch size, 0 if symbolic."""
    inp = [i for i in mw.graph.input if mw.get_initializer(i.name) is None][0]
    dims = inp.type.tensor_type.shape.dim
    return int(dims[0].dim_value) if dims and dims[0].HasField("dim_value") else 0
