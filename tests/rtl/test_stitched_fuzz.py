"""Stitched fuzz targets: random chains and fork/join graphs (random PE/SIMD, so width
converters; random FIFO depths 0-6, so some deadlock; random ready patterns) through the
pipeline model and native rtlsim. A deadlock in the model must be a watchdog stop in native
rtlsim; otherwise outputs and cycles must agree. More examples: -m slow."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from qsim.errors import MismatchError
from qsim.verify.fuzz_stitched import check_stitched, stitched_designs
from tests.stitch._designs import tiny_residual

pytestmark = pytest.mark.rtlsim

_SETTINGS: dict[str, Any] = dict(deadline=None, database=None,
                                 phases=[Phase.explicit, Phase.generate],
                                 suppress_health_check=list(HealthCheck))


@given(design=stitched_designs(), samples=st.integers(1, 2), seed=st.integers(0, 2**16),
       p_stall=st.sampled_from([0.0, 0.3, 0.6]))
@settings(max_examples=2, **_SETTINGS)
def test_random_stitched_designs(design: Any, samples: int, seed: int, p_stall: float) -> None:
    assert check_stitched(design, samples, seed, p_stall) in ("pass", "deadlock")


@pytest.mark.slow
@given(design=stitched_designs(), samples=st.integers(1, 2), seed=st.integers(0, 2**16),
       p_stall=st.sampled_from([0.0, 0.3, 0.6]))
@settings(max_examples=20, **_SETTINGS)
def test_many_random_stitched_designs(design: Any, samples: int, seed: int,
                                      p_stall: float) -> None:
    assert check_stitched(design, samples, seed, p_stall) in ("pass", "deadlock")


def test_model_deadlock_is_a_native_watchdog_stop() -> None:
    assert check_stitched(tiny_residual(), 1, seed=4, p_stall=0.3) == "deadlock"


def test_a_model_deadlock_the_rtl_does_not_have_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from qsim.pipeline.engine import DeadlockError
    from qsim.pipeline.plan import Stitched

    def stuck(self: Stitched, *args: Any, **kwargs: Any) -> Any:
        raise DeadlockError("stuck (test double)")

    monkeypatch.setattr(Stitched, "simulate", stuck)
    with pytest.raises(MismatchError, match=r"tiny_residual: the pipeline model deadlocks "
                                            r"\(stuck \(test double\)\) but native rtlsim "
                                            r"finished without its watchdog firing"):
        check_stitched(tiny_residual(shortcut_depth=64), 1, seed=1, p_stall=0.0)
