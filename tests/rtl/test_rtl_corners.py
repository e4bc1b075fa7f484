"""SV cores on corner stimuli and edge configs under cocotb: every accumulator driven to both
ends of its range (thresholds at the reached ends and +-1), MVTU tile counts 255/256/257/129/513
and widths at type boundaries; words, cycles and protocol against the models, and the MVTU's
accumulator range assertion ([ACC_MIN, ACC_MAX] = acc_range) armed on every step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qsim.rtlsim import DEFAULT_PATTERNS
from qsim.rtlsim.check import run_rtl
from qsim.rtlsim.svgen import core_spec
from qsim.verify.corners import corner_inputs
from qsim.verify.edge_configs import corner_set

pytestmark = pytest.mark.rtlsim


def test_corner_set_matches_models() -> None:
    cfgs = corner_set()
    inputs: list[Any] = [corner_inputs(c) for c in cfgs]
    run = run_rtl(cfgs, inputs, patterns=DEFAULT_PATTERNS[:2], seed=5)
    assert run.problems == []
    assert run.report.instances == len(cfgs)


def test_acc_range_assertion_is_armed() -> None:
    params = {p.name: p.value for p in core_spec(corner_set()[0]).params}
    assert (params["ACC_CHECK"], params["ACC_MIN"], params["ACC_MAX"]) == (1, -329, 439)
    assert np.iinfo(np.int32).max >= params["ACC_MAX"]
