"""qsim frontend: ONNX (Brevitas QONNX, FINN streamlined, FINN dataflow) to a qsim Design.

See docs/frontend.md. ``load`` imports a model, ``reference`` runs its ONNX reference level,
``to_streamlined_onnx`` / ``to_dataflow_onnx`` write a Design back as ONNX.
"""

from qsim.frontend._export import to_dataflow_onnx, to_streamlined_onnx
from qsim.frontend.design import Design, Layer, apply_folding
from qsim.frontend.load import load
from qsim.frontend.reference import reference
from qsim.models import LabelSelect  # the model-level block, re-exported for the frontend API

__all__ = ["Design", "LabelSelect", "Layer", "apply_folding", "load", "reference",
           "to_dataflow_onnx", "to_streamlined_onnx"]
