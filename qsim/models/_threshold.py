"""Multi-threshold activation shared by MVTU and Thresholding (DESIGN.md section 4).

``y[c] = act_val + #{s : x[c] >= T[c, s]}``; a BIPOLAR output (S = 1, act_val = 0) is
``2 * #{...} - 1``. Thresholds are integers, ascending (non-decreasing) along s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qsim.errors import ConfigError
from qsim.models._dtypes import BIPOLAR, DType, IntArray, as_int_array, compact_dtype, name

__all__ = ["check_thresholds", "multithreshold", "threshold_count"]


def check_thresholds(thresholds: Any, channels: int, odt: DType, act_val: int,
                     owner: str) -> IntArray:
    """Validate thresholds of shape (channels, S) or (1, S); return them as (channels, S) int64.

    Rules: integers, non-decreasing along S, and ``odt`` holds ``act_val .. act_val + S``
    (for a BIPOLAR output S must be 1 and act_val 0).
    """
    try:
        t = as_int_array(thresholds, f"{owner}: thresholds")
    except Exception as exc:  # StreamError from as_int_array: report as a config problem
        raise ConfigError(str(exc)) from None
    if t.ndim != 2 or t.shape[0] not in (1, channels) or t.shape[1] < 1:
        raise ConfigError(f"{owner}: thresholds shape {t.shape!r} must be ({channels}, S) or "
                          f"(1, S) with S >= 1")
    if t.shape[0] == 1 and channels > 1:
        t = np.repeat(t, channels, axis=0)  # (1, S) -> (channels, S)
    dif = np.diff(t, axis=1)
    if np.any(dif < 0):
        c, s = (int(v) for v in np.argwhere(dif < 0)[0])
        raise ConfigError(f"{owner}: thresholds row {c} is not ascending: T[{c}, {s}]="
                          f"{int(t[c, s])!r} > T[{c}, {s + 1}]={int(t[c, s + 1])!r}")
    steps = t.shape[1]
    if odt == BIPOLAR:
        if steps != 1 or act_val != 0:
            raise ConfigError(f"{owner}: a BIPOLAR odt needs exactly 1 threshold per channel and "
                              f"act_val=0, got S={steps!r}, act_val={act_val!r}")
    elif act_val < int(odt.min()) or act_val + steps > int(odt.max()):
        raise ConfigError(f"{owner}: odt={name(odt)!r} cannot hold outputs act_val..act_val+S = "
                          f"{act_val!r}..{act_val + steps!r} (S={steps} thresholds)")
    t.setflags(write=False)
    return t


def threshold_count(x: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """#{s : x[..., c] >= T[c, s]} for x of shape (..., C) and T of shape (C, S), as int32.

    ``x`` and ``thresholds`` may be integer arrays or float arrays holding exact integers.
    """
    steps = thresholds.shape[1]
    if steps == 1:  # (..., C) >= (C,)
        return (x >= thresholds[:, 0]).astype(np.int32)
    if steps <= 16:
        # (..., C, 1) >= (C, S) -> (..., C, S) -> count over S
        return np.count_nonzero(x[..., None] >= thresholds, axis=-1).astype(np.int32)
    out = np.empty(x.shape, dtype=np.int32)
    flat = x.reshape(-1, x.shape[-1])  # (rows, C)
    oflat = out.reshape(-1, x.shape[-1])
    for c in range(x.shape[-1]):  # ascending rows: binary search per channel
        oflat[:, c] = np.searchsorted(thresholds[c], flat[:, c], side="right")
    return out


def multithreshold(x: np.ndarray, thresholds: np.ndarray, act_val: int, odt: DType) -> np.ndarray:
    """Apply the thresholds of shape (C, S) to x of shape (..., C); result in odt's compact
    numpy dtype."""
    if odt == BIPOLAR:  # S == 1: one comparison, then {0, 1} -> {-1, +1} in place
        out = (x >= thresholds[:, 0]).view(np.int8)
        np.multiply(out, 2, out=out)
        np.subtract(out, 1, out=out)
        return out
    count = threshold_count(x, thresholds)
    return (count + act_val).astype(compact_dtype(odt))
