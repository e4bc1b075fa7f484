"""Brevitas/QONNX features beyond the zoo: float (non power-of-two) per-channel scales, biases,
ReLU quantizers; exact integer thresholds at rounding ties (half-even, ceil, floor)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from brevitas.quant import Int8ActPerTensorFloat, Int8WeightPerChannelFloat, Uint8ActPerTensorFloat
from onnx import helper
from torch import nn

from qsim.frontend import load, reference
from qsim.frontend.reference import export
from qsim.models import Thresholding
from tests.frontend._helpers import QONNX, make_model


def _float_scale_mlp() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(
        qnn.QuantIdentity(act_quant=Int8ActPerTensorFloat, return_quant_tensor=True),
        nn.Flatten(),
        qnn.QuantLinear(64, 32, bias=True, weight_quant=Int8WeightPerChannelFloat,
                        weight_bit_width=4),
        nn.BatchNorm1d(32),
        qnn.QuantReLU(act_quant=Uint8ActPerTensorFloat, bit_width=3, return_quant_tensor=True),
        qnn.QuantLinear(32, 16, bias=True, weight_quant=Int8WeightPerChannelFloat,
                        weight_bit_width=3),
        qnn.QuantIdentity(act_quant=Int8ActPerTensorFloat, bit_width=4,
                          return_quant_tensor=True),
        qnn.QuantLinear(16, 10, bias=False, weight_quant=Int8WeightPerChannelFloat,
                        weight_bit_width=4))
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(128, 1, 8, 8))
    return model.eval()


@pytest.mark.parametrize("fmt", ["qonnx", "qcdq"])
def test_float_scales_and_bias(tmp_path: Path, fmt: str) -> None:
    model = _float_scale_mlp()
    src = tmp_path / "qonnx.onnx"
    export(model, torch.zeros(1, 1, 8, 8), src, fmt="qonnx")
    design = load(src)
    assert not np.isscalar(design.scale)  # per-channel output scale
    ref_path = src
    if fmt == "qcdq":
        ref_path = tmp_path / "qcdq.onnx"
        export(model, torch.zeros(1, 1, 8, 8), ref_path, fmt="qcdq")
    x = np.random.default_rng(0).integers(-128, 128, size=(200, *design.input_shape))
    y = reference(ref_path, design.input_to_source(x))
    np.testing.assert_array_equal(design.output_to_int(y), design(x))


@pytest.mark.parametrize("mode", ["ROUND", "CEIL", "FLOOR", "HALF_UP"])
def test_threshold_ties(tmp_path: Path, mode: str) -> None:
    """x (INT8) * 0.25 -> Quant(scale 1, INT4): every .5 boundary is hit exactly; the integer
    thresholds must reproduce the rounding mode's tie behaviour on all 256 inputs."""
    nodes = [helper.make_node("Mul", ["x", "m"], ["xm"], name="mul"),
             helper.make_node("Quant", ["xm", "s", "z", "b"], ["y"], name="q", domain=QONNX,
                              signed=1, narrow=0, rounding_mode=mode)]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 4]),
                    {"m": np.float32(0.25), "s": np.float32(1.0), "z": np.float32(0.0),
                     "b": np.float32(4.0)}, {"x": "INT8"})
    path = tmp_path / "m.onnx"
    mw.save(str(path))
    design = load(path)
    assert isinstance(design.layers[0].block, Thresholding)
    x = np.arange(-128, 128).reshape(64, 4)
    np.testing.assert_array_equal(design.output_to_int(reference(path, x.astype(np.float32))),
                                  design(x))


def test_identity_requant_is_dropped(tmp_path: Path) -> None:
    """A quantizer that maps an integer tensor onto itself adds no layer."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["a"], name="mm"),
             helper.make_node("Quant", ["a", "s", "z", "b"], ["q1"], name="q1", domain=QONNX,
                              signed=1, narrow=0, rounding_mode="ROUND"),
             helper.make_node("Quant", ["q1", "s", "z", "b"], ["y"], name="q2", domain=QONNX,
                              signed=1, narrow=0, rounding_mode="ROUND")]
    mw = make_model(nodes, ("x", [1, 4]), ("y", [1, 3]),
                    {"W": np.arange(12).reshape(4, 3) % 3 - 1, "s": np.float32(0.5),
                     "z": np.float32(0.0), "b": np.float32(3.0)}, {"x": "INT4", "W": "INT2"})
    path = tmp_path / "m.onnx"
    mw.save(str(path))
    design = load(path)
    assert len(design.layers) == 1
    x = np.random.default_rng(1).integers(-8, 8, size=(50, 4))
    np.testing.assert_array_equal(design.output_to_int(reference(path, x.astype(np.float32))),
                                  design(x))
