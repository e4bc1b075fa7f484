"""cppsim vs the Python model on hypothesis-generated configs of all four blocks.

Each example draws a small list of configs of one block type and compiles them into one
translation unit (one g++ run), so the default run stays cheap; `slow` draws many more. Each
example also draws whether weights and thresholds are compiled in or passed at run time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._configs import maxpool_configs, mvtu_configs, rand_input, swg_configs, thresholding_configs
from ._harness import check_all, compile_configs

pytestmark = pytest.mark.cppsim

STRATEGIES = {
    "mvtu": mvtu_configs(),
    "thresholding": thresholding_configs(),
    "sliding_window": swg_configs(),
    "maxpool": maxpool_configs(),
}
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(data: Any, block: str, n_cfgs: int) -> None:
    cfgs = data.draw(st.lists(STRATEGIES[block], min_size=1, max_size=n_cfgs), label="configs")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    inputs = {i: rand_input(cfg, rng, int(rng.integers(1, 4))) for i, cfg in enumerate(cfgs)}
    runtime = data.draw(st.booleans(), label="runtime parameters")
    check_all(compile_configs(cfgs, chunks=2, runtime=runtime), cfgs, inputs)


@pytest.mark.parametrize("block", sorted(STRATEGIES))
@settings(max_examples=2, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_block_matches_model(block: str, data: Any) -> None:
    _run(data, block, n_cfgs=6)


@pytest.mark.slow
@pytest.mark.parametrize("block", sorted(STRATEGIES))
@settings(max_examples=20, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_block_matches_model_slow(block: str, data: Any) -> None:
    _run(data, block, n_cfgs=10)
