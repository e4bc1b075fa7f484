"""brevitas_examples' bnn_pynq networks (TFC, SFC, LFC, CNV: FINN's bnn-pynq examples) with
random weights and non-trivial BatchNorm / TensorNorm statistics.

The network definitions ship in the brevitas wheel (``brevitas_examples.bnn_pynq``); qsim only
builds them (``pretrained=False``) and calibrates them as :func:`qsim.zoo.build` does: random
BatchNorm affine parameters (about 20 % negative gammas), running statistics from random
batches. The TensorNorm at the end of every net gets a random weight whose sign is chosen by
``negative_norm`` (a negative weight reverses the order of the output scores).

The FC nets take a (1, 28, 28) input in [0, 1] (the model maps it to [-1, 1]); CNV takes
(3, 32, 32) in [-1, 1) as 8-bit Q1.7. The wheel has no ``lfc_2w2a``.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from qsim.errors import ConfigError
from qsim.zoo._nets import calibrate

__all__ = ["BNN_PYNQ", "BNN_PYNQ_SHAPES", "build_bnn_pynq"]

#: The networks and variants brevitas_examples ships (wXaY as qsim's zoo spells them).
BNN_PYNQ: dict[str, tuple[str, ...]] = {
    "tfc": ("w1a1", "w1a2", "w2a2"), "sfc": ("w1a1", "w1a2", "w2a2"),
    "lfc": ("w1a1", "w1a2"), "cnv": ("w1a1", "w1a2", "w2a2")}
#: Per-sample input shape (NCHW) of each net.
BNN_PYNQ_SHAPES: dict[str, tuple[int, ...]] = {
    "tfc": (1, 28, 28), "sfc": (1, 28, 28), "lfc": (1, 28, 28), "cnv": (3, 32, 32)}


def _cfg_name(net: str, variant: str) -> str:
    if net not in BNN_PYNQ or variant not in BNN_PYNQ[net]:
        raise ConfigError(f"bnn_pynq net {net!r} variant {variant!r} is not one brevitas_examples "
                          f"ships; choose from {BNN_PYNQ!r}")
    w, a = variant[1:].split("a")
    return f"{net}_{w}w{a}a"


def build_bnn_pynq(net: str, variant: str = "w1a1", seed: int = 0,
                   negative_norm: Optional[bool] = None) -> nn.Module:
    """The brevitas_examples network ``net`` (tfc, sfc, lfc, cnv) in ``variant``, randomly
    initialised and calibrated, in eval mode (deterministic for a seed).

    ``negative_norm``: the sign of the final TensorNorm weight (None: positive for even seeds,
    negative for odd ones).
    """
    from brevitas_examples.bnn_pynq.models import model_with_cfg  # type: ignore[import-untyped]

    cfg = _cfg_name(net, variant)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model, _ = model_with_cfg(cfg, pretrained=False)
        calibrate(model, BNN_PYNQ_SHAPES[net], gen, signed_input=net == "cnv")
        neg = bool(seed % 2) if negative_norm is None else negative_norm
        _tensor_norm(model, gen, neg)
    return model


def _tensor_norm(model: nn.Module, gen: torch.Generator, negative: bool) -> None:
    """Non-trivial statistics for the final TensorNorm (one scale, one offset)."""
    for m in model.modules():
        if type(m).__name__ != "TensorNorm":
            continue
        w = 0.5 + float(torch.rand(1, generator=gen))
        values = {"weight": -w if negative else w, "bias": float(torch.randn(1, generator=gen)),
                  "running_mean": float(torch.randn(1, generator=gen)),
                  "running_var": 0.5 + float(torch.rand(1, generator=gen))}
        with torch.no_grad():
            for attr, v in values.items():
                t: torch.Tensor = getattr(m, attr)
                t.fill_(v)
