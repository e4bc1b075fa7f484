"""Compiled integer kernels of the MVTU's exact fast paths (numba, parallel over rows).

* :func:`pack_bits`: one bit per element, 64 elements per uint64 word.
* :func:`xnor_popcount`: acc[i, j] = K - popcount(x_bits[i] XOR w_bits[j]), the number of
  matching bits (XNOR-popcount); exact, every count is an integer <= K < 2**31.
* :func:`xnor_popcount_threshold`: the same counts compared with thresholds in the kernel,
  ``out = offset + scale * #{s : acc >= T[j, s]}``, so no (M, N) accumulator array is made.
* :func:`xnor_window_threshold`: the same for every sliding window of an image of packed
  pixels, so neither the im2col rows nor their packed copy is made (qsim/models/_packed.py).
* :func:`threshold_rows`: thresholds on accumulators another path made (the GEMM paths), in
  one pass straight into the output.

Compiled on first use and cached on disk (``cache=True``); the Python source is the
specification and runs unchanged with ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import os

# The model alternates between thread pools (these kernels, torch's GEMM, numpy's BLAS). With
# OpenMP's default active waiting, a finished pool keeps spinning on the cores the next one
# needs; on the 2-core machine measured (docs/speed.md) passive waiting made the model ~3x
# faster under load. Set only when the user has not chosen, and before any pool starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

__all__ = ["pack_bits", "threshold_rows", "xnor_popcount", "xnor_popcount_threshold",
           "xnor_window_threshold"]

_LOW_BITS = np.uint64(0x0101010101010101)  # bit 0 of each of the 8 bytes
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@njit(cache=True, nogil=True, parallel=True)
def pack_bits(xv, shift, n_words, out):  # pragma: no cover - compiled
    """Pack bit ``shift`` of every byte of ``xv`` (M, K8/8) uint64 (8 one-byte elements per
    uint64) into ``out`` (M, n_words) uint64, 64 elements per word: byte b of input word
    8q + g goes to bit 8b + g of word q (a fixed permutation: x and w packed alike give the
    same XOR popcounts). Bits beyond the row are zero."""
    m, n8 = xv.shape
    for i in prange(m):
        for q in range(n_words):
            word = np.uint64(0)
            for g in range(min(8, n8 - 8 * q)):
                word |= ((xv[i, 8 * q + g] >> np.uint64(shift)) & _LOW_BITS) << np.uint64(g)
            out[i, q] = word


@njit(cache=True, nogil=True, inline="always")
def _popcount(v):  # pragma: no cover - compiled
    """Bits set in a uint64 (SWAR; LLVM turns it into the popcount instruction)."""
    v = v - ((v >> np.uint64(1)) & _M1)
    v = (v & _M2) + ((v >> np.uint64(2)) & _M2)
    v = (v + (v >> np.uint64(4))) & _M4
    return (v * _H01) >> np.uint64(56)


@njit(cache=True, nogil=True, parallel=True)
def xnor_popcount(xp, wp_t, k, out):  # pragma: no cover - compiled
    """``out[i, j] = k - sum_q popcount(xp[i, q] ^ wp_t[q, j])`` (int32): xp (M, Q) and
    wp_t (Q, N) packed bits, equal (zero) padding beyond k bits on both sides."""
    m, n_words = xp.shape
    n = wp_t.shape[1]
    for i in prange(m):
        acc = np.zeros(n, dtype=np.int32)
        for q in range(n_words):
            xq = xp[i, q]
            for j in range(n):
                acc[j] += np.int32(_popcount(xq ^ wp_t[q, j]))
        for j in range(n):
            out[i, j] = k - acc[j]


@njit(cache=True, nogil=True, parallel=True)
def xnor_popcount_threshold(xp, wp_t, k, thr, scale, offset, out):  # pragma: no cover
    """``out[i, j] = offset + scale * #{s : acc[i, j] >= thr[j, s]}`` with ``acc`` the
    matching-bit count of :func:`xnor_popcount`; thr (N, S) int32 (clipped to the count's
    range by the caller), out of the output's compact dtype."""
    m, n_words = xp.shape
    n, steps = thr.shape
    for i in prange(m):
        acc = np.zeros(n, dtype=np.int32)
        for q in range(n_words):
            xq = xp[i, q]
            for j in range(n):
                acc[j] += np.int32(_popcount(xq ^ wp_t[q, j]))
        for j in range(n):
            a = k - acc[j]
            count = 0
            for t in range(steps):
                count += a >= thr[j, t]
            out[i, j] = offset + scale * count


@njit(cache=True, nogil=True, parallel=True)
def xnor_window_threshold(xpix, wp, geom, k, thr, scale, offset, out):  # pragma: no cover
    """Sliding-window XNOR-popcount with thresholds, straight from packed pixels.

    xpix (N, H, W, Qc) uint64: each pixel's channels packed as by :func:`pack_bits`, zero
    bits beyond C. wp (KH*KW*Qc, MH) uint64: the weights packed per column in the same
    (kh, kw, channel word) order, zero bits where xpix has them. geom = (KH, KW, SH, SW, DH,
    DW). out (N, OH, OW, MH) gets ``offset + scale * #{s : matches >= thr[j, s]}`` with
    matches = k - popcount of the window's XOR, as in :func:`xnor_popcount_threshold` on the
    im2col rows, without making them."""
    n, _, _, qc = xpix.shape
    _, oh, ow, mh = out.shape
    kh, kw, sh, sw, dh, dw = geom[0], geom[1], geom[2], geom[3], geom[4], geom[5]
    steps = thr.shape[1]
    for r in prange(n * oh):
        b, oy = r // oh, r % oh
        acc = np.empty(mh, dtype=np.int32)
        for ox in range(ow):
            acc[:] = 0
            q = 0
            for a in range(kh):
                for c in range(kw):
                    px = xpix[b, oy * sh + a * dh, ox * sw + c * dw]
                    for g in range(qc):
                        xq = px[g]
                        for j in range(mh):
                            acc[j] += np.int32(_popcount(xq ^ wp[q, j]))
                        q += 1
            for j in range(mh):
                a_j = k - acc[j]
                count = 0
                for t in range(steps):
                    count += a_j >= thr[j, t]
                out[b, oy, ox, j] = offset + scale * count


@njit(cache=True, nogil=True, parallel=True)
def threshold_rows(acc, thr, scale, offset, out):  # pragma: no cover - compiled
    """``out[i, j] = offset + scale * #{s : acc[i, j] >= thr[j, s]}`` for accumulators acc
    (M, N) and thresholds thr (N, S), ascending along s (a binary search per element), in one
    pass: no boolean or count array is made. acc and thr are integers (or floats holding
    exact integers) of any width numba compares exactly; out of the output's compact dtype."""
    m, n = acc.shape
    steps = thr.shape[1]
    if steps == 1:  # one compare per element (BIPOLAR and one-bit outputs): vectorizes
        for i in prange(m):
            for j in range(n):
                out[i, j] = offset + scale * (acc[i, j] >= thr[j, 0])
        return
    for i in prange(m):
        for j in range(n):
            a = acc[i, j]
            lo, hi = 0, steps
            while lo < hi:  # first s with thr[j, s] > a: #{s : a >= thr[j, s]}
                mid = (lo + hi) // 2
                if thr[j, mid] <= a:
                    lo = mid + 1
                else:
                    hi = mid
            out[i, j] = offset + scale * lo
