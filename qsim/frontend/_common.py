"""Helpers shared by the import handlers (:mod:`qsim.frontend._handlers`,
:mod:`qsim.frontend._linear`)."""

from __future__ import annotations

import numpy as np
import onnx

from qsim.errors import ModelImportError
from qsim.frontend._graph import node_label
from qsim.frontend._state import Pending, State

__all__ = ["acc_range", "no_post", "uniform"]


def acc_range(p: Pending) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel accumulator range (MH,) of a pending MVTU."""
    mw = p.weights.shape[0]
    if p.binary_xnor:
        return np.zeros(p.weights.shape[1], np.int64), np.full(p.weights.shape[1], mw, np.int64)
    xlo, xhi = int(p.idt.min()), int(p.idt.max())
    lo = np.minimum(p.weights * xlo, p.weights * xhi).sum(axis=0)  # (MW, MH) -> (MH,)
    hi = np.maximum(p.weights * xlo, p.weights * xhi).sum(axis=0)
    return lo.astype(np.int64), hi.astype(np.int64)


def uniform(node: onnx.NodeProto, v: np.ndarray, what: str) -> float:
    if not np.all(v == v.reshape(-1)[0]):
        raise ModelImportError(f"{node_label(node)}: {what} differs between channels "
                               f"({v.reshape(-1)[:4]!r}...); qsim needs one value here")
    return float(v.reshape(-1)[0])


def no_post(node: onnx.NodeProto, st: State) -> None:
    if st.post:
        raise ModelImportError(f"{node_label(node)}: its input went through "
                               f"{[op for op, _ in st.post]!r} without a quantizer; qsim needs "
                               f"a quantizer (Quant/BipolarQuant/MultiThreshold) before it")
