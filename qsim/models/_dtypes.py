"""Datatype handling shared by every block: name resolution, range checks, wire bits.

qsim reuses :class:`qonnx.core.datatype.DataType`. Only integer types are legal on a qsim
stream: ``BIPOLAR`` ({-1, +1}, one bit, 0 meaning -1), ``BINARY`` ({0, 1}), ``INTn`` (two's
complement) and ``UINTn`` (plain binary).
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np
import numpy.typing as npt
from qonnx.core.datatype import DataType

from qsim.errors import ConfigError, StreamError

__all__ = ["DType", "IntArray", "as_int_array", "check_range", "compact_dtype", "from_bits",
           "resolve", "to_bits"]

IntArray = npt.NDArray[np.int64]
DType = Any  # a qonnx DataType instance (qonnx does not export a single typing class)
DTypeLike = Union[str, Any]

BIPOLAR = DataType["BIPOLAR"]
BINARY = DataType["BINARY"]


def resolve(value: DTypeLike, field: str, owner: str) -> DType:
    """Return the qonnx DataType named by ``value`` (a name or a DataType).

    Raises ConfigError for an unknown name or a non-integer type (qsim streams carry integers).
    """
    if isinstance(value, str):
        try:
            dt = DataType[value]
        except KeyError:
            raise ConfigError(f"{owner}: {field}={value!r} is not a qonnx DataType name "
                              f"(e.g. 'INT4', 'UINT8', 'BIPOLAR')") from None
    elif hasattr(value, "get_canonical_name") and hasattr(value, "bitwidth"):
        dt = value
    else:
        raise ConfigError(f"{owner}: {field}={value!r} must be a DataType or its name")
    if not dt.is_integer() or dt.bitwidth() > 64:
        raise ConfigError(f"{owner}: {field}={dt.get_canonical_name()!r} is not an integer type "
                          f"of at most 64 bits; qsim streams carry BIPOLAR, BINARY, INTn, UINTn")
    return dt


def name(dt: DType) -> str:
    """Canonical name of a DataType, e.g. ``'INT4'``."""
    return str(dt.get_canonical_name())


def as_int_array(x: Any, what: str) -> IntArray:
    """Convert ``x`` to an int64 array; refuse floats that are not whole numbers."""
    arr = np.asarray(x)
    if arr.dtype.kind in "iu":
        return arr  # any numpy integer dtype holds its values exactly
    if arr.dtype.kind == "b":
        return arr.astype(np.int8)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.rint(arr)):
            raise StreamError(f"{what}: float values that are not whole numbers; qsim takes "
                              f"integers (bring float data to the integer domain by its scale)")
        if arr.size and np.max(np.abs(arr)) >= 2.0**53:
            raise StreamError(f"{what}: float values beyond 2**53 cannot be exact integers")
        return arr.astype(np.int64)
    if arr.dtype == object:
        return np.array(arr.tolist(), dtype=np.int64)
    raise StreamError(f"{what}: dtype {arr.dtype} is not an integer array")


def check_range(x: IntArray, dt: DType, what: str) -> None:
    """Raise StreamError naming the first element of ``x`` outside ``dt`` (never wrap)."""
    if x.size == 0:
        return
    lo, hi = int(dt.min()), int(dt.max())
    in_range = int(x.min()) >= lo and int(x.max()) <= hi  # two reductions, no temporaries
    if in_range and (dt != BIPOLAR or np.count_nonzero(x) == x.size):
        return
    bad = (x < lo) | (x > hi)
    if dt == BIPOLAR:
        bad |= x == 0
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        allowed = "{-1, +1}" if dt == BIPOLAR else f"[{lo}, {hi}]"
        raise StreamError(f"{what}: value {int(x[idx])!r} at index {idx} is outside "
                          f"{name(dt)} {allowed}")


def to_bits(x: IntArray, dt: DType) -> npt.NDArray[np.uint64]:
    """Values to their n-bit wire code (two's complement for INTn, 0 for BIPOLAR -1)."""
    if dt == BIPOLAR:
        return ((x + 1) // 2).astype(np.uint64)
    mask = np.uint64((1 << dt.bitwidth()) - 1)
    return x.astype(np.int64).view(np.uint64) & mask


def from_bits(bits: npt.NDArray[np.uint64], dt: DType) -> IntArray:
    """Wire codes back to values (sign-extends INTn, maps BIPOLAR bit 0 to -1)."""
    b = bits.astype(np.uint64)
    if dt == BIPOLAR:
        return b.astype(np.int64) * 2 - 1
    w = dt.bitwidth()
    v = b.astype(np.int64)
    if dt.signed() and w < 64:
        v = np.where(v >= (1 << (w - 1)), v - (1 << w), v)
    return v.astype(np.int64)


def compact_dtype(dt: DType) -> np.dtype:
    """The narrowest signed numpy integer dtype that holds every value of ``dt``."""
    lo, hi = int(dt.min()), int(dt.max())
    for cand in (np.int8, np.int16, np.int32):
        info = np.iinfo(cand)
        if info.min <= lo and hi <= info.max:
            return np.dtype(cand)
    return np.dtype(np.int64)
