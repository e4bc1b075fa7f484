"""The rtlsim-stitched verify level and FIFO sizing on the pipeline model."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional, Sequence

import numpy as np
import pytest

from qsim.errors import ConfigError, MismatchError
from qsim.pipeline.engine import simulate_pipeline
from qsim.pipeline.fifo_sizing import size_fifos
from qsim.pipeline.plan import stitch
from qsim.rtlsim.native_run import check_native
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
def test_level_stitches_label_select() -> None:
    design = tfc().with_fifo_depths([0, 3, 0]).with_label_select(k=3)  # the Design's depths
    x = random_input(design, 2, seed=0)
    res = _run(design, x)
    assert res.mismatches == [] and res.passed
    run = res.levels["rtlsim-stitched"].layers["LabelSelect_0"]
    np.testing.assert_array_equal(run.output, design(x))  # top-3 labels, largest first


@pytest.mark.rtlsim
def test_level_reports_a_cycle_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    from qsim.pipeline.plan import Stitched

    real = Stitched.simulate

    def late(self: Stitched, *args: Any, **kwargs: Any) -> Any:
        g = real(self, *args, **kwargs)  # read-only views: replace the output link's words
        words = list(g.words)
        out = next(i for i, ln in enumerate(g.links) if ln.dst < 0)
        words[out] = words[out].copy()
        words[out][1:] += 1
        return dataclasses.replace(g, words=tuple(words))

    monkeypatch.setattr(Stitched, "simulate", late)
    from qsim.verify._stitched_level import _check_cycles

    with pytest.raises(MismatchError, match="transfer cycle of word 1 is 5, pipeline model "
                                            "expects 6"):
        _check_cycles("L", np.array([3, 6]), np.array([3, 5]), "transfer")
    res = _run(tiny_conv(), random_input(tiny_conv(), 2, seed=2), levels=["rtlsim-stitched"])
    assert len(res.mismatches) == 1
    assert "transfer cycle of word 1" in str(res.mismatches[0])


def _total_cycles(design: Any, depths: Sequence[int], samples: int) -> int:
    transfer = simulate_pipeline(stitch(design, list(depths)).stages(samples))[-1].transfer
    return int(transfer[-1]) + 1


@pytest.mark.parametrize(("name", "samples"), [("tiny_conv", 2), ("tfc", 4)])
def test_sizing_keeps_the_baseline_cycles_with_minimal_depths(name: str, samples: int) -> None:
    design = {"tiny_conv": tiny_conv, "tfc": tfc}[name]()
    s = size_fifos(design, samples=samples)
    assert s.baseline_cycles == _total_cycles(design, s.baseline_depths, samples)
    assert s.cycles == _total_cycles(design, s.depths, samples) <= s.baseline_cycles
    assert sum(s.depths) < sum(s.baseline_depths)
    for k, d in enumerate(s.depths):  # one word less on any FIFO costs cycles
        if d:
            smaller = list(s.depths[:k]) + [d - 1] + list(s.depths[k + 1:])
            assert _total_cycles(design, smaller, samples) > s.baseline_cycles, (k, s.depths)


def test_sizing_for_the_period() -> None:
    design = tfc()
    p = size_fifos(design, samples=4, criterion="period")
    ends = simulate_pipeline(stitch(design, list(p.depths)).stages(4))[-1].transfer
    base = simulate_pipeline(stitch(design, list(p.baseline_depths)).stages(4))[-1].transfer
    assert ends[-1] - ends[-2] <= base[-1] - base[-2]  # 1 output word per sample
    with pytest.raises(ConfigError, match="criterion='period' with samples=1"):
        size_fifos(design, samples=1, criterion="period")


@pytest.mark.rtlsim
def test_sizing_holds_in_native_rtlsim() -> None:
    design = tiny_conv()
    s = size_fifos(design, samples=2)
    x = random_input(design, 2, seed=4)
    assert check_native(design, s, x, assertions=False) == (s.baseline_cycles, s.cycles)


def test_sized_depths_round_trip_through_a_folding_config() -> None:
    from qsim.frontend import apply_folding

    design = tfc()
    s = size_fifos(design, samples=4)
    sized = apply_folding(design, s.folding(design))
    assert sized.fifo_depths == s.depths
    assert [n.cfg.depth for n in stitch(sized).nodes if n.name.startswith("fifo")] == \
        [d for d in s.depths if d]
    assert design.link_fifo_depths == (2, 2, 2)  # the default, unchanged by applying
