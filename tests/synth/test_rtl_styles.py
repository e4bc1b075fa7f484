"""Every memory style simulates cycle-exactly: weights and thresholds in block RAM or LUT ROM
and products marked for DSP or LUTs change how synthesis builds a core, never its words or
cycles (the memories are read one step ahead, docs/synth.md)."""

from __future__ import annotations

import dataclasses

import pytest

from qsim.rtlsim import verify_rtl
from tests.rtl.configs import mvtu, thresholding_set

pytestmark = pytest.mark.rtlsim


def test_block_and_distributed_memories_are_cycle_exact() -> None:
    base = mvtu(8, 6, 3, 4, "INT3", "INT2", "UINT2", 21)   # NF = SF = 2, thresholds
    nothr = mvtu(6, 4, 2, 3, "INT4", "INT4", "none", 22)   # accumulator output
    xnor = mvtu(8, 6, 3, 4, "BIPOLAR", "BIPOLAR", "BIPOLAR", 23)
    cfgs = [dataclasses.replace(base, ram_style="block", ram_style_thresholds="block",
                                res_type="dsp"),
            dataclasses.replace(base, ram_style="distributed",
                                ram_style_thresholds="distributed"),
            dataclasses.replace(nothr, ram_style="block", res_type="dsp"),
            dataclasses.replace(xnor, ram_style="block", ram_style_thresholds="block"),
            *(dataclasses.replace(t, ram_style="block") for t in thresholding_set()[:2])]
    report = verify_rtl(cfgs, frames=3, seed=5)
    assert report.instances == len(cfgs)
    assert report.runs == 4
