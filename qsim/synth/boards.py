"""The board table: every target board's device, Vivado parts and resources, in one place.

:mod:`qsim.synth` reads the budgets (fit check), :mod:`qsim.board` the parts (deployment
package; ``qsim.board._hw`` re-exports :data:`BOARDS` and :class:`Board`). Resource numbers
are the device's totals from the vendor's product table (xc7z020 of the Pynq-Z2: Zynq-7000
product selection guide): LUTs, LUTs usable as memory (LUTRAM/SRL), flip-flops, 36 kbit block
RAMs (each two 18 kbit halves), DSP48E1 slices and CARRY4 (one per slice).
"""

from __future__ import annotations

from dataclasses import dataclass

from qsim.errors import ConfigError

__all__ = ["BOARDS", "Board", "board"]


@dataclass(frozen=True)
class Board:
    """A target board: its device ``part``, its resource budget and, for Vivado's block design,
    ``board_part`` (the board-files part; "" when there are none). ``bram36`` counts 36 kbit
    blocks (a RAMB18E1 is half of one)."""

    name: str
    part: str
    lut: int
    lutram: int
    ff: int
    bram36: int
    dsp: int
    carry: int
    board_part: str = ""

    def budget(self) -> dict[str, float]:
        """Budget per resource name of :class:`qsim.synth.counts.Resources` (BRAM in BRAM36)."""
        return {"LUT": self.lut, "LUTRAM": self.lutram, "FF": self.ff, "BRAM36": self.bram36,
                "DSP": self.dsp, "CARRY": self.carry}


#: Known boards by name (``--board``).
BOARDS: dict[str, Board] = {
    "pynq-z2": Board(name="pynq-z2", part="xc7z020clg400-1", lut=53_200, lutram=17_400,
                     ff=106_400, bram36=140, dsp=220, carry=13_300,
                     board_part="tul.com.tw:pynq-z2:part0:1.0"),
}


def board(name: str) -> Board:
    """The board called ``name``; ConfigError naming the known ones otherwise."""
    if name not in BOARDS:
        raise ConfigError(f"board {name!r} is not one of {sorted(BOARDS)!r} (the boards "
                          f"whose budget qsim knows)")
    return BOARDS[name]
