"""Tests written for mutants ``qsim mutate`` found surviving the block tests (docs/verify.md):
each names the mutant class it kills."""

from __future__ import annotations

import numpy as np
import pytest

from qsim.models import Thresholding
from qsim.rtlsim import verify_rtl

pytestmark = pytest.mark.rtlsim


def test_thresholding_with_bipolar_input() -> None:
    # qsim_thresholding's BIPOLAR decode (bit 1 = +1, bit 0 = -1): no block test fed a BIPOLAR
    # input, so mutants of that line (-1 decoded as 0, +1 as 2, lanes 0/1 swapped) survived.
    # Thresholds at -1, 0 and +1 in every lane make each decoded value count differently.
    cfg = Thresholding(channels=4, pe=2, idt="BIPOLAR", odt="UINT2",
                       thresholds=np.array([[-1, 0, 1], [0, 1, 2], [-2, -1, 0], [1, 1, 1]]))
    verify_rtl([cfg], frames=8, seed=2)
