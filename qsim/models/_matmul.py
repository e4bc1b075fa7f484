"""Exact integer matrix product with a provably exact BLAS fast path."""

from __future__ import annotations

import numpy as np

from qsim.models._dtypes import IntArray

__all__ = ["exact_matmul", "product_bound"]

_F32_EXACT = 2**24  # every integer of magnitude <= 2**24 is a float32
_F64_EXACT = 2**53


def product_bound(a: IntArray, b: IntArray) -> int:
    """Upper bound on |partial sum| of a @ b: inner * max|a| * max|b| (Python int, no overflow)."""
    if a.size == 0 or b.size == 0:
        return 0
    return int(a.shape[-1]) * int(np.max(np.abs(a))) * int(np.max(np.abs(b)))


def exact_matmul(a: IntArray, b: IntArray) -> IntArray:
    """a (..., K) @ b (K, M) as exact int64.

    Float BLAS is used only when the bound on every partial sum (hence every product and the
    result) is within the float's exact integer range, so every rounding step is exact:
    float32 up to 2**24, float64 up to 2**53. Beyond that int64 numpy (bound < 2**63) or
    Python ints.
    """
    bound = product_bound(a, b)
    if bound <= _F32_EXACT:
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(np.int64)
    if bound <= _F64_EXACT:
        return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    if bound < 2**63:
        return np.matmul(a, b)
    res = np.matmul(a.astype(object), b.astype(object))  # Python ints: exact at any width
    if res.size and max(abs(int(v)) for v in res.ravel()) >= 2**63:
        raise OverflowError(f"matmul result exceeds int64 (bound {bound})")
    return res.astype(np.int64)
