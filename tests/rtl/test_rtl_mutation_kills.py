"""Tests written for mutants ``qsim mutate`` found surviving the block tests (docs/verify.md):
each names the mutant class it kills."""

from __future__ import annotations

import numpy as np
import pytest

from qsim.models import MaxPool, Thresholding
from qsim.rtlsim import verify_rtl

pytestmark = pytest.mark.rtlsim


def test_thresholding_with_bipolar_input() -> None:
    # qsim_thresholding's BIPOLAR decode (bit 1 = +1, bit 0 = -1): no block test fed a BIPOLAR
    # input, so mutants of that line (-1 decoded as 0, +1 as 2, lanes 0/1 swapped) survived.
    # Thresholds at -1, 0 and +1 in every lane make each decoded value count differently.
    cfg = Thresholding(channels=4, pe=2, idt="BIPOLAR", odt="UINT2",
                       thresholds=np.array([[-1, 0, 1], [0, 1, 2], [-2, -1, 0], [1, 1, 1]]))
    verify_rtl([cfg], frames=8, seed=2)


def test_maxpool_with_three_channel_folds() -> None:
    # every block-test MaxPool has C/PE <= 2, so its fold counter cf_q is one bit wide and
    # counting down (cf_q - 1) or a counter one bit short survived; NF = 3 (a wrap that is not
    # a power of two) and NF = 5 need every bit and the wrap at NF - 1.
    verify_rtl([MaxPool(ifm_dim=4, channels=6, kernel=2, pe=2, idt="INT4"),
                MaxPool(ifm_dim=(2, 4), channels=5, kernel=(1, 2), pe=1, idt="UINT3")],
               frames=2, seed=4)


def test_thresholding_negative_values_in_the_top_lane() -> None:
    # qsim_thresholding's decoded values one bit short (``logic [PE*AW-2:0] val``) lose the top
    # lane's sign bit: a negative value there reads as a positive one. Verilator keeps a stray
    # bit above a declared width inside its storage word, so the loss shows only when the
    # dropped bit starts a new word: PE*AW = 3*3 = 9 bits (INT2 thresholds and inputs). The
    # top lane holds both signs against thresholds on both sides of zero.
    cfg = Thresholding(channels=3, pe=3, idt="INT2", odt="UINT2",
                       thresholds=np.array([[-2, 0, 1], [-1, 0, 1], [-2, -1, 0]]))
    assert cfg.tdt.bitwidth() + 1 == 3
    verify_rtl([cfg], frames=8, seed=3)
