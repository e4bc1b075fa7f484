"""GlobalAccPool: exact channel sums (both ends of the output range), config checks, streams,
cycle model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from qsim import GlobalAccPool
from qsim.errors import ConfigError, StreamError

from ._ports import check_cycles, check_stall_free
from ._ref import ref_pack
from .strategies import global_acc_pool_configs, patterns, rand_values


def ref_global_acc(img: list) -> list[int]:
    """img[y][x][c] -> [sum over y, x] per channel, in Python integers."""
    c = len(img[0][0])
    out = [0] * c
    for row in img:
        for px in row:
            for ch in range(c):
                out[ch] += px[ch]
    return out


@given(cfg=global_acc_pool_configs(), frames=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_bit_exact_against_loops(cfg: GlobalAccPool, frames: int, seed: int) -> None:
    x = rand_values(np.random.default_rng(seed), cfg.idt, (frames, *cfg.in_frame_shape))
    y = cfg(x)
    assert y.dtype == np.int64 and y.shape == (frames, cfg.channels)
    assert y.tolist() == [ref_global_acc(img) for img in x.tolist()]
    assert np.array_equal(cfg.unpack_output(cfg.pack_output(y)), y)
    assert np.array_equal(cfg.unpack_input(cfg.pack_input(x)), x)


@pytest.mark.parametrize("dim, idt, odt, lo, hi", [
    (3, "INT4", "INT8", -72, 63),
    ((2, 5), "UINT8", "UINT12", 0, 2550),
    (4, "BIPOLAR", "INT6", -16, 16),
    ((1, 3), "BINARY", "UINT2", 0, 3),
    (1, "INT2", "INT2", -2, 1),
    (8, "INT16", "INT22", -2**21, 64 * (2**15 - 1)),
])
def test_both_ends_of_the_output_range(dim: Any, idt: str, odt: str, lo: int, hi: int) -> None:
    """All-min and all-max images reach the ends of [H*W*min, H*W*max] in the narrowest type."""
    cfg = GlobalAccPool(ifm_dim=dim, channels=4, pe=2, idt=idt)
    assert cfg.odt == DataType[odt] and cfg.sum_range == (lo, hi)
    dt = DataType[idt]
    low = cfg(np.full(cfg.in_frame_shape, int(dt.min())))
    high = cfg(np.full(cfg.in_frame_shape, int(dt.max())))
    assert low.tolist() == [lo] * 4 and high.tolist() == [hi] * 4
    bits = cfg.odt.bitwidth()
    if bits > 2:  # one bit less cannot hold the range
        narrower = DataType[f"{'INT' if cfg.odt.signed() else 'UINT'}{bits - 1}"]
        assert int(narrower.min()) > lo or hi > int(narrower.max())
    assert cfg.unpack_output(cfg.pack_output(low)).tolist() == [[lo] * 4]
    assert cfg.unpack_output(cfg.pack_output(high)).tolist() == [[hi] * 4]


def test_element_zero_in_the_lsbs() -> None:
    cfg = GlobalAccPool(ifm_dim=(1, 2), channels=2, pe=2, idt="INT3")
    x = np.array([[[1, -4], [2, -3]]])
    assert cfg.pack_input(x) == [ref_pack([1, -4], 3), ref_pack([2, -3], 3)]
    y = cfg(x)
    assert y.tolist() == [3, -7] and cfg.odt == DataType["INT4"]
    assert cfg.pack_output(y) == [ref_pack([3, -7], 4)] == [0x93]


@pytest.mark.parametrize("kw, match", [
    (dict(odt="INT7"), r"odt='INT7' cannot hold the exact sum range of 9 values of "
                       r"idt='INT4' \[-72, 63\]"),
    (dict(odt="UINT16"), r"odt='UINT16' cannot hold .* \[-72, 63\]"),
    (dict(channels=6, pe=4), r"folding rule C % PE == 0 violated: C=6, PE=4"),
    (dict(pe=0), r"pe=0 must be a positive int"),
    (dict(ifm_dim=(3, 0)), r"ifm_dim=\(3, 0\) must be positive"),
    (dict(idt="FLOAT32"), r"idt='FLOAT32' is not an integer type"),
    (dict(idt="INT32", ifm_dim=2**17), r"^GlobalAccPool 'gap': the exact sum range of 17179869184 "
                                       r"values of idt='INT32' \[-36893488147419103232, "
                                       r"36893488130239234048\] does not fit 64-bit integers"),
])
def test_config_errors(kw: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = dict(ifm_dim=3, channels=4, pe=2, idt="INT4", name="gap")
    with pytest.raises(ConfigError, match=match):
        GlobalAccPool(**{**base, **kw})


def test_input_errors() -> None:
    cfg = GlobalAccPool(ifm_dim=2, channels=1, idt="UINT2", name="gap")
    with pytest.raises(StreamError, match=r"GlobalAccPool 'gap': input shape \(2, 2\) does not "
                                          r"end in the frame shape \(2, 2, 1\)"):
        cfg(np.zeros((2, 2)))
    with pytest.raises(StreamError, match=r"3 input words is not a whole number of frames "
                                          r"\(4 words per frame\)"):
        cfg.unpack_input([0, 0, 0])


def test_to_dict_round_trip() -> None:
    cfg = GlobalAccPool(ifm_dim=(2, 3), channels=4, pe=2, idt="UINT4", odt="INT16", name="g")
    d = cfg.to_dict()
    assert d == {"ifm_dim": [2, 3], "channels": 4, "pe": 2, "idt": "UINT4", "odt": "INT16",
                 "name": "g"}
    assert GlobalAccPool.from_dict(d).to_dict() == d


def test_known_waveform() -> None:
    """The docstring / docs/timing.md waveform: 2 pixels x 2 folds, outputs at the last pixel."""
    cfg = GlobalAccPool(ifm_dim=(1, 2), channels=2, pe=1, idt="INT2")
    tr = cfg.cycles(2)
    assert tr.accept.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert tr.transfer.tolist() == [4, 5, 8, 9]
    assert cfg.schedule.produces.tolist() == [False, False, True, True]


@given(cfg=global_acc_pool_configs(), frames=st.integers(1, 3), data=st.data())
@settings(max_examples=60)
def test_cycles_equal_register_level_reference(cfg: GlobalAccPool, frames: int,
                                               data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, 300))
    check_cycles(cfg, frames, offer, ready)


@given(cfg=global_acc_pool_configs(), frames=st.integers(1, 4))
def test_stall_free_equals_simulation(cfg: GlobalAccPool, frames: int) -> None:
    check_stall_free(cfg, frames)
    assert cfg.stall_free().period == cfg.in_words
