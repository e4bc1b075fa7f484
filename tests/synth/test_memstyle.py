"""Memory styles, .mem files and the fit arithmetic, without any tool: FINN's ram_style and
resType are checked and applied from a folding, the .mem words hold the weights in the layout
the cores read, the auto rule and the FINN-R estimate give the hand-computed numbers, and the
fit check names each resource over its limit with the excess."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from qsim import MVTU, Thresholding
from qsim.errors import ConfigError
from qsim.frontend.design import apply_folding
from qsim.models._memstyle import bram18_count, lut_rom_count, resolve_ram_style
from qsim.rtlsim.svgen import core_spec, render_package, write_mem_files
from qsim.synth import BOARDS, Board, Resources, board, estimate, excess, fit
from qsim.synth.counts import from_cells
from qsim.synth.estimate import finn_r_bram18


def _mvtu(**kw: object) -> MVTU:
    rng = np.random.default_rng(3)
    base = dict(mw=6, mh=4, pe=2, simd=3, idt="INT3", wdt="INT2", odt="UINT2",
                weights=rng.integers(-2, 2, (6, 4)),
                thresholds=np.sort(rng.integers(-9, 9, (4, 3)), axis=1))
    return MVTU(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("field, value, choices", [
    ("ram_style", "ultra", "['auto', 'block', 'distributed']"),
    ("ram_style_thresholds", "bram", "['auto', 'block', 'distributed']"),
    ("res_type", "luts", "['lut', 'dsp']"),
])
def test_unknown_style_names_value_and_choices(field: str, value: str, choices: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{field}={value!r} is not one of {choices}")):
        _mvtu(**{field: value})
    if field == "ram_style":
        with pytest.raises(ConfigError, match=re.escape(f"ram_style={value!r}")):
            Thresholding(channels=2, idt="INT2", odt="UINT1", thresholds=[[0]], ram_style=value)


def test_folding_applies_styles(tmp_path: Path) -> None:
    from qsim.frontend.design import Design, Layer

    rng = np.random.default_rng(0)
    thr = Thresholding(channels=4, idt="INT4", odt="UINT1", thresholds=[[0]])
    mv = MVTU(mw=4, mh=4, idt="UINT1", wdt="INT2", weights=rng.integers(-2, 2, (4, 4)))
    design = Design(layers=(Layer(name="Thresholding_0", block=thr, in_shape=(4,)),
                            Layer(name="MVAU_0", block=mv, in_shape=(4,))), name="d",
                    input_shape=(4,), idt="INT4")
    fold = {"Defaults": {"resType": ["dsp", ["MVAU"]]},
            "MVAU_0": {"PE": 2, "ram_style": "block", "ram_style_thresholds": "distributed"},
            "Thresholding_0": {"ram_style": "block"}}
    out = apply_folding(design, fold)
    mvb, thb = out.layers[1].block, out.layers[0].block
    assert (mvb.pe, mvb.ram_style, mvb.ram_style_thresholds, mvb.res_type) == \
        (2, "block", "distributed", "dsp")
    assert thb.ram_style == "block"
    with pytest.raises(ConfigError, match=re.escape("ram_style='huge' is not one of")):
        apply_folding(design, {"MVAU_0": {"ram_style": "huge"}})


def test_weight_mem_words_follow_the_tile_order(tmp_path: Path) -> None:
    cfg = _mvtu(ram_style="block")
    spec = core_spec(cfg)
    files = {p.name: p.read_text().split() for p in write_mem_files([spec], tmp_path)}
    words = files[f"{spec.tag}_weights.mem"]
    thr = files[f"{spec.tag}_thresholds.mem"]
    nf, sf, pe, simd = 2, 2, 2, 3
    assert len(words) == nf * sf and len(thr) == nf
    w = np.asarray(cfg.weights)
    for nfi in range(nf):
        for sfi in range(sf):
            # word tile = nf*SF + sf; PE p at bits p*SIMD*2, lane s at +2s: W[sf*SIMD+s, nf*PE+p]
            expect = 0
            for p in range(pe):
                for s in range(simd):
                    expect |= (int(w[sfi * simd + s, nfi * pe + p]) & 3) << (2 * (p * simd + s))
            assert int(words[nfi * sf + sfi], 16) == expect
            assert len(words[nfi * sf + sfi]) == 3  # 12 bits: 3 hex digits
    aw = int(cfg.acc_dt.bitwidth()) + 1
    t = np.asarray(cfg.thresholds)
    for nfi in range(nf):
        expect = 0
        for p in range(pe):
            for s in range(3):
                expect |= (int(t[nfi * pe + p, s]) % (1 << aw)) << (aw * (p * 3 + s))
        assert int(thr[nfi], 16) == expect
    pkg = render_package(spec)
    assert f'localparam string WEIGHTS_FILE = {{`QSIM_MEM_DIR, "{spec.tag}_weights.mem"}};' \
        in pkg
    assert "localparam bit W_BLOCK = 1'b1;" in pkg
    assert "localparam bit T_BLOCK = 1'b0;" in pkg  # auto: 2 words -> LUT ROM


def test_auto_rule_compares_board_fractions() -> None:
    # 32 x 18432 (CNV's 256x2304 layer, PE 1, SIMD 32): 9216 LUT vs 36 BRAM18
    assert lut_rom_count(32, 18432) == 32 * 288
    assert bram18_count(32, 18432) == 36
    assert resolve_ram_style("auto", 32, 18432) == "block"  # 9216/53200 > 36/280
    # 1024 x 36 (PE 32, SIMD 32, 1-bit): 1024 LUT vs 29 BRAM18
    assert bram18_count(1024, 36) == 29
    assert resolve_ram_style("auto", 1024, 36) == "distributed"
    assert resolve_ram_style("block", 1, 1) == "block"
    assert resolve_ram_style("distributed", 32, 18432) == "distributed"


def test_finn_r_estimate_by_hand() -> None:
    cfg = _mvtu(ram_style="distributed", ram_style_thresholds="distributed")
    # P=2 Q=3 W=2 A=3 ACC=acc bits B=2 (3 levels), WMEM=4, TMEM=2
    acc = int(cfg.acc_dt.bitwidth())
    mult = 3 * (2 * 1 - 1) * 5
    adder = 5 * (2 * 3 - 1)
    thr = 3 * acc * (1 + 1)
    lut = int(300 + 1.1 * 2 * (mult + adder + acc + thr) + 2 * 3 * 2 * 1)
    assert estimate(cfg) == Resources(lut=lut)
    dsp = estimate(_mvtu(res_type="dsp", ram_style="block"))
    assert dsp is not None and dsp.dsp == 2 * 3 * 1 and dsp.bram18 == finn_r_bram18(12, 4) == 1
    assert finn_r_bram18(1, 20000) == 2 and finn_r_bram18(40, 600) == 1 * 3  # 18-bit mode
    assert finn_r_bram18(40, 100) == 2


def test_counts_from_cells() -> None:
    res = from_cells({"LUT1": 2, "LUT6": 10, "RAM64M": 3, "SRLC32E": 1, "FDRE": 7, "FDSE": 1,
                      "RAMB36E1": 2, "RAMB18E1": 3, "DSP48E1": 4, "CARRY4": 5, "MUXF7": 9})
    assert res == Resources(lut=12 + 13, lutram=13, ff=8, bram36=2, bram18=3, dsp=4, carry=5)
    assert res.bram36_equiv == 3.5


def test_fit_names_resource_and_excess() -> None:
    tiny = Board(name="tiny", part="test", lut=100, lutram=10, ff=1000, bram36=2, dsp=0,
                 carry=50)
    used = Resources(lut=95, lutram=0, ff=10, bram36=1, bram18=2, dsp=1)
    over = {e.resource: e for e in excess(used, tiny, 0.1)}
    assert set(over) == {"LUT", "BRAM36", "DSP"}
    assert (over["LUT"].used, over["LUT"].limit) == (95.0, 90.0)
    assert over["BRAM36"].used == 2.0 and over["BRAM36"].limit == pytest.approx(1.8)
    verdict = fit(used, "test counts", tiny, 0.1)
    assert not verdict.fits
    assert "LUT: 95.0 used > 90.0 allowed (100 on the board minus headroom), 5.0 over" in \
        verdict.summary()
    # without headroom BRAM 2.0 <= 2 and LUT 95 <= 100: only the DSP is over
    assert [e.resource for e in fit(used, "x", tiny, 0.0).over] == ["DSP"]
    with pytest.raises(ConfigError, match=re.escape("headroom=1.5 must be in [0, 1)")):
        excess(used, tiny, 1.5)


def test_board_budget_and_unknown_board() -> None:
    z2 = board("pynq-z2")
    assert (z2.lut, z2.lutram, z2.ff, z2.bram36, z2.dsp) == (53_200, 17_400, 106_400, 140, 220)
    with pytest.raises(ConfigError, match=re.escape(f"board 'zcu104' is not one of "
                                                    f"{sorted(BOARDS)!r}")):
        board("zcu104")


def test_json_folding_file_with_styles(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"MVAU_0": {"resType": "lut"}}))
    from qsim.frontend.design import Design, Layer
    design = Design(layers=(Layer(name="MVAU_0", block=_mvtu(), in_shape=(6,)),), name="d",
                    input_shape=(6,), idt="INT3")
    assert apply_folding(design, path).layers[0].block.res_type == "lut"
