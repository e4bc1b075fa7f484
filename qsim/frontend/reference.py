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

__all__ = ["Reference", "export", "reference"]

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


def _ort_session(model: onnx.ModelProto) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])


def _run_qonnx(mw: ModelWrapper, x: np.ndarray, full: bool) -> dict[str, np.ndarray]:
    from qonnx.core.onnx_exec import execute_onnx

    iname = [i.name for i in mw.graph.input if mw.get_initializer(i.name) is None][0]
    return execute_onnx(mw, {iname: x.astype(np.float32)}, return_full_exec_context=full)


def _open_source(model: Any, example: Any) -> tuple[ModelWrapper, str]:
    """(model, label) of a path, ModelProto or ModelWrapper; a torch module is exported first
    (on ``example[:1]``) and read back into memory."""
    from qsim.frontend.load import open_model

    if hasattr(model, "forward") and hasattr(model, "parameters"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            export(model, np.asarray(example)[:1], path)
            return open_model(onnx.load(str(path)))
    return open_model(model)


class Reference:
    """The reference level of one model, opened (and for onnxruntime, its session built) once
    and run on any number of inputs: ``Reference(model)(x)``. ``model`` as for
    :func:`reference`."""

    def __init__(self, model: Any, example: Any = None) -> None:
        mw, self.label = _open_source(model, example)
        self.domains = {n.domain for n in mw.graph.node}
        if any(d.startswith("finn.custom_op.fpgadataflow") for d in self.domains):
            from qsim.frontend._dataflow import import_dataflow
            from qsim.frontend._export import to_streamlined_onnx
            from qsim.frontend._graph import Graph

            mw = to_streamlined_onnx(import_dataflow(Graph(mw), self.label), batch=1)
            self.domains = {"qonnx.custom_op.general"}
        self.mw = mw
        self.output_name = str(mw.graph.output[0].name)
        self._one_by_one = _fixed_batch(mw) == 1  # exports often hard-code batch 1
        self._standard = all(d in _STANDARD_DOMAINS for d in self.domains)  # onnxruntime
        self._session: Any = None

    def __call__(self, x: Any, all_tensors: bool = False) -> Any:
        """The output array for float input ``x`` (``all_tensors``: a dict of every tensor,
        QONNX execution only)."""
        x = np.asarray(x, dtype=np.float32)
        if self._one_by_one and x.shape[0] > 1:
            runs = [self._run(x[i:i + 1], all_tensors) for i in range(x.shape[0])]
            if all_tensors:
                # run-time tensors get their batch back; constants (0-d, weights) kept once
                return {k: np.concatenate([r[k] for r in runs]) if np.ndim(runs[0][k]) and
                        self.mw.get_initializer(k) is None else runs[0][k] for k in runs[0]}
            return np.concatenate(runs)
        return self._run(x, all_tensors)

    def _run(self, x: np.ndarray, all_tensors: bool) -> Any:
        if self._standard and not all_tensors:
            if self._session is None:
                self._session = _ort_session(self.mw.model)
            sess = self._session
            outs = dict(zip((o.name for o in sess.get_outputs()),
                            sess.run(None, {sess.get_inputs()[0].name: x})))
        else:
            outs = _run_qonnx(self.mw, x, all_tensors)
        if self.output_name not in outs:
            raise ModelImportError(f"model {self.label!r}: reference run produced no "
                                   f"{self.output_name!r}")
        return outs if all_tensors else outs[self.output_name]


def reference(model: Any, x: Any, all_tensors: bool = False) -> Any:
    """Run the reference level of ``model`` (path, ModelProto, ModelWrapper or torch module)
    on the float input ``x``; returns the output array (``all_tensors``: a dict of every
    tensor, QONNX execution only). To run one model on many inputs, open it once with
    :class:`Reference`."""
    return Reference(model, x)(x, all_tensors)


def _fixed_batch(mw: ModelWrapper) -> int:
    """The graph input's static batch size, 0 if symbolic."""
    inp = [i for i in mw.graph.input if mw.get_initializer(i.name) is None][0]
    dims = inp.type.tensor_type.shape.dim
    return int(dims[0].dim_value) if dims and dims[0].HasField("dim_value") else 0
