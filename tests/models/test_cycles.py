"""Cycle models: the max-plus recurrences against a register-level cycle simulation, and the
properties of DESIGN.md section 5 under random valid/ready patterns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsim.errors import SimulationError
from qsim.models import (
    MVTU,
    FMPadding,
    LabelSelect,
    MaxPool,
    Schedule,
    SlidingWindow,
    Thresholding,
    simulate,
)

from ._ref import CycleSim, PortsCycleSim
from .strategies import any_block, patterns, swg_configs

HORIZON = 400


def reference_cycles(cfg: Any, frames: int, offer: list[int],
                     ready: list[bool]) -> tuple[list[int], list[int]]:
    s = cfg.schedule
    sim = CycleSim(s.need.tolist(), s.produces.tolist(), s.frees.tolist(), s.n_in, s.capacity,
                   frames, offer, ready)
    return sim.run()


@given(cfg=any_block, frames=st.integers(1, 3), data=st.data())
@settings(max_examples=150)
def test_recurrences_equal_register_level_simulation(cfg: Any, frames: int, data: Any) -> None:
    n_in = frames * cfg.in_words
    offer, ready = data.draw(patterns(n_in, HORIZON))
    trace = cfg.cycles(frames, offer=offer, ready=ready)
    acc, xfr = reference_cycles(cfg, frames, offer, ready)
    assert trace.accept.tolist() == acc
    assert trace.transfer.tolist() == xfr


@given(cfg=any_block, frames=st.integers(1, 3), data=st.data())
@settings(max_examples=150)
def test_handshake_properties(cfg: Any, frames: int, data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, HORIZON))
    tr = cfg.cycles(frames, offer=offer, ready=ready)
    free = cfg.cycles(frames)
    # every word exactly once, in order (strictly increasing cycles)
    assert tr.accept.size == frames * cfg.in_words and tr.transfer.size == frames * cfg.out_words
    assert np.all(np.diff(tr.accept) > 0) and np.all(np.diff(tr.transfer) > 0)
    # never before it was offered; outputs only on ready cycles
    assert np.all(tr.accept >= np.asarray(offer))
    assert all(t >= len(ready) or ready[t] for t in tr.transfer.tolist())
    # never earlier than the stall-free schedule
    assert np.all(tr.accept >= free.accept) and np.all(tr.transfer >= free.transfer)


@given(cfg=any_block, frames=st.integers(1, 4))
def test_stall_free_closed_form(cfg: Any, frames: int) -> None:
    sf = cfg.stall_free()
    tr = cfg.cycles(frames)
    assert tr.cycles == sf.cycles(frames)
    assert int(tr.transfer[0]) == sf.latency


@given(cfg=any_block)
def test_ideal_initiation_interval(cfg: Any) -> None:
    """Steady state reaches the folding's ideal: MVTU NF*SF per vector, Thresholding,
    MaxPool and GlobalAccPool one input word per cycle, SWG max(input words, output words) per
    frame, FMPadding one output word per cycle, LabelSelect NF input + K output steps."""
    if isinstance(cfg, MVTU):
        ideal = cfg.nf * cfg.sf
    elif isinstance(cfg, SlidingWindow):
        ideal = max(cfg.in_words, cfg.out_words)
    elif isinstance(cfg, FMPadding):
        ideal = cfg.out_words
    elif isinstance(cfg, LabelSelect):
        ideal = cfg.in_words + cfg.k
    else:
        ideal = cfg.in_words
    assert cfg.stall_free().period == ideal
    c4, c5 = cfg.cycles(4).cycles, cfg.cycles(5).cycles
    assert c5 - c4 == ideal


@given(cfg=any_block, stop=st.integers(0, 60))
def test_output_stall_propagates_back_within_buffering(cfg: Any, stop: int) -> None:
    """Downstream not ready for a long window from cycle ``stop``: by the window's end the block
    has accepted no more input than the next output word needs plus its input buffer
    (2 words; SWG: its frame buffer). The output register holds one more produced word."""
    frames, window = 3, 3000
    ready = [True] * stop + [False] * window
    tr = cfg.cycles(frames, ready=ready)
    end = stop + window
    out_done = int(np.sum(tr.transfer < end))
    assert out_done == int(np.sum(tr.transfer < stop)), "no transfer while not ready"
    accepted = int(np.sum(tr.accept < end))
    total_out = frames * cfg.out_words
    if out_done + 2 > total_out:  # nothing left to block: everything may have entered
        return
    bound = _inputs_behind(cfg, out_done + 2) + cfg.schedule.capacity
    assert accepted <= bound, (accepted, bound)
    # and the block did fill up: the stall is what stopped it (not a starved input)
    assert accepted >= min(_inputs_behind(cfg, out_done + 1), frames * cfg.in_words)


def _inputs_behind(cfg: Any, outputs: int) -> int:
    """Input words the engine reads up to the step producing output word ``outputs - 1``."""
    s: Schedule = cfg.schedule
    frames, rem = divmod(outputs, s.n_out)
    if rem == 0:
        return frames * s.n_in
    k = int(np.flatnonzero(s.produces)[rem - 1])  # step producing the rem-th word of a frame
    needed = s.need[: k + 1]
    return frames * s.n_in + (int(needed.max()) + 1 if np.any(needed >= 0) else 0)


def test_deadlock_is_reported() -> None:
    # a word needed before the buffer can ever hold it
    sched = Schedule(n_in=3, n_out=1, need=np.array([2]), produces=np.array([True]),
                     frees=np.array([3]), capacity=2)
    with pytest.raises(SimulationError, match=r"pipeline deadlock: stage 'toy' stuck at step 0 "
                                              r"of 1 waiting for input word 2"):
        simulate(sched, 1, owner="toy")


def test_offer_length_is_checked() -> None:
    cfg = Thresholding(channels=2, idt="INT4", odt="BIPOLAR", thresholds=[[0]])
    with pytest.raises(SimulationError, match=r"offer has 1 entries for 4 input words"):
        cfg.cycles(2, offer=[0])


def test_known_waveforms() -> None:
    """The ASCII waveforms in docs/timing.md, as numbers."""
    m = MVTU(mw=4, mh=4, pe=2, simd=2, idt="INT2", wdt="INT2", weights=np.ones((4, 4), int))
    tr = m.cycles(2)
    assert tr.accept.tolist() == [0, 1, 2, 3] and tr.step.tolist()[:5] == [1, 2, 3, 4, 5]
    assert tr.transfer.tolist() == [3, 5, 7, 9]
    t = Thresholding(channels=4, idt="INT2", odt="BIPOLAR", thresholds=[[0]])
    assert t.cycles(1).transfer.tolist() == [2, 3, 4, 5]
    # ready low in cycles 2..9: a 2-word input buffer plus the output register, then stop
    t6 = Thresholding(channels=6, idt="INT2", odt="BIPOLAR", thresholds=[[0]])
    tr6 = t6.cycles(1, ready=[True, True] + [False] * 8)
    assert tr6.accept.tolist() == [0, 1, 2, 11, 12, 13]
    assert tr6.transfer.tolist() == [10, 11, 12, 13, 14, 15]
    mp = MaxPool(ifm_dim=2, channels=1, kernel=2, idt="INT2")
    assert mp.cycles(2).transfer.tolist() == [5, 9]
    sw = SlidingWindow(ifm_dim=2, channels=1, kernel=2, idt="INT2")
    assert sw.cycles(1).transfer.tolist() == [2, 3, 4, 5]
    # stalls: ready low in cycles 3..5 holds the MVTU's second output and then its input
    tr = m.cycles(2, ready=[True, True, True, False, False, False])
    assert tr.transfer.tolist() == [6, 7, 9, 11]


@given(cfg=swg_configs())
def test_swg_input_runs_a_frame_ahead(cfg: SlidingWindow) -> None:
    """The frame buffer never blocks the first frame's input when nothing stalls."""
    tr = cfg.cycles(1)
    assert tr.accept.tolist() == list(range(cfg.in_words))


@given(cfg=any_block, frames=st.integers(1, 3), data=st.data())
@settings(max_examples=50)
def test_ports_reference_with_one_port_is_the_single_port_reference(cfg: Any, frames: int,
                                                                    data: Any) -> None:
    """The multi-port reference (graph blocks) reduces to CycleSim on one port each."""
    offer, ready = data.draw(patterns(frames * cfg.in_words, HORIZON))
    s = cfg.schedule
    acc, xfr = PortsCycleSim(s.need.tolist(), s.produces.tolist(), s.frees.tolist(), s.n_in,
                             s.capacity, frames, [offer], [ready]).run()
    assert (acc[0], xfr[0]) == reference_cycles(cfg, frames, offer, ready)
