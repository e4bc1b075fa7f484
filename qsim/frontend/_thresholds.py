"""Exact integer thresholds for a monotone activation of an integer tensor.

An activation after an integer layer computes, per channel c, ``count_c(b)`` = the number of
output levels reached by the integer ``b`` (the accumulator or the previous layer's output).
For a non-decreasing count the hardware form is ``count_c(b) = #{k : b >= T[c, k]}`` with

    T[c, k] = min { b integer : reach(b, c, k) }      (reach: "level k+1 is reached at b")

i.e. the ceiling of the real-valued boundary on the integer scale. ``T`` is found by a
vectorised binary search over ``[lo_c, hi_c + 1]``; ``hi_c + 1`` means "never reached" and
``lo_c`` "always reached" within the value range ``[lo_c, hi_c]`` the integer can take.
The activation itself is evaluated in float64 exactly as the source op defines it (QONNX
``Quant`` clip-then-round, ``BipolarQuant`` ``x >= 0``, ``MultiThreshold`` ``x >= t``), so
rounding ties and clipping follow the source op.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["search_thresholds"]

IntArray = npt.NDArray[np.int64]
Reach = Callable[[IntArray], npt.NDArray[np.bool_]]


def search_thresholds(reach: Reach, lo: IntArray, hi: IntArray, steps: int) -> IntArray:
    """Thresholds (C, S): the smallest b in [lo_c, hi_c + 1] with ``reach(b)[c, k]``.

    ``reach`` takes candidates of shape (C, S) and returns bools of shape (C, S); it must be
    non-decreasing in b for every (c, k). ``lo``/``hi``: (C,) value range of the integer input.
    """
    low = np.repeat(lo.astype(np.int64)[:, None], steps, axis=1)  # (C, S)
    high = np.repeat(hi.astype(np.int64)[:, None] + 1, steps, axis=1)
    while True:
        open_ = low < high
        if not np.any(open_):
            return low
        mid = (low + high) // 2  # < high <= hi + 1, so mid <= hi: a valid input value
        ok = reach(np.where(open_, mid, low))
        high = np.where(open_ & ok, mid, high)
        low = np.where(open_ & ~ok, mid + 1, low)
