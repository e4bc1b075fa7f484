"""Pipeline cycle model: chained blocks and FIFOs against a register-level chain simulation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsim.errors import SimulationError
from qsim.models import MVTU, MaxPool, Schedule, SlidingWindow, Thresholding
from qsim.pipeline.engine import Stage, simulate_pipeline

from ._ref import ChainSim
from .strategies import patterns


def fifo(depth: int) -> Schedule:
    """A FIFO as a stage: each step forwards one word; ``depth`` words of input buffer."""
    return Schedule(n_in=1, n_out=1, need=np.array([0]), produces=np.array([True]),
                    frees=np.array([1]), capacity=depth)


@st.composite
def conv_chains(draw: Any) -> list[Stage]:
    """SWG -> MVTU -> Thresholding -> MaxPool, with FIFOs of random depth in between."""
    c = draw(st.sampled_from([1, 2, 4]))
    simd = draw(st.sampled_from([d for d in (1, 2, 4) if c % d == 0]))
    k = draw(st.integers(1, 2))
    pool = draw(st.integers(1, 2))
    oh = pool * draw(st.integers(1, 2))
    h = oh + k - 1
    mh = draw(st.sampled_from([2, 4]))
    pe = draw(st.sampled_from([1, 2]))
    images = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    swg = SlidingWindow(ifm_dim=h, channels=c, kernel=k, simd=simd, idt="INT2")
    mvtu = MVTU(mw=k * k * c, mh=mh, pe=pe, simd=simd, idt="INT2", wdt="INT2",
                weights=rng.integers(-2, 2, (k * k * c, mh)))
    thr = Thresholding(channels=mh, pe=pe, idt=mvtu.odt, odt="UINT2",
                       thresholds=np.sort(rng.integers(-8, 8, (mh, 3)), axis=1))
    mp = MaxPool(ifm_dim=oh, channels=mh, kernel=pool, pe=pe, idt="UINT2")
    pixels = images * oh * oh
    blocks = [("swg", swg.schedule, images), ("mvtu", mvtu.schedule, pixels),
              ("thr", thr.schedule, pixels), ("pool", mp.schedule, images)]
    stages: list[Stage] = []
    for name, sched, frames in blocks:
        if stages and draw(st.booleans()):
            stages.append(Stage(f"fifo_{name}", fifo(draw(st.integers(1, 4))),
                                stages[-1].out_words))
        stages.append(Stage(name, sched, frames))
    return stages


def reference(stages: list[Stage], offer: list[int], ready: list[bool]) -> list[list[int]]:
    spec = [(s.schedule.need.tolist(), s.schedule.produces.tolist(), s.schedule.frees.tolist(),
             s.schedule.n_in, s.schedule.capacity, s.frames) for s in stages]
    return ChainSim(spec, offer, ready).run()


@given(stages=conv_chains(), data=st.data())
@settings(max_examples=60)
def test_pipeline_equals_register_level_chain(stages: list[Stage], data: Any) -> None:
    offer, ready = data.draw(patterns(stages[0].in_words, 600))
    traces = simulate_pipeline(stages, offer, ready)
    links = reference(stages, offer, ready)
    got = [tr.accept.tolist() for tr in traces] + [traces[-1].transfer.tolist()]
    assert got == links
    for up, down in zip(traces, traces[1:]):  # one time per word per link
        assert up.transfer.tolist() == down.accept.tolist()


def test_single_stage_equals_block_cycle_model() -> None:
    m = MVTU(mw=8, mh=4, pe=2, simd=4, idt="INT4", wdt="INT4", weights=np.ones((8, 4), int))
    ready = [True, False, False, True] * 20
    (tr,) = simulate_pipeline([Stage("m", m.schedule, 5)], ready=ready)
    ref = m.cycles(5, ready=ready)
    assert tr.transfer.tolist() == ref.transfer.tolist()
    assert tr.accept.tolist() == ref.accept.tolist()


def test_word_count_mismatch_is_refused() -> None:
    m = MVTU(mw=8, mh=4, pe=2, simd=4, idt="INT4", wdt="INT4", weights=np.ones((8, 4), int))
    with pytest.raises(SimulationError, match=r"stage 'a' produces 6 words but 'b' consumes "
                                              r"10"):
        simulate_pipeline([Stage("a", m.schedule, 3), Stage("b", m.schedule, 5)])


def test_deadlock_names_the_stage() -> None:
    # a stage that needs 3 words per step but buffers only 2
    bad = Schedule(n_in=3, n_out=1, need=np.array([2]), produces=np.array([True]),
                   frees=np.array([3]), capacity=2)
    with pytest.raises(SimulationError, match=r"pipeline deadlock: stage 'bad' stuck at step 0 "
                                              r"of 1 waiting for input word 2"):
        simulate_pipeline([Stage("f", fifo(2), 3), Stage("bad", bad, 1)])
