"""The MVTU's provably exact fast paths: an int8 GEMM (torch, int32 accumulation) or a float32
GEMM (BLAS), chosen from the datatypes and the actual weights when the bound allows.

* int8: inputs (shifted by 128 when they are UINT8-like) and weights fit int8 and every
  partial sum is below 2**31, so the int32 accumulation of ``torch._int_mm`` is exact;
  the shift is undone exactly with ``offset * colsum(W)``.
* float32: every partial sum is an integer of magnitude <= 2**24, so BLAS rounds nothing.

Otherwise the MVTU uses :func:`qsim.models._matmul.exact_matmul` (float64 / int64 / Python).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from qsim.models._dtypes import BINARY, BIPOLAR, DType
from qsim.models._matmul import _F32_EXACT, int8_gemm, int8_gemm_available

__all__ = ["FastPath", "make_fast_path"]

_I32 = 2**31 - 1


@dataclass(frozen=True, eq=False)
class FastPath:
    """Operands of one exact fast path (see the module docstring)."""

    kind: str  # "int8" or "float32"
    weights: Any  # torch int8 tensor (MW, MH) or float32 array (MW, MH)
    x_offset: int  # subtracted from x before an int8 GEMM
    col_sum: np.ndarray  # (MH,) int64 column sums of W
    xnor: str  # "", "bipolar" or "binary"
    mw: int
    thresholds: Optional[np.ndarray]  # clipped to the accumulator range, in the acc's dtype
    dot_thresholds: Optional[np.ndarray] = None  # int8 path: the same on the raw dot's scale

    def threshold_operand(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values, thresholds) whose comparison equals ``acc >= T``: for the int8 path the
        raw int32 dot product against thresholds moved to its scale, which skips the
        per-element offset and popcount arithmetic (int8 path, non-BINARY-XNOR)."""
        assert self.thresholds is not None
        if self.dot_thresholds is not None:
            return self._dot(x), self.dot_thresholds
        return self.accumulate(x), self.thresholds

    def _dot(self, x: np.ndarray) -> np.ndarray:
        x8 = x if x.dtype == np.int8 and not self.x_offset else \
            (x.astype(np.int16) - self.x_offset).astype(np.int8)
        return int8_gemm(x8, self.weights)  # (N, MW) @ (MW, MH) -> (N, MH) int32

    def accumulate(self, x: np.ndarray) -> np.ndarray:
        """Exact accumulators (N, MH): int32/int64 (int8 path) or float32 holding integers."""
        if self.kind == "int8":
            dot: np.ndarray = self._dot(x)
            if self.x_offset:
                dot = dot + self.x_offset * self.col_sum  # undo the shift (int64)
            if self.xnor == "bipolar":  # +-1 values: popcount = (dot + MW) / 2, exact
                return (dot + self.mw) // 2
            if self.xnor == "binary":
                return 2 * dot - x.sum(axis=-1, keepdims=True, dtype=np.int64) \
                    - self.col_sum + self.mw
            return dot
        x32 = x.astype(np.float32)
        dot = x32 @ self.weights  # (N, MW) @ (MW, MH) -> (N, MH), exact (bound <= 2**24)
        if self.xnor == "bipolar":
            return (dot + np.float32(self.mw)) * np.float32(0.5)
        if self.xnor == "binary":
            return 2 * dot - x32.sum(axis=-1, keepdims=True) \
                - self.col_sum.astype(np.float32) + np.float32(self.mw)
        return dot


def make_fast_path(weights: np.ndarray, idt: DType, binary_xnor: bool,
                   thresholds: Optional[np.ndarray], acc_range: tuple[int, int]
                   ) -> Optional[FastPath]:
    """The fastest exact path for these operands, or None (use exact_matmul)."""
    mw = int(weights.shape[0])
    xlo, xhi = int(idt.min()), int(idt.max())
    wlo, whi = (int(weights.min()), int(weights.max())) if weights.size else (0, 0)
    wabs = max(abs(wlo), abs(whi))
    xnor = "" if not binary_xnor else ("bipolar" if idt == BIPOLAR else "binary")
    if binary_xnor and idt not in (BIPOLAR, BINARY):
        return None
    lo, hi = acc_range
    clipped = None if thresholds is None else np.clip(thresholds, lo, hi + 1)
    col_sum = weights.sum(axis=0, dtype=np.int64)
    offset = 0 if (xlo >= -128 and xhi <= 127) else (128 if xlo >= 0 and xhi <= 255 else None)
    if (offset is not None and wlo >= -128 and whi <= 127 and int8_gemm_available()
            and mw * 128 * max(wabs, 1) <= _I32 and max(abs(lo), abs(hi)) <= _I32):
        import torch

        w8 = torch.from_numpy(np.ascontiguousarray(weights, dtype=np.int8))
        dot_t = None
        if clipped is not None and xnor != "binary":
            # acc = dot + offset*colsum (or (dot + MW)/2 for +-1 XNOR), so acc >= T is
            # dot >= T - offset*colsum (or dot >= 2T - MW): exact integer rewrites
            dot_t = 2 * clipped - mw if xnor == "bipolar" else clipped - offset * col_sum[:, None]
            dot_t = dot_t.astype(np.int64)
            if np.abs(dot_t).max() <= _I32:
                dot_t = dot_t.astype(np.int32)
        return FastPath("int8", w8, offset, col_sum, xnor, mw,
                        None if clipped is None else clipped.astype(np.int64), dot_t)
    xabs = max(abs(xlo), abs(xhi))
    bound = 5 * mw if binary_xnor else mw * xabs * wabs  # XNOR: doubled dot + sums + MW
    if bound > _F32_EXACT:
        return None
    return FastPath("float32", weights.astype(np.float32), 0, col_sum, xnor, mw,
                    None if clipped is None else clipped.astype(np.float32))
