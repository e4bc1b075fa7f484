"""Stream packing for the DMA buffers, numpy only (runs on the board).

Byte-identical to qsim's stream packing (qsim.models._stream, qsim.board.stream): a word
carries ``lanes`` elements of the datatype, element 0 in the least significant bits (lane i
in bits [(i+1)*w-1 : i*w]); BIPOLAR -1/+1 is the bit 0/1, INTn is two's complement in n bits,
UINTn/BINARY plain binary. Words are row-major over the leading dimensions, each padded with
zero bits to ``word_bytes`` bytes, little endian.
"""

from __future__ import annotations

import numpy as np


def bitwidth(dtype: str) -> int:
    """Bits of one element of ``dtype`` (BIPOLAR, BINARY, INTn, UINTn)."""
    if dtype in ("BIPOLAR", "BINARY"):
        return 1
    for prefix in ("UINT", "INT"):
        if dtype.startswith(prefix) and dtype[len(prefix):].isdigit():
            return int(dtype[len(prefix):])
    raise ValueError(f"unknown datatype {dtype!r}")


def value_range(dtype: str) -> tuple[int, int]:
    """Smallest and largest value of ``dtype``."""
    w = bitwidth(dtype)
    if dtype == "BIPOLAR":
        return -1, 1
    if dtype.startswith("INT"):
        return -(1 << (w - 1)), (1 << (w - 1)) - 1
    return 0, (1 << w) - 1


def pack(x: np.ndarray, dtype: str, lanes: int, word_bytes: int) -> np.ndarray:
    """(..., lanes)-divisible integers -> uint8 buffer of (size / lanes) words."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"pack: integers expected, got {arr.dtype}")
    arr = arr.astype(np.int64).reshape(-1)
    if arr.size % lanes:
        raise ValueError(f"pack: {arr.size} elements are not whole words of {lanes} lanes")
    lo, hi = value_range(dtype)
    bad = np.flatnonzero((arr < lo) | (arr > hi) | ((arr == 0) & (dtype == "BIPOLAR")))
    if bad.size:
        raise ValueError(f"pack: element {int(bad[0])} = {int(arr[bad[0]])} is not a "
                         f"{dtype} value")
    w = bitwidth(dtype)
    if dtype == "BIPOLAR":
        arr = (arr + 1) // 2
    bits_u = arr.astype(np.uint64) & np.uint64((1 << w) - 1)  # two's complement in w bits
    words = bits_u.reshape(-1, lanes)  # (words, lanes)
    # (words, lanes, w) bits, lane-major then bit order LSB first: element 0 lowest
    bits = (words[:, :, None] >> np.arange(w, dtype=np.uint64)) & np.uint64(1)
    flat = bits.reshape(words.shape[0], lanes * w).astype(np.uint8)
    if lanes * w > word_bytes * 8:
        raise ValueError(f"pack: {lanes} x {dtype} does not fit {word_bytes} bytes")
    padded = np.zeros((words.shape[0], word_bytes * 8), dtype=np.uint8)
    padded[:, :lanes * w] = flat
    return np.packbits(padded, axis=1, bitorder="little").reshape(-1)


def unpack(raw: np.ndarray, dtype: str, lanes: int, word_bytes: int) -> np.ndarray:
    """uint8 buffer of whole words -> int64 elements (words * lanes,)."""
    buf = np.asarray(raw, dtype=np.uint8).reshape(-1)
    if buf.size % word_bytes:
        raise ValueError(f"unpack: {buf.size} bytes are not whole {word_bytes}-byte words")
    w = bitwidth(dtype)
    bits = np.unpackbits(buf.reshape(-1, word_bytes), axis=1, bitorder="little")
    lane_bits = bits[:, :lanes * w].reshape(-1, lanes, w).astype(np.int64)
    vals = (lane_bits << np.arange(w, dtype=np.int64)).sum(axis=2).reshape(-1)
    if dtype == "BIPOLAR":
        return 2 * vals - 1
    if dtype.startswith("INT"):
        return np.where(vals >= (1 << (w - 1)), vals - (1 << w), vals)
    return vals
