"""The HLS mutation operators: the sites each one finds (and the ones it must not touch), on
small C++ snippets and on the real headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsim.mutate import Mutant, apply_mutant, hls_mutable_lines, hls_mutants_of

HLS = Path(__file__).resolve().parents[2] / "hls" / "qsim"
_BENCH = {"cppsim.hpp", "hls_stream.h"}  # the ctypes harness and the stream model
# fewer than 30 sites: the two one-loop kernels, and the activations (29 since a dead
# bits_for<0> went)
_SMALL = {"activation.hpp", "add_streams.hpp", "duplicate_streams.hpp"}
KERNELS = sorted(p.name for p in HLS.glob("*.hpp") if p.name not in _BENCH)


def _afters(code: str, op: str) -> list[str]:
    """The mutated lines ``op`` makes of a one-statement function body ``code``."""
    text = f"void f() {{\n{code}\n}}"
    return [m.after.strip() for m in hls_mutants_of("x.hpp", text) if m.op == op]


@pytest.mark.parametrize("name", [k for k in KERNELS if k not in _SMALL])
def test_every_kernel_header_has_30_candidates(name: str) -> None:
    ms = hls_mutants_of(name, (HLS / name).read_text())
    assert len(ms) >= 30, (name, len(ms))
    assert len({m.id for m in ms}) == len(ms)


@pytest.mark.parametrize("name", KERNELS)
def test_every_mutant_applies_and_changes_one_line(name: str) -> None:
    text = (HLS / name).read_text()
    lines = hls_mutable_lines(text)
    ms = hls_mutants_of(name, text)
    assert {m.line - 1 for m in ms} <= set(lines)
    for m in ms:
        out = apply_mutant(text, m).split("\n")
        diff = [i for i, (a, b) in enumerate(zip(text.split("\n"), out)) if a != b]
        assert diff == [m.line - 1] and Mutant.from_dict(m.to_dict()) == m


def test_small_kernels_have_every_site_of_their_loop() -> None:
    """The two small kernels: the stream loop's bound, start and compare, the lane reads and
    the output write are all among their (fewer than 30) candidates."""
    ops = {name: {m.op for m in hls_mutants_of(name, (HLS / name).read_text())}
           for name in _SMALL}
    assert ops["duplicate_streams.hpp"] >= {"cmp", "const", "bound", "width", "stmt"}
    assert ops["add_streams.hpp"] >= {"cmp", "const", "bound", "width", "lane", "arith",
                                      "stmt"}
    assert all(len(hls_mutants_of(n, (HLS / n).read_text())) >= 10 for n in _SMALL)


def test_cmp_flips_comparisons_and_leaves_template_brackets() -> None:
    assert _afters("for (unsigned i = 0; i < n; i++) x[i] = a > b;", "cmp") == [
        "for (unsigned i = 0; i <= n; i++) x[i] = a > b;",
        "for (unsigned i = 0; i < n; i++) x[i] = a >= b;"]
    assert _afters("hls::stream<ap_uint<PE * W> > out[N];", "cmp") == []
    assert _afters("y = lane<W, PE>(x, p) == c;", "cmp") == ["y = lane<W, PE>(x, p) != c;"]
    assert _afters("for (unsigned j = K; j-- > 0;) f(j);", "cmp") == [
        "for (unsigned j = K; j-- >= 0;) f(j);"]


def test_const_and_bound() -> None:
    assert _afters("e = (sf == 0) ? 0LL : e + 2;", "const") == [
        "e = (sf == 1) ? 0LL : e + 2;", "e = (sf == 0) ? 1LL : e + 2;",
        "e = (sf == 0) ? 0LL : e + 3;", "e = (sf == 0) ? 0LL : e + 1;"]
    assert _afters("if (a == KH - 1 && b < TOP + H) g();", "bound") == [
        "if (a == KH - 1 + 1 && b < TOP + H) g();", "if (a == KH - 1 - 1 && b < TOP + H) g();",
        "if (a == KH - 1 && b < TOP + H + 1) g();", "if (a == KH - 1 && b < TOP + H - 1) g();"]
    assert _afters("if (x == 3) g();", "bound") == []  # a literal: const covers it
    assert _afters("m = IDT::decode(a) >= IDT::decode(b) ? a : b;", "bound") == [
        "m = IDT::decode(a) >= IDT::decode(b) + 1 ? a : b;",
        "m = IDT::decode(a) >= IDT::decode(b) - 1 ? a : b;"]


def test_lane_and_index_swaps() -> None:
    assert _afters("set_lane<W, PE>(y, p, f(lane<W, PE>(x, p)));", "lane") == [
        "set_lane<W, PE>(y, (p ^ 1), f(lane<W, PE>(x, p)));",
        "set_lane<W, PE>(y, p, f(lane<W, PE>(x, (p ^ 1))));"]
    assert _afters("acc[nf][p] = thr[p][nf][s];", "index") == [
        "acc[p][nf] = thr[p][nf][s];", "acc[nf][p] = thr[nf][p][s];"]
    assert _afters("T thr[PE][NF][S];", "index") == []  # a declaration's dimensions


def test_sign_and_width_on_declarations_only() -> None:
    assert _afters("ap_uint<bits_for<S>::value> count = 0;", "sign") == [
        "ap_int<bits_for<S>::value> count = 0;"]
    assert _afters("ap_uint<bits_for<S>::value> count = 0;", "width") == [
        "ap_uint<bits_for<S>::value - 1> count = 0;"]
    assert _afters("typedef ap_int<W> value_type;", "sign") == ["typedef ap_uint<W> value_type;"]
    assert _afters("y = ap_uint<1>(v);", "sign") == []  # a cast, not a declaration
    assert _afters("x = f(ap_int<4>(1));", "width") == []


def test_sign_leaves_packed_words() -> None:
    """A word of LANES * T::width bits is only ever sliced into lanes: no sign mutant of it
    (each was equivalent or did not compile), but its width still is mutated."""
    for line in ("const ap_uint<PE * IDT0::width> a = in0.read();",
                 "typedef ap_uint<SIMD * IDT::width> word;",
                 "ap_uint<PE * Act::out_width> y = 0;"):
        assert _afters(line, "sign") == [], line
        assert len(_afters(line, "width")) == 1, line
    assert _afters("const ap_int<PE * W> acc = 0;", "sign") == ["const ap_uint<PE * W> acc = 0;"]
    assert _afters("ap_int<IDT::width + 1> v = 0;", "sign") == ["ap_uint<IDT::width + 1> v = 0;"]


def test_const_leaves_a_packed_words_initial_value() -> None:
    """Every lane of an output word is written before the word is used, so its initial value
    is not a mutant; an initializer that is an expression, and other words, still are."""
    assert _afters("ap_uint<PE * ODT::width> y = 0;", "const") == []
    text = ("typedef ap_uint<PE * Act::out_width> out_word;\nvoid f() {\nout_word y = 0;\n"
            "const out_word m = (a == 0) ? v : w;\nap_uint<8> z = 0;\n}")
    afters = [m.after for m in hls_mutants_of("x.hpp", text) if m.op == "const"]
    assert afters == ["const out_word m = (a == 1) ? v : w;", "ap_uint<9> z = 0;",
                      "ap_uint<7> z = 0;", "ap_uint<8> z = 1;"]


def test_drop_invert_arith_stmt() -> None:
    assert _afters("const bool d = w < n && b + s < r;", "drop") == [
        "const bool d = b + s < r;", "const bool d = w < n;"]
    assert _afters("above[j] = !ok[j] || v > t[j];", "drop") == [
        "above[j] = v > t[j];", "above[j] = !ok[j];"]
    assert _afters("if (a == 0 && b == 0) out.write(m);", "invert") == [
        "if (!(a == 0 && b == 0)) out.write(m);"]
    assert _afters("count += (x >= t) ? 1 : 0;", "invert") == ["count += !((x >= t)) ? 1 : 0;"]
    assert _afters("return v > 0 ? one : zero;", "invert") == ["return !(v > 0) ? one : zero;"]
    assert _afters("s = IDT::decode(a) >= IDT::decode(b) ? a : b;", "invert") == [
        "s = !(IDT::decode(a) >= IDT::decode(b)) ? a : b;"]
    assert _afters("i = ox * NF + cf;", "arith") == ["i = ox * NF - cf;"]
    assert _afters("r = (rd + 1 == B) ? 0 : rd - 1;", "arith") == [
        "r = (rd - 1 == B) ? 0 : rd - 1;", "r = (rd + 1 == B) ? 0 : rd + 1;"]
    for code in ("tile = 0;", "p++;", "out.write(y);", "rowbuf[idx] = m;", "++k;"):
        assert _afters(code, "stmt") == ["/* deleted */;"], code
    for code in ("return x;", "word m = 0;", "const unsigned a = b;", "break;"):
        assert _afters(code, "stmt") == [], code


def test_checks_comments_and_preprocessor_are_never_mutated() -> None:
    text = "\n".join([
        "// if (a < b) x = 1;",                               # 0 comment
        "#pragma HLS PIPELINE II = 1",                        # 1 preprocessor
        "template <unsigned N, unsigned M>",                  # 2
        "void f() {",                                         # 3 the signature
        "  static_assert(N % 2 == 0, \"n < 2\");",            # 4
        "  QSIM_ASSERT_ACC(s, a +",                           # 5 a check, two lines
        "                  b, \"f\", i, p);",                 # 6
        "#ifndef __SYNTHESIS__",                              # 7
        "  if (x < 1) throw e;",                              # 8 cppsim only
        "#endif",                                             # 9
        "#ifdef __SYNTHESIS__",                               # 10
        "  y = 1;",                                           # 11 synthesis
        "#else",                                              # 12
        "  y = 2;",                                           # 13 cppsim only
        "#endif",                                             # 14
        "  z = 3;  /* if (a < b) */ // a < b",               # 15
        "}"])
    assert hls_mutable_lines(text) == [11, 15, 16]  # (a template reaches to its "{")
    ms = hls_mutants_of("x.hpp", text)
    assert sorted({m.line for m in ms}) == [12, 16]
    assert all("/* if (a < b) */ // a < b" in m.after for m in ms if m.line == 16)
