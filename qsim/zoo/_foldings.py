"""Default FINN folding configs of the zoo nets, keyed by qsim's FINN-style node names.

(PE, SIMD) per MVAU in layer order; every SlidingWindow gets ``SIMD = gcd(C, SIMD of its
MVAU)`` and every MaxPool ``PE = gcd(C, PE of the MVAU before it)``. The residual nets have
one folding per variant; their table below states each MVAU's cycles, the bottleneck and
rough resource estimates for the Pynq-Z2.
"""

from __future__ import annotations

from math import gcd
from typing import Any

from qsim.errors import ConfigError

__all__ = ["MVAU_FOLDS", "RESIDUAL_FOLDS", "default_folding", "residual_folding"]

#: (PE, SIMD) per MVAU, in layer order.
MVAU_FOLDS: dict[str, list[tuple[int, int]]] = {
    "tfc": [(16, 49), (8, 8), (8, 8), (10, 8)],
    "cnv": [(16, 3), (32, 32), (16, 32), (16, 32), (4, 32), (1, 32), (1, 4), (1, 8), (5, 1)],
    "qenet": [(8, 9), (8, 16), (8, 16), (8, 32), (8, 32), (8, 8), (7, 12), (2, 12)],
}
# Conv input channels per conv MVAU and the MVAU index each pool follows.
_CONV_IN = {"tfc": [], "cnv": [3, 64, 64, 128, 128, 256], "qenet": [1, 16, 16, 32, 64]}
_POOLS = {"tfc": [], "cnv": [(1, 64), (3, 128)], "qenet": [(1, 16), (2, 32)]}


# ---- residual nets -----------------------------------------------------------------------
# Default FINN folding configs of the residual zoo nets (ResNet-8 for the Pynq-Z2, the small
# residual net), keyed by the importer's node names.
#
# The importer names the MVAUs in the order it meets the convolutions: ResNet-8 MVAU_0 conv0,
# 1-2 group 1, 3 group-2 conv1, 4 group-2 shortcut (1x1, stride 2), 5 group-2 conv2, 6 group-3
# conv1, 7 group-3 shortcut, 8 group-3 conv2, 9 the FC; ConvolutionInputGenerator_i feeds
# MVAU_i; the FMPaddings feed the 3x3 convs in order. (An unknown name in a folding is a
# ConfigError, so the zoo tests catch any renaming.) Every SWG gets ``SIMD = gcd(C, SIMD of its
# MVAU)``, every FMPadding the SIMD of its SWG, the element-wise blocks (Thresholding,
# DuplicateStreams, AddStreams, GlobalAccPool) one PE through ``Defaults``.
#
# ResNet-8 per layer: cycles per image = OH*OW * (MH/PE) * (MW/SIMD). Pynq-Z2 (xc7z020):
# 53,200 LUT, 140 BRAM36, 220 DSP (unused: LUT MACs as FINN's default for < 8 bits).
#
# MVAU        MW    MH    OHxOW  w4a4 (PE,SIMD)  cycles   w5a5 (PE,SIMD)  cycles
# 0 conv0     27    32    32x32  4,3            73,728   2,3             147,456
# 1 g1.conv1  288   32    32x32  4,32           73,728   2,32            147,456
# 2 g1.conv2  288   32    32x32  4,32           73,728   2,32            147,456
# 3 g2.conv1  288   64    16x16  2,32           73,728   1,32            147,456
# 4 g2.short  32    64    16x16  1,8            65,536   1,4             131,072
# 5 g2.conv2  576   64    16x16  4,32           73,728   2,32            147,456
# 6 g3.conv1  576   128   8x8    2,32           73,728   1,32            147,456
# 7 g3.short  64    128   8x8    1,8            65,536   1,4             131,072
# 8 g3.conv2  1152  128   8x8    4,32           73,728   2,32            147,456
# 9 fc        128   10    1      1,2            640      1,2             640
#
# Bottleneck: w4a4 73,728 cycles per image (1,356 images/s at 100 MHz), w5a5 147,456 (678/s);
# every other block stays below it (the widest element-wise stream, 32x32x32, is 8,192 words
# at PE 4, 16,384 at PE 2; an SWG emits at most 9,216 words per image here).
#
# Rough resources (estimates, not synthesis results): LUT-based MAC lanes (PE*SIMD summed) 670
# for w4a4 at ~26 LUT per 4x4-bit lane = ~17k LUT, thresholds (15 comparators per PE) ~6k, SWGs,
# FMPadding, FIFOs, DWCs and control ~8k: ~31k LUT (~60 % of the board; the seed study reports
# 76 %). Weights 1.23 Mbit in FINN's (depth MW/SIMD*MH/PE, width PE*SIMD*w) memories: ~66 BRAM36,
# SWG line buffers and shortcut FIFOs ~20: ~86 BRAM36 (~61 %). w5a5 halves the lanes (335 at
# ~36 LUT per 5x5-bit lane = ~12k LUT, thresholds ~8k, rest ~8k: ~28k LUT, ~53 %); its weights
# (1.54 Mbit) in narrower, deeper memories take ~71 BRAM36, ~91 in all (~65 %).

