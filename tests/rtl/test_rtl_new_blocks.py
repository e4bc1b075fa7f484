"""SV cores of the graph blocks (FMPadding, DuplicateStreams, AddStreams, GlobalAccPool,
LabelSelect) against their Python models under cocotb: bit-exact words, exact accept and
transfer cycles on every port and the stream protocol, over the default valid/ready sweep.
Every test simulates the same configs, so one Verilator build serves the file."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qsim.models import AddStreams, GlobalAccPool, LabelSelect
from qsim.models._dtypes import BIPOLAR, name
from qsim.rtlsim import DEFAULT_PATTERNS, verify_rtl
from qsim.rtlsim.check import run_rtl

from .configs import graph_set

pytestmark = pytest.mark.rtlsim

CFGS = graph_set()


def test_graph_blocks_match_models_cycle_exact() -> None:
    report = verify_rtl(CFGS, frames=3, seed=1)
    assert report.instances == len(CFGS)
    assert report.runs == len(DEFAULT_PATTERNS)


def test_graph_blocks_bit_exact_with_different_patterns_per_port() -> None:
    # each port of AddStreams / DuplicateStreams draws its own offer / ready pattern: words and
    # protocol must hold (cycles need the lead's multi-port pipeline model)
    verify_rtl(CFGS, frames=3, seed=2, independent_ports=True)


def _ends(dt: Any, frames: int, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Frames at the type's minimum, at its maximum, then random picks of both ends."""
    lo, hi = (-1, 1) if dt == BIPOLAR else (int(dt.min()), int(dt.max()))
    x = rng.choice([lo, hi], size=(frames, *shape))
    x[0], x[1] = lo, hi
    return x


def _edge_inputs(cfg: Any, rng: np.random.Generator) -> Any:
    if isinstance(cfg, LabelSelect):  # ties: all equal, two equal maxima, random small range
        n = cfg.labels
        lo = -1 if cfg.idt == BIPOLAR else int(cfg.idt.min())
        tie = np.full(n, lo)
        tie[[n // 2, n - 1]] = 1
        rand = rng.choice([lo, 1], size=n)
        return np.stack([np.full(n, lo), tie, rand])
    xs = [_ends(cfg.in_stream_of(p).dtype, 3, cfg.in_frame_shape, rng)
          for p in range(cfg.in_ports)]
    return xs if cfg.in_ports > 1 else xs[0]


def test_graph_blocks_at_range_ends_and_ties() -> None:
    rng = np.random.default_rng(3)
    inputs = [_edge_inputs(cfg, rng) for cfg in CFGS]
    run = run_rtl(CFGS, inputs, patterns=DEFAULT_PATTERNS, seed=3)
    assert run.problems == []
    by_cfg = dict(zip((id(c) for c in CFGS), run.words))

    # sums at both ends of the range, written out by hand
    add = next(c for c in CFGS if isinstance(c, AddStreams) and name(c.idt1) == "INT4")
    assert add.unpack_output(by_cfg[id(add)])[:2].tolist() == [[-16] * 4, [14] * 4]
    wide = next(c for c in CFGS if isinstance(c, AddStreams) and name(c.idt) == "INT8")
    assert wide.unpack_output(by_cfg[id(wide)])[:2].tolist() == [[-128], [127 + 255]]
    gap = next(c for c in CFGS if isinstance(c, GlobalAccPool) and name(c.idt) == "INT4")
    assert gap.unpack_output(by_cfg[id(gap)])[:2].tolist() == [[-32, -32], [28, 28]]
    # ties: the lower index first
    for ls in (c for c in CFGS if isinstance(c, LabelSelect)):
        got = ls.unpack_output(by_cfg[id(ls)]).tolist()
        n = ls.labels
        rest = [i for i in range(n) if i not in (n // 2, n - 1)]
        assert got[0] == list(range(ls.k)), ls.owner
        assert got[1] == ([n // 2, n - 1] + rest)[: ls.k], ls.owner
