"""Default FINN folding configs of the zoo nets, keyed by qsim's FINN-style node names.

(PE, SIMD) per MVAU in layer order; every SlidingWindow gets ``SIMD = gcd(C, SIMD of its
MVAU)`` and every MaxPool ``PE = gcd(C, PE of the MVAU before it)``. The residual nets (one
folding per variant, with their cycles and resource estimates): :mod:`qsim.zoo._resnet_foldings`.
"""

from __future__ import annotations

from math import gcd
from typing import Any

from qsim.errors import ConfigError
from qsim.zoo._resnet_foldings import RESIDUAL_FOLDS, residual_folding

__all__ = ["MVAU_FOLDS", "default_folding"]

#: (PE, SIMD) per MVAU, in layer order.
MVAU_FOLDS: dict[str, list[tuple[int, int]]] = {
    "tfc": [(16, 49), (8, 8), (8, 8), (10, 8)],
    "cnv": [(16, 3), (32, 32), (16, 32), (16, 32), (4, 32), (1, 32), (1, 4), (1, 8), (5, 1)],
    "qenet": [(8, 9), (8, 16), (8, 16), (8, 32), (8, 32), (8, 8), (7, 12), (2, 12)],
}
# Conv input channels per conv MVAU and the MVAU index each pool follows.
_CONV_IN = {"tfc": [], "cnv": [3, 64, 64, 128, 128, 256], "qenet": [1, 16, 16, 32, 64]}
_POOLS = {"tfc": [], "cnv": [(1, 64), (3, 128)], "qenet": [(1, 16), (2, 32)]}


def default_folding(net: str, variant: str = "") -> dict[str, Any]:
    """FINN folding_config.json dict of a zoo net (``{"Defaults": {}, "MVAU_0": {...}}``).

    The residual nets have one folding per variant (``variant``; default w4a4); the other nets
    one for all variants."""
    residual = {n for n, _ in RESIDUAL_FOLDS}
    if net in residual:
        variant = variant or "w4a4"
        if (net, variant) not in RESIDUAL_FOLDS:
            raise ConfigError(f"zoo net {net!r} has no variant {variant!r}; it comes in "
                              f"{sorted(v for n, v in RESIDUAL_FOLDS if n == net)!r}")
        return residual_folding(net, variant)
    if net not in MVAU_FOLDS:
        raise ConfigError(f"zoo net {net!r} is not one of {sorted({*MVAU_FOLDS, *residual})!r}")
    fold: dict[str, Any] = {"Defaults": {}}
    for i, (pe, simd) in enumerate(MVAU_FOLDS[net]):
        fold[f"MVAU_{i}"] = {"PE": pe, "SIMD": simd}
    for i, c in enumerate(_CONV_IN[net]):
        fold[f"ConvolutionInputGenerator_{i}"] = {"SIMD": gcd(c, MVAU_FOLDS[net][i][1])}
    for j, (after, c) in enumerate(_POOLS[net]):
        fold[f"StreamingMaxPool_{j}"] = {"PE": gcd(c, MVAU_FOLDS[net][after][0])}
    return fold
