"""Multi-port plumbing of the RTL flow: CoreSpec ports, core_instance with one link prefix
per port (the stitcher's interface), and check's per-port comparison catching a wrong word or
cycle on a port other than 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qsim.errors import ConfigError
from qsim.models import AddStreams, DuplicateStreams
from qsim.rtlsim import core_spec
from qsim.rtlsim.build import lint_sources
from qsim.rtlsim.check import _compare, _Instance
from qsim.rtlsim.svgen import core_instance, render_package, rtl_sources

ADD = AddStreams(channels=4, pe=2, idt="INT4", idt1="UINT2", name="add")
DUP = DuplicateStreams(channels=4, pe=2, idt="INT5", n_outputs=3, name="dup")


def test_core_spec_ports_and_widths() -> None:
    add, dup = core_spec(ADD), core_spec(DUP)
    assert (add.in_ports, add.out_ports, dup.in_ports, dup.out_ports) == (2, 1, 1, 3)
    assert (add.in_bits_of(0), add.in_bits_of(1), add.out_bits_of(0)) == (8, 4, 10)
    assert [dup.out_bits_of(p) for p in range(3)] == [10, 10, 10]
    with pytest.raises(ConfigError, match=r"AddStreams 'add': no input port 2 \(it has 2\)"):
        add.in_bits_of(2)


def test_core_instance_takes_one_link_per_port() -> None:
    text = core_instance(core_spec(DUP), "u_dup", "clk", "rst_n", "l0", ["l1", "l2", "l3"])
    assert ".out_valid_o({l3_valid, l2_valid, l1_valid})" in text
    assert ".in_data_i  (l0_data)" in text
    text = core_instance(core_spec(ADD), "u_add", "clk", "rst_n", ("a", "b"), "y")
    assert ".in1_ready_o(b_ready)" in text and ".out_data_o (y_data)" in text
    with pytest.raises(ConfigError, match=r"AddStreams 'add': 2 input port\(s\), got links 'a'"):
        core_instance(core_spec(ADD), "u_add", "clk", "rst_n", "a", "y")


@pytest.mark.rtlsim
def test_fork_join_of_instances_lints_clean(tmp_path: Path) -> None:
    # a stitcher-style top: dup forks l0 into l1, l2, l3; add joins l1 and l2; l3 is an output
    add, dup = core_spec(AddStreams(channels=4, pe=2, idt="INT5", idt1="INT5")), core_spec(DUP)
    decls = "\n".join(f"  logic l{k}_valid, l{k}_ready;\n  logic [{w - 1}:0] l{k}_data;"
                      for k, w in enumerate([10, 10, 10, 10, 12]))
    top = f"""`default_nettype none
module fork_join (
  input  wire logic ap_clk, input wire logic ap_rst_n,
  input  wire logic l0_v, output logic l0_r, input wire logic [9:0] l0_d,
  output logic l3_v, input wire logic l3_r, output logic [9:0] l3_d,
  output logic l4_v, input wire logic l4_r, output logic [11:0] l4_d
);
{decls}
  assign l0_valid = l0_v; assign l0_r = l0_ready; assign l0_data = l0_d;
  assign l3_v = l3_valid; assign l3_ready = l3_r; assign l3_d = l3_data;
  assign l4_v = l4_valid; assign l4_ready = l4_r; assign l4_d = l4_data;
{core_instance(dup, "u_dup", "ap_clk", "ap_rst_n", "l0", ["l1", "l2", "l3"])}
{core_instance(add, "u_add", "ap_clk", "ap_rst_n", ["l1", "l2"], "l4")}
endmodule
`default_nettype wire
"""
    paths = []
    for spec in (dup, add):
        paths.append(tmp_path / f"{spec.tag}_pkg.sv")
        paths[-1].write_text(render_package(spec))
    (tmp_path / "fork_join.sv").write_text(top)
    lint_sources([*paths, *rtl_sources(dup, add), tmp_path / "fork_join.sv"], "fork_join")


def _result(words: list[list[int]], transfers: list[list[int]], accept: list[int]) -> dict:
    return {"offer": accept, "accept": accept, "transfer": transfers[0], "words": words[0],
            "protocol": [], "cycles": 0,
            "in_ports": [{"offer": accept, "accept": accept}],
            "out_ports": [{"transfer": t, "words": w} for t, w in zip(transfers, words)]}


def test_compare_names_the_port_with_a_wrong_word_or_cycle() -> None:
    import numpy as np

    x = np.array([[1, -2, 3, -4]])
    inst = _Instance(DUP, 1, [DUP.pack_input(x)], [DUP.pack_output(DUP(x), port=p)
                                                     for p in range(3)])
    model = DUP.cycles(1)
    good = inst.out_ports[0]
    transfer = model.transfer.tolist()
    plan = {"runs": [{"name": "none", "ready": [["", "", ""]], "cycles": True}]}
    ok = _result([good] * 3, [transfer] * 3, model.accept.tolist())
    assert _compare([inst], plan, {"runs": [{"instances": [ok]}]}) == []
    bad = _result([good, [good[0], good[1] ^ 1], good],
                  [transfer, transfer, [transfer[0], transfer[1] + 1]], model.accept.tolist())
    problems = _compare([inst], plan, {"runs": [{"instances": [bad]}]})
    assert len(problems) == 2
    assert re.match(r"DuplicateStreams 'dup' \(instance i0\), run 'none': output 1 word 1 "
                    r"lane 0: expected 3 got 2", problems[0])
    assert re.search(r"transfer \(output 2\) of word 1 at cycle \d+, cycle model says \d+",
                     problems[1])


@pytest.mark.rtlsim
def test_per_port_waveforms_of_docs_timing() -> None:
    """The waveforms of docs/timing.md (and the SV headers) with a different pattern per port,
    cycles written out by hand: one stalled DuplicateStreams output stops the engine; an
    AddStreams step waits for the later port."""
    import numpy as np

    from qsim.rtlsim.build import DEFAULT_CACHE, build_bench
    from qsim.rtlsim.check import _simulate

    dup = DuplicateStreams(channels=2, pe=2, idt="INT4", name="dup2")
    add = AddStreams(channels=1, pe=1, idt="INT4", name="add1")
    rng = np.random.default_rng(5)
    xd = rng.integers(-8, 8, (6, 2))
    xa, xb = rng.integers(-8, 8, (4, 1)), rng.integers(-8, 8, (4, 1))
    insts = [_Instance(dup, 6, [dup.pack_input(xd)], [dup.pack_output(xd)] * 2),
             _Instance(add, 4, [add.pack_input(xa), add.pack_input(xb, port=1)],
                       [add.pack_output(add(xa, xb))])]
    plan = {"instances": [inst.plan(k) for k, inst in enumerate(insts)],
            "runs": [{"name": "docs", "offer": [[0] * 6, [[0] * 4, [1] * 4]],
                      "ready": [["", "11" + "0" * 8], ""], "timeout": 100}]}
    bench = build_bench([core_spec(dup), core_spec(add)], DEFAULT_CACHE)
    result, _, _ = _simulate(bench, plan)
    d, a = result["runs"][0]["instances"]
    assert d["protocol"] == [] and a["protocol"] == []
    assert d["accept"] == [0, 1, 2, 11, 12, 13]
    assert [p["transfer"] for p in d["out_ports"]] == [[2, 11, 12, 13, 14, 15],
                                                       [10, 11, 12, 13, 14, 15]]
    assert [p["words"] for p in d["out_ports"]] == [dup.pack_output(xd)] * 2
    assert [p["accept"] for p in a["in_ports"]] == [[0, 1, 3, 4], [1, 2, 3, 4]]
    assert a["transfer"] == [3, 4, 5, 6]
    assert a["words"] == add.pack_output(xa + xb)


def test_run_rtl_refuses_one_array_for_two_input_ports() -> None:
    import numpy as np

    from qsim.errors import StreamError
    from qsim.rtlsim.check import run_rtl

    with pytest.raises(StreamError, match=r"AddStreams 'add': run_rtl takes a sequence of 2 "
                                          r"input arrays \(one per input port\), got ndarray"):
        run_rtl([ADD], [np.zeros((2, 4), dtype=np.int64)])
