"""Mutation operators: each makes the expected one-site changes, and only in module bodies
outside checkers, elaboration checks and reset lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsim.mutate import (
    CORE_TESTS,
    OPERATORS,
    Mutant,
    apply_mutant,
    mutable_lines,
    mutants_of,
    plan_mutants,
)
from qsim.rtlsim.svgen import RTL_DIR

SV = """\
// header comment with a < b and 1'b1
module qsim_tiny #(
  parameter int unsigned W = 4  // width
) (
  input  wire logic         clk_i,
  output      logic [W-1:0] y_o
);
  localparam int unsigned N = W + 1;
  logic [W-1:0] x_q;
  logic         a, b, c;
  if (W < 1) begin : gen_check_w
    $fatal(1, "W >= 1 violated");
  end
  assign a = b && c;
  assign y_o = (x_q >= W'(3)) ? x_q[1*2 +: 2] : '0;
  qsim_sub #(.DEPTH(N)) u_sub (.clk_i(clk_i));
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      x_q <= '0;
    end else if (a || c) begin
      x_q <= x_q + W'(1);
    end
  end
`ifndef SYNTHESIS
  always_ff @(posedge clk_i) assert (x_q < 4'd9);
`endif
endmodule
"""


def _afters(op: str) -> set[str]:
    return {m.after.strip() for m in mutants_of("qsim_tiny.sv", SV) if m.op == op}


def test_only_module_bodies_are_mutable() -> None:
    lines = SV.split("\n")
    body = {lines[i].strip() for i in mutable_lines(SV)}
    assert "localparam int unsigned N = W + 1;" in body
    assert "assign a = b && c;" in body
    for outside in ("parameter int unsigned W = 4  // width", '$fatal(1, "W >= 1 violated");',
                    "if (W < 1) begin : gen_check_w", "if (!rst_ni) begin",
                    "always_ff @(posedge clk_i) assert (x_q < 4'd9);"):
        assert outside not in body


@pytest.mark.parametrize(("op", "expected"), [
    ("cmp", {"assign y_o = (x_q > W'(3)) ? x_q[1*2 +: 2] : '0;"}),
    ("width", {"logic [W-2:0] x_q;"}),
    ("lane", set()),  # the part-select index is a literal, not a lane variable
    ("drop", {"assign a = c;", "assign a = b;"}),
    ("invert", {"assign y_o = !(x_q >= W'(3)) ? x_q[1*2 +: 2] : '0;",
                "end else if (!(a || c)) begin"}),
    ("or", {"end else if (a && c) begin"}),
    ("arith", {"localparam int unsigned N = W - 1;", "x_q <= x_q - W'(1);"}),
    ("param", {"localparam int unsigned N = (W + 1) + 1;",
               "localparam int unsigned N = (W + 1) - 1;",
               "qsim_sub #(.DEPTH(N + 1)) u_sub (.clk_i(clk_i));",
               "qsim_sub #(.DEPTH(N - 1)) u_sub (.clk_i(clk_i));"}),
])
def test_operator_makes_the_expected_changes(op: str, expected: set[str]) -> None:
    assert _afters(op) == expected


def test_const_moves_literals_by_one_but_not_declared_ranges() -> None:
    afters = _afters("const")
    assert "localparam int unsigned N = W + 2;" in afters
    assert "localparam int unsigned N = W + 0;" in afters
    assert "x_q <= x_q + W'(2);" in afters and "x_q <= x_q + W'(0);" in afters
    assert not any("W-2:0" in a or "W-0:0" in a for a in afters)


def test_nonblocking_assignment_is_not_a_comparison() -> None:
    assert not any(a.startswith("x_q <") and "<=" not in a for a in _afters("cmp"))
    assert all("x_q <=" in a for a in _afters("const") if a.startswith("x_q"))


def test_lane_swaps_a_variable_index_with_its_neighbour() -> None:
    line = "  assign v[p*AW +: AW] = b[p*IB +: IB];"
    sites = list(OPERATORS["lane"](line))
    got = {line[:s] + r + line[e:] for s, e, r in sites}
    assert got == {"  assign v[(p ^ 1)*AW +: AW] = b[p*IB +: IB];",
                   "  assign v[p*AW +: AW] = b[(p ^ 1)*IB +: IB];"}


def test_drop_keeps_precedence_and_skips_reductions() -> None:
    line = "  assign f = (k == 1 && s) & &v;"
    got = {line[:s] + r + line[e:] for s, e, r in OPERATORS["drop"](line)}
    assert got == {"  assign f = (s) & &v;", "  assign f = (k == 1) & &v;",
                   "  assign f = &v;", "  assign f = (k == 1 && s);"}


def test_apply_and_refuse_a_stale_mutant() -> None:
    m = next(m for m in mutants_of("qsim_tiny.sv", SV) if m.op == "drop")
    out = apply_mutant(SV, m)
    assert out.split("\n")[m.line - 1] == m.after and out.count("\n") == SV.count("\n")
    assert Mutant.from_dict(m.to_dict()) == m and m.id == Mutant.from_dict(m.to_dict()).id
    with pytest.raises(ValueError, match=r"line 14 of 'qsim_tiny.sv' is .*expected"):
        apply_mutant(out, m)


def test_every_core_offers_mutants_and_the_plan_is_reproducible() -> None:
    plan = plan_mutants(RTL_DIR, ["qsim_mvtu", "qsim_fifo"], 30, seed=4)
    assert len(plan["qsim_mvtu"]) == 30 and len(plan["qsim_fifo"]) == 30
    ops = {m.op for m in plan["qsim_mvtu"]}
    assert {"cmp", "const", "lane", "drop", "width", "invert"} <= ops
    assert plan == plan_mutants(RTL_DIR, ["qsim_mvtu", "qsim_fifo"], 30, seed=4)
    assert plan != plan_mutants(RTL_DIR, ["qsim_mvtu", "qsim_fifo"], 30, seed=5)
    for m in plan["qsim_mvtu"]:  # each applies to the checked-in source
        apply_mutant(Path(RTL_DIR, m.file).read_text(), m)


def test_every_core_offers_at_least_30_mutants() -> None:
    counts = {c: len(mutants_of(f"{c}.sv", (RTL_DIR / f"{c}.sv").read_text()))
              for c in CORE_TESTS}
    assert min(counts.values()) >= 30, counts


@pytest.mark.parametrize(("line", "expected"), [
    ("  assign f = a && b;", {"stuck": {"  assign f = '0;", "  assign f = '1;"},
                              "negate": {"  assign f = ~(a && b);"}}),
    ("      x_q <= x_q + 1;", {"stuck": {"      x_q <= '0;", "      x_q <= '1;"},
                               "hold": {"      ;"}, "negate": {"      x_q <= ~(x_q + 1);"}}),
    ("      x_q <= 1'b0;", {"stuck": set(), "negate": set(), "hold": {"      ;"}}),
    ("    .pop_i (fire),", {"stuck": {"    .pop_i ('0),", "    .pop_i ('1),"}}),
    ("    .clk_i (clk_i),", {"stuck": set()}),
    ("    .room_o (room),", {"stuck": {"    .room_o (),"}}),
    ("  assign r = !v || y;", {"not": {"  assign r = v || y;"}}),
    ("  if (a != b) begin", {"not": set(), "cond": {"  if (1'b1) begin", "  if (1'b0) begin"}}),
])
def test_stuck_negate_not_hold_cond(line: str, expected: dict[str, set[str]]) -> None:
    for op, afters in expected.items():
        got = {line[:s] + r + line[e:] for s, e, r in OPERATORS[op](line)}
        assert got == afters, op
