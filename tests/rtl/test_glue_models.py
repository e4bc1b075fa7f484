"""Cycle models of the glue blocks (Fifo, DataWidthConverter): data transforms, config errors,
and the max-plus recurrences against the independent register-level CycleSim of
tests/models/_ref.py. Pure Python: no simulator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from models._ref import CycleSim
from models.strategies import patterns

from qsim.errors import ConfigError, StreamError
from qsim.pipeline import DataWidthConverter, Fifo

from .configs import glue_configs


def test_dwc_down_splits_lsb_first() -> None:
    dwc = DataWidthConverter(in_width=8, out_width=2)
    assert dwc.transform([0b11_10_01_00, 0xFF]) == [0, 1, 2, 3, 3, 3, 3, 3]


def test_dwc_up_packs_lsb_first() -> None:
    dwc = DataWidthConverter(in_width=3, out_width=9)
    assert dwc.transform([1, 2, 3]) == [1 | 2 << 3 | 3 << 6]


def test_dwc_up_refuses_partial_frame() -> None:
    with pytest.raises(StreamError, match="not a whole number of frames"):
        DataWidthConverter(in_width=2, out_width=4).transform([1])


def test_dwc_refuses_non_integer_ratio() -> None:
    with pytest.raises(ConfigError, match="in_width=4, out_width=6"):
        DataWidthConverter(in_width=4, out_width=6)


def test_fifo_refuses_zero_depth() -> None:
    with pytest.raises(ConfigError, match="depth=0"):
        Fifo(depth=0, width=4)


def test_fifo_stall_free_timing() -> None:
    tr = Fifo(depth=2, width=4).cycles(4)
    assert tr.accept.tolist() == [0, 1, 2, 3]
    assert tr.transfer.tolist() == [2, 3, 4, 5]  # latency 2, II 1


def test_fifo_depth_one_halves_throughput() -> None:
    assert Fifo(depth=1, width=4).cycles(3).accept.tolist() == [0, 2, 4]


def test_dwc_down_timing() -> None:
    tr = DataWidthConverter(in_width=8, out_width=4).cycles(2)
    assert tr.transfer.tolist() == [2, 3, 4, 5]


@given(cfg=glue_configs(), frames=st.integers(1, 4), data=st.data())
@settings(max_examples=100)
def test_glue_recurrences_equal_register_level_simulation(cfg: Any, frames: int,
                                                          data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, 200))
    s = cfg.schedule
    ref = CycleSim(s.need.tolist(), s.produces.tolist(), s.frees.tolist(), s.n_in, s.capacity,
                   frames, offer, ready)
    acc, xfr = ref.run()
    tr = cfg.cycles(frames, offer=offer, ready=ready)
    assert tr.accept.tolist() == acc
    assert tr.transfer.tolist() == xfr
