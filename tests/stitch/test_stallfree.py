"""Stall-free throughput of the stitched zoo networks (default foldings).

The pipeline model's cycles for N samples must be ``fill + N * bottleneck``, where the bottleneck
is computed here from the layer parameters alone with the closed forms of docs/timing.md (not
from the schedules the model runs): an MVTU takes NF * SF cycles per vector, a Thresholding
C / PE per pixel, a MaxPool H * W * C / PE per image, an SWG max(in_words, out_words).
"""

from __future__ import annotations

from typing import Any

import pytest

from qsim.models import MVTU, MaxPool, SlidingWindow, Thresholding
from qsim.pipeline.engine import simulate_pipeline
from qsim.pipeline.plan import stitch

SAMPLES = 4


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _period(layer: Any) -> int:
    """Cycles per sample of one layer at full throughput, from its folding."""
    b = layer.block
    vectors = 1
    for d in layer.in_shape[:-1]:
        vectors *= int(d)
    if isinstance(b, MVTU):
        return vectors * (b.mh // b.pe) * (b.mw // b.simd)
    if isinstance(b, Thresholding):
        return vectors * b.channels // b.pe
    if isinstance(b, MaxPool):
        (h, w) = _pair(b.ifm_dim)
        return h * w * b.channels // b.pe
    if isinstance(b, SlidingWindow):
        (h, w), (kh, kw) = _pair(b.ifm_dim), _pair(b.kernel)
        (sh, sw), (dh, dw) = _pair(b.stride), _pair(b.dilation)
        oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dw - 1) // sw + 1
        words = b.channels // b.simd
        return max(h * w * words, oh * ow * kh * kw * words)
    raise AssertionError(f"no closed form for {type(b).__name__}")


@pytest.mark.parametrize("net", ["tfc", "cnv", "qenet"])
def test_cycles_are_fill_plus_samples_times_bottleneck(net: str) -> None:
    """With FIFOs deep enough to decouple the layers, every sample after the first takes
    exactly the bottleneck layer's cycles."""
    from bench._zoo_designs import zoo_design

    design = zoo_design(net, "w1a1")
    bottleneck = max(_period(layer) for layer in design.layers)
    ends = _sample_ends(stitch(design, 256), SAMPLES)
    assert [b - a for a, b in zip(ends, ends[1:])] == [bottleneck] * (SAMPLES - 1), ends
    assert 0 < ends[0] - bottleneck  # the fill: latency of the layers after the bottleneck


@pytest.mark.parametrize("net", ["tfc", "cnv", "qenet"])
def test_default_fifos_never_beat_the_bottleneck(net: str) -> None:
    """With 2-word FIFOs balanced layers stall each other (TFC, CNV): slower, never faster."""
    from bench._zoo_designs import zoo_design

    design = zoo_design(net, "w1a1")
    bottleneck = max(_period(layer) for layer in design.layers)
    ends = _sample_ends(stitch(design), SAMPLES)
    assert min(b - a for a, b in zip(ends, ends[1:])) >= bottleneck


def _sample_ends(st: Any, samples: int) -> list[int]:
    """Cycle after the last output word of each sample."""
    out = st.out_words_per_sample
    transfer = simulate_pipeline(st.stages(samples))[-1].transfer
    return [int(transfer[(k + 1) * out - 1]) + 1 for k in range(samples)]
