"""The driver's numpy-only packing is byte-identical to qsim's stream packing, every type."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qsim.board.dma import StreamLayout
from qsim.board.stream import bytes_to_words, words_to_bytes
from qsim.models import StreamFormat

_spec = importlib.util.spec_from_file_location(
    "board_packing", Path(__file__).resolve().parents[2] / "qsim/board/driver/packing.py")
assert _spec is not None and _spec.loader is not None
packing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(packing)

TYPES = ["BIPOLAR", "BINARY"] + [f"INT{n}" for n in range(2, 33)] + \
    [f"UINT{n}" for n in range(2, 33)]


def _values(dtype: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if dtype == "BIPOLAR":
        return rng.choice([-1, 1], size=shape).astype(np.int64)
    lo, hi = packing.value_range(dtype)
    x = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64)
    x.flat[0], x.flat[-1] = lo, hi  # both ends of the range in every case
    return x


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("lanes", [1, 3, 8, 49])
def test_pack_matches_qsim_and_round_trips(dtype: str, lanes: int) -> None:
    rng = np.random.default_rng(lanes * 131 + len(dtype))
    x = _values(dtype, (5, lanes), rng)
    fmt = StreamFormat(dtype=DataType[dtype], lanes=lanes)
    layout = StreamLayout(fmt.word_bits)
    words = fmt.pack(x)
    want = words_to_bytes(words, layout)
    got = packing.pack(x, dtype, lanes, layout.word_bytes)
    assert got.dtype == np.uint8 and got.tobytes() == want
    assert bytes_to_words(want, layout) == words
    back = packing.unpack(got, dtype, lanes, layout.word_bytes).reshape(x.shape)
    assert np.array_equal(back, x)


def test_dma_layout_pads_to_the_dma_width() -> None:
    assert (StreamLayout(24).dma_bits, StreamLayout(24).word_bytes) == (32, 4)
    assert (StreamLayout(3).dma_bits, StreamLayout(3).word_bytes) == (8, 1)
    wide = StreamLayout(392)  # TFC: 49 x INT8
    assert (wide.dma_bits, wide.mem_bits, wide.ratio) == (64, 448, 7)


def test_pack_refuses_values_outside_the_type() -> None:
    with pytest.raises(ValueError, match="element 1 = 8 is not a INT4 value"):
        packing.pack(np.array([0, 8]), "INT4", 2, 1)
    with pytest.raises(ValueError, match="element 0 = 0 is not a BIPOLAR value"):
        packing.pack(np.array([0, 1]), "BIPOLAR", 2, 1)
