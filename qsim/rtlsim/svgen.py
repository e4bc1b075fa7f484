"""SystemVerilog generation from typed block configs: one generator per block.

Every SV parameter of a core is derived here from its config object, so no number is written
twice (STYLE.md rule 2). For one instance the generator writes

* ``<tag>_pkg.sv``: a package of localparams (the core's parameters; weights and thresholds
  as the names of their .mem files, see :mod:`qsim.rtlsim._memfile`),
* ``<tag>_weights.mem``/``<tag>_thresholds.mem`` (:func:`write_mem_files`), and
* ``<tag>.sv``: a top module with Vivado's AXI-Stream names (``ap_clk``, ``ap_rst_n``,
  ``s_axis_*``, ``m_axis_*``) that instantiates ``qsim_axis_wrap`` and the chosen core,

where ``tag = <core module>_<hash of the parameters>``. A bench module instantiates several
tops side by side (ports prefixed ``i<k>_``) so that one Verilator build serves many configs.
Every generated file lints on its own with the RTL under ``qsim/rtl``.

Multi-port cores (AddStreams: 2 inputs; DuplicateStreams: N outputs). :class:`CoreSpec` has
``in_ports``/``out_ports`` and per-port widths ``in_bits_of(p)``/``out_bits_of(p)``
(``in_bits``/``out_bits`` are port 0's). A stream link ``P`` is the signals ``P_valid``,
``P_ready``, ``P_data``; :func:`core_instance` takes for ``inp``/``out`` one prefix for a
single-port side (unchanged) or a sequence of prefixes, one per port in port order, e.g.
``core_instance(add, "u_add", clk, rst_n, ["link3", "link7"], "link8")`` or
``core_instance(dup, "u_dup", clk, rst_n, "link1", ["link2", "link5"])``. The per-core top of
such a core has one AXI-Stream interface per port, ``s<p>_axis_*`` / ``m<p>_axis_*`` (single
ports keep ``s_axis_*`` / ``m_axis_*``), and its package the widths ``IN<p>_BITS``,
``IN<p>_AXIS_BITS``, ``OUT<p>_BITS``, ``OUT<p>_AXIS_BITS``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import numpy.typing as npt

from qsim.errors import ConfigError
from qsim.models import MVTU, MaxPool, SlidingWindow, Thresholding
from qsim.models._dtypes import BIPOLAR, name, to_bits
from qsim.models._memstyle import resolve_ram_style
from qsim.pipeline.dwc import DataWidthConverter
from qsim.pipeline.fifo import Fifo
from qsim.rtlsim._corespec import CoreSpec, SvParam, kind_code, pack_values, uint_param
from qsim.rtlsim._memfile import MEM_DIR_MACRO, mem_file_name, mem_files
from qsim.rtlsim._svgen_graph import GRAPH_GENERATORS
from qsim.rtlsim._svports import (
    Links,
    axis_names,
    link_names,
    port_conns,
    render_multi_top,
    width_params,
)

__all__ = ["RTL_DIR", "RTL_DIR_ENV", "CoreSpec", "SvParam", "core_spec", "render_bench",
           "render_package", "render_top", "rtl_sources", "write_mem_files"]

#: Environment variable naming another directory of the hand-written cores (``qsim mutate``
#: points it at a mutated copy); read once, at import.
RTL_DIR_ENV = "QSIM_RTL_DIR"


def _rtl_dir() -> Path:
    override = os.environ.get(RTL_DIR_ENV)
    if not override:
        return Path(__file__).resolve().parent.parent / "rtl"
    path = Path(override).resolve()
    if not (path / "qsim_axis_wrap.sv").is_file():
        raise ConfigError(f"{RTL_DIR_ENV}={override!r} is not a directory of qsim cores "
                          f"(no qsim_axis_wrap.sv in it)")
    return path


#: Directory of the hand-written SystemVerilog (``$QSIM_RTL_DIR`` when set).
RTL_DIR = _rtl_dir()

_LITERAL_CHUNK = 256  # bits per line of an array literal


_kind = kind_code
_pack = pack_values
_uint = uint_param


def _thresholds(t_tiles: npt.NDArray[Any], aw: int) -> SvParam:
    # (PE, NF, S) -> (NF, PE, S): memory word nf holds every lane's thresholds of fold nf
    rows = np.ascontiguousarray(t_tiles.transpose(1, 0, 2))
    return SvParam("THRESHOLDS_FILE", _pack(rows, aw), "mem",
                   "threshold_tiles() (PE, NF, S): word nf, threshold (p, s) at (p*S + s)*AW",
                   bits=rows.size * aw, elem=rows.shape[1] * rows.shape[2] * aw)


def _weights(w_codes: npt.NDArray[Any], w_bits: int) -> SvParam:
    # (PE, NF*SF, SIMD) -> (NF*SF, PE, SIMD): memory word `tile` holds every PE's weights
    words = np.ascontiguousarray(w_codes.transpose(1, 0, 2))
    return SvParam("WEIGHTS_FILE", _pack(words, w_bits), "mem",
                   "weight_tiles() (PE, NF*SF, SIMD): word tile, PE p at p*SIMD*WBITS",
                   bits=words.size * w_bits, elem=words.shape[1] * words.shape[2] * w_bits)


def _block(style: str, mem: SvParam, what: str) -> SvParam:
    """The ``*_BLOCK`` bit of a memory: its FINN ram_style with ``auto`` resolved."""
    chosen = resolve_ram_style(style, mem.elem, mem.bits // mem.elem)
    return SvParam(f"{what}_BLOCK", int(chosen == "block"), "bit",
                   f"{mem.name} in block RAM (ram_style {style!r} -> {chosen!r})")


def _acc_check(cfg: MVTU) -> tuple[SvParam, ...]:
    """ACC_CHECK/ACC_MIN/ACC_MAX: the simulation-only accumulator range assertion (off when
    the range does not fit an SV int)."""
    lo, hi = cfg.acc_range
    on = -(2**31) <= lo and hi < 2**31
    return (SvParam("ACC_CHECK", int(on), "bit", "check acc in [ACC_MIN, ACC_MAX]"),
            SvParam("ACC_MIN", lo if on else 0, "int", "accumulator minimum (acc_range)"),
            SvParam("ACC_MAX", hi if on else 0, "int", "accumulator maximum (acc_range)"))


def _mvtu(cfg: MVTU) -> CoreSpec:
    acc_bits = int(cfg.acc_dt.bitwidth())
    obits = int(cfg.odt.bitwidth())
    s = cfg.n_thresholds
    tdt = cfg.tdt
    aw = max(acc_bits, int(tdt.bitwidth()) if tdt is not None else obits) + 1
    tiles = cfg.weight_tiles()  # (PE, NF*SF, SIMD)
    w_bits = int(cfg.wdt.bitwidth())
    weights = _weights(to_bits(tiles, cfg.wdt), w_bits)
    t_tiles = cfg.threshold_tiles() if s else np.zeros((cfg.pe, cfg.nf, 1), dtype=np.int64)
    params: tuple[SvParam, ...] = (
        _uint("MW", cfg.mw, "matrix width: input elements per vector"),
        _uint("MH", cfg.mh, "matrix height: output elements per vector"),
        _uint("PE", cfg.pe, "output lanes"),
        _uint("SIMD", cfg.simd, "input lanes"),
        _uint("IBITS", cfg.idt.bitwidth(), f"input element bits ({name(cfg.idt)})"),
        _uint("IKIND", _kind(cfg.idt), "input kind: 0 unsigned, 1 signed, 2 BIPOLAR"),
        _uint("WBITS", w_bits, f"weight element bits ({name(cfg.wdt)})"),
        _uint("WKIND", _kind(cfg.wdt), "weight kind: 0 unsigned, 1 signed, 2 BIPOLAR"),
        SvParam("XNOR", int(cfg.binary_xnor), "bit", "XNOR-popcount mode"),
        _uint("AW", aw, f"signed accumulator width (acc {name(cfg.acc_dt)})"),
        _uint("NTHR", s, "thresholds per channel (0: output the accumulator)"),
        _uint("OBITS", obits, f"output element bits ({name(cfg.odt)})"),
        SvParam("OBIPOLAR", int(cfg.odt == BIPOLAR), "bit", "BIPOLAR output"),
        *_acc_check(cfg),
        SvParam("ACT_VAL", int(cfg.act_val), "int", "output when no threshold is passed"),
        weights, _block(cfg.ram_style, weights, "W"),
        SvParam("USE_DSP", int(cfg.res_type == "dsp"), "bit", f"resType {cfg.res_type!r}"),
    )
    if s:
        thresholds = _thresholds(t_tiles, aw)
        params += (thresholds, _block(cfg.ram_style_thresholds, thresholds, "T"))
    return CoreSpec("qsim_mvtu", cfg.owner, params, cfg.in_stream.word_bits,
                    cfg.out_stream.word_bits)


def _thresholding(cfg: Thresholding) -> CoreSpec:
    aw = int(cfg.tdt.bitwidth()) + 1
    t_tiles = cfg.threshold_tiles()  # (PE, NF, S)
    params: tuple[SvParam, ...] = (
        _uint("C", cfg.channels, "channels per frame"),
        _uint("PE", cfg.pe, "channels per word"),
        _uint("IBITS", cfg.idt.bitwidth(), f"input element bits ({name(cfg.idt)})"),
        _uint("IKIND", _kind(cfg.idt), "input kind: 0 unsigned, 1 signed, 2 BIPOLAR"),
        _uint("AW", aw, f"signed compare width (thresholds {name(cfg.tdt)})"),
        _uint("NTHR", cfg.n_thresholds, "thresholds per channel"),
        _uint("OBITS", cfg.odt.bitwidth(), f"output element bits ({name(cfg.odt)})"),
        SvParam("OBIPOLAR", int(cfg.odt == BIPOLAR), "bit", "BIPOLAR output"),
        SvParam("ACT_VAL", int(cfg.act_val), "int", "output when no threshold is passed"),
    )
    thresholds = _thresholds(t_tiles, aw)
    params += (thresholds, _block(cfg.ram_style, thresholds, "T"))
    return CoreSpec("qsim_thresholding", cfg.owner, params, cfg.in_stream.word_bits,
                    cfg.out_stream.word_bits)


def _swg(cfg: SlidingWindow) -> CoreSpec:
    (h, w), (kh, kw) = cfg.ifm_dim, cfg.kernel
    (sh, sw), (dh, dw) = cfg.stride, cfg.dilation
    params = (
        _uint("H", h, "image height"), _uint("W", w, "image width"),
        _uint("C", cfg.channels, "channels"),
        _uint("KH", kh, "kernel height"), _uint("KW", kw, "kernel width"),
        _uint("SH", sh, "stride (rows)"), _uint("SW", sw, "stride (columns)"),
        _uint("DH", dh, "dilation (rows)"), _uint("DW", dw, "dilation (columns)"),
        _uint("SIMD", cfg.simd, "channels per word"),
        _uint("IBITS", cfg.idt.bitwidth(), f"element bits ({name(cfg.idt)})"),
        SvParam("DEPTHWISE", int(cfg.depthwise), "bit", "(cf, kh, kw) output order"),
        _uint("BUF_WORDS", cfg.buffer_words, "circular input buffer words"),
    )
    return CoreSpec("qsim_swg", cfg.owner, params, cfg.in_stream.word_bits,
                    cfg.out_stream.word_bits)


def _maxpool(cfg: MaxPool) -> CoreSpec:
    (h, w), (kh, kw) = cfg.ifm_dim, cfg.kernel
    params = (
        _uint("H", h, "image height"), _uint("W", w, "image width"),
        _uint("C", cfg.channels, "channels"),
        _uint("KH", kh, "kernel height"), _uint("KW", kw, "kernel width"),
        _uint("PE", cfg.pe, "channels per word"),
        _uint("IBITS", cfg.idt.bitwidth(), f"element bits ({name(cfg.idt)})"),
        SvParam("ISIGNED", int(_kind(cfg.idt) == 1), "bit", "signed compare (INTn)"),
    )
    return CoreSpec("qsim_maxpool", cfg.owner, params, cfg.in_stream.word_bits,
                    cfg.out_stream.word_bits)


def _fifo(cfg: Fifo) -> CoreSpec:
    params = (_uint("DEPTH", cfg.depth, "input-buffer words"),
              _uint("WIDTH", cfg.width, "bits per word"))
    return CoreSpec("qsim_fifo", cfg.owner, params, cfg.width, cfg.width)


def _dwc(cfg: DataWidthConverter) -> CoreSpec:
    params = (_uint("IN_WIDTH", cfg.in_width, "input word bits"),
              _uint("OUT_WIDTH", cfg.out_width, "output word bits"))
    return CoreSpec("qsim_dwc", cfg.owner, params, cfg.in_width, cfg.out_width)


_GENERATORS: dict[type, Callable[[Any], CoreSpec]] = {
    MVTU: _mvtu,
    Thresholding: _thresholding,
    SlidingWindow: _swg,
    MaxPool: _maxpool,
    Fifo: _fifo,
    DataWidthConverter: _dwc,
    **GRAPH_GENERATORS,
}


def core_spec(cfg: Any) -> CoreSpec:
    """The SV core instance for a block config (MVTU, Thresholding, SlidingWindow, MaxPool,
    FMPadding, DuplicateStreams, AddStreams, GlobalAccPool, LabelSelect, Fifo or
    DataWidthConverter)."""
    gen = _GENERATORS.get(type(cfg))
    if gen is None:
        raise ConfigError(f"no SystemVerilog core for config {cfg!r} of type "
                          f"{type(cfg).__name__!r}")
    return gen(cfg)


def rtl_sources(*specs: CoreSpec) -> list[Path]:
    """Hand-written SV files the cores of ``specs`` need, each once, dependencies first, plus
    the AXI wrapper."""
    common = ["qsim_stream_check.sv", "qsim_ibuf.sv", "qsim_oreg.sv", "qsim_axis_wrap.sv"]
    extra = {"qsim_mvtu": ["qsim_rom.sv", "qsim_threshold.sv"],
             "qsim_thresholding": ["qsim_rom.sv", "qsim_threshold.sv"]}
    names = list(common)
    for spec in specs:
        for n in extra.get(spec.module, []) + [f"{spec.module}.sv"]:
            if n not in names:
                names.append(n)
    return [RTL_DIR / n for n in names]


def _literal(p: SvParam) -> str:
    if p.kind == "bit":
        return f"1'b{p.value & 1}"
    if p.kind in ("uint", "int"):
        return str(p.value)
    # an unpacked array: element 0 first, sized hex literals, a few per line
    mask = (1 << p.elem) - 1
    elems = [f"{p.elem}'h{(p.value >> lo) & mask:x}" for lo in range(0, p.bits, p.elem)]
    per_line = max(1, _LITERAL_CHUNK // max(p.elem, 1))
    lines = [", ".join(elems[i:i + per_line]) for i in range(0, len(elems), per_line)]
    return "'{\n    " + ",\n    ".join(lines) + "\n  }"


def _decl(spec: CoreSpec, p: SvParam) -> str:
    if p.kind == "mem":
        return (f"  // {p.comment}: {p.bits // p.elem} words of {p.elem} bits\n"
                f"  localparam string {p.name} = {{`{MEM_DIR_MACRO}, "
                f"\"{mem_file_name(spec, p)}\"}};")
    if p.kind == "array":
        return (f"  // {p.comment}\n  localparam logic [{p.elem - 1}:0] {p.name} "
                f"[{p.bits // p.elem}] = {_literal(p)};")
    types = {"uint": "int unsigned", "int": "int", "bit": "bit"}
    return f"  // {p.comment}\n  localparam {types[p.kind]} {p.name} = {_literal(p)};"


def render_package(spec: CoreSpec) -> str:
    """The ``<tag>_pkg`` package: every core parameter plus the word widths."""
    if spec.in_ports == spec.out_ports == 1:
        widths: tuple[SvParam, ...] = (
            _uint("IN_BITS", spec.in_bits, "core input word bits"),
            _uint("OUT_BITS", spec.out_bits, "core output word bits"),
            _uint("IN_AXIS_BITS", (spec.in_bits + 7) // 8 * 8, "s_axis_tdata bits"),
            _uint("OUT_AXIS_BITS", (spec.out_bits + 7) // 8 * 8, "m_axis_tdata bits"),
        )
    else:
        widths = width_params(spec)
    body = "\n".join(_decl(spec, p) for p in spec.params + widths)
    mem_dir = ""
    if any(p.kind == "mem" for p in spec.params):
        mem_dir = (f"// .mem files (write_mem_files) are found in `{MEM_DIR_MACRO} (default: the "
                   f"working folder)\n`ifndef {MEM_DIR_MACRO}\n`define {MEM_DIR_MACRO} \"\"\n"
                   f"`endif\n")
    return (f"// Generated by qsim.rtlsim.svgen from {spec.owner}; do not edit.\n"
            f"// A package of constants for the generated top: unused on its own.\n{mem_dir}"
            f"/* verilator lint_off UNUSEDPARAM */\n"
            f"package {spec.tag}_pkg;\n{body}\nendpackage\n"
            f"/* verilator lint_on UNUSEDPARAM */\n")


def write_mem_files(specs: Sequence[CoreSpec], out_dir: Path) -> list[Path]:
    """Write the .mem file of every memory of ``specs`` into ``out_dir`` (each file once)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[Path, None] = {}
    for spec in specs:
        for fname, text in mem_files(spec):
            path = out_dir / fname
            if path not in paths:
                path.write_text(text)
                paths[path] = None
    return list(paths)


