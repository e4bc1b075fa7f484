"""FINN's memory and multiplier style attributes: checked values and the ``auto`` rule.

A block's weights and thresholds are read-only memories with a registered read (``qsim_rom``).
FINN's folding keys choose how they are built:

* ``ram_style`` / ``ram_style_thresholds``: ``"block"`` (block RAM), ``"distributed"`` (LUTs
  used as ROM) or ``"auto"``;
* ``resType``: ``"lut"`` or ``"dsp"`` for the MVTU's products.

``auto`` (:func:`resolve_ram_style`) takes the style that uses the smaller fraction of the
Pynq-Z2's budget: a LUT ROM costs ``width * ceil(depth / 64)`` LUT6 (one LUT6 holds 64 words of
one bit) out of 53,200; block RAM costs :func:`bram18_count` RAMB18 out of 280. Block RAM wins
when ``luts / 53200 > bram18 / 280`` (docs/synth.md).
"""

from __future__ import annotations

from math import ceil

from qsim.errors import ConfigError

__all__ = ["RAM_STYLES", "RES_TYPES", "bram18_count", "check_choice", "lut_rom_count",
           "resolve_ram_style"]

#: FINN ``ram_style`` values qsim accepts.
RAM_STYLES = ("auto", "block", "distributed")
#: FINN ``resType`` values qsim accepts.
RES_TYPES = ("lut", "dsp")

# (depth, width) aspect ratios of one RAMB18E1 with a registered read (7-series, UG473)
_BRAM18_MODES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
_BOARD_LUT, _BOARD_BRAM18 = 53_200, 280  # xc7z020 (Pynq-Z2): the auto rule's yardstick


def check_choice(value: object, field: str, choices: tuple[str, ...], owner: str) -> str:
    """``value`` if it is one of ``choices``; otherwise ConfigError naming both."""
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{owner}: {field}={value!r} is not one of {list(choices)!r}")
    return value


def bram18_count(width: int, depth: int) -> int:
    """RAMB18E1 needed for a ``width`` x ``depth`` ROM: the best single aspect ratio."""
    if width <= 0 or depth <= 0:
        return 0
    return min(ceil(width / w) * ceil(depth / d) for d, w in _BRAM18_MODES)


def lut_rom_count(width: int, depth: int) -> int:
    """LUT6 of a ``width`` x ``depth`` LUT ROM: 64 words of one bit per LUT6."""
    return width * ceil(depth / 64) if width > 0 and depth > 0 else 0


def resolve_ram_style(style: str, width: int, depth: int) -> str:
    """``"block"`` or ``"distributed"`` for a memory of ``style`` (``auto`` resolved)."""
    if style != "auto":
        return style
    luts, brams = lut_rom_count(width, depth), bram18_count(width, depth)
    return "block" if luts * _BOARD_BRAM18 > brams * _BOARD_LUT else "distributed"
