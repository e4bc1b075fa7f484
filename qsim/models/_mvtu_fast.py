"""The MVTU's exact matmul paths; the fastest one on this machine is chosen by measurement.

Every path computes the exact accumulators; each is offered only where its bound holds
(B = MW * max|x| * max|W| bounds every partial sum, product and result; for XNOR-popcount
the counts and their fix-up stay within 5 * MW):

* ``xnor``: bit-packed XNOR-popcount, 64 products per uint64 word (qsim/models/_kernels.py),
  for BIPOLAR x BIPOLAR (XNOR mode or plain dot product) and BINARY XNOR layers. Counts are
  integers <= MW < 2**31: exact for any layer. dot = 2 * matches - MW for +-1 values.
* ``int8``: torch's int8 GEMM with int32 accumulation: x (shifted by -128 when UINT8-like)
  and W fit int8 and MW * 128 * max|W| < 2**31, so no int32 partial sum overflows; the shift
  is undone exactly with ``128 * colsum(W)``.
* ``f32`` / ``f64``: float BLAS on integer operands: exact while B < 2**24 / 2**53, since
  every partial sum is then an integer the float represents, so no step rounds.
* ``int64``: numpy's int64 matmul (B < 2**63), else Python integers: always exact.

:mod:`qsim.models._calibrate` picks among the exact candidates by measured speed per shape
class; ``QSIM_MATMUL_PATH`` or the ``path`` argument force one.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Callable, Optional

import numpy as np

from qsim.errors import ConfigError
from qsim.models import _calibrate
from qsim.models._dtypes import BINARY, BIPOLAR, DType, IntArray, compact_dtype
from qsim.models._kernels import pack_bits, threshold_rows, xnor_popcount, xnor_popcount_threshold
from qsim.models._matmul import exact_matmul, float_gemm, int8_gemm, int8_gemm_available

__all__ = ["FastPath", "make_fast_path"]

_I32 = 2**31 - 1
_F32_EXACT = 2**24
_F64_EXACT = 2**53
# Below this many MACs per call every path takes microseconds and int64 numpy has the least
# overhead (measured: 5x24x6 int64 6 us, int8 12 us, f32 28 us): no calibration.
_TINY_MACS = 1 << 14
_CHUNK_BYTES = 1 << 21  # accumulator bytes per row block in FastPath.run


class FastPath:
    """Exact accumulators and outputs of one MVTU through any of its exact paths.

    Parameters
    ----------
    weights
        (MW, MH) integers.
    idt
        Input datatype.
    xnor
        "" (plain dot product), "bipolar" or "binary" (XNOR-popcount mode).
    thresholds
        None or (MH, S) ascending integers.
    acc_range
        Exact (min, max) of the accumulator over every valid input.
    odt, act_val
        Output datatype and "no threshold passed" value.
    """

    def __init__(self, weights: IntArray, idt: DType, xnor: str, thresholds: Optional[IntArray],
                 acc_range: tuple[int, int], odt: DType, act_val: int) -> None:
        self.weights, self.idt, self.xnor, self.odt, self.act_val = weights, idt, xnor, odt, \
            act_val
        self.mw, self.mh = (int(v) for v in weights.shape)
        lo, hi = acc_range
        self.lo, self.hi = lo, hi
        # thresholds beyond the accumulator range act like lo / hi + 1: clipping keeps them in
        # every path's exact range and changes no comparison
        self.thresholds = None if thresholds is None else np.clip(thresholds, lo, hi + 1)
        self.xlo, self.xhi = int(idt.min()), int(idt.max())
        self.wlo, self.whi = (int(weights.min()), int(weights.max())) if weights.size else (0, 0)
        self.col_sum = weights.sum(axis=0, dtype=np.int64)  # (MH,)
        wabs = max(abs(self.wlo), abs(self.whi))
        self.bound = 5 * self.mw if xnor else self.mw * max(abs(self.xlo), abs(self.xhi)) * wabs
        self.candidates = tuple(p for p in _calibrate.PATHS if self._exact(p))
        self._wbits = f"{'s' if self.wlo < 0 else 'u'}{wabs.bit_length()}"

    # ---- which paths are exact for these operands ---------------------------------------
    @cached_property
    def popcount_mode(self) -> str:
        """"bipolar"/"binary" (XNOR), "dot" (+-1 x +-1 plain product) or "" (no popcount)."""
        if self.xnor:
            return self.xnor
        one = self.wlo >= -1 and self.whi <= 1 and not np.any(self.weights == 0)
        return "dot" if self.idt == BIPOLAR and one else ""

    @property
    def x_offset(self) -> Optional[int]:
        """Shift that brings x into int8 (0 or 128), or None."""
        if self.xlo >= -128 and self.xhi <= 127:
            return 0
        return 128 if self.xlo >= 0 and self.xhi <= 255 else None

    def _exact(self, path: str) -> bool:
        small_acc = max(abs(self.lo), abs(self.hi)) + 1 <= _I32
        if path == "xnor":
            return bool(self.popcount_mode) and self.mw < _I32
        if path == "int8":
            wabs = max(abs(self.wlo), abs(self.whi), 1)
            return (self.x_offset is not None and self.wlo >= -128 and self.whi <= 127
                    and self.mw * 128 * wabs <= _I32 and small_acc and int8_gemm_available())
        if path == "f32":
            return self.bound < _F32_EXACT
        if path == "f64":
            return self.bound < _F64_EXACT
        return path == "int64"

    # ---- choice ---------------------------------------------------------------------------
    def path_for(self, m: int) -> str:
        """The path a call with ``m`` rows takes: forced (if exact here), int64 for tiny
        calls, else the measured fastest."""
        forced = _calibrate.forced_path()
        if forced in self.candidates:
            return str(forced)
        if len(self.candidates) == 1 or m * self.mw * self.mh < _TINY_MACS:
            return self.candidates[-1]  # int64: no thread pool to wake, no conversion
        mode = (self.popcount_mode or "mac") + ("+t" if self.thresholds is not None else "")
        key = _calibrate.shape_class(mode, str(self.idt.bitwidth()), self._wbits, m, self.mw,
                                     self.mh, self.candidates)
        rows = _calibrate.calibration_rows(m, self.mw, self.mh)
        return _calibrate.choose(key, self.candidates, rows, self._runners)

    def _runners(self, rows: int) -> dict[str, Callable[[], object]]:
        """One calibration run per candidate, on ``rows`` random inputs of this class."""
        rng = np.random.default_rng(0)
        x = rng.integers(self.xlo, self.xhi, (rows, self.mw), endpoint=True)
        if self.idt == BIPOLAR:
            x = 2 * rng.integers(0, 2, (rows, self.mw)) - 1
        x = x.astype(compact_dtype(self.idt))
        return {p: self._runner(x, p) for p in self.candidates}

    def _runner(self, x: np.ndarray, path: str) -> Callable[[], object]:
        return lambda: self.run(x, path)

    def _check_path(self, path: Optional[str], m: int) -> str:
        if path is None:
            return self.path_for(m)
        if path not in self.candidates:
            raise ConfigError(f"matmul path {path!r} is not exact for these operands (MW="
                              f"{self.mw}, MH={self.mh}, idt={self.idt.name!r}, weights in "
                              f"[{self.wlo}, {self.whi}]); exact here: {self.candidates!r}")
        return path

    # ---- computation ------------------------------------------------------------------------
    def accumulate(self, x: np.ndarray, path: Optional[str] = None) -> np.ndarray:
        """Exact accumulators (N, MH) of inputs (N, MW), in the path's dtype (int32, int64,
        float32 or float64, always holding the exact integers)."""
        path = self._check_path(path, len(x))
        if path == "xnor":
            return self._acc_xnor(x)
        if path == "int8":
            return self._fix(self._dot_int8(x), x)
        if path in ("f32", "f64"):
            return self._fix_float(x, np.float32 if path == "f32" else np.float64)
        if self.bound < 2**63:  # numpy's int64 matmul: no partial sum overflows
            return self._fix(np.matmul(x.astype(np.int64), self.weights), x)
        return self._fix(exact_matmul(x.astype(np.int64), self.weights), x)

    def run(self, x: np.ndarray, path: Optional[str] = None) -> np.ndarray:
        """The MVTU output (N, MH) in odt's compact dtype: thresholded, or the accumulator.

        Large batches on the GEMM paths go through in row blocks of about 2 MB of
        accumulators, so the intermediates stay in cache and their memory is reused
        (whole-batch intermediates of tens of MB cost more in page faults and DRAM traffic
        than the GEMM itself). The xnor kernel makes no accumulator array: one call."""
        path = self._check_path(path, len(x))
        rows = max(256, _CHUNK_BYTES // (8 * self.mh))
        if len(x) <= rows or path == "xnor":
            return self._run_rows(x, path)
        out = np.empty((len(x), self.mh), dtype=compact_dtype(self.odt))
        for start in range(0, len(x), rows):
            self._run_rows(x[start:start + rows], path, out[start:start + rows])
        return out

    def _run_rows(self, x: np.ndarray, path: str, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The output of rows ``x``, written into ``out`` when given (else a new array)."""
        if out is None:
            out = np.empty((len(x), self.mh), dtype=compact_dtype(self.odt))
        if self.thresholds is None:
            out[...] = self.accumulate(x, path)
        elif path == "xnor":
            self._run_xnor(x, out)
        else:
            if path == "int8" and self.xnor != "binary":
                values, thr = self._raw_int8(x), self._int8_thresholds
            else:
                values = self.accumulate(x, path)
                thr = self.thresholds.astype(values.dtype) if values.dtype != np.int64 \
                    else self.thresholds
            threshold_rows(values, thr, *self.count_to_output, out)
        return out

    @property
    def count_to_output(self) -> tuple[int, int]:
        """(scale, offset) with output = offset + scale * threshold count: BIPOLAR's S = 1
        gives -1 + 2 * count, any other odt act_val + count."""
        return (2, -1) if self.odt == BIPOLAR else (1, self.act_val)

    def _fix(self, dot: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Accumulator from the dot product of the (shifted) values, exactly in integers."""
        if self.xnor == "bipolar":  # +-1 values: popcount(xnor) = (dot + MW) / 2
            return (dot + self.mw) // 2
        if self.xnor == "binary":  # 0/1 bits: popcount(xnor) = 2 x.w - sum x - sum w + MW
            return 2 * dot.astype(np.int64) - x.sum(axis=-1, keepdims=True, dtype=np.int64) \
                - self.col_sum + self.mw
        return dot

    def _fix_float(self, x: np.ndarray, ft: type) -> np.ndarray:
        xf: np.ndarray = x.astype(ft)
        dot = float_gemm(xf, self._float_weights(ft))  # (N, MW) @ (MW, MH) -> (N, MH), exact
        if self.xnor == "bipolar":
            return (dot + ft(self.mw)) * ft(0.5)
        if self.xnor == "binary":
            return 2 * dot - xf.sum(axis=-1, keepdims=True) - self.col_sum.astype(ft) \
                + ft(self.mw)
        return dot

    def _float_weights(self, ft: type) -> np.ndarray:
        return self._w_f32 if ft is np.float32 else self._w_f64

    @cached_property
    def _w_f32(self) -> np.ndarray:
        return self.weights.astype(np.float32)

    @cached_property
    def _w_f64(self) -> np.ndarray:
        return self.weights.astype(np.float64)

    # ---- int8 GEMM --------------------------------------------------------------------------
    @cached_property
    def _w_int8(self) -> Any:
        import torch

        return torch.from_numpy(np.ascontiguousarray(self.weights, dtype=np.int8))

    def _raw_int8(self, x: np.ndarray) -> np.ndarray:
        """(x - offset) @ W as int32 (N, MH): exact, no partial sum reaches 2**31."""
        offset = self.x_offset or 0
        if x.dtype == np.uint8 and offset == 128:  # x - 128 in two's complement: flip bit 7
            x8 = np.bitwise_xor(x, np.uint8(0x80)).view(np.int8)
        elif x.dtype == np.int8 and not offset:
            x8 = x
        else:
            x8 = (x.astype(np.int16) - offset).astype(np.int8)
        return int8_gemm(x8, self._w_int8)  # (N, MW) @ (MW, MH) -> (N, MH) int32

    def _dot_int8(self, x: np.ndarray) -> np.ndarray:
        """x @ W: the raw int8 dot with the shift undone (int64) when x was shifted."""
        dot = self._raw_int8(x)
        return dot + self.x_offset * self.col_sum if self.x_offset else dot

    @cached_property
    def _int8_thresholds(self) -> np.ndarray:
        """Thresholds on the raw int8 dot's scale: acc = dot + offset * colsum (or
        (dot + MW) / 2 for +-1 XNOR), so acc >= T iff dot >= T - offset * colsum (or
        dot >= 2T - MW): exact integer rewrites, int32 when they fit."""
        assert self.thresholds is not None
        t = self.thresholds.astype(np.int64)
        offset = self.x_offset or 0
        dot_t = 2 * t - self.mw if self.xnor == "bipolar" else t - offset * self.col_sum[:, None]
        return dot_t.astype(np.int32) if np.abs(dot_t).max() <= _I32 else dot_t

    # ---- XNOR-popcount kernels ---------------------------------------------------------
    @property
    def _bit_shift(self) -> int:
        """Which bit of a one-byte element is packed: the sign bit for +-1 (1 means -1),
        bit 0 for BINARY. x and W use the same rule, so equal bits mean equal values."""
        return 0 if self.xnor == "binary" else 7

    def _pack(self, v: np.ndarray) -> np.ndarray:
        """(R, K) one-bit values -> (R, ceil(K/64)) uint64, zero bits beyond K."""
        rows, k = v.shape
        k8 = -(-k // 8) * 8
        v8 = v if v.dtype.itemsize == 1 else v.astype(np.int8)
        if k8 != k or not v8.flags.c_contiguous:
            pad = np.zeros((rows, k8), dtype=np.int8)  # zero bytes pack to zero bits
            pad[:, :k] = v8
            v8 = pad
        n_words = -(-k8 // 64)
        out = np.empty((rows, n_words), dtype=np.uint64)
        pack_bits(v8.view(np.uint64), self._bit_shift, n_words, out)
        return out

    @cached_property
    def _w_bits(self) -> np.ndarray:
        """W packed per output column, (Q, MH) uint64."""
        return np.ascontiguousarray(self._pack(np.ascontiguousarray(self.weights.T)).T)

    def _acc_xnor(self, x: np.ndarray) -> np.ndarray:
        """Matching bits per (row, column) (int32): the XNOR popcount, or 2 * matches - MW
        for a plain +-1 dot product."""
        out = np.empty((len(x), self.mh), dtype=np.int32)
        xnor_popcount(self._pack(x), self._w_bits, self.mw, out)
        return out if self.xnor else 2 * out - np.int32(self.mw)

    def _run_xnor(self, x: np.ndarray, out: np.ndarray) -> None:
        """Thresholded output straight from the popcount kernel into ``out`` (no accumulator
        array)."""
        xnor_popcount_threshold(self._pack(x), self._w_bits, self.mw, self._match_thresholds,
                                *self.count_to_output, out)

    @cached_property
    def _match_thresholds(self) -> np.ndarray:
        """Thresholds on the matching-bit count's scale, (MH, S) int32."""
        assert self.thresholds is not None
        t = self.thresholds.astype(np.int64)  # clipped to [lo, hi + 1], |.| <= MW + 1
        if not self.xnor:  # +-1 dot = 2 * matches - MW >= T  iff  matches >= ceil((T + MW) / 2)
            t = -((-(t + self.mw)) // 2)
        return t.astype(np.int32)


def make_fast_path(weights: IntArray, idt: DType, binary_xnor: bool,
                   thresholds: Optional[IntArray], acc_range: tuple[int, int], odt: DType,
                   act_val: int) -> FastPath:
    """The exact paths of one MVTU (the choice among them is made per call size)."""
    xnor = "" if not binary_xnor else ("bipolar" if idt == BIPOLAR else "binary")
    if binary_xnor and idt not in (BIPOLAR, BINARY):
        raise ConfigError(f"binary_xnor needs a BIPOLAR or BINARY idt, got {idt.name!r}")
    return FastPath(weights, idt, xnor, thresholds, acc_range, odt, act_val)
