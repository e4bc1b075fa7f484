"""Exact integer matrix product with a provably exact BLAS fast path."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from qsim.models._dtypes import IntArray

__all__ = ["exact_matmul", "float_gemm", "int8_gemm", "int8_gemm_available", "product_bound"]

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


def _probe_int8_gemm() -> bool:
    """True when torch's int8 x int8 -> int32 GEMM runs and is exact here."""
    try:
        import torch

        a = torch.tensor([[127, -128, 3]], dtype=torch.int8)
        b = torch.tensor([[127], [-128], [5]], dtype=torch.int8)
        return int(torch._int_mm(a, b)[0, 0]) == 127 * 127 + 128 * 128 + 15
    except Exception:  # no torch, or no CPU kernel for this op: the float paths serve
        return False


_INT8_GEMM: Optional[bool] = None


def int8_gemm_available() -> bool:
    global _INT8_GEMM
    if _INT8_GEMM is None:
        _INT8_GEMM = _probe_int8_gemm()
    return _INT8_GEMM


def int8_gemm(x8: np.ndarray, w8: Any) -> np.ndarray:
    """(M, K) int8 @ (K, N) int8 -> (M, N) int32, exact while every partial sum fits int32
    (the caller checks the bound). ``w8`` is a contiguous torch int8 tensor."""
    import torch

    with warnings.catch_warnings():  # a read-only input is only read
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        a = torch.from_numpy(np.ascontiguousarray(x8, dtype=np.int8))
    return torch._int_mm(a, w8).numpy()


def _torch_float_ok() -> bool:
    """torch is importable and its float32 matmuls are full precision (no bf16/TF32)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.get_float32_matmul_precision() == "highest")


def float_gemm(xf: np.ndarray, wf: np.ndarray) -> np.ndarray:
    """xf (M, K) @ wf (K, N) in their float dtype. Exact when every partial sum is an integer
    the float represents (the caller checks the bound): then no summation order rounds.

    torch's GEMM is preferred: its OpenMP pool waits passively, while numpy's OpenBLAS threads
    spin after each call and, on a 2-core machine, slow the next kernel of another pool by up
    to ~100 ms under load. numpy serves when torch is absent or its float32 precision is
    lowered (``torch.set_float32_matmul_precision``), which could round.
    """
    if not _torch_float_ok():
        return np.asarray(np.matmul(xf, wf))
    import torch

    return torch.from_numpy(np.ascontiguousarray(xf)).matmul(torch.from_numpy(wf)).numpy()
