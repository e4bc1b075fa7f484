"""Residual nets of the zoo in Brevitas: the seed study's ResNet-8 for CIFAR-10 and a small
residual net for the default test suite.

ResNet-8 (32x32x3 input): conv0 3x3/32 (padding 1) + BN + QuantReLU, then three groups of one
basic block each, widths 32, 64, 128 (strides 1, 2, 2): ``conv3x3 -> BN -> QuantReLU ->
conv3x3 -> BN`` on the main branch, the shortcut is the block input (identity, group 1) or a
1x1 conv with stride 2 + BN at a group change; ONE ``QuantIdentity`` quantizes both inputs of
the add (so they share a scale, as FINN users write it), a QuantReLU follows the add.
``AdaptiveAvgPool2d((1, 1))``, flatten, ``QuantLinear(128, 10)`` (no activation).

Quantizers as the rest of the zoo (:mod:`qsim.zoo._nets`): power-of-two weight scales
(``Int8WeightPerTensorFixedPoint`` with ``bit_width=w``), constant power-of-two activation
scales over about [-2, 2] (signed INTn for the add quantizer, UINTn after ReLU), an 8-bit signed
input quantizer.
"""

from __future__ import annotations

from typing import Any

import torch
from brevitas import nn as qnn
from brevitas.quant import Int8WeightPerTensorFixedPoint
from torch import nn

from qsim.zoo._common import act_quant, input_quant

__all__ = ["exact_batchnorm", "resnet8", "resnet_small"]


def _conv(cin: int, cout: int, k: int, stride: int, wbits: int) -> nn.Module:
    return qnn.QuantConv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False,
                           weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=wbits)


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN + shortcut (identity or 1x1 conv + BN), one add quantizer."""

    def __init__(self, cin: int, cout: int, stride: int, wbits: int, abits: int) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv(cin, cout, 3, stride, wbits), nn.BatchNorm2d(cout)
        self.relu1 = act_quant(abits, relu=True)
        self.conv2, self.bn2 = _conv(cout, cout, 3, 1, wbits), nn.BatchNorm2d(cout)
        self.shortcut: Any = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(_conv(cin, cout, 1, stride, wbits),
                                          nn.BatchNorm2d(cout))
        self.add_quant = act_quant(abits, relu=False)
        self.relu_out = act_quant(abits, relu=True)

    def forward(self, x: Any) -> Any:
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        sc = x if self.shortcut is None else self.shortcut(x)
        return self.relu_out(self.add_quant(y) + self.add_quant(sc))


class ResNet(nn.Module):
    """conv0 + basic blocks + global average pooling + FC."""

    def __init__(self, cin: int, widths: list[int], strides: list[int], classes: int,
                 wbits: int, abits: int) -> None:
        super().__init__()
        self.inp = input_quant()
        self.conv0, self.bn0 = _conv(cin, widths[0], 3, 1, wbits), nn.BatchNorm2d(widths[0])
        self.relu0 = act_quant(abits, relu=True)
        blocks, c = [], widths[0]
        for w, s in zip(widths[1:], strides):
            blocks.append(BasicBlock(c, w, s, wbits, abits))
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = qnn.QuantLinear(c, classes, bias=False,
                                  weight_quant=Int8WeightPerTensorFixedPoint,
                                  weight_bit_width=wbits)

    def forward(self, x: Any) -> Any:
        x = self.relu0(self.bn0(self.conv0(self.inp(x))))
        x = self.pool(self.blocks(x))
        return self.fc(torch.flatten(x, 1))


def resnet8(wbits: int, abits: int) -> nn.Module:
    """ResNet-8 on (3, 32, 32): conv0 32; blocks 32 (s1, identity), 64 (s2), 128 (s2); FC 10."""
    return ResNet(3, [32, 32, 64, 128], [1, 2, 2], 10, wbits, abits)


def resnet_small(wbits: int, abits: int) -> nn.Module:
    """Small residual net on (3, 8, 8): conv0 8; blocks 8 (s1, identity), 16 (s2, 1x1 conv
    shortcut); global average pooling; FC 10. For the default test suite."""
    return ResNet(3, [8, 8, 16], [1, 2], 10, wbits, abits)


def exact_batchnorm(model: nn.Module) -> None:
    """Round every BatchNorm (after calibration) to parameters that float32 evaluates exactly
    on the nets' dyadic activations: eps 0, running_var a power of 4 (exact sqrt), gamma
    +-2**k, running_mean and beta multiples of 2**-6 (still per channel, some gammas negative).

    The float32 reference then computes every tensor exactly, as qsim's float64 does, so the
    two round the same at a .5 boundary. With float BatchNorm parameters a float32 BatchNorm
    output can land on the other side of a boundary (ResNet-8 w5a5 did: 2.5000006 exactly,
    0.3125 / 0.125 = 2.5 in float32, rounded half-even to 2 instead of 3).
    """
    for m in model.modules():
        if not isinstance(m, nn.modules.batchnorm._BatchNorm):
            continue
        mean, var = m.running_mean, m.running_var
        assert mean is not None and var is not None, "the zoo's BatchNorms track statistics"
        with torch.no_grad():
            m.eps = 0.0
            var.copy_(4.0 ** torch.round(torch.log2(var.clamp_min(1e-4)) / 2))
            sign = torch.where(m.weight < 0, -1.0, 1.0)
            mag = torch.round(torch.log2(m.weight.abs().clamp_min(1e-3)))
            m.weight.copy_(sign * 2.0 ** mag)
            mean.copy_(torch.round(mean * 64) / 64)
            m.bias.copy_(torch.round(m.bias * 64) / 64)
