"""DuplicateStreams: identity on every output port, config checks, per-port streams, cycles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsim import DuplicateStreams
from qsim.errors import ConfigError, StreamError

from ._ports import check_cycles, check_stall_free, reference_ports
from ._ref import ref_pack
from .strategies import duplicate_streams_configs, patterns, rand_values


@given(cfg=duplicate_streams_configs(), frames=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_every_output_is_the_input(cfg: DuplicateStreams, frames: int, seed: int) -> None:
    x = rand_values(np.random.default_rng(seed), cfg.idt, (frames, *cfg.in_frame_shape))
    y = cfg(x)
    assert y.dtype == np.int64 and y.shape == x.shape
    assert np.array_equal(y, x)
    assert cfg.out_ports == cfg.n_outputs and cfg.in_ports == 1
    words = cfg.pack_input(x)
    for q in range(cfg.out_ports):  # every output port carries the input's words
        assert cfg.pack_output(y, port=q) == words
        assert np.array_equal(cfg.unpack_output(words, port=q), x)
    assert np.array_equal(cfg.unpack_input(words), x)


def test_element_zero_in_the_lsbs_on_every_port() -> None:
    cfg = DuplicateStreams(channels=4, pe=2, idt="BIPOLAR", n_outputs=3)
    x = np.array([1, -1, -1, 1])
    want = [ref_pack([1, -1], 1, bipolar=True), ref_pack([-1, 1], 1, bipolar=True)]
    assert want == [0b01, 0b10]
    assert cfg.pack_input(x) == want
    assert [cfg.pack_output(cfg(x), port=q) for q in range(3)] == [want] * 3
    assert cfg.out_stream_of(2).word_bits == 2


@pytest.mark.parametrize("kw, match", [
    (dict(n_outputs=1), r"n_outputs=1 must be an int >= 2"),
    (dict(n_outputs=True), r"n_outputs=True must be an int >= 2"),
    (dict(n_outputs=2.0), r"n_outputs=2.0 must be an int >= 2"),
    (dict(channels=6, pe=4), r"folding rule C % PE == 0 violated: C=6, PE=4"),
    (dict(pe=-1), r"pe=-1 must be a positive int"),
    (dict(channels=0), r"channels=0 must be a positive int"),
    (dict(idt="FLOAT32"), r"idt='FLOAT32' is not an integer type"),
])
def test_config_errors(kw: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = dict(channels=4, pe=2, idt="INT4", name="dup0")
    with pytest.raises(ConfigError, match=r"^DuplicateStreams 'dup0': " + match):
        DuplicateStreams(**{**base, **kw})


def test_port_and_input_errors() -> None:
    cfg = DuplicateStreams(channels=2, idt="UINT2", n_outputs=3)
    with pytest.raises(ConfigError, match=r"output port 3 does not exist \(the block has "
                                          r"output ports 0..2\)"):
        cfg.pack_output(np.zeros(2, int), port=3)
    with pytest.raises(ConfigError, match=r"output port -1 does not exist"):
        cfg.out_stream_of(-1)
    with pytest.raises(StreamError, match=r"value -1 at index \(1,\) is outside UINT2"):
        cfg(np.array([0, -1]))
    with pytest.raises(StreamError, match=r"3 output words is not a whole number of frames"):
        cfg.unpack_output([0, 0, 0], port=1)


def test_to_dict_round_trip() -> None:
    cfg = DuplicateStreams(channels=6, pe=3, idt="INT3", n_outputs=4, name="fork")
    d = cfg.to_dict()
    assert d == {"channels": 6, "pe": 3, "idt": "INT3", "n_outputs": 4, "name": "fork"}
    again = DuplicateStreams.from_dict(d)
    assert again.to_dict() == d and again.out_ports == 4


def test_a_word_leaves_only_when_every_output_takes_it() -> None:
    """Reference semantics the RTL follows: output 1 stalled in cycles 2..9 holds output 0
    too: w0 leaves port 0 at cycle 2, but w1 is written only when port 1's register empties
    (cycle 10), so port 0 sees it at 11."""
    cfg = DuplicateStreams(channels=6, idt="INT2")
    offer = [0] * 6
    stall1 = [True, True] + [False] * 8
    acc, xfr = reference_ports(cfg, 1, [offer], [[], stall1])
    assert xfr[1] == [10, 11, 12, 13, 14, 15]
    assert xfr[0] == [2, 11, 12, 13, 14, 15]
    assert acc[0] == [0, 1, 2, 11, 12, 13]
    # same pattern on both outputs: exactly the model (with one output it is Thresholding's)
    tr = cfg.cycles(1, ready=stall1)
    assert tr.transfer.tolist() == [10, 11, 12, 13, 14, 15]


@given(cfg=duplicate_streams_configs(), frames=st.integers(1, 3), data=st.data())
@settings(max_examples=60)
def test_cycles_equal_register_level_reference(cfg: DuplicateStreams, frames: int,
                                               data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, 300))
    check_cycles(cfg, frames, offer, ready)


@given(cfg=duplicate_streams_configs(), frames=st.integers(1, 4))
def test_stall_free_equals_simulation(cfg: DuplicateStreams, frames: int) -> None:
    check_stall_free(cfg, frames)
    assert cfg.stall_free().period == cfg.in_words