#: (PE, SIMD) per MVAU_i and the element-wise PE, per (net, variant).
RESIDUAL_FOLDS: dict[tuple[str, str], tuple[list[tuple[int, int]], int]] = {
    ("resnet8", "w4a4"): ([(4, 3), (4, 32), (4, 32), (2, 32), (1, 8), (4, 32), (2, 32), (1, 8),
                           (4, 32), (1, 2)], 4),
    ("resnet8", "w5a5"): ([(2, 3), (2, 32), (2, 32), (1, 32), (1, 4), (2, 32), (1, 32), (1, 4),
                           (2, 32), (1, 2)], 2),
    # small net (8x8x3; conv0 8, blocks 8 and 16): a light folding that exercises every fold
    ("resnet_small", "w4a4"): ([(2, 3), (2, 8), (2, 8), (2, 8), (2, 4), (2, 16), (1, 4)], 2),
    ("resnet_small", "w5a5"): ([(4, 9), (4, 8), (4, 8), (4, 8), (4, 8), (4, 16), (2, 8)], 4),
}
# Input channels of the conv of MVAU_i (fed by ConvolutionInputGenerator_i), and the MVAUs of
# the padded 3x3 convs (FMPadding_j feeds ConvolutionInputGenerator_{PADDED[j]}).
_RES_CONV_IN = {"resnet8": [3, 32, 32, 32, 32, 64, 64, 64, 128],
                "resnet_small": [3, 8, 8, 8, 8, 16]}
_RES_PADDED = {"resnet8": [0, 1, 2, 3, 5, 6, 8], "resnet_small": [0, 1, 2, 3, 5]}
_ELEMENTWISE = ["Thresholding", "DuplicateStreams", "AddStreams", "GlobalAccPool"]
# Layers of each kind the importer makes (for the per-layer FIFO depths).
_RES_LAYERS = {
    "resnet8": {"MVAU": 10, "ConvolutionInputGenerator": 9, "FMPadding": 7, "Thresholding": 4,
                "DuplicateStreams": 3, "AddStreams": 3, "GlobalAccPool": 1},
    "resnet_small": {"MVAU": 7, "ConvolutionInputGenerator": 6, "FMPadding": 5,
                     "Thresholding": 3, "DuplicateStreams": 2, "AddStreams": 2,
                     "GlobalAccPool": 1}}

# FIFO depths (words of the link's stream) per input port, from ``qsim fifo-size MODEL
# --folding <the folding above> --samples 2`` (steady-state period kept): every link not listed
# gets no FIFO (depth 0). With the default depth 2 everywhere, the identity shortcut of the
# first block deadlocks (its FIFO fills before the padded 3x3 branch emits its first word):
# the shortcut edge into AddStreams port 1 needs the depths below (ResNet-8 w4a4: 538 words of
# PE 4 = 67 pixels, about two rows of the 32x32 map, which the two padded 3x3 convs consume
# before their first output; the 1x1-conv shortcuts needed no FIFO in the sizing).
RESIDUAL_FIFOS: dict[tuple[str, str], dict[str, list[int]]] = {
    ("resnet8", "w4a4"): {"AddStreams_0": [0, 538]},  # period 73,728 cycles, as the table
    ("resnet8", "w5a5"): {"AddStreams_0": [0, 1082]},  # period 147,456
    ("resnet_small", "w4a4"): {"AddStreams_0": [0, 74]},
    ("resnet_small", "w5a5"): {"AddStreams_0": [0, 34]},
}


def residual_folding(net: str, variant: str) -> dict[str, Any]:
    """FINN folding_config.json dict of a residual zoo net in ``variant``."""
    folds, pe = RESIDUAL_FOLDS[(net, variant)]
    fold: dict[str, Any] = {"Defaults": {"PE": [pe, _ELEMENTWISE]}}
    for i, (p, s) in enumerate(folds):
        fold[f"MVAU_{i}"] = {"PE": p, "SIMD": s}
    swg = [gcd(c, folds[i][1]) for i, c in enumerate(_RES_CONV_IN[net])]
    for i, s in enumerate(swg):
        fold[f"ConvolutionInputGenerator_{i}"] = {"SIMD": s}
    for j, i in enumerate(_RES_PADDED[net]):
        fold[f"FMPadding_{j}"] = {"SIMD": swg[i]}
    depths = RESIDUAL_FIFOS.get((net, variant))
    if depths is not None:
        for kind, n in _RES_LAYERS[net].items():
            for i in range(n):
                name = f"{kind}_{i}"
                fifo = depths.get(name, [0, 0] if kind == "AddStreams" else [0])
                fold.setdefault(name, {})["inFIFODepths"] = fifo
    return fold


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
