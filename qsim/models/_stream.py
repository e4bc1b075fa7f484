"""Stream words: the one place where a word's lane layout is declared.

A word carries ``lanes`` elements of ``dtype``; element 0 sits in the least significant bits,
lane i in bits ``[(i+1)*w-1 : i*w]`` (DESIGN.md section 3). Words are Python ints of any width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qsim.errors import StreamError
from qsim.models._dtypes import DType, IntArray, as_int_array, check_range, from_bits, name, to_bits

__all__ = ["StreamFormat"]

_U64 = 64


@dataclass(frozen=True)
class StreamFormat:
    """Lane layout of one stream: ``lanes`` elements of ``dtype`` per word.

    Parameters
    ----------
    dtype
        Element datatype (qonnx DataType).
    lanes
        Elements per word (the block's SIMD or PE).
    owner
        Block instance and port, used in error messages (e.g. ``"MVTU(mw=16, mh=8) input"``).
    """

    dtype: DType
    lanes: int
    owner: str = "stream"

    @property
    def elem_bits(self) -> int:
        """Bits per element on the wire."""
        return int(self.dtype.bitwidth())

    @property
    def word_bits(self) -> int:
        """Bits per word: lanes * element bits."""
        return self.lanes * self.elem_bits

    @property
    def axis_bits(self) -> int:
        """AXI-Stream TDATA width: word bits padded with zeros to a multiple of 8."""
        return (self.word_bits + 7) // 8 * 8

    def pack(self, x: object) -> list[int]:
        """Pack ``x`` of shape (..., lanes) into words, row-major over the leading dimensions.

        Raises StreamError for a wrong innermost dimension or a value outside ``dtype``.
        """
        arr = as_int_array(x, f"{self.owner}")
        if arr.ndim == 0 or arr.shape[-1] != self.lanes:
            raise StreamError(f"{self.owner}: innermost dimension of shape {arr.shape!r} must be "
                              f"the {self.lanes} lanes of a word")
        check_range(arr, self.dtype, self.owner)
        bits = to_bits(arr.reshape(-1, self.lanes), self.dtype)  # (words, lanes)
        w = self.elem_bits
        per_group = max(1, _U64 // w)  # lanes that fit one uint64
        words: np.ndarray | None = None
        for g0 in range(0, self.lanes, per_group):
            grp = bits[:, g0:g0 + per_group]
            shifts = (np.arange(grp.shape[1], dtype=np.uint64) * np.uint64(w))
            part = np.bitwise_or.reduce(grp << shifts, axis=1)  # (words, group) -> (words,)
            if g0 == 0:
                words = part.astype(object)
            else:
                assert words is not None
                words = words | (part.astype(object) << (g0 * w))
        assert words is not None
        return [int(v) for v in words]

    def unpack(self, words: Sequence[int]) -> IntArray:
        """Unpack words into an array of shape (len(words), lanes).

        Raises StreamError naming the first word that does not fit ``word_bits``.
        """
        objs = np.array([int(v) for v in words], dtype=object)
        if objs.size and (min(objs) < 0 or max(objs) >> self.word_bits):
            idx = next(i for i, v in enumerate(objs) if v < 0 or v >> self.word_bits)
            raise StreamError(f"{self.owner}: word {idx} = {int(objs[idx]):#x} does not fit "
                              f"{self.word_bits} bits ({self.lanes} x {name(self.dtype)})")
        w = self.elem_bits
        if self.word_bits <= _U64:  # fast path: (words,) uint64 -> (words, lanes) by shifts
            u = np.array(objs.tolist(), dtype=np.uint64).reshape(-1, 1)
            shifts = np.arange(self.lanes, dtype=np.uint64) * np.uint64(w)
            lanes = (u >> shifts) & np.uint64((1 << w) - 1)
            return from_bits(lanes, self.dtype)
        mask = (1 << w) - 1
        out = np.empty((objs.size, self.lanes), dtype=np.uint64)
        for lane in range(self.lanes):
            out[:, lane] = np.array((objs >> (lane * w)) & mask, dtype=np.uint64) if objs.size \
                else np.empty(0, dtype=np.uint64)
        return from_bits(out, self.dtype)
