"""Long RTL campaigns (``-m slow``): random configs of every block drawn by Hypothesis, and the
full FINN MVAU test grid. Each bench is one Verilator build holding many instances."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from qsim.rtlsim import verify_rtl

from .configs import FINN_ACTS, finn_grid, random_batch

pytestmark = [pytest.mark.rtlsim, pytest.mark.slow]


@given(batch=random_batch, seed=st.integers(0, 2**16))
@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_many_random_configs_match_models(batch: list[Any], seed: int) -> None:
    # no shrinking: every example is a Verilator build; the failure message names the config
    verify_rtl(batch, frames=2, seed=seed)


@pytest.mark.parametrize("act", FINN_ACTS)
def test_finn_mvau_grid(act: str) -> None:
    cfgs = [cfg for name, cfg in finn_grid() if name.startswith(f"{act}-")]
    assert len(cfgs) == 36
    verify_rtl(cfgs, frames=2)
