"""Port-level SV rendering of cores with one or several input/output streams.

A stream link named ``P`` is the three signals ``P_valid``, ``P_ready``, ``P_data``. Generated
tops name their AXI-Stream ports ``s_axis_*``/``m_axis_*`` for a single port and
``s<p>_axis_*``/``m<p>_axis_*`` (p = 0, 1, ...) for a core with several; the width constants
of a core's package follow the same rule (``IN_BITS`` or ``IN0_BITS``, ``IN1_BITS``, ...).
The core-side port names are those of :mod:`qsim.rtlsim._corespec`.
"""

from __future__ import annotations

from typing import Sequence, Union

from qsim.errors import ConfigError
from qsim.rtlsim._corespec import CoreSpec, SvParam, uint_param

__all__ = ["Links", "axis_names", "link_names", "port_conns", "render_multi_top",
           "width_params"]

#: One link-name prefix (single-port side) or one per port, in port order.
Links = Union[str, Sequence[str]]


def _suffixes(n: int) -> list[str]:
    return [""] if n == 1 else [str(p) for p in range(n)]


def axis_names(spec: CoreSpec) -> tuple[list[str], list[str]]:
    """AXI-Stream port prefixes of the generated top: (inputs, outputs) in port order."""
    return ([f"s{s}_axis" for s in _suffixes(spec.in_ports)],
            [f"m{s}_axis" for s in _suffixes(spec.out_ports)])


def link_names(spec: CoreSpec) -> tuple[list[str], list[str]]:
    """Link prefixes inside a generated top: ``in``/``out`` or ``in0``, ``in1``, ..."""
    return ([f"in{s}" for s in _suffixes(spec.in_ports)],
            [f"out{s}" for s in _suffixes(spec.out_ports)])


def width_params(spec: CoreSpec) -> tuple[SvParam, ...]:
    """Word and TDATA widths of every port of a multi-port core, for its package."""
    out: list[SvParam] = []
    (s_ax, m_ax), (ins, outs) = axis_names(spec), link_names(spec)
    for axes, links, bits_of, side in ((s_ax, ins, spec.in_bits_of, "input"),
                                       (m_ax, outs, spec.out_bits_of, "output")):
        for p, (ax, link) in enumerate(zip(axes, links)):
            bits = bits_of(p)
            out.append(uint_param(f"{link.upper()}_BITS", bits, f"core {side} {p} word bits"))
            out.append(uint_param(f"{link.upper()}_AXIS_BITS", (bits + 7) // 8 * 8,
                                  f"{ax}_tdata bits"))
    return tuple(out)


def _as_list(links: Links, n: int, what: str, spec: CoreSpec) -> list[str]:
    names = [links] if isinstance(links, str) else list(links)
    if len(names) != n:
        raise ConfigError(f"{spec.owner}: {n} {what} port(s), got links {links!r}")
    return names


def port_conns(spec: CoreSpec, inp: Links, out: Links) -> list[str]:
    """Port connections (``.name(signal)``) of the core's streams to the links ``inp``/``out``
    (a prefix, or a sequence of prefixes in port order)."""
    ins = _as_list(inp, spec.in_ports, "input", spec)
    outs = _as_list(out, spec.out_ports, "output", spec)
    conns: list[tuple[str, str]] = []
    for p, link in enumerate(ins):
        core = "in" if spec.in_ports == 1 else f"in{p}"
        conns += [(f"{core}_valid_i", f"{link}_valid"), (f"{core}_ready_o", f"{link}_ready"),
                  (f"{core}_data_i", f"{link}_data")]
    for sig, d in (("valid", "o"), ("ready", "i"), ("data", "o")):
        # several outputs: packed vectors, port n at bit / slice n (MSB first in a concat)
        target = outs[0] if len(outs) == 1 else \
            "{" + ", ".join(f"{o}_{sig}" for o in reversed(outs)) + "}"
        conns.append((f"out_{sig}_{d}", target if len(outs) > 1 else f"{target}_{sig}"))
    width = max(len(n) for n, _ in conns)
    return [f".{n.ljust(width)}({s})" for n, s in conns]


def render_multi_top(spec: CoreSpec, core: str) -> str:
    """The ``<tag>`` top of a multi-port core: per port an AXI-Stream interface wired to a
    link (TDATA padded with zeros to a multiple of 8 bits), and the core instance text
    ``core`` reading links ``in<p>``/``in`` and writing ``out<p>``/``out``."""
    pkg = f"{spec.tag}_pkg"
    (s_ax, m_ax), (ins, outs) = axis_names(spec), link_names(spec)
    ports = ["  input  wire logic ap_clk", "  input  wire logic ap_rst_n"]
    decls, body = [], []
    for p, (ax, link) in enumerate(zip(s_ax, ins)):
        w = f"{link.upper()}_BITS"
        aw = f"{pkg}::{link.upper()}_AXIS_BITS"
        ports += [f"  input  wire logic [{aw}-1:0] {ax}_tdata",
                  f"  input  wire logic {ax}_tvalid", f"  output      logic {ax}_tready"]
        decls.append(f"  logic {link}_valid, {link}_ready;\n"
                     f"  logic [{pkg}::{w}-1:0] {link}_data;")
        body += [f"  assign {link}_valid = {ax}_tvalid;", f"  assign {ax}_tready = {link}_ready;",
                 f"  assign {link}_data = {ax}_tdata[{pkg}::{w}-1:0];"]
        if spec.in_bits_of(p) % 8:
            body.append(f"  logic unused_{ax}_pad;\n  assign unused_{ax}_pad = "
                        f"^{ax}_tdata[{aw}-1:{pkg}::{w}];")
    for p, (ax, link) in enumerate(zip(m_ax, outs)):
        w = f"{link.upper()}_BITS"
        aw = f"{pkg}::{link.upper()}_AXIS_BITS"
        ports += [f"  output      logic [{aw}-1:0] {ax}_tdata",
                  f"  output      logic {ax}_tvalid", f"  input  wire logic {ax}_tready"]
        decls.append(f"  logic {link}_valid, {link}_ready;\n"
                     f"  logic [{pkg}::{w}-1:0] {link}_data;")
        pad = (f"{{{{({aw} - {pkg}::{w}){{1'b0}}}}, {link}_data}}" if spec.out_bits_of(p) % 8
               else f"{link}_data")
        body += [f"  assign {ax}_tvalid = {link}_valid;", f"  assign {link}_ready = {ax}_tready;",
                 f"  assign {ax}_tdata = {pad};"]
    port_text = ",\n".join(ports)
    return f"""// Generated by qsim.rtlsim.svgen from {spec.owner}; do not edit.
// AXI-Stream top of one {spec.module} instance ({spec.in_ports} input and {spec.out_ports}
// output port(s), wiring only); timing is that of the core.
`default_nettype none

module {spec.tag} (
{port_text}
);

{chr(10).join(decls)}

{chr(10).join(body)}

{core}
endmodule

`default_nettype wire
"""
