"""Stitch plans of graphs on the pipeline model: fork/join deadlock named by its edge, and
FIFO sizing of every edge, shortcuts included."""

from __future__ import annotations

import re

import pytest

from qsim.pipeline import size_fifos, stitch
from qsim.pipeline.engine import DeadlockError
from qsim.pipeline.fifo_sizing import DEADLOCK_CYCLES, chain_cycles

from ._designs import tiny_residual

SHORTCUT = re.escape("'DuplicateStreams_0[1] -> AddStreams_0[1]'")


def test_plan_of_a_residual_block() -> None:
    st = stitch(tiny_residual(shortcut_depth=32))
    dup = [k for k, n in enumerate(st.nodes) if n.layer == "DuplicateStreams_0"][0]
    add = [k for k, n in enumerate(st.nodes) if n.layer == "AddStreams_0"][0]
    assert sorted(ln.src_port for ln in st.links if ln.src == dup) == [0, 1]
    assert sorted(ln.dst_port for ln in st.links if ln.dst == add) == [0, 1]
    assert st.links[0].src == -1 and st.links[-1].dst == -1 and not st.is_chain
    g = st.simulate(3)
    assert g.transfer.size == 3 * st.out_words_per_sample
    assert g.accept.size == 3 * st.in_words_per_sample


def test_shallow_shortcut_deadlock_names_the_edge() -> None:
    with pytest.raises(DeadlockError, match=rf"deadlocks: the FIFO on edge {SHORTCUT} \(depth "
                                            rf"2\) is full"):
        stitch(tiny_residual()).simulate(2)


def test_sizing_covers_the_shortcut() -> None:
    design = tiny_residual()
    s = size_fifos(design, samples=2)
    k = [i for i, e in enumerate(design.links)
         if (e.src, e.dst) == ("DuplicateStreams_0", "AddStreams_0")][0]
    assert s.cycles <= s.baseline_cycles
    assert s.depths[k] > 2
    # one word less on any edge either deadlocks or costs cycles
    for i, d in enumerate(s.depths):
        if d == 0:
            continue
        less = list(s.depths)
        less[i] = d - 1
        assert chain_cycles(design, less, 2) > s.cycles, (i, d)
    less = list(s.depths)
    less[k] -= 1
    assert chain_cycles(design, less, 2) == DEADLOCK_CYCLES
    sized = design.fold(s.folding(design))
    assert sized.link_fifo_depths == s.depths
    assert stitch(sized).simulate(2).cycles == s.cycles
