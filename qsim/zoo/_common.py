"""Quantizers shared by the zoo nets: the 8-bit input quantizer and the activation quantizers
(BIPOLAR for 1 bit, else a constant power-of-two scale over about [-2, 2])."""

from __future__ import annotations

from brevitas import nn as qnn
from brevitas.quant import (
    Int8ActPerTensorFixedPoint,
    SignedBinaryActPerTensorConst,
    Uint8ActPerTensorFixedPoint,
)
from torch import nn

__all__ = ["ACT_RANGE", "INPUT_BITS", "act_quant", "input_quant"]

INPUT_BITS = 8
ACT_RANGE = 2.0  # constant power-of-two activation scale: max value ~2 (BN output ~N(0, 1))


def act_quant(bits: int, relu: bool) -> nn.Module:
    """BIPOLAR for 1 bit; else UINTn after ReLU (``relu``) or signed INTn, constant scale."""
    if bits == 1:
        return qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)
    if relu:
        return qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=bits,
                             scaling_impl_type="const", max_val=ACT_RANGE,
                             return_quant_tensor=True)
    return qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=bits,
                             scaling_impl_type="const", min_val=-ACT_RANGE, max_val=ACT_RANGE,
                             return_quant_tensor=True)


def input_quant() -> nn.Module:
    """The 8-bit signed input quantizer of every zoo net."""
    return qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=INPUT_BITS,
                             return_quant_tensor=True)