def axis_wrap_instance(in_bits: str, out_bits: str, clk: str, rst_n: str, inp: str,
                       out: str) -> str:
    """``qsim_axis_wrap`` between a top's AXI-Stream ports and the core side: the core input
    stream is ``{inp}_valid/_ready/_data``, its output ``{out}_...``; clock and reset go out
    on ``clk``/``rst_n``."""
    return f"""  qsim_axis_wrap #(
    .IN_BITS ({in_bits}),
    .OUT_BITS({out_bits})
  ) u_wrap (
    .ap_clk          (ap_clk),
    .ap_rst_n        (ap_rst_n),
    .s_axis_tdata    (s_axis_tdata),
    .s_axis_tvalid   (s_axis_tvalid),
    .s_axis_tready   (s_axis_tready),
    .m_axis_tdata    (m_axis_tdata),
    .m_axis_tvalid   (m_axis_tvalid),
    .m_axis_tready   (m_axis_tready),
    .core_clk_o      ({clk}),
    .core_rst_no     ({rst_n}),
    .core_in_valid_o ({inp}_valid),
    .core_in_ready_i ({inp}_ready),
    .core_in_data_o  ({inp}_data),
    .core_out_valid_i({out}_valid),
    .core_out_ready_o({out}_ready),
    .core_out_data_i ({out}_data)
  );
"""


