"""Generate a cppsim translation unit from qsim block configs.

One generated ``.cpp`` holds, for each named block:

* its constants (weights, thresholds) as typed C++ initializers built from the config object;
* a synthesizable top function ``<sym>_top(in, out, reps)`` with AXI-Stream ports, calling the
  header kernel from ``hls/qsim/`` with the config's template arguments;
* (outside synthesis) ``extern "C" int qsim_<sym>(...)``, the batch entry point that ctypes
  calls, and ``qsim_<sym>_abi(...)`` that reports the word widths (and the run-time parameter
  count) it was built for; a block
  with several ports (AddStreams, DuplicateStreams) has ``qsim_<sym>_ports(...)`` and
  ``qsim_<sym>_ports_abi(...)`` instead, with one word array per port.

With ``runtime=True`` the MVTU and Thresholding weights and thresholds are not constants of
the source but parameters of the top function, read from memory into the on-chip arrays
before the stream loop (:mod:`qsim.cppsim._runtime`); the source then depends only on the
blocks' shapes and types, so one compiled library serves every weight set of those shapes.
The instance name reaches the entry point at run time (``block``), never through the source.

Several blocks can share one translation unit (one compile, one ``.so``), which is how the
test grid keeps compile time down. The file compiles on its own with
``g++ -std=c++17 -O2 -shared -fPIC -I hls -I <ap_types>``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Mapping, Union

import numpy as np

from qsim.cppsim._cxx import ap_type, array_init, codec, int_literal, template, word_literal
from qsim.cppsim._graph_blocks import GRAPH_KERNELS
from qsim.cppsim._kernel import Kernel
from qsim.cppsim._runtime import runtime_kernel
from qsim.errors import ConfigError
from qsim.models import (
    MVTU,
    AddStreams,
    DuplicateStreams,
    FMPadding,
    GlobalAccPool,
    LabelSelect,
    MaxPool,
    SlidingWindow,
    Thresholding,
)
from qsim.models._stream import StreamFormat

__all__ = ["AnyBlock", "Kernel", "entry_symbol", "generate_source", "kernel_of"]

AnyBlock = Union[MVTU, Thresholding, SlidingWindow, MaxPool, FMPadding, DuplicateStreams,
                 AddStreams, GlobalAccPool, LabelSelect]
_SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def entry_symbol(sym: str) -> str:
    """The extern "C" batch entry point of block ``sym``."""
    return f"qsim_{sym}"


def _activation(sym: str, cfg: Union[MVTU, Thresholding], pe: int, nf: int) -> str:
    """Definition of ``<sym>_act``: PassThrough (MVTU without thresholds) or Thresholds."""
    if cfg.thresholds is None:
        return (f"typedef {template('qsim::PassThrough', [codec(cfg.odt)])} {sym}_act_t;\n"
                f"static const {sym}_act_t {sym}_act = {{}};")
    assert cfg.tdt is not None
    tiles = cfg.threshold_tiles()  # (PE, NF, S), [p, nf, s] = T[nf*PE + p, s]
    act_t = template("qsim::Thresholds",
                     [pe, nf, cfg.n_thresholds, ap_type(cfg.tdt), codec(cfg.odt)])
    body = array_init(tiles.tolist(), int_literal, indent=2)
    return (f"// thresholds [p][nf][s] = T[nf*PE + p, s] ({cfg.tdt.get_canonical_name()})\n"
            f"typedef {act_t} {sym}_act_t;\n"
            f"static const {sym}_act_t {sym}_act = {{\n  {body},\n  {int_literal(cfg.act_val)}}};")


def _memory_pragmas(sym: str, cfg: Union[MVTU, Thresholding], weights: bool) -> tuple[str, ...]:
    """Weights split per PE; thresholds split per PE and per step (parallel comparators)."""
    out = [f"#pragma HLS ARRAY_PARTITION variable = {sym}_weights complete dim = 1"] if weights \
        else []
    if cfg.thresholds is not None:
        out += [f"#pragma HLS ARRAY_PARTITION variable = {sym}_act.thr complete dim = 1",
                f"#pragma HLS ARRAY_PARTITION variable = {sym}_act.thr complete dim = 3"]
    return tuple(out)


def _mvtu(sym: str, cfg: MVTU) -> Kernel:
    tiles = cfg.weight_tiles()  # (PE, NF*SF, SIMD)
    wfmt = StreamFormat(cfg.wdt, cfg.simd, f"{cfg.owner} weights")
    wbits = wfmt.word_bits
    # (PE, NF*SF, SIMD) -> PE*NF*SF packed words -> (PE, NF*SF)
    words = np.array(wfmt.pack(tiles), dtype=object).reshape(cfg.pe, cfg.nf * cfg.sf)
    weights = (f"// weights [p][tile] = W[sf*SIMD + s, nf*PE + p] in lane s, tile = nf*SF + sf\n"
               f"static const ap_uint<{wbits}> {sym}_weights[{cfg.pe}][{cfg.nf * cfg.sf}] = "
               f"{array_init(words.tolist(), lambda v: word_literal(v, wbits), indent=0)};")
    args = [cfg.mw, cfg.mh, cfg.simd, cfg.pe, codec(cfg.idt), codec(cfg.wdt), ap_type(cfg.acc_dt),
            bool(cfg.binary_xnor), f"{sym}_act_t"]
    call = f"{template('qsim::mvtu', args)}(in, out, {sym}_weights, {sym}_act, reps);"
    return Kernel(cfg, "qsim/mvtu.hpp", (weights, _activation(sym, cfg, cfg.pe, cfg.nf)), call,
                  _memory_pragmas(sym, cfg, weights=True))


def _thresholding(sym: str, cfg: Thresholding) -> Kernel:
    args = [cfg.channels, cfg.pe, codec(cfg.idt), f"{sym}_act_t"]
    call = f"{template('qsim::thresholding', args)}(in, out, {sym}_act, reps);"
    return Kernel(cfg, "qsim/thresholding.hpp", (_activation(sym, cfg, cfg.pe, cfg.nf),), call,
                  _memory_pragmas(sym, cfg, weights=False))


def _sliding_window(sym: str, cfg: SlidingWindow) -> Kernel:
    args = [*cfg.ifm_dim, cfg.channels, *cfg.kernel, *cfg.stride, *cfg.dilation, cfg.simd,
            codec(cfg.idt), bool(cfg.depthwise)]
    return Kernel(cfg, "qsim/sliding_window.hpp", (),
                  f"{template('qsim::sliding_window', args)}(in, out, reps);")


def _maxpool(sym: str, cfg: MaxPool) -> Kernel:
    args = [*cfg.ifm_dim, cfg.channels, *cfg.kernel, cfg.pe, codec(cfg.idt)]
    return Kernel(cfg, "qsim/maxpool.hpp", (), f"{template('qsim::maxpool', args)}(in, out, reps);")


def kernel_of(sym: str, cfg: AnyBlock, runtime: bool = False) -> Kernel:
    """The C++ pieces of block ``cfg`` named ``sym`` (a C identifier); ``runtime``: weights
    and thresholds as top-function parameters instead of constants."""
    if not _SYMBOL.match(sym):
        raise ConfigError(f"cppsim: symbol {sym!r} must be a C identifier of at most 64 chars")
    if runtime and isinstance(cfg, (MVTU, Thresholding)):
        return runtime_kernel(sym, cfg)
    if runtime:  # no parameters; only the instance name leaves the source
        return dataclasses.replace(_const_kernel(sym, cfg), label=_shape_label(cfg))
    return _const_kernel(sym, cfg)


def _shape_label(cfg: AnyBlock) -> str:
    """``MaxPool ifm_dim=[4, 4] channels=4 ...``: the config without its name."""
    fields = " ".join(f"{k}={v}" for k, v in cfg.to_dict().items() if k != "name")
    return f"{type(cfg).__name__} {fields}"


def _const_kernel(sym: str, cfg: AnyBlock) -> Kernel:
    if isinstance(cfg, MVTU):
        return _mvtu(sym, cfg)
    if isinstance(cfg, Thresholding):
        return _thresholding(sym, cfg)
    if isinstance(cfg, SlidingWindow):
        return _sliding_window(sym, cfg)
    if isinstance(cfg, MaxPool):
        return _maxpool(sym, cfg)
    build = GRAPH_KERNELS.get(type(cfg))
    if build is not None:
        return build(sym, cfg)
    raise ConfigError(f"cppsim: no HLS kernel for {type(cfg).__name__!r}")


def _label(k: Kernel) -> str:
    return k.label or str(k.block.owner)


def _top(sym: str, k: Kernel) -> str:
    i, o = f"ap_uint<{k.in_bits}>", f"ap_uint<{k.out_bits}>"
    params = "".join(f"{p}, " for p in k.top_params)
    return "\n".join([
        f"// {_label(k)}: synthesizable top function",
        f"void {sym}_top(hls::stream<{i} >& in, hls::stream<{o} >& out, {params}"
        "unsigned reps) {",
        "#pragma HLS INTERFACE mode = axis port = in",
        "#pragma HLS INTERFACE mode = axis port = out",
        "#pragma HLS INTERFACE mode = s_axilite port = reps",
        "#pragma HLS INTERFACE mode = s_axilite port = return",
        *k.pragmas,
        *k.top_body,
        f"  {k.call}",
        "}",
    ])


def _out_param(k: Kernel, name: str) -> str:
    """The output stream parameter: one stream, or an array of ``out_ports`` streams."""
    o = f"hls::stream<ap_uint<{k.out_bits}> >"
    return f"{o}& {name}" if k.out_ports == 1 else f"{o} {name}[{k.out_ports}]"


def _top_ports(sym: str, k: Kernel) -> str:
    """Top function of a multi-port block: ``in0, in1, out`` or ``in, out[N]``."""
    ins = [f"hls::stream<ap_uint<{w}> >& {n}" for n, w in zip(k.in_names, k.in_widths)]
    return "\n".join([
        f"// {_label(k)}: synthesizable top function",
        f"void {sym}_top({', '.join(ins)}, {_out_param(k, 'out')}, unsigned reps) {{",
        *(f"#pragma HLS INTERFACE mode = axis port = {n}" for n in (*k.in_names, "out")),
        "#pragma HLS INTERFACE mode = s_axilite port = reps",
        "#pragma HLS INTERFACE mode = s_axilite port = return",
        *k.pragmas,
        f"  {k.call}",
        "}",
    ])


def _entry_ports(sym: str, k: Kernel) -> str:
    """``qsim_<sym>_ports``: one word array per port; ``qsim_<sym>_ports_abi`` reports
    (in ports, out ports, out bits, in words, out words, in bits of every port)."""
    name = entry_symbol(sym) + "_ports"
    ins = [f"hls::stream<ap_uint<{w}> >& s_in{p}" for p, w in enumerate(k.in_widths)]
    out = f"hls::stream<ap_uint<{k.out_bits}> > (&s_out)[{k.out_ports}]"
    args = [f"s_in{p}" for p in range(k.in_ports)] + ["s_out[0]" if k.out_ports == 1 else "s_out"]
    run = template("qsim::cppsim::run_ports",
                   [template("qsim::cppsim::in_ports", list(k.in_widths)),
                    template("qsim::cppsim::out_ports", [k.out_bits, k.out_ports])])
    abi = [k.in_ports, k.out_ports, k.out_bits, k.block.in_words, k.block.out_words,
           *k.in_widths]
    return "\n".join([
        f'extern "C" int {name}(const char* block, const uint64_t* const* in, '
        "const uint64_t* n_in, uint64_t* const* out, uint64_t n_out, uint32_t reps, "
        "uint64_t* trip, char* msg, uint64_t msg_len) {",
        f"  auto kernel = []({', '.join(ins)}, {out}, unsigned r) {{",
        f"    {sym}_top({', '.join(args)}, r);",
        "  };",
        f"  return {run}(block, kernel, in, n_in, out, n_out, reps, trip, msg, msg_len);",
        "}",
        "",
        "// ports, widths and words per frame this entry point was generated for",
        f'extern "C" void {name}_abi(uint64_t* v) {{',
        "  " + " ".join(f"v[{i}] = {v};" for i, v in enumerate(abi)),
        "}",
    ])


def _entry(sym: str, k: Kernel) -> str:
    """``qsim_<sym>(block, params, n_params, in, n_in, out, n_out, reps, trip, msg, msg_len)``:
    ``params`` holds the ``k.n_params`` run-time parameters (none for constant weights)."""
    i, o = f"ap_uint<{k.in_bits}>", f"ap_uint<{k.out_bits}>"
    name = entry_symbol(sym)
    run = template("qsim::cppsim::run_batch", [k.in_bits, k.out_bits])
    args = "".join(f"{a}, " for a in k.entry_args)
    return "\n".join([
        f'extern "C" int {name}(const char* block, const uint64_t* params, uint64_t n_params, '
        "const uint64_t* in, uint64_t n_in, uint64_t* out, uint64_t n_out, uint32_t reps, "
        "uint64_t* trip, char* msg, uint64_t msg_len) {",
        f"  if (n_params != {k.n_params}) {{",
        "    qsim::cppsim::set_message(msg, msg_len, std::string(block) + \": \" + "
        f"std::to_string(n_params) + \" parameter words, the kernel takes {k.n_params}\");",
        "    return 1;",
        "  }",
        *k.entry_body,
        f"  auto kernel = [&](hls::stream<{i} >& s_in, hls::stream<{o} >& s_out, unsigned r) {{",
        f"    {sym}_top(s_in, s_out, {args}r);",
        "  };",
        f"  return {run}(block, kernel, in, n_in, out, n_out, reps, trip, msg, msg_len);",
        "}",
        "",
        "// word widths, words per frame and run-time parameter words of this entry point",
        f'extern "C" void {name}_abi(uint64_t* v) {{',
        f"  v[0] = {k.in_bits}; v[1] = {k.out_bits}; "
        f"v[2] = {k.block.in_words}; v[3] = {k.block.out_words}; v[4] = {k.n_params};",
        "}",
    ])


def generate_source(blocks: Mapping[str, AnyBlock], runtime: bool = False) -> str:
    """A self-contained C++ translation unit for ``{symbol: config}``.

    ``runtime=False``: weights and thresholds are typed constants of the source (the form to
    hand to Vitis HLS as is); ``runtime=True``: they are parameters of the top function and
    the source depends on shapes and types only (what cppsim compiles and caches).
    """
    if not blocks:
        raise ConfigError("cppsim: generate_source needs at least one block")
    kernels = {sym: kernel_of(sym, cfg, runtime) for sym, cfg in blocks.items()}
    headers = sorted({k.header for k in kernels.values()})
    parts = ["// Generated by qsim.cppsim.codegen from qsim block configs; do not edit.",
             *(f'#include "{h}"' for h in headers),
             "#ifndef __SYNTHESIS__", "#include <string>", "#include <vector>",
             '#include "qsim/cppsim.hpp"', "#endif", ""]
    for sym, k in kernels.items():
        rule = f"// ---- {sym}: {_label(k)} "
        top = _top_ports(sym, k) if k.multiport else _top(sym, k)
        parts += [rule + "-" * max(3, 100 - len(rule)), *k.decls, "", top, ""]
    parts.append("#ifndef __SYNTHESIS__")
    for sym, k in kernels.items():
        parts += [_entry_ports(sym, k) if k.multiport else _entry(sym, k), ""]
    parts.append("#endif  // __SYNTHESIS__")
    return "\n".join(parts) + "\n"
