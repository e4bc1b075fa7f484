"""Classifier heads (TopK, ArgMax -> LabelSelect): make the integer order the float order.

LabelSelect ranks integers; the source ranks ``A * b + B`` per channel. The import keeps the
two orders identical, ties included (equal floats must be equal integers, so that the lower
index still comes first), or refuses:

- one positive scale, one offset: the integers ``b`` are ranked as they are;
- one NEGATIVE scale: the pending MVTU's weight columns are negated (``b -> -b``, the scale
  becomes positive), so LabelSelect selects the smallest ``b``; equal values stay equal, so
  ties still come out lower index first (FINN's and ONNX TopK's rule);
- per-channel offsets ``B[c]``: the pending MVTU gets rank thresholds: its output is the rank
  of ``A * b + B[c]`` among every value any channel can take (``U``, sorted, distinct), so
  equal floats get equal ranks and the order is exact (evaluated in float64);
- a scale that differs between channels, or a negative scale / per-channel offset with no
  MatMul/Conv right before the head: refused with the reason (never a wrong design).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from qsim.errors import ModelImportError
from qsim.frontend._common import acc_range
from qsim.frontend._graph import node_label
from qsim.frontend._state import State
from qsim.frontend._thresholds import search_thresholds
from qsim.models import MVTU
from qsim.models._block import smallest_int_type

__all__ = ["MAX_RANK_STEPS", "order_preserving"]

#: Most distinct values a rank-threshold head may take (thresholds per channel).
MAX_RANK_STEPS = 1 << 16


def order_preserving(w: Any, node: onnx.NodeProto, st: State) -> None:
    """Make ``st``'s integer order the source's float order across channels (see module)."""
    what = f"{node_label(node)}: its input {st.tensor!r}"
    a = st.a
    if np.any(a != a[0]) or a[0] == 0:
        raise ModelImportError(f"{what} has scales {a[:4]!r}... that differ between channels "
                               f"(or are 0); the order of the integers would not be the order "
                               f"of the floats, so qsim does not build this head")
    if a[0] < 0:
        if st.pending is None:
            raise ModelImportError(f"{what} has the negative scale {float(a[0])!r} but no "
                                   f"MatMul/Conv right before it whose weights qsim could "
                                   f"negate to reverse the order; qsim does not build this head")
        from qsim.frontend._handlers import negate_columns

        negate_columns(st)
    if np.any(st.b != st.b[0]):
        if st.pending is None:
            raise ModelImportError(f"{what} has per-channel offsets {st.b[:4]!r}... but no "
                                   f"MatMul/Conv right before it to carry rank thresholds; "
                                   f"qsim does not build this head")
        _rank_thresholds(w, node, st)


def _rank_thresholds(w: Any, node: onnx.NodeProto, st: State) -> None:
    """Emit the pending MVTU with thresholds whose output is the rank of its real value."""
    p = st.pending
    assert p is not None
    lo, hi = acc_range(p)
    n_vals = int((hi - lo + 1).sum())
    if n_vals > 4 * MAX_RANK_STEPS:
        raise ModelImportError(f"{node_label(node)}: per-channel offsets need rank thresholds "
                               f"over {n_vals} accumulator values; qsim allows at most "
                               f"{MAX_RANK_STEPS} distinct values")
    real = [st.a[c] * np.arange(lo[c], hi[c] + 1) + st.b[c] for c in range(st.a.size)]
    levels = np.unique(np.concatenate(real))  # (U,) sorted distinct real values
    steps = levels.size - 1
    if steps > MAX_RANK_STEPS:
        raise ModelImportError(f"{node_label(node)}: per-channel offsets need {steps} rank "
                               f"thresholds per channel; qsim allows at most {MAX_RANK_STEPS}")
    if steps == 0:  # every channel holds one and the same value: all ranks 0
        steps, levels = 1, np.append(levels, np.inf)

    def reach(b: np.ndarray) -> np.ndarray:  # (C, S): real value >= the (k + 1)-th level
        return st.real(b) >= levels[None, 1:]

    t = search_thresholds(reach, lo, hi, steps)
    odt = smallest_int_type(0, steps)
    blk = MVTU(mw=p.weights.shape[0], mh=p.weights.shape[1], idt=p.idt, wdt=p.wdt, odt=odt,
               weights=p.weights, thresholds=t, act_val=0, binary_xnor=p.binary_xnor,
               name=p.name)
    st.pending = None
    c = st.a.size
    st.a, st.b, st.dtype = np.ones(c), np.zeros(c), odt
    st.lo, st.hi = np.zeros(c, np.int64), np.full(c, steps, np.int64)
    w._add(blk.name, blk, p.in_shape, st)  # no source tensor holds the ranks
