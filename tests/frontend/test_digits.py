"""The bundled trained example (TFC w2a2 on scikit-learn digits): the Design loaded from the
QONNX export equals the reference on real digit images and keeps the model's accuracy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qsim.frontend import load, reference
from qsim.zoo.digits import digits_28, load_trained

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_trained_digits_example() -> None:
    design = load(EXAMPLES / "tfc_w2a2_digits.onnx", folding=EXAMPLES / "tfc_folding.json")
    _, _, xte, yte = digits_28()
    # float images -> the design's integer input (the model's 8-bit input quantizer)
    x_int = np.clip(np.rint(np.moveaxis(xte, 1, -1) / design.input_scale), -128, 127)
    x_int = x_int.astype(np.int64)
    y_int = design(x_int)
    n = 96  # the reference runs sample by sample (the export fixes batch 1)
    y_ref = reference(EXAMPLES / "tfc_w2a2_digits.onnx", design.input_to_source(x_int[:n]))
    np.testing.assert_array_equal(design.output_to_int(y_ref), y_int[:n])
    acc = float((np.argmax(y_int, axis=1) == yte).mean())
    assert acc > 0.95, acc


def test_checkpoint_matches_onnx() -> None:
    import torch

    model = load_trained(EXAMPLES / "tfc_w2a2_digits.pt")
    design = load(EXAMPLES / "tfc_w2a2_digits.onnx")
    _, _, xte, _ = digits_28()
    x_int = np.clip(np.rint(np.moveaxis(xte[:64], 1, -1) / design.input_scale), -128, 127)
    with torch.no_grad():
        y = model(torch.as_tensor(design.input_to_source(x_int.astype(np.int64))))
    y = y.value if hasattr(y, "value") else y
    np.testing.assert_array_equal(design.output_to_int(y.numpy()), design(x_int))
