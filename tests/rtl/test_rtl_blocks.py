"""SV cores against the Python models under cocotb: bit-exact words, exact accept/transfer
cycles and the stream protocol, over the default valid/ready patterns (none, random idle and
stall p=0.3 and p=0.5, long stall bursts). One Verilator build per block set."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from qsim.rtlsim import verify_rtl

from .configs import (
    finn_subset,
    glue_set,
    maxpool_set,
    mvtu_set,
    random_batch,
    swg_set,
    thresholding_set,
)

pytestmark = pytest.mark.rtlsim


def _check(cfgs: list[Any], frames: int = 2, seed: int = 0) -> None:
    report = verify_rtl(cfgs, frames=frames, seed=seed)
    assert report.instances == len(cfgs)
    assert report.runs == 4


def test_mvtu_matches_model() -> None:
    _check(mvtu_set() + finn_subset(), frames=2)


def test_thresholding_matches_model() -> None:
    _check(thresholding_set(), frames=5)


def test_swg_matches_model() -> None:
    _check(swg_set(), frames=3)


def test_maxpool_matches_model() -> None:
    _check(maxpool_set(), frames=3)


def test_fifo_and_dwc_match_models() -> None:
    _check(glue_set(), frames=12)


@given(batch=random_batch, seed=st.integers(0, 2**16))
@settings(max_examples=2, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_random_configs_match_models(batch: list[Any], seed: int) -> None:
    # a random batch of every block in one bench (more examples: -m slow); no shrinking,
    # every example is a Verilator build and the failure message names the config
    verify_rtl(batch, frames=2, seed=seed)