def core_instance(spec: CoreSpec, name: str, clk: str, rst_n: str, inp: Links,
                  out: Links) -> str:
    """The core of ``spec`` (parameters from its package) as instance ``name``, reading the
    stream(s) ``inp`` and writing ``out``: a link prefix ``P`` (signals ``P_valid``,
    ``P_ready``, ``P_data``) for a single-port side, a sequence of prefixes in port order for
    a core with several input or output ports (``spec.in_ports``, ``spec.out_ports``; a
    one-element sequence also serves a single port). ConfigError when the count differs."""
    pkg = f"{spec.tag}_pkg"
    params = ",\n".join(f"    .{p.name}({pkg}::{p.name})" for p in spec.params)
    conns = port_conns(spec, inp, out)
    width = max(len("rst_ni"), *(c.index("(") - 1 for c in conns))
    ports = [f".{'clk_i'.ljust(width)}({clk})", f".{'rst_ni'.ljust(width)}({rst_n})"] + conns
    port_text = ",\n".join(f"    {c}" for c in ports)
    return f"""  {spec.module} #(
{params}
  ) {name} (
{port_text}
  );
"""


def render_top(spec: CoreSpec) -> str:
    """The ``<tag>`` top: AXI-Stream ports, ``qsim_axis_wrap`` and the core (several ports:
    ``s<p>_axis_*``/``m<p>_axis_*`` wired to the core without the wrapper)."""
    pkg = f"{spec.tag}_pkg"
    if spec.in_ports > 1 or spec.out_ports > 1:
        ins, outs = link_names(spec)
        return render_multi_top(spec, core_instance(spec, "u_core", "ap_clk", "ap_rst_n",
                                                    ins, outs))
    wrap = axis_wrap_instance(f"{pkg}::IN_BITS", f"{pkg}::OUT_BITS", "clk", "rst_n", "in", "out")
    core = core_instance(spec, "u_core", "clk", "rst_n", "in", "out")
    return f"""// Generated by qsim.rtlsim.svgen from {spec.owner}; do not edit.
// AXI-Stream top of one {spec.module} instance; timing is that of the core.
`default_nettype none

module {spec.tag} (
  input  wire logic                            ap_clk,
  input  wire logic                            ap_rst_n,
  input  wire logic [{pkg}::IN_AXIS_BITS-1:0]  s_axis_tdata,
  input  wire logic                            s_axis_tvalid,
  output      logic                            s_axis_tready,
  output      logic [{pkg}::OUT_AXIS_BITS-1:0] m_axis_tdata,
  output      logic                            m_axis_tvalid,
  input  wire logic                            m_axis_tready
);

  logic                      clk, rst_n, in_valid, in_ready, out_valid, out_ready;
  logic [{pkg}::IN_BITS-1:0]  in_data;
  logic [{pkg}::OUT_BITS-1:0] out_data;

{wrap}
{core}
endmodule

`default_nettype wire
"""


