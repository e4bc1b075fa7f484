"""A residual graph (fork, padded conv branch, join, global pool) in native rtlsim: bit-exact
and cycle-exact to the pipeline model under backpressure; a shallow shortcut deadlocks in both,
each naming the edge."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qsim.errors import SimulationError
from qsim.pipeline import size_fifos, stitch
from qsim.pipeline.engine import DeadlockError
from qsim.rtlsim.native_run import run_native
from qsim.rtlsim.patterns import Pattern

from ._designs import random_input, tiny_residual
from .test_level_and_sizing import _run

SHORTCUT = "DuplicateStreams_0[1] -> AddStreams_0[1]"


def _sized() -> object:
    design = tiny_residual()
    return design.with_fifo_depths(size_fifos(design, samples=2).depths)


@pytest.mark.rtlsim
@pytest.mark.parametrize("p_stall", [0.0, 0.5])
def test_residual_native_equals_model(p_stall: float) -> None:
    design = _sized()
    x = random_input(design, 3, seed=5)
    ready = (None if p_stall == 0 else
             np.asarray(Pattern("s", p_stall=p_stall).ready(4000, np.random.default_rng(1))))
    y, accept, transfer = run_native(design, x, ready=ready)
    np.testing.assert_array_equal(y, design(x))
    model = stitch(design).simulate(3, ready=ready)
    np.testing.assert_array_equal(accept, model.accept)
    np.testing.assert_array_equal(transfer, model.transfer)


@pytest.mark.rtlsim
@pytest.mark.cppsim
def test_residual_verify_levels_pass() -> None:
    design = _sized()
    x = random_input(design, 2, seed=6)
    res = _run(design, x, levels=("model", "cppsim", "rtlsim", "rtlsim-stitched"))
    assert res.mismatches == [] and res.passed
    np.testing.assert_array_equal(res.levels["rtlsim-stitched"].layers["MVAU_1"].output,
                                  design(x))


@pytest.mark.rtlsim
def test_shallow_shortcut_deadlocks_in_model_and_rtl() -> None:
    design = tiny_residual()  # FINN's default 2-word FIFOs: the shortcut is too shallow
    x = random_input(design, 2, seed=7)
    with pytest.raises(DeadlockError, match=re.escape(f"the FIFO on edge '{SHORTCUT}'")):
        stitch(design).simulate(2)
    with pytest.raises(SimulationError, match=re.escape(f"(edge {SHORTCUT}) occupancy 3 of 3 "
                                                        f"words (FULL)")):
        run_native(design, x, watchdog=2000)


@pytest.mark.rtlsim
def test_verify_reports_the_deadlock_as_a_failure() -> None:
    design = tiny_residual()  # FINN's 2-word FIFOs given: the level sizes only missing depths
    design = design.with_fifo_depths([2] * len(design.links))
    res = _run(design, random_input(design, 1, seed=8), levels=("model", "rtlsim-stitched"))
    assert not res.passed
    assert any(SHORTCUT in str(m) and "deadlocks" in str(m) for m in res.mismatches)
