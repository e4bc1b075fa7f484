"""Brevitas definitions of the qsim model zoo: TFC, CNV and QeNet in w1a1, w1a2, w2a2, w4a4
(the residual nets, ResNet-8 and a small one, in w4a4 and w5a5: :mod:`qsim.zoo._resnet`).

Every net starts with an 8-bit signed input quantizer; hidden layers are
``QuantLinear/QuantConv2d (no bias) -> BatchNorm -> activation quantizer``; the last layer is a
``QuantLinear`` without activation (its integer accumulator is the design output).
Convolutions are 3x3, stride 1, no padding; pooling is 2x2 max pooling after the activation.

Quantizers (power-of-two scales, as FINN prefers):

- weights: 1 bit -> ``SignedBinaryWeightPerTensorConst`` (BIPOLAR); n bits ->
  ``Int8WeightPerTensorFixedPoint`` with ``bit_width=n`` (narrow INTn).
- activations: 1 bit -> ``SignedBinaryActPerTensorConst`` (BIPOLAR); n bits -> signed INTn
  (``QuantIdentity``) for TFC and CNV, unsigned UINTn after ReLU (``QuantReLU``) for QeNet,
  with a constant power-of-two scale covering about [-2, 2] (``ACT_RANGE``).
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from brevitas import nn as qnn
from brevitas.quant import Int8WeightPerTensorFixedPoint, SignedBinaryWeightPerTensorConst
from torch import nn

from qsim.errors import ConfigError
from qsim.zoo._common import ACT_RANGE, INPUT_BITS, act_quant, input_quant
from qsim.zoo._resnet import exact_batchnorm, resnet8, resnet_small

__all__ = ["ACT_RANGE", "INPUT_BITS", "INPUT_SHAPES", "NETS", "NET_VARIANTS", "RESIDUAL_VARIANTS",
           "VARIANTS", "build", "parse_variant"]

VARIANTS = ("w1a1", "w1a2", "w2a2", "w4a4")
#: Variants of the residual nets (the seed study's ResNet-8 precisions).
RESIDUAL_VARIANTS = ("w4a4", "w5a5")


def parse_variant(variant: str, net: str = "") -> tuple[int, int]:
    """``"w2a2"`` -> (2, 2); a ConfigError names a variant that ``net`` (default: the plain
    nets) does not come in."""
    allowed = NET_VARIANTS.get(net, VARIANTS)
    if variant not in allowed:
        raise ConfigError(f"zoo variant {variant!r} is not one of {allowed!r}"
                          + (f" (net {net!r})" if net else ""))
    w, a = variant[1:].split("a")
    return int(w), int(a)


def _weight_kw(bits: int) -> dict[str, Any]:
    if bits == 1:
        return {"weight_quant": SignedBinaryWeightPerTensorConst}
    return {"weight_quant": Int8WeightPerTensorFixedPoint, "weight_bit_width": bits}


def _fc(cin: int, cout: int, wbits: int) -> nn.Module:
    return qnn.QuantLinear(cin, cout, bias=False, **_weight_kw(wbits))


def _conv(cin: int, cout: int, wbits: int) -> nn.Module:
    return qnn.QuantConv2d(cin, cout, 3, bias=False, **_weight_kw(wbits))


def _mlp(sizes: list[int], wbits: int, abits: int, relu: bool) -> list[nn.Module]:
    """FC + BN + act for every hidden size; the last FC has no activation."""
    mods: list[nn.Module] = []
    for cin, cout in zip(sizes[:-2], sizes[1:-1]):
        mods += [_fc(cin, cout, wbits), nn.BatchNorm1d(cout), act_quant(abits, relu)]
    mods.append(_fc(sizes[-2], sizes[-1], wbits))
    return mods


def tfc(wbits: int, abits: int) -> nn.Module:
    """784-64-64-64-10 MLP on a (1, 28, 28) input (flattened)."""
    return nn.Sequential(input_quant(), nn.Flatten(),
                         *_mlp([784, 64, 64, 64, 10], wbits, abits, relu=False))


def _convnet(cin: int, convs: list[Any], fcs: list[int], wbits: int, abits: int,
             relu: bool) -> nn.Module:
    mods: list[nn.Module] = [input_quant()]
    for item in convs:
        if item == "pool":
            mods.append(nn.MaxPool2d(2))
            continue
        mods += [_conv(cin, item, wbits), nn.BatchNorm2d(item), act_quant(abits, relu)]
        cin = item
    mods.append(nn.Flatten())
    return nn.Sequential(*mods, *_mlp([cin, *fcs], wbits, abits, relu))


def cnv(wbits: int, abits: int) -> nn.Module:
    """CNV on (3, 32, 32): conv 64, 64, pool, 128, 128, pool, 256, 256; FC 512, 512, 10."""
    return _convnet(3, [64, 64, "pool", 128, 128, "pool", 256, 256], [512, 512, 10],
                    wbits, abits, relu=False)


def qenet(wbits: int, abits: int) -> nn.Module:
    """QeNet on (1, 28, 28): conv 16, 16, pool, 32, pool, 64, 64 (1x1 out); FC 120, 84, 10."""
    return _convnet(1, [16, 16, "pool", 32, "pool", 64, 64], [120, 84, 10], wbits, abits,
                    relu=True)


NETS: dict[str, Callable[[int, int], nn.Module]] = {
    "cnv": cnv, "qenet": qenet, "resnet8": resnet8, "resnet_small": resnet_small, "tfc": tfc}
#: The variants each net comes in (VARIANTS unless listed).
NET_VARIANTS: dict[str, tuple[str, ...]] = {"resnet8": RESIDUAL_VARIANTS,
                                            "resnet_small": RESIDUAL_VARIANTS}
INPUT_SHAPES: dict[str, tuple[int, ...]] = {"cnv": (3, 32, 32), "qenet": (1, 28, 28),
                                            "resnet8": (3, 32, 32), "resnet_small": (3, 8, 8),
                                            "tfc": (1, 28, 28)}


def calibrate(model: nn.Module, shape: tuple[int, ...], gen: torch.Generator,
              signed_input: bool = True) -> None:
    """Give the random net realistic statistics: BN running stats from two random batches
    over the net's input range ([-1, 1] when ``signed_input``, else [0, 1]), random BN affine
    parameters (some negative gammas), so that activations use their whole range."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # cumulative average over the calibration batches
            with torch.no_grad():
                n = m.num_features
                sign = torch.where(torch.rand(n, generator=gen) < 0.2, -1.0, 1.0)
                m.weight.copy_(sign * (0.5 + torch.rand(n, generator=gen)))
                m.bias.copy_(0.5 * torch.randn(n, generator=gen))
    model.train()
    with torch.no_grad():
        for _ in range(2):
            x = torch.rand((64, *shape), generator=gen)
            model(x * 2 - 1 if signed_input else x)
    model.eval()


def build(net: str, variant: str = "w1a1", seed: int = 0) -> nn.Module:
    """A random-initialised, calibrated zoo net in eval mode (deterministic for a seed)."""
    if net not in NETS:
        raise ConfigError(f"zoo net {net!r} is not one of {sorted(NETS)!r}")
    wbits, abits = parse_variant(variant, net)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = NETS[net](wbits, abits)
        calibrate(model, INPUT_SHAPES[net], torch.Generator().manual_seed(seed + 1))
    if net in NET_VARIANTS:  # the residual nets: a float32 reference exact at every tensor
        exact_batchnorm(model)
    return model
