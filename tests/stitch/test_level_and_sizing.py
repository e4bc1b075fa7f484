"""The rtlsim-stitched verify level and FIFO sizing on the pipeline model."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import pytest

from qsim.errors import ConfigError, MismatchError
from qsim.rtlsim.fifo_sizing import check_native, size_fifos
from qsim.rtlsim.patterns import Pattern
from tests.stitch._designs import random_input, tfc, tiny_conv


def _run(design: Any, x: np.ndarray, ready: Optional[np.ndarray] = None,
         levels: Sequence[str] = ("model", "rtlsim-stitched")) -> Any:
    import qsim.verify  # noqa: F401  (registers the built-in levels)
    from qsim.verify import _stitched_level  # noqa: F401  (registers rtlsim-stitched)
    from qsim.verify.levels import Context
    from qsim.verify.runner import run_levels

    return run_levels(design, x, list(levels), Context(ready=ready))


@pytest.mark.rtlsim
def test_level_passes_with_backpressure() -> None:
    design = tiny_conv()
    x = random_input(design, 3, seed=2)
    ready = np.asarray(Pattern("s", p_stall=0.5).ready(3000, np.random.default_rng(0)))
    res = _run(design, x, ready)
    assert res.mismatches == []
    run = res.levels["rtlsim-stitched"].layers["MVAU_1"]
    np.testing.assert_array_equal(run.output, design(x))
    assert run.transfer is not None and run.transfer.size == 3 * 2


@pytest.mark.rtlsim
def test_level_leaves_out_label_select() -> None:
    design = tfc().with_label_select()
    res = _run(design, random_input(design, 2, seed=0))
    assert res.mismatches == []
    assert "have no RTL core; stitched up to 'MVAU_3'" in res.levels["rtlsim-stitched"].notes[0]


@pytest.mark.rtlsim
def test_level_reports_a_cycle_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    import qsim.models.pipeline as pipeline

    real = pipeline.simulate_pipeline

    def late(*args: Any, **kwargs: Any) -> Any:
        traces = real(*args, **kwargs)
        traces[-1].transfer[1:] += 1
        return traces

    monkeypatch.setattr(pipeline, "simulate_pipeline", late)
    from qsim.verify._stitched_level import _check_cycles

    with pytest.raises(MismatchError, match="transfer cycle of word 1 is 5, pipeline model "
                                            "expects 6"):
        _check_cycles("L", np.array([3, 6]), np.array([3, 5]), "transfer")
    res = _run(tiny_conv(), random_input(tiny_conv(), 2, seed=2), levels=["rtlsim-stitched"])
    assert len(res.mismatches) == 1
    assert "transfer cycle of word 1" in str(res.mismatches[0])


def test_sizing_keeps_the_baseline_cycles() -> None:
    s = size_fifos(tiny_conv(), samples=2)
    assert s.cycles <= s.baseline_cycles
    assert s.depths == (0, 0, 0, 0)  # the glue DWCs buffer enough; no FIFO saves 2 cycles each
    t = size_fifos(tfc(), samples=4)
    assert (t.depths, t.baseline_cycles, t.cycles) == ((0, 3, 0), 385, 381)
    p = size_fifos(tfc(), samples=4, criterion="period")
    assert p.depths == (0, 3, 0)
    with pytest.raises(ConfigError, match="criterion='period' with samples=1"):
        size_fifos(tfc(), samples=1, criterion="period")


@pytest.mark.rtlsim
def test_sizing_holds_in_native_rtlsim() -> None:
    design = tiny_conv()
    s = size_fifos(design, samples=2)
    x = random_input(design, 2, seed=4)
    assert check_native(design, s, x, assertions=False) == (s.baseline_cycles, s.cycles)
