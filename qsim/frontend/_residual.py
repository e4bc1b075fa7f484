"""Import of the graph-shaped parts of a network: the fork (a tensor read by several nodes ->
DuplicateStreams), the join (``Add`` of two activations -> AddStreams), zero padding (Conv /
Im2Col pads -> FMPadding) and global average pooling (-> GlobalAccPool + a 1/(H*W) scale).

Each function takes the walker of :mod:`qsim.frontend._streamline` and the :class:`State` of
the tensor(s) involved; the maths of the scales is in the docstrings and docs/frontend.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from qsim.errors import ConfigError, ModelImportError
from qsim.frontend._common import no_post
from qsim.frontend._graph import node_label
from qsim.frontend._state import State
from qsim.models import AddStreams, DuplicateStreams, FMPadding, GlobalAccPool
from qsim.models._block import smallest_int_type

__all__ = ["HANDLERS_R", "fork", "join", "pad_input"]

# relative tolerance of "equal" float scales: the scales are products of the same power-of-two
# or float factors in different orders, equal up to rounding of the last bit
_SCALE_RTOL = 1e-12


def fork(w: Any, st: State, readers: list[onnx.NodeProto]) -> list[State]:
    """A tensor read by several nodes: flush a pending MVTU, add a DuplicateStreams with one
    output per reader, and return one independent State per reader (in ``readers`` order)."""
    names = [n.name for n in readers]
    if st.dtype is None:
        raise ModelImportError(f"model {w.model_name!r}: the float tensor {st.tensor!r} feeds "
                               f"{names!r}; qsim can fork only a quantized (integer) tensor")
    w._flush(st, source="" if st.post else st.tensor)
    c = st.ours[-1]
    dup = DuplicateStreams(channels=c, idt=st.dtype, n_outputs=len(readers),
                           name=w._name("DuplicateStreams"))
    w._add(dup.name, dup, st.ours, st)
    return [st.copy() for _ in readers]


def _close(x: np.ndarray, y: np.ndarray) -> bool:
    return bool(np.all(np.abs(x - y) <= _SCALE_RTOL * np.abs(y)))


def _scale_pending(w: Any, st: State, k: np.ndarray) -> None:
    """Multiply a pending MVTU's weight columns by the integers k (MH,): acc -> k * acc, exact;
    the weight type widens if needed."""
    p = st.pending
    assert p is not None
    q = p.weights * k[None, :].astype(np.int64)  # (MW, MH) * (1, MH)
    if int(q.min()) < int(p.wdt.min()) or int(q.max()) > int(p.wdt.max()):
        p.wdt = smallest_int_type(int(q.min()), int(q.max()))
    p.weights = q
    st.a = st.a / k


def _reconcile(w: Any, node: onnx.NodeProto, sa: State, sb: State) -> None:
    """Bring both inputs of an Add to one integer scale, exactly, or refuse.

    Equal scales (per channel) need nothing: the offsets just add. If one side is the
    accumulator of a pending MVTU and its scale is an integer multiple k of the other's, its
    weight columns are multiplied by k (k * acc has the other side's scale). Anything else
    would need a rounding qsim does not do: ModelImportError naming the Add and both scales.
    """
    if _close(sa.a, sb.a):
        sb.a = sa.a.copy()
        return
    for big, small in ((sa, sb), (sb, sa)):
        k = np.rint(big.a / small.a)
        if big.pending is not None and not big.pending.binary_xnor and np.all(k != 0) and \
                _close(big.a, k * small.a):
            _scale_pending(w, big, k)
            big.a = small.a.copy()
            return
    raise ModelImportError(
        f"{node_label(node)}: its inputs {sa.tensor!r} and {sb.tensor!r} have scales "
        f"{_show(sa.a)} and {_show(sb.a)}; qsim adds integers, so both need the same scale "
        f"(or one an integer multiple of the other on a MatMul/Conv accumulator): put the same "
        f"quantizer (e.g. one QuantIdentity) on both inputs of the add")


def _show(a: np.ndarray) -> str:
    return repr(float(a[0])) if np.all(a == a[0]) else repr(a[:4]) + "..."


def join(w: Any, node: onnx.NodeProto, sa: State, sb: State) -> State:
    """``Add`` of two activations (a residual join) -> AddStreams; ``a * (qa + qb) + ba + bb``."""
    for s in (sa, sb):
        no_post(node, s)
    if tuple(sa.shape) != tuple(sb.shape) or sa.layout != sb.layout:
        raise ModelImportError(f"{node_label(node)}: its inputs {sa.tensor!r} {sa.shape!r} and "
                               f"{sb.tensor!r} {sb.shape!r} differ in shape (or layout "
                               f"{sa.layout}/{sb.layout}); qsim adds same-shape streams only")
    if sa.order is not None or sb.order is not None:
        raise ModelImportError(f"{node_label(node)}: adding flattened (N, CHW) tensors is not "
                               f"supported; add before the flatten")
    _reconcile(w, node, sa, sb)
    for s in (sa, sb):
        w._flush(s, source=s.tensor)
    c = sa.ours[-1]
    try:
        blk = AddStreams(channels=c, idt=sa.dtype, idt1=sb.dtype, name=w._name("AddStreams"))
    except ConfigError as exc:
        raise ModelImportError(f"{node_label(node)}: {exc}") from None
    inputs = (sa.producer, sb.producer)
    sa.b = sa.b + sb.b
    sa.lo, sa.hi = sa.lo + sb.lo, sa.hi + sb.hi
    sa.dtype = blk.odt
    sa.tensor = node.output[0]
    w._add(blk.name, blk, sa.ours, sa, source=node.output[0], inputs=inputs)
    return sa


def pad_input(w: Any, node: onnx.NodeProto, st: State, pads: list[int]) -> tuple[int, int, int]:
    """Zero padding (top, left, bottom, right) of the integer input of a Conv/Im2Col: an
    FMPadding layer if any pad is non-zero. Returns the padded (H, W, C).

    The source pads the float tensor with 0.0, FMPadding pads the integers with 0: the same
    only if float 0 is integer 0 on every channel (zero offset) and 0 is in the input type.
    """
    h, wd, c = st.ours
    if len(pads) != 4 or any(int(p) < 0 for p in pads):
        raise ModelImportError(f"{node_label(node)}: pads {pads!r} must be 4 values >= 0 "
                               f"(top, left, bottom, right)")
    if not any(pads):
        return h, wd, c
    no_post(node, st)
    if np.any(st.b != 0):
        raise ModelImportError(f"{node_label(node)}: pads {pads!r} with a non-zero offset "
                               f"{_show(st.b)} on its input {st.tensor!r}: float 0 is not "
                               f"integer 0, and qsim's FMPadding pads integer zeros")
    dt = st.dtype
    assert dt is not None, "the walker checks for a quantized input before a Conv/Im2Col"
    if int(dt.min()) > 0 or int(dt.max()) < 0:
        raise ModelImportError(f"{node_label(node)}: pads {pads!r} on a "
                               f"{dt.get_canonical_name()} input, which cannot hold 0")
    t, left, b, r = (int(p) for p in pads)
    blk = FMPadding(ifm_dim=(h, wd), channels=c, padding=(t, left, b, r), idt=st.dtype,
                    name=w._name("FMPadding"))
    w._add(blk.name, blk, (h, wd, c), st)
    return h + t + b, wd + left + r, c


def _pool_axes(w: Any, node: onnx.NodeProto, st: State) -> bool:
    """Check a ReduceMean/AveragePool averages over exactly H and W; returns keepdims."""
    g = w.g
    rank = len(st.shape)
    if node.op_type == "GlobalAveragePool":
        return True
    if node.op_type == "AveragePool":
        h, wd, _ = st.ours
        k = list(g.attr(node, "kernel_shape", []))
        if k != [h, wd] or any(g.attr(node, "pads", [0, 0, 0, 0])):
            raise ModelImportError(f"{node_label(node)}: AveragePool kernel {k!r} is not the "
                                   f"whole {h}x{wd} image (qsim maps only global pooling)")
        return True
    axes = g.attr(node, "axes", None)
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = [int(v) for v in g.const(node.input[1], node).reshape(-1)]
    spatial = {2, 3} if st.layout == "NCHW" else {1, 2}
    if axes is None or {int(a) % rank for a in axes} != spatial:
        raise ModelImportError(f"{node_label(node)}: ReduceMean over axes {axes!r} of a "
                               f"{st.layout} tensor; qsim maps only the mean over H and W "
                               f"(axes {sorted(spatial)!r})")
    return bool(g.attr(node, "keepdims", 1))


def _global_pool(w: Any, node: onnx.NodeProto, st: State) -> State:
    """Mean over H, W -> GlobalAccPool (the sum) with the 1/(H*W) in the scale: the source
    value ``mean(a * q + b) = (a / HW) * sum(q) + b``, exact for any a, b per channel."""
    no_post(node, st)
    w._flush(st)
    if st.layout not in ("NCHW", "NHWC"):
        raise ModelImportError(f"{node_label(node)}: global pooling needs an NCHW or NHWC "
                               f"input, got {st.layout} {st.shape!r}")
    keep = _pool_axes(w, node, st)
    h, wd, c = st.ours
    blk = GlobalAccPool(ifm_dim=(h, wd), channels=c, idt=st.dtype, name=w._name("GlobalAccPool"))
    st.a = st.a / (h * wd)
    st.lo, st.hi = st.lo * h * wd, st.hi * h * wd
    st.dtype = blk.odt
    st.tensor = node.output[0]
    n = st.shape[0]
    if not keep:
        st.shape, st.layout = (n, c), "NC"
    else:
        st.shape = (n, c, 1, 1) if st.layout == "NCHW" else (n, 1, 1, c)
    w._add(blk.name, blk, (h, wd, c), st, source=node.output[0])
    return st


HANDLERS_R: dict[str, Any] = {"GlobalAveragePool": _global_pool, "ReduceMean": _global_pool,
                              "AveragePool": _global_pool}
