"""LabelSelect: top-K indices with FINN's tie rule, config checks, streams, cycle model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from qsim import LabelSelect
from qsim.errors import ConfigError, StreamError

from ._ports import check_cycles, check_stall_free
from ._ref import ref_pack
from .strategies import label_select_configs, patterns, rand_values


def ref_top_k(row: list[int], k: int) -> list[int]:
    """Indices sorted by (value descending, index ascending), first K: ONNX TopK's order."""
    return sorted(range(len(row)), key=lambda i: (-row[i], i))[:k]


def ref_top_k_argsort(x: np.ndarray, k: int) -> np.ndarray:
    """The same with numpy: a stable argsort on the key (-value) keeps lower indices first."""
    return np.argsort(-x, axis=-1, kind="stable")[..., :k]


@given(cfg=label_select_configs(), frames=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_bit_exact_against_references(cfg: LabelSelect, frames: int, seed: int) -> None:
    x = rand_values(np.random.default_rng(seed), cfg.idt, (frames, cfg.labels))
    y = cfg(x)
    assert y.dtype == np.int64 and y.shape == (frames, cfg.k)
    assert y.tolist() == [ref_top_k(r, cfg.k) for r in x.tolist()]
    assert np.array_equal(y, ref_top_k_argsort(x, cfg.k))
    assert np.array_equal(cfg.unpack_output(cfg.pack_output(y)), y)
    assert np.array_equal(cfg.unpack_input(cfg.pack_input(x)), x)


def test_ties_lower_index_first() -> None:
    cfg = LabelSelect(labels=6, k=4, pe=3, idt="INT4")
    assert cfg(np.array([2, 7, 2, 7, -8, 2])).tolist() == [1, 3, 0, 2]
    # all equal (the input type's minimum): 0, 1, ... (ONNX TopK; not finn-hlslib's [0, 0, ..])
    assert cfg(np.full(6, -8)).tolist() == [0, 1, 2, 3]
    bip = LabelSelect(labels=4, k=4, idt="BIPOLAR")
    assert bip(np.array([-1, 1, -1, 1])).tolist() == [1, 3, 0, 2]
    lo, hi = -2**63, 2**63 - 1  # the ends of INT64 (no overflow in the sort key)
    wide = LabelSelect(labels=4, k=4, idt="INT64")
    assert wide(np.array([lo, hi, lo, 0], dtype=np.int64)).tolist() == [1, 3, 0, 2]


def test_stream_words() -> None:
    cfg = LabelSelect(labels=4, k=3, pe=2, idt="INT4")
    assert cfg.odt == DataType["UINT2"] and cfg.out_stream.lanes == 1
    x = np.array([3, -1, 5, 3])
    assert cfg.pack_input(x) == [ref_pack([3, -1], 4), ref_pack([5, 3], 4)] == [0xF3, 0x35]
    y = cfg(x)
    assert y.tolist() == [2, 0, 3]
    assert cfg.pack_output(y) == [2, 0, 3]  # one index per word
    wide = LabelSelect(labels=10, idt="UINT8", odt="UINT8")
    assert wide.out_stream.word_bits == 8 and wide.out_words == 1


@pytest.mark.parametrize("labels, odt", [(1, "UINT2"), (4, "UINT2"), (5, "UINT3"),
                                         (256, "UINT8"), (257, "UINT9")])
def test_default_odt_is_the_narrowest(labels: int, odt: str) -> None:
    assert LabelSelect(labels=labels, idt="INT2").odt == DataType[odt]


@pytest.mark.parametrize("kw, match", [
    (dict(k=7), r"k=7 exceeds labels=6"),
    (dict(k=0), r"k=0 must be a positive int"),
    (dict(labels=0), r"labels=0 must be a positive int"),
    (dict(pe=4), r"folding rule Labels % PE == 0 violated: Labels=6, PE=4"),
    (dict(odt="UINT2"), r"odt='UINT2' cannot hold the indices 0..5"),
    (dict(odt="INT3"), r"odt='INT3' cannot hold the indices 0..5"),
    (dict(odt="BIPOLAR", labels=2, pe=1), r"odt='BIPOLAR' cannot hold the indices 0..1"),
    (dict(idt="FLOAT32"), r"idt='FLOAT32' is not an integer type"),
])
def test_config_errors(kw: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = dict(labels=6, k=2, pe=2, idt="INT4", name="top")
    with pytest.raises(ConfigError, match=r"^LabelSelect 'top': " + match):
        LabelSelect(**{**base, **kw})


def test_input_errors() -> None:
    cfg = LabelSelect(labels=3, idt="UINT2")
    with pytest.raises(StreamError, match=r"LabelSelect\(labels=3\): input shape \(4,\) does "
                                          r"not end in the frame shape \(3,\)"):
        cfg(np.zeros(4, int))
    with pytest.raises(StreamError, match=r"value 9 at index \(2,\) is outside UINT2"):
        cfg(np.array([0, 1, 9]))


def test_to_dict_round_trip() -> None:
    cfg = LabelSelect(labels=10, k=3, pe=5, idt="INT8", name="LabelSelect_0")
    d = cfg.to_dict()
    assert d == {"labels": 10, "k": 3, "pe": 5, "idt": "INT8", "odt": "UINT4",
                 "name": "LabelSelect_0"}
    assert LabelSelect.from_dict(d).to_dict() == d


def test_known_waveform() -> None:
    """The docstring / docs/timing.md waveform: NF = 2, K = 2."""
    cfg = LabelSelect(labels=4, k=2, pe=2, idt="INT4")
    tr = cfg.cycles(3)
    assert tr.accept.tolist() == [0, 1, 2, 3, 6, 7]
    assert tr.step.tolist()[:8] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert tr.transfer.tolist() == [4, 5, 8, 9, 12, 13]
    assert cfg.schedule.need.tolist() == [0, 1, -1, -1]
    assert cfg.schedule.frees.tolist() == [1, 1, 0, 0]


@given(cfg=label_select_configs(), frames=st.integers(1, 3), data=st.data())
@settings(max_examples=60)
def test_cycles_equal_register_level_reference(cfg: LabelSelect, frames: int, data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, 300))
    check_cycles(cfg, frames, offer, ready)


@given(cfg=label_select_configs(), frames=st.integers(1, 4))
def test_stall_free_equals_simulation(cfg: LabelSelect, frames: int) -> None:
    check_stall_free(cfg, frames)
    assert cfg.stall_free().period == cfg.nf + cfg.k
