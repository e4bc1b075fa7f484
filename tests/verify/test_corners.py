"""Corner stimuli at the model level: the corner inputs reach every channel's accumulator
minimum and maximum, checked against brute force over every input vector of small MVTUs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qsim.errors import ConfigError
from qsim.models import MVTU, MaxPool
from qsim.verify.corners import channel_acc_range, corner_inputs, corner_thresholds
from qsim.verify.edge_configs import corner_set, edge_folding_set

_VALUES = {"INT2": (-2, -1, 0, 1), "UINT2": (0, 1, 2, 3), "BIPOLAR": (-1, 1), "BINARY": (0, 1),
           "INT3": tuple(range(-4, 4))}


def _brute(cfg: MVTU) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (min, max) of x @ W over every input vector (or XNOR popcount)."""
    xs = np.array(list(itertools.product(_VALUES[cfg.idt.get_canonical_name()],
                                         repeat=cfg.mw)), dtype=np.int64)  # (V**MW, MW)
    w = cfg.weights.astype(np.int64)
    if cfg.binary_xnor:  # agreements of the bits: equal values
        acc = (xs[:, :, None] == w[None, :, :]).sum(axis=1)
    else:
        acc = xs @ w
    return acc.min(axis=0), acc.max(axis=0)


@pytest.mark.parametrize("idt,wdt,xnor", [("INT2", "INT2", False), ("UINT2", "INT3", False),
                                          ("BIPOLAR", "INT2", False), ("BINARY", "UINT2", False),
                                          ("BIPOLAR", "BIPOLAR", True),
                                          ("BINARY", "BINARY", True), ("INT3", "BIPOLAR", False)])
def test_corners_reach_every_channels_range_ends(idt: str, wdt: str, xnor: bool) -> None:
    rng = np.random.default_rng(len(idt) + 3 * len(wdt))
    vals = _VALUES[wdt]
    w = rng.choice(vals, size=(4, 5))
    if 0 in vals:
        w[:, 0] = 0  # a channel without weights: range [0, 0]
    cfg = MVTU(mw=4, mh=5, pe=5, simd=2, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor)
    lo, hi = _brute(cfg)
    acc = cfg.accumulate(corner_inputs(cfg))  # (frames, MH)
    assert acc.max(axis=0).tolist() == hi.tolist()
    assert acc.min(axis=0).tolist() == lo.tolist()
    assert [a.tolist() for a in channel_acc_range(cfg)] == [lo.tolist(), hi.tolist()]
    assert (int(lo.min()), int(hi.max())) == cfg.acc_range


def test_corner_thresholds_sit_at_the_reached_ends() -> None:
    cfg = MVTU(mw=2, mh=2, pe=1, simd=1, idt="UINT2", wdt="INT2", weights=[[1, -2], [-1, 0]])
    thr = corner_thresholds(cfg)
    # channel 0: x0 - x1 in [-3, 3]; channel 1: -2 x0 in [-6, 0]
    assert thr.thresholds.tolist() == [[-4, -3, -2, 2, 3, 4], [-7, -6, -5, -1, 0, 1]]
    x = corner_inputs(cfg)
    # ch0 max, ch1 max (w = 0 takes the type's min), ch0 min, ch1 min (w = 0: the max)
    assert x.tolist() == [[3, 0], [0, 0], [0, 3], [3, 3]]
    # channel values (3, -6), (0, 0), (-3, 0), (0, -6) counted against the thresholds above
    assert thr(x).tolist() == [[5, 2], [3, 5], [2, 5], [3, 2]]


def test_edge_folding_tile_counts() -> None:
    tiles = sorted(c.nf * c.sf for c in edge_folding_set())
    assert tiles == [129, 255, 256, 257, 257, 513]


def test_corner_set_outputs_hit_both_ends() -> None:
    for cfg in corner_set():
        if isinstance(cfg, MVTU) and cfg.thresholds is None:
            acc = cfg.accumulate(corner_inputs(cfg))
            assert (int(acc.min()), int(acc.max())) == cfg.acc_range, cfg.owner


def test_corner_inputs_refuse_blocks_without_accumulators() -> None:
    with pytest.raises(ConfigError, match=r"no corner stimuli for 'MaxPool'"):
        corner_inputs(MaxPool(ifm_dim=2, channels=1, kernel=2, idt="INT2"))
