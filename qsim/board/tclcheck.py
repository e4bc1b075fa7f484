"""What can be checked of the package's TCL without Vivado (tclsh from Debian's ``tcl``).

:func:`check_tcl` runs each script under ``tclsh`` with every unknown command (all of Vivado's)
recorded instead of run, so the script must parse and its own Tcl (``set``, ``list``,
``file join``, ``foreach``, ``if``, ``expr``) must evaluate. Then, from the recorded calls:
every file ``add_files`` reads exists in the package; the stream interfaces the block design
connects (``qsim_top_0/s_axis``, ``qsim_top_0/m_axis``) are interfaces of the wrapper; the
DMA's stream widths equal the wrapper's TDATA widths; FCLK0 is the requested clock.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from qsim.errors import ToolchainError, UsageError

__all__ = ["check_tcl", "tcl_calls", "wrapper_ports"]

_STUB = r"""
proc unknown {args} { puts "CALL\t[join $args "\t"]"; return "" }
source [lindex $argv 0]
"""


def tcl_calls(script: Path) -> list[list[str]]:
    """The Vivado commands ``script`` calls under tclsh (each as its words)."""
    tclsh = shutil.which("tclsh")
    if tclsh is None:
        raise ToolchainError("tclsh not found: install Debian's `tcl` (make install does)")
    proc = subprocess.run([tclsh, "/dev/stdin", str(script)], input=_STUB, text=True,
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise UsageError(f"{str(script)!r} does not run under tclsh: {proc.stderr.strip()}")
    return [ln.split("\t")[1:] for ln in proc.stdout.splitlines() if ln.startswith("CALL\t")]


def wrapper_ports(wrapper: Path) -> dict[str, int]:
    """Port name -> width of the Verilog wrapper; interfaces from X_INTERFACE_INFO as
    ``if:<name>`` -> 1."""
    text = wrapper.read_text()
    ports = {m.group(3): (int(m.group(2)) + 1 if m.group(2) else 1) for m in re.finditer(
        r"^\s*(input|output)\s+wire\s+(?:\[(\d+):0\]\s+)?(\w+)", text, re.M)}
    for m in re.finditer(r'X_INTERFACE_INFO = "xilinx\.com:interface:axis:1\.0 (\w+) ', text):
        ports[f"if:{m.group(1)}"] = 1
    return ports


def _config(calls: list[list[str]]) -> dict[str, str]:
    """Every CONFIG.key value pair set by set_property -dict."""
    out: dict[str, str] = {}
    for c in calls:
        if c[:2] == ["set_property", "-dict"]:
            words = c[2].split()
            for k, v in zip(words, words[1:]):
                if k.startswith("CONFIG."):
                    out[k[7:]] = v.strip("{}")
    return out


def check_tcl(package: Path, fclk_mhz: float) -> list[str]:
    """Problems found in the package's TCL (empty: all checks pass)."""
    hw = Path(package) / "hw"
    problems: list[str] = []
    calls = tcl_calls(hw / "package_ip.tcl") + tcl_calls(hw / "make_bd.tcl")
    for c in calls:
        if c and c[0] == "add_files":
            for f in " ".join(a for a in c[1:] if not a.startswith("-")).split():
                if f and not Path(f).is_file():
                    problems.append(f"add_files reads {f!r}, which is not in the package")
    ports = wrapper_ports(hw / "rtl" / "qsim_board_top.v")
    for c in calls:
        if c and c[0] == "connect_bd_intf_net":
            for pin in re.findall(r"qsim_top_0/(\w+)", " ".join(c)):
                if f"if:{pin}" not in ports:
                    problems.append(f"make_bd.tcl connects qsim_top_0/{pin}, not an "
                                    f"interface of the wrapper")
    cfg = _config(calls)
    for key, port in (("c_m_axis_mm2s_tdata_width", "s_axis_tdata"),
                      ("c_s_axis_s2mm_tdata_width", "m_axis_tdata")):
        if cfg.get(key) != str(ports.get(port)):
            problems.append(f"DMA {key}={cfg.get(key)!r} but the wrapper's {port} is "
                            f"{ports.get(port)!r} bits")
    if cfg.get("c_sg_length_width") != "26":
        problems.append(f"c_sg_length_width={cfg.get('c_sg_length_width')!r}, not 26")
    if float(cfg.get("PCW_FPGA0_PERIPHERAL_FREQMHZ", "nan")) != float(fclk_mhz):
        problems.append(f"FCLK0 {cfg.get('PCW_FPGA0_PERIPHERAL_FREQMHZ')!r} MHz, not "
                        f"{fclk_mhz!r}")
    return problems
