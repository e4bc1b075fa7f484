"""Resource counts of a synthesized netlist, from yosys ``stat -json`` (Xilinx 7-series cells).

Categories (what Vivado's utilization report calls them):

* ``LUT``: slice LUTs in total, logic (LUT1..LUT6) plus LUTs used as memory;
* ``LUTRAM``: LUTs used as memory: distributed RAM (RAM32M = 4 LUTs, RAM64M = 4, RAM32X1D = 2,
  RAM64X1D = 2, RAM128X1D = 4, RAM256X1S = 4, RAM32X1S/RAM64X1S = 1, RAM128X1S = 2) and shift
  registers (SRL16E, SRLC32E = 1);
* ``FF``: flip-flops (FDRE, FDSE, FDCE, FDPE and variants);
* ``BRAM36``/``BRAM18``: RAMB36E1/RAMB18E1 cells; the budget counts BRAM36 + BRAM18 / 2;
* ``DSP``: DSP48E1; ``CARRY``: CARRY4.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from qsim.errors import SimulationError

__all__ = ["RESOURCES", "Resources", "from_cells", "from_stat_json"]

#: Resource names in report order.
RESOURCES = ("LUT", "LUTRAM", "FF", "BRAM36", "BRAM18", "DSP", "CARRY")

_LUTRAM_LUTS = {"RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "RAM32X1D": 2,
                "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8, "RAM32X1S": 1, "RAM64X1S": 1,
                "RAM128X1S": 2, "RAM256X1S": 4, "RAM512X1S": 8, "SRL16E": 1, "SRLC16E": 1,
                "SRLC32E": 1}


@dataclass(frozen=True)
class Resources:
    """Counts of one netlist (or an estimate: then BRAM is all BRAM18 and FF/CARRY are 0)."""

    lut: int = 0
    lutram: int = 0
    ff: int = 0
    bram36: int = 0
    bram18: int = 0
    dsp: int = 0
    carry: int = 0

    def __add__(self, other: "Resources") -> "Resources":
        a, b = asdict(self), asdict(other)
        return Resources(**{k: a[k] + b[k] for k in a})

    @property
    def bram36_equiv(self) -> float:
        """Block RAM in 36 kbit blocks: BRAM36 + BRAM18 / 2."""
        return self.bram36 + self.bram18 / 2

    def by_name(self) -> dict[str, int]:
        """``{"LUT": ..., "LUTRAM": ..., ...}`` in :data:`RESOURCES` order."""
        return {name: getattr(self, name.lower()) for name in RESOURCES}

    def used(self) -> dict[str, float]:
        """What the budget check compares: as :meth:`by_name`, BRAM as BRAM36 equivalents."""
        d: dict[str, float] = {k: float(v) for k, v in self.by_name().items()}
        d["BRAM36"] = self.bram36_equiv
        del d["BRAM18"]
        return d


def from_cells(cells: Mapping[str, int]) -> Resources:
    """Counts from a ``{cell type: number}`` map of a Xilinx 7-series netlist."""
    logic = sum(n for c, n in cells.items() if c.startswith("LUT") and c[3:].isdigit())
    mem = sum(_LUTRAM_LUTS[c] * n for c, n in cells.items() if c in _LUTRAM_LUTS)
    return Resources(
        lut=logic + mem, lutram=mem,
        ff=sum(n for c, n in cells.items() if c.startswith("FD")),
        bram36=int(cells.get("RAMB36E1", 0)), bram18=int(cells.get("RAMB18E1", 0)),
        dsp=int(cells.get("DSP48E1", 0)), carry=int(cells.get("CARRY4", 0)))


def from_stat_json(data: Mapping[str, Any], top: str) -> Resources:
    """Counts of ``top`` from yosys ``stat -json`` output (its flattened ``design`` totals)."""
    design = data.get("design")
    if not isinstance(design, Mapping) or "num_cells_by_type" not in design:
        raise SimulationError(f"yosys stat of {top!r} has no design totals "
                              f"(keys {sorted(data)!r})")
    return from_cells({str(k): int(v) for k, v in design["num_cells_by_type"].items()})
