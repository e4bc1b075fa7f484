"""Kernel calls of the graph blocks: FMPadding, DuplicateStreams, AddStreams, GlobalAccPool,
LabelSelect (``hls/qsim/{fmpadding,duplicate_streams,add_streams,global_acc_pool,
label_select}.hpp``).

Every template argument comes from the config object; the accumulating kernels get a signed
C++ type wide enough for the config's exact value range.
"""

from __future__ import annotations

from typing import Any, Callable

from qsim.cppsim._cxx import codec, template
from qsim.cppsim._kernel import Kernel
from qsim.models import AddStreams, DuplicateStreams, FMPadding, GlobalAccPool, LabelSelect

__all__ = ["GRAPH_KERNELS", "signed_acc_type"]


def signed_acc_type(lo: int, hi: int) -> str:
    """``ap_int<n>``, the narrowest signed C++ type (n >= 2) holding every value in [lo, hi]."""
    def bits(v: int) -> int:  # magnitude bits of v in two's complement, sign excluded
        return (v if v >= 0 else -v - 1).bit_length()
    return f"ap_int<{max(2, 1 + max(bits(int(lo)), bits(int(hi))))}>"


def _fmpadding(sym: str, cfg: FMPadding) -> Kernel:
    args = [*cfg.ifm_dim, cfg.channels, *cfg.padding, cfg.simd, codec(cfg.idt)]
    return Kernel(cfg, "qsim/fmpadding.hpp", (),
                  f"{template('qsim::fmpadding', args)}(in, out, reps);")


def _duplicate_streams(sym: str, cfg: DuplicateStreams) -> Kernel:
    args = [cfg.channels, cfg.pe, codec(cfg.idt), cfg.n_outputs]
    return Kernel(cfg, "qsim/duplicate_streams.hpp", (),
                  f"{template('qsim::duplicate_streams', args)}(in, out, reps);")


def _add_streams(sym: str, cfg: AddStreams) -> Kernel:
    args = [cfg.channels, cfg.pe, codec(cfg.idt), codec(cfg.idt1),
            signed_acc_type(*cfg.sum_range), codec(cfg.odt)]
    return Kernel(cfg, "qsim/add_streams.hpp", (),
                  f"{template('qsim::add_streams', args)}(in0, in1, out, reps);")


def _global_acc_pool(sym: str, cfg: GlobalAccPool) -> Kernel:
    args = [*cfg.ifm_dim, cfg.channels, cfg.pe, codec(cfg.idt), signed_acc_type(*cfg.sum_range),
            codec(cfg.odt)]
    return Kernel(cfg, "qsim/global_acc_pool.hpp", (),
                  f"{template('qsim::global_acc_pool', args)}(in, out, reps);")


def _label_select(sym: str, cfg: LabelSelect) -> Kernel:
    args = [cfg.labels, cfg.pe, cfg.k, codec(cfg.idt), codec(cfg.odt)]
    return Kernel(cfg, "qsim/label_select.hpp", (),
                  f"{template('qsim::label_select', args)}(in, out, reps);")


#: Kernel builder per graph-block class.
GRAPH_KERNELS: dict[type, Callable[[str, Any], Kernel]] = {
    FMPadding: _fmpadding,
    DuplicateStreams: _duplicate_streams,
    AddStreams: _add_streams,
    GlobalAccPool: _global_acc_pool,
    LabelSelect: _label_select,
}
