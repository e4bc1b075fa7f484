"""Stream packing: element 0 in the LSBs, two's complement, BIPOLAR bit 0 = -1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from qsim.errors import StreamError
from qsim.models import StreamFormat

from ._ref import ref_pack
from .strategies import ALL_TYPES, rand_values


def test_known_word_layout() -> None:
    fmt = StreamFormat(DataType["INT4"], 3)
    # lanes [1, -1, -8] -> 0x1 | 0xF << 4 | 0x8 << 8 = 0x8F1
    assert fmt.pack([[1, -1, -8]]) == [0x8F1]
    assert fmt.word_bits == 12 and fmt.axis_bits == 16
    bip = StreamFormat(DataType["BIPOLAR"], 4)
    assert bip.pack([[-1, 1, 1, -1]]) == [0b0110]


@given(dt=st.sampled_from(ALL_TYPES + ["INT16", "UINT32", "INT32"]), lanes=st.integers(1, 70),
       words=st.integers(0, 5), seed=st.integers(0, 2**32 - 1))
def test_pack_matches_reference_and_round_trips(dt: str, lanes: int, words: int,
                                                seed: int) -> None:
    dtype = DataType[dt]
    fmt = StreamFormat(dtype, lanes)
    x = rand_values(np.random.default_rng(seed), dt, (words, lanes))
    packed = fmt.pack(x)
    expect = [ref_pack(row.tolist(), dtype.bitwidth(), dt == "BIPOLAR") for row in x]
    assert packed == expect
    assert all(0 <= wd < (1 << fmt.word_bits) for wd in packed)
    np.testing.assert_array_equal(fmt.unpack(packed), x.reshape(words, lanes))


def test_pack_refuses_out_of_range_values() -> None:
    fmt = StreamFormat(DataType["INT4"], 2, "blk input")
    with pytest.raises(StreamError, match=r"blk input: value 8 at index \(0, 1\) is outside INT4"):
        fmt.pack([[0, 8]])
    with pytest.raises(StreamError, match=r"value 0 .* outside BIPOLAR \{-1, \+1\}"):
        StreamFormat(DataType["BIPOLAR"], 2).pack([[1, 0]])
    with pytest.raises(StreamError, match="innermost dimension"):
        fmt.pack([[1, 2, 3]])
    with pytest.raises(StreamError, match="not whole numbers"):
        fmt.pack(np.array([[0.5, 1.0]]))


def test_unpack_refuses_wide_words() -> None:
    fmt = StreamFormat(DataType["UINT2"], 2, "blk output")
    with pytest.raises(StreamError, match=r"blk output: word 1 = 0x10 does not fit 4 bits"):
        fmt.unpack([0x3, 0x10])
