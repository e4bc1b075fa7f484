"""A tiny test selection for tests/mutate's end-to-end run (not collected by default: the
name does not match test_*.py; the mutation test passes this file to pytest explicitly)."""

from __future__ import annotations

import numpy as np

from qsim.models import Thresholding
from qsim.rtlsim import verify_rtl


def test_tiny_thresholding() -> None:
    cfg = Thresholding(channels=2, pe=1, idt="INT3", odt="UINT2",
                       thresholds=np.array([[-2, 0, 2], [-1, 1, 3]]))
    verify_rtl([cfg], frames=6, seed=5)
