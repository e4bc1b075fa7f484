"""FMPadding: bit-exact against numpy.pad, config checks, stream packing, cycle model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsim import FMPadding
from qsim.errors import ConfigError, StreamError

from ._ports import check_cycles, check_stall_free
from ._ref import ref_pack
from .strategies import fmpadding_configs, patterns, rand_values


def ref_fmpadding(x: np.ndarray, pad: tuple[int, int, int, int]) -> np.ndarray:
    top, left, bottom, right = pad
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=0)


@given(cfg=fmpadding_configs(), frames=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_bit_exact_against_numpy_pad(cfg: FMPadding, frames: int, seed: int) -> None:
    x = rand_values(np.random.default_rng(seed), cfg.idt, (frames, *cfg.in_frame_shape))
    y = cfg(x)
    assert y.dtype == np.int64 and y.shape == (frames, *cfg.out_frame_shape)
    assert np.array_equal(y, ref_fmpadding(x, cfg.padding))
    assert cfg.out_words == cfg.schedule.steps and cfg.in_words == cfg.schedule.n_in


def test_asymmetric_padding_by_hand() -> None:
    cfg = FMPadding(ifm_dim=(1, 2), channels=1, padding=(1, 0, 0, 2), idt="INT3")
    y = cfg(np.array([[[-4], [3]]]))
    assert y[..., 0].tolist() == [[0, 0, 0, 0], [-4, 3, 0, 0]]
    assert cfg.ofm_dim == (2, 4) and cfg.odt == cfg.idt


@given(cfg=fmpadding_configs(), seed=st.integers(0, 2**32 - 1))
def test_stream_round_trips(cfg: FMPadding, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rand_values(rng, cfg.idt, (2, *cfg.in_frame_shape))
    words = cfg.pack_input(x)
    assert len(words) == 2 * cfg.in_words
    assert np.array_equal(cfg.unpack_input(words), x)
    y = cfg(x)
    assert np.array_equal(cfg.unpack_output(cfg.pack_output(y)), y)


def test_element_zero_in_the_lsbs() -> None:
    cfg = FMPadding(ifm_dim=1, channels=4, padding=(0, 1, 0, 0), simd=2, idt="INT4")
    x = np.array([[[1, -2, 3, -4]]])
    assert cfg.pack_input(x) == [ref_pack([1, -2], 4), ref_pack([3, -4], 4)]
    # output raster order: the padding pixel (two zero words), then the input pixel
    assert cfg.pack_output(cfg(x)) == [0, 0, ref_pack([1, -2], 4), ref_pack([3, -4], 4)]


@pytest.mark.parametrize("kw, match", [
    (dict(padding=-1), r"padding=-1 must be >= 0 on every side"),
    (dict(padding=(1, 0, -2, 0)), r"padding=\(1, 0, -2, 0\) must be >= 0"),
    (dict(padding=(1, 1)), r"padding=\(1, 1\) must be an int or a \(top, left, bottom, right\)"),
    (dict(padding=True), r"padding=True must be an int"),
    (dict(padding=1.0), r"padding=1.0 must be an int"),
    (dict(channels=6, simd=4), r"folding rule C % SIMD == 0 violated: C=6, SIMD=4"),
    (dict(simd=0), r"simd=0 must be a positive int"),
    (dict(channels=0), r"channels=0 must be a positive int"),
    (dict(ifm_dim=0), r"ifm_dim=0 must be positive"),
    (dict(ifm_dim=(2, 2, 2)), r"ifm_dim=\(2, 2, 2\) must be an int or an \(h, w\) pair"),
    (dict(idt="BIPOLAR"), r"idt='BIPOLAR' cannot represent the padding value 0"),
    (dict(idt="FLOAT32"), r"idt='FLOAT32' is not an integer type"),
    (dict(idt="NOPE"), r"idt='NOPE' is not a qonnx DataType name"),
])
def test_config_errors(kw: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = dict(ifm_dim=3, channels=4, padding=1, simd=2, idt="INT4",
                                name="pad0")
    with pytest.raises(ConfigError, match=match):
        FMPadding(**{**base, **kw})
    if "name" not in kw:  # every message names the instance
        with pytest.raises(ConfigError, match=r"^FMPadding 'pad0': "):
            FMPadding(**{**base, **kw})


def test_input_errors() -> None:
    cfg = FMPadding(ifm_dim=2, channels=2, idt="UINT2", name="p")
    with pytest.raises(StreamError, match=r"FMPadding 'p': input shape \(2, 2\) does not end"):
        cfg(np.zeros((2, 2)))
    with pytest.raises(StreamError, match=r"value 4 at index \(0, 0, 1, 1\) is outside UINT2"):
        cfg(np.array([[[[0, 0], [0, 4]], [[0, 0], [0, 0]]]]))
    with pytest.raises(StreamError, match=r"takes 1 input tensor\(s\), one per input port, got 2"):
        cfg(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ConfigError, match=r"input port 1 does not exist \(the block has input "
                                          r"ports 0..0\)"):
        cfg.in_stream_of(1)


def test_to_dict_round_trip() -> None:
    cfg = FMPadding(ifm_dim=(3, 2), channels=4, padding=(0, 1, 2, 3), simd=2, idt="UINT3",
                    name="pad")
    d = cfg.to_dict()
    assert d == {"ifm_dim": [3, 2], "channels": 4, "padding": [0, 1, 2, 3], "simd": 2,
                 "idt": "UINT3", "name": "pad"}
    again = FMPadding.from_dict(d)
    assert again.to_dict() == d and again.padding == (0, 1, 2, 3)


def test_schedule_reads_only_at_interior_pixels() -> None:
    cfg = FMPadding(ifm_dim=(1, 2), channels=2, padding=(0, 1, 1, 0), simd=1, idt="INT2")
    s = cfg.schedule  # output (2, 3) pixels x 2 folds; interior: (0, 1), (0, 2)
    assert s.need.tolist() == [-1, -1, 0, 1, 2, 3, -1, -1, -1, -1, -1, -1]
    assert s.frees.tolist() == [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert s.produces.all() and s.capacity == 2


def test_known_waveform() -> None:
    """The docstring / docs/timing.md waveform as numbers."""
    cfg = FMPadding(ifm_dim=1, channels=1, padding=(0, 1, 0, 1), idt="INT2")
    tr = cfg.cycles(2)
    assert tr.accept.tolist() == [0, 1]
    assert tr.step.tolist() == [0, 1, 2, 3, 4, 5]
    assert tr.transfer.tolist() == [1, 2, 3, 4, 5, 6]
    assert cfg.cycles(4).accept.tolist() == [0, 1, 2, 5]
    nopad = FMPadding(ifm_dim=1, channels=2, padding=0, idt="INT2")
    assert nopad.cycles(1).transfer.tolist() == [2, 3] and nopad.stall_free().latency == 2


@given(cfg=fmpadding_configs(), frames=st.integers(1, 3), data=st.data())
@settings(max_examples=60)
def test_cycles_equal_register_level_reference(cfg: FMPadding, frames: int, data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, 300))
    check_cycles(cfg, frames, offer, ready)


@given(cfg=fmpadding_configs(), frames=st.integers(1, 4))
@settings(max_examples=60)
def test_stall_free_equals_simulation(cfg: FMPadding, frames: int) -> None:
    check_stall_free(cfg, frames)
    assert cfg.stall_free().period == cfg.out_words  # one output word per cycle
