"""Pipeline engine over graphs: forks, joins and deadlock detection, against an independent
register-level graph simulation (tests/models/_graph_ref.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsim.pipeline.engine import DeadlockError, Link, Stage, simulate_graph

from ._graph_ref import Deadlocked, GStage, frame_buffer, graph_sim, passthrough
from .strategies import patterns


def _branch(draw: Any, words: int, frames: int) -> list[GStage]:
    """0-2 stages of one word or ``words``-word frames."""
    out = []
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            out.append(GStage(passthrough(draw(st.integers(1, 4))), frames * words))
        else:
            cap = draw(st.integers(words, words + 2))
            out.append(GStage(frame_buffer(words, cap), frames))
    return out


@st.composite
def fork_joins(draw: Any) -> tuple[list[GStage], list[tuple[int, int, int, int]]]:
    """input -> dup -> (branch a, branch b) -> add -> output, random depths and frames."""
    words, frames = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    total = words * frames
    stages = [GStage(passthrough(), total, 1, 2)]  # 0: fork
    links = [(-1, 0, 0, 0)]
    ends = []
    for port in (0, 1):
        prev, prev_port = 0, port
        for s in _branch(draw, words, frames):
            stages.append(s)
            links.append((prev, prev_port, len(stages) - 1, 0))
            prev, prev_port = len(stages) - 1, 0
        ends.append((prev, prev_port))
    stages.append(GStage(passthrough(), total, 2, 1))  # join
    join = len(stages) - 1
    links += [(ends[0][0], ends[0][1], join, 0), (ends[1][0], ends[1][1], join, 1),
              (join, 0, -1, 0)]
    return stages, links


def _engine(stages: list[GStage], links: list[tuple[int, int, int, int]], offer: Any,
            ready: Any) -> list[list[int]]:
    g = simulate_graph([Stage(f"s{j}", s.schedule, s.frames, s.in_ports, s.out_ports)
                        for j, s in enumerate(stages)],
                       [Link(s, d, sp, dp) for s, sp, d, dp in links], offer, ready)
    return [w.tolist() for w in g.words]


@given(graph=fork_joins(), data=st.data())
@settings(max_examples=80)
def test_fork_join_equals_register_level_graph(graph: Any, data: Any) -> None:
    stages, links = graph
    offer, ready = data.draw(patterns(stages[0].frames, 300))
    try:
        expected = graph_sim(stages, links, offer, ready)
    except Deadlocked:
        with pytest.raises(DeadlockError, match="pipeline deadlock"):
            _engine(stages, links, offer, ready)
        return
    assert _engine(stages, links, offer, ready) == expected


def test_shallow_shortcut_deadlock_names_the_full_fifo() -> None:
    # fork -> frame buffer of 8 words (long branch) / 1-word FIFO (shortcut) -> join: the
    # shortcut holds fork register + FIFO (1 + 1) + join buffer (2) = 5 < 8 words
    stages = [Stage("dup", passthrough(), 8, 1, 2), Stage("long", frame_buffer(8, 8), 1),
              Stage("fifo_short", passthrough(1), 8), Stage("add", passthrough(), 8, 2, 1)]
    links = [Link(-1, 0), Link(0, 1, 0, 0), Link(0, 2, 1, 0), Link(1, 3, 0, 0),
             Link(2, 3, 0, 1), Link(3, -1)]
    with pytest.raises(DeadlockError, match=r"wait cycle of stages: .*'fifo_short'.*full input "
                                            r"buffers on it: \[.*'fifo_short'.*\]") as err:
        simulate_graph(stages, links)
    assert "dup" in err.value.cycle and "add" in err.value.cycle
    # deep enough: 8 words through the shortcut while the long branch fills
    stages[2] = Stage("fifo_short", passthrough(5), 8)
    g = simulate_graph(stages, links)
    assert g.transfer.size == 8


def test_open_port_is_refused() -> None:
    stages = [Stage("dup", passthrough(), 2, 1, 2)]
    with pytest.raises(Exception, match=r"output port 1 of stage 'dup' has no link"):
        simulate_graph(stages, [Link(-1, 0), Link(0, -1)])
