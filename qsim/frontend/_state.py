"""The importer's view of the activation tensor flowing along the graph.

The float tensor of the source graph is ``post(A[c] * b + B[c])`` where ``b`` is an integer
tensor that qsim computes (the design input, a layer's output or the accumulator of a pending
MVTU), ``A``/``B`` are per-channel floats in qsim's channels-last order and ``post`` is a list
of monotone element-wise ops (Relu, Clip, affine) not yet absorbed into thresholds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from qsim.models._dtypes import DType

__all__ = ["Pending", "State"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Pending:
    """An MVTU whose activation has not been seen yet (its output is the accumulator)."""

    name: str
    weights: IntArray  # (MW, MH), columns may be negated later
    idt: DType
    wdt: DType
    binary_xnor: bool
    in_shape: tuple[int, ...]  # per-sample input shape, ends in MW


@dataclass
class State:
    """The tensor at the current point of the walk (see module docstring)."""

    tensor: str
    shape: tuple[int, ...]  # ONNX shape with batch
    layout: str  # "NCHW", "NHWC" or "NC"
    dtype: Optional[DType]  # integer base type; None while the input is still float
    lo: IntArray  # (C,) value range of the integer base
    hi: IntArray
    a: FloatArray  # (C,)
    b: FloatArray  # (C,)
    post: list[tuple[str, Any]] = field(default_factory=list)
    pending: Optional[Pending] = None
    order: Optional[IntArray] = None  # NC after a flatten: qsim index -> ONNX index
    producer: str = "input"  # layer whose output is the integer base (a pending MVTU's name)

    def copy(self) -> "State":
        """An independent copy (one per branch of a fork); a pending MVTU is not copied."""
        assert self.pending is None, "flush a pending MVTU before copying its state"
        return dataclasses.replace(
            self, lo=self.lo.copy(), hi=self.hi.copy(), a=self.a.copy(), b=self.b.copy(),
            post=list(self.post), order=None if self.order is None else self.order.copy())

    @property
    def channels(self) -> int:
        return int(self.shape[1] if self.layout == "NCHW" else self.shape[-1])

    @property
    def ours(self) -> tuple[int, ...]:
        """Per-sample shape in qsim's channels-last order."""
        if self.layout == "NCHW":
            n, c, h, w = self.shape
            return (h, w, c)
        return tuple(self.shape[1:])

    @property
    def chan_axis(self) -> int:
        """Channel axis in the ONNX tensor."""
        return 1 if self.layout == "NCHW" else len(self.shape) - 1

    def real(self, base: IntArray) -> FloatArray:
        """Source float value for integer base values of shape (C, ...)."""
        extra = (slice(None),) + (None,) * (base.ndim - 1)
        y = self.a[extra] * base + self.b[extra]
        for op, arg in self.post:
            if op == "relu":
                y = np.maximum(y, 0.0)
            elif op == "clip":
                y = np.clip(y, arg[0], arg[1])
            elif op == "affine":
                y = arg[0][extra] * y + arg[1][extra]
        return y
