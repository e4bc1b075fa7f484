"""AddStreams: exact sums (both ends of the output range), config checks, two-port streams,
cycle model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from qsim import AddStreams
from qsim.errors import ConfigError, StreamError

from ._ports import check_cycles, check_stall_free
from ._ref import ref_pack
from .strategies import add_streams_configs, patterns, rand_inputs


def ref_add(a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    """Element by element in Python integers (frames, C)."""
    return [[int(u) + int(v) for u, v in zip(ra, rb)] for ra, rb in zip(a.tolist(), b.tolist())]


@given(cfg=add_streams_configs(), frames=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_bit_exact_against_loops(cfg: AddStreams, frames: int, seed: int) -> None:
    a, b = rand_inputs(cfg, np.random.default_rng(seed), frames)
    y = cfg(a, b)
    assert y.dtype == np.int64 and y.shape == (frames, cfg.channels)
    assert y.tolist() == ref_add(a, b)
    assert np.array_equal(cfg.unpack_output(cfg.pack_output(y)), y)  # fits odt


@pytest.mark.parametrize("idt, idt1, odt, lo, hi", [
    ("INT4", "INT4", "INT5", -16, 14),
    ("UINT8", "UINT8", "UINT9", 0, 510),
    ("INT8", "UINT3", "INT9", -128, 134),
    ("BIPOLAR", "BIPOLAR", "INT3", -2, 2),
    ("BIPOLAR", "BINARY", "INT3", -1, 2),
    ("BINARY", "BINARY", "UINT2", 0, 2),
    ("INT32", "INT32", "INT33", -2**32, 2**32 - 2),
])
def test_both_ends_of_the_output_range(idt: str, idt1: str, odt: str, lo: int, hi: int) -> None:
    """All-min and all-max inputs reach the ends of the exact sum range, in the narrowest type."""
    cfg = AddStreams(channels=4, pe=2, idt=idt, idt1=idt1)
    assert cfg.odt == DataType[odt] and cfg.sum_range == (lo, hi)
    t0, t1 = DataType[idt], DataType[idt1]
    low = cfg(np.full(4, int(t0.min())), np.full(4, int(t1.min())))
    high = cfg(np.full(4, int(t0.max())), np.full(4, int(t1.max())))
    assert low.tolist() == [lo] * 4 and high.tolist() == [hi] * 4
    assert int(cfg.odt.min()) <= lo and hi <= int(cfg.odt.max())
    bits = cfg.odt.bitwidth()
    if bits > 2:  # one bit less cannot hold the range: the default is the narrowest
        narrower = DataType[f"{'INT' if cfg.odt.signed() else 'UINT'}{bits - 1}"]
        assert int(narrower.min()) > lo or hi > int(narrower.max())
    # the ends survive the output stream (two's complement in odt bits) bit-exactly
    assert cfg.unpack_output(cfg.pack_output(low)).tolist() == [[lo] * 4]
    assert cfg.unpack_output(cfg.pack_output(high)).tolist() == [[hi] * 4]


def test_two_ports_pack_with_their_own_types() -> None:
    cfg = AddStreams(channels=2, pe=2, idt="INT4", idt1="UINT2")
    assert cfg.in_ports == 2 and cfg.out_ports == 1
    assert cfg.in_stream_of(0).word_bits == 8 and cfg.in_stream_of(1).word_bits == 4
    assert cfg.pack_input(np.array([-1, 2]), port=0) == [ref_pack([-1, 2], 4)] == [0x2F]
    assert cfg.pack_input(np.array([3, 1]), port=1) == [ref_pack([3, 1], 2)] == [0b0111]
    assert cfg.unpack_input([0b0111], port=1).tolist() == [[3, 1]]
    y = cfg(np.array([-1, 2]), np.array([3, 1]))
    assert y.tolist() == [2, 3]
    assert cfg.pack_output(y) == [ref_pack([2, 3], cfg.odt.bitwidth())]


@pytest.mark.parametrize("kw, match", [
    (dict(odt="INT4"), r"odt='INT4' cannot hold the exact sum range of idt='INT4' \+ "
                       r"idt1='INT4' \[-16, 14\]"),
    (dict(odt="UINT8"), r"odt='UINT8' cannot hold the exact sum range .* \[-16, 14\]"),
    (dict(idt="BINARY", idt1="BINARY", odt="BIPOLAR"), r"odt='BIPOLAR' cannot hold .*\[0, 2\]"),
    (dict(channels=6, pe=4), r"folding rule C % PE == 0 violated: C=6, PE=4"),
    (dict(pe=0), r"pe=0 must be a positive int"),
    (dict(channels=-2), r"channels=-2 must be a positive int"),
    (dict(idt1="FLOAT32"), r"idt1='FLOAT32' is not an integer type"),
    (dict(idt=3), r"idt=3 must be a DataType or its name"),
    (dict(idt="INT64"), r"the exact sum range of idt='INT64' \+ idt1='INT64' "
                        r"\[-18446744073709551616, 18446744073709551614\] does not fit 64-bit"),
])
def test_config_errors(kw: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = dict(channels=4, pe=2, idt="INT4", name="add0")
    with pytest.raises(ConfigError, match=r"^AddStreams 'add0': " + match):
        AddStreams(**{**base, **kw})


def test_input_errors() -> None:
    cfg = AddStreams(channels=2, idt="INT4", idt1="UINT2", name="add")
    with pytest.raises(StreamError, match=r"AddStreams 'add': takes 2 input tensor\(s\), one per "
                                          r"input port, got 1"):
        cfg(np.zeros(2, int))
    with pytest.raises(StreamError, match=r"input port 1: value 4 at index \(0,\) is outside "
                                          r"UINT2"):
        cfg(np.zeros(2, int), np.array([4, 0]))
    with pytest.raises(StreamError, match=r"input port 1 has shape \(3, 2\); port 0 has leading "
                                          r"dimensions \(2,\)"):
        cfg(np.zeros((2, 2), int), np.zeros((3, 2), int))
    with pytest.raises(StreamError, match=r"input port 1 shape \(3,\) does not end in the frame "
                                          r"shape \(2,\)"):
        cfg(np.zeros(2, int), np.zeros(3, int))
    with pytest.raises(ConfigError, match=r"input port 2 does not exist"):
        cfg.pack_input(np.zeros(2, int), port=2)


def test_batch_dimensions_and_run_dtype() -> None:
    cfg = AddStreams(channels=3, idt="INT8")
    a = np.full((2, 4, 3), -128)
    y = cfg.run(a, a)
    assert y.shape == (2, 4, 3) and int(y.min()) == -256  # no wrap in the compact dtype


def test_to_dict_round_trip() -> None:
    cfg = AddStreams(channels=4, pe=4, idt="INT3", name="res")
    d = cfg.to_dict()
    assert d == {"channels": 4, "pe": 4, "idt": "INT3", "idt1": "INT3", "odt": "INT4",
                 "name": "res"}
    assert AddStreams.from_dict(d).to_dict() == d


def test_known_waveform() -> None:
    """docs/timing.md: port 1 offered one cycle late; the step waits for the later accept.
    (Both ports see the same pattern in the model; the reference runs them separately.)"""
    from ._ports import reference_ports

    cfg = AddStreams(channels=4, idt="INT2")
    acc, xfr = reference_ports(cfg, 1, [[0, 1, 2, 3], [1, 2, 3, 4]], [[]])
    # port 0's 2-word buffer is full until step 0 frees a slot (cycle 2): a2 enters at 3
    assert acc == [[0, 1, 3, 4], [1, 2, 3, 4]] and xfr == [[3, 4, 5, 6]]
    assert cfg.cycles(1, offer=[1, 2, 3, 4]).transfer.tolist() == [3, 4, 5, 6]


@given(cfg=add_streams_configs(), frames=st.integers(1, 3), data=st.data())
@settings(max_examples=60)
def test_cycles_equal_register_level_reference(cfg: AddStreams, frames: int, data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, 300))
    check_cycles(cfg, frames, offer, ready)


@given(cfg=add_streams_configs(), frames=st.integers(1, 4))
def test_stall_free_equals_simulation(cfg: AddStreams, frames: int) -> None:
    check_stall_free(cfg, frames)
    assert cfg.stall_free().period == cfg.in_words
