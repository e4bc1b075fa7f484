"""SV core specs of the graph blocks: FMPadding, DuplicateStreams, AddStreams, GlobalAccPool
and LabelSelect (registered in :data:`qsim.rtlsim.svgen._GENERATORS`)."""

from __future__ import annotations

from typing import Any, Callable

from qsim.models import AddStreams, DuplicateStreams, FMPadding, GlobalAccPool, LabelSelect
from qsim.models._dtypes import name
from qsim.rtlsim._corespec import CoreSpec, SvParam, kind_code, uint_param

__all__ = ["GRAPH_GENERATORS"]

_KINDS = "0 unsigned/BINARY, 1 signed, 2 BIPOLAR"


def _bits(dt: Any) -> int:
    return int(dt.bitwidth())


def _fmpadding(cfg: FMPadding) -> CoreSpec:
    (h, w), (top, left, bottom, right) = cfg.ifm_dim, cfg.padding
    params = (
        uint_param("H", h, "input image height"), uint_param("W", w, "input image width"),
        uint_param("C", cfg.channels, "channels"),
        uint_param("SIMD", cfg.simd, "channels per word"),
        uint_param("PAD_T", top, "zero rows above"), uint_param("PAD_L", left, "zero columns left"),
        uint_param("PAD_B", bottom, "zero rows below"),
        uint_param("PAD_R", right, "zero columns right"),
        uint_param("IBITS", _bits(cfg.idt), f"element bits ({name(cfg.idt)})"),
    )
    return CoreSpec("qsim_fmpadding", cfg.owner, params, cfg.in_stream.word_bits,
                    cfg.out_stream.word_bits)


def _duplicate(cfg: DuplicateStreams) -> CoreSpec:
    params = (
        uint_param("C", cfg.channels, "channels per frame"),
        uint_param("PE", cfg.pe, "channels per word"),
        uint_param("IBITS", _bits(cfg.idt), f"element bits ({name(cfg.idt)})"),
        uint_param("N_OUT", cfg.n_outputs, "output ports"),
    )
    outs = tuple(cfg.out_stream_of(p).word_bits for p in range(cfg.out_ports))
    return CoreSpec("qsim_duplicate_streams", cfg.owner, params, cfg.in_stream.word_bits, outs[0],
                    out_widths=outs)


def _add(cfg: AddStreams) -> CoreSpec:
    dt0, dt1 = cfg.in_stream_of(0).dtype, cfg.in_stream_of(1).dtype
    params = (
        uint_param("C", cfg.channels, "channels per frame"),
        uint_param("PE", cfg.pe, "channels per word"),
        uint_param("IBITS0", _bits(dt0), f"port 0 element bits ({name(dt0)})"),
        uint_param("IKIND0", kind_code(dt0), f"port 0 kind: {_KINDS}"),
        uint_param("IBITS1", _bits(dt1), f"port 1 element bits ({name(dt1)})"),
        uint_param("IKIND1", kind_code(dt1), f"port 1 kind: {_KINDS}"),
        uint_param("OBITS", _bits(cfg.odt), f"output element bits ({name(cfg.odt)})"),
    )
    ins = tuple(cfg.in_stream_of(p).word_bits for p in range(cfg.in_ports))
    return CoreSpec("qsim_add_streams", cfg.owner, params, ins[0], cfg.out_stream.word_bits,
                    in_widths=ins)


def _global_acc_pool(cfg: GlobalAccPool) -> CoreSpec:
    h, w = cfg.ifm_dim
    params = (
        uint_param("H", h, "image height"), uint_param("W", w, "image width"),
        uint_param("C", cfg.channels, "channels"),
        uint_param("PE", cfg.pe, "channels per word"),
        uint_param("IBITS", _bits(cfg.idt), f"input element bits ({name(cfg.idt)})"),
        uint_param("IKIND", kind_code(cfg.idt), f"input kind: {_KINDS}"),
        uint_param("OBITS", _bits(cfg.odt), f"output element bits ({name(cfg.odt)})"),
    )
    return CoreSpec("qsim_global_acc_pool", cfg.owner, params, cfg.in_stream.word_bits,
                    cfg.out_stream.word_bits)


def _label_select(cfg: LabelSelect) -> CoreSpec:
    params = (
        uint_param("LABELS", cfg.labels, "values per frame"),
        uint_param("PE", cfg.pe, "values per input word"),
        uint_param("K", cfg.k, "indices per frame"),
        uint_param("IBITS", _bits(cfg.idt), f"input element bits ({name(cfg.idt)})"),
        SvParam("ISIGNED", int(kind_code(cfg.idt) == 1), "bit", "signed compare (INTn)"),
        uint_param("OBITS", _bits(cfg.odt), f"index bits ({name(cfg.odt)})"),
    )
    return CoreSpec("qsim_label_select", cfg.owner, params, cfg.in_stream.word_bits,
                    cfg.out_stream.word_bits)


GRAPH_GENERATORS: dict[type, Callable[[Any], CoreSpec]] = {
    FMPadding: _fmpadding,
    DuplicateStreams: _duplicate,
    AddStreams: _add,
    GlobalAccPool: _global_acc_pool,
    LabelSelect: _label_select,
}
