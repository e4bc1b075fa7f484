"""Analytic resource estimate of a layer (FINN-R style formulas, no synthesis).

Source of the formulas: Blott et al., "FINN-R: An End-to-End Deep-Learning Framework for Fast
Exploration of Quantized Neural Networks" (ACM TRETS 2018), as FINN's MVAU applies them
(facts read from FINN, code not copied; docs/synth.md states them). With P = PE, Q = SIMD,
W/A = weight/input bits, B = output bits, ACC = accumulator bits, WMEM = NF*SF, TMEM = NF:

* LUT = 300 + 1.1 * P * (mult + adder + ACC + thr + comp) + wrom, where
  mult = Q * (2*ceil((W+A)/6) - 1) * (W+A) (0 with resType dsp), adder = (W+A) * (2Q - 1),
  comp = (2^B - 1) * ACC comparators, thr = (2^B - 1) * ACC * ceil(TMEM/64) when the
  thresholds are a LUT ROM, wrom = P*Q*W * ceil(WMEM/64) when the weights are;
* BRAM18 of the weights in block RAM (FINN-R, SDP RAMB18): with omega = WMEM and width
  P*Q*W: width 1: ceil(omega/16384); 2: ceil(omega/8192); <= 4: ceil(omega/4096) *
  ceil(width/4); <= 9: ceil(omega/2048) * ceil(width/9); <= 18 or omega > 512:
  ceil(omega/1024) * ceil(width/18); else ceil(omega/512) * ceil(width/36); thresholds in
  block RAM: :func:`qsim.models._memstyle.bram18_count`;
* DSP = P * Q * ceil((W+A)/48) with resType dsp.

Thresholding uses the threshold terms with P = PE, TMEM = C/PE. Other blocks have no
estimate (None): their cost is small next to the MVTUs' in the zoo networks. FF and CARRY are
not estimated.
"""

from __future__ import annotations

from math import ceil
from typing import Any, Optional

from qsim.models import MVTU, Thresholding
from qsim.models._memstyle import bram18_count, resolve_ram_style
from qsim.synth.counts import Resources

__all__ = ["estimate", "finn_r_bram18"]

_C0, _C1 = 300, 1.1


def finn_r_bram18(width: int, omega: int) -> int:
    """FINN-R's RAMB18 count of a ``width``-bit x ``omega``-word weight memory."""
    if width == 1:
        return ceil(omega / 16384)
    if width == 2:
        return ceil(omega / 8192)
    if width <= 4:
        return ceil(omega / 4096) * ceil(width / 4)
    if width <= 9:
        return ceil(omega / 2048) * ceil(width / 9)
    if width <= 18 or omega > 512:
        return ceil(omega / 1024) * ceil(width / 18)
    return ceil(omega / 512) * ceil(width / 36)


def _thresholds(pe: int, nf: int, s: int, obits: int, acc: int, style: str) -> tuple[int, int]:
    """(LUTs per PE, BRAM18) of a threshold memory plus its comparators."""
    if s == 0:
        return 0, 0
    levels = 2 ** obits - 1
    width = pe * s * acc
    if resolve_ram_style(style, width, nf) == "block":
        return levels * acc, bram18_count(width, nf)
    return levels * acc * (1 + ceil(nf / 64)), 0


def _mvtu(cfg: MVTU) -> Resources:
    p, q = cfg.pe, cfg.simd
    w, a = int(cfg.wdt.bitwidth()), int(cfg.idt.bitwidth())
    acc = int(cfg.acc_dt.bitwidth())
    wmem, width = cfg.nf * cfg.sf, p * q * w
    dsp = cfg.res_type == "dsp"
    mult = 0 if dsp else q * (2 * ceil((w + a) / 6) - 1) * (w + a)
    adder = (w + a) * (2 * q - 1)
    thr_luts, thr_bram = _thresholds(p, cfg.nf, cfg.n_thresholds, int(cfg.odt.bitwidth()),
                                     acc, cfg.ram_style_thresholds)
    block = resolve_ram_style(cfg.ram_style, width, wmem) == "block"
    wrom = 0 if block else width * ceil(wmem / 64)
    lut = _C0 + _C1 * p * (mult + adder + acc + thr_luts) + wrom
    return Resources(lut=int(lut), bram18=(finn_r_bram18(width, wmem) if block else 0)
                     + thr_bram, dsp=p * q * ceil((w + a) / 48) if dsp else 0)


def _thresholding(cfg: Thresholding) -> Resources:
    acc = int(cfg.tdt.bitwidth()) + 1
    luts, bram = _thresholds(cfg.pe, cfg.nf, cfg.n_thresholds, int(cfg.odt.bitwidth()), acc,
                             cfg.ram_style)
    return Resources(lut=int(_C0 + _C1 * cfg.pe * luts), bram18=bram)


def estimate(cfg: Any) -> Optional[Resources]:
    """The analytic estimate of a block config (MVTU, Thresholding), None for other blocks."""
    if isinstance(cfg, MVTU):
        return _mvtu(cfg)
    if isinstance(cfg, Thresholding):
        return _thresholding(cfg)
    return None
