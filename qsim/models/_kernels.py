"""Compiled integer kernels of the MVTU's exact fast paths (numba, parallel over rows).

* :func:`pack_bits`: one bit per element, 64 elements per uint64 word.
* :func:`xnor_popcount`: acc[i, j] = K - popcount(x_bits[i] XOR w_bits[j]), the number of
  matching bits (XNOR-popcount); exact, every count is an integer <= K < 2**31.
* :func:`xnor_popcount_threshold`: the same counts compared with thresholds in the kernel,
  ``out = offset + scale * #{s : acc >= T[j, s]}``, so no (M, N) accumulator array is made.

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

__all__ = ["pack_bits", "xnor_popcount", "xnor_popcount_threshold"]

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