def render_bench(name: str, specs: Sequence[CoreSpec]) -> str:
    """A bench module with one top per spec, ports prefixed ``i<k>_`` (shared clock/reset)."""
    ports = ["  input  wire logic ap_clk", "  input  wire logic ap_rst_n"]
    insts = []
    for k, spec in enumerate(specs):
        pkg, p = f"{spec.tag}_pkg", f"i{k}_"
        (s_ax, m_ax), (ins, outs) = axis_names(spec), link_names(spec)
        names: list[str] = []
        for ax, link in zip(s_ax, ins):
            ports += [f"  input  wire logic [{pkg}::{link.upper()}_AXIS_BITS-1:0] {p}{ax}_tdata",
                      f"  input  wire logic {p}{ax}_tvalid", f"  output      logic {p}{ax}_tready"]
            names += [f"{ax}_tdata", f"{ax}_tvalid", f"{ax}_tready"]
        for ax, link in zip(m_ax, outs):
            ports += [f"  output      logic [{pkg}::{link.upper()}_AXIS_BITS-1:0] {p}{ax}_tdata",
                      f"  output      logic {p}{ax}_tvalid", f"  input  wire logic {p}{ax}_tready"]
            names += [f"{ax}_tdata", f"{ax}_tvalid", f"{ax}_tready"]
        conns = ",\n".join(f"    .{n}({p}{n})" for n in names)
        insts.append(f"  {spec.tag} u_i{k} (\n    .ap_clk(ap_clk),\n    .ap_rst_n(ap_rst_n),\n"
                     f"{conns}\n  );\n")
    port_text = ",\n".join(ports)
    return (f"// Generated by qsim.rtlsim.svgen: {len(specs)} instance(s) for simulation.\n"
            f"`default_nettype none\n\nmodule {name} (\n{port_text}\n);\n\n"
            + "\n".join(insts) + "\nendmodule\n\n`default_nettype wire\n")
