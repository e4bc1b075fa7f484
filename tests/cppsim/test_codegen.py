"""Generated C++ compiles on its own; words wider than 64 bits; codegen errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from qsim.cppsim import CppsimLibrary, ap_types_dir, generate_source, hls_dir
from qsim.cppsim.build import find_compiler
from qsim.cppsim.codegen import AnyBlock
from qsim.errors import ConfigError
from qsim.models import MVTU, MaxPool, SlidingWindow, Thresholding

from ._configs import rand_input, rand_thresholds, rand_values
from ._harness import check_block

pytestmark = pytest.mark.cppsim


def _wide_blocks() -> dict[str, AnyBlock]:
    """One block of each kind, every stream (and the MVTU weight words) wider than 64 bits."""
    rng = np.random.default_rng(1)
    w = rand_values(rng, "INT8", (24, 6))
    mvtu = MVTU(mw=24, mh=6, pe=6, simd=12, idt="UINT8", wdt="INT8", weights=w, name="fc_wide",
                odt="INT4", act_val=-8, thresholds=rand_thresholds(rng, 6, 15, -40000, 40000))
    acc = MVTU(mw=24, mh=6, pe=3, simd=12, idt="INT8", wdt="INT8", weights=w, odt="INT32",
               name="fc_acc")
    thr = Thresholding(channels=20, pe=10, idt="UINT8", odt="BIPOLAR", name="thr_wide",
                       thresholds=rand_thresholds(rng, 20, 1, 0, 255))
    swg = SlidingWindow(ifm_dim=(5, 4), channels=18, kernel=(3, 2), stride=(2, 1),
                        dilation=(1, 2), simd=9, idt="INT8", depthwise=True, name="swg_wide")
    pool = MaxPool(ifm_dim=(4, 6), channels=10, kernel=(2, 3), pe=5, idt="INT16", name="mp_wide")
    return {"fc_wide": mvtu, "fc_acc": acc, "thr_wide": thr, "swg_wide": swg, "mp_wide": pool}


def test_generated_source_compiles_alone_and_runs(tmp_path: Path) -> None:
    blocks = _wide_blocks()
    src = generate_source(blocks)
    assert "$" not in src and 'extern "C" int qsim_fc_wide(' in src
    assert "void swg_wide_top(" in src
    cpp, lib = tmp_path / "top.cpp", tmp_path / "top.so"
    cpp.write_text(src)
    cmd = [find_compiler()[-1], "-std=c++17", "-O2", "-shared", "-fPIC", "-I", "hls", "-I",
           str(ap_types_dir()), str(cpp), "-o", str(lib)]
    proc = subprocess.run(cmd, cwd=hls_dir().parent, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = CppsimLibrary(lib)
    rng = np.random.default_rng(2)
    for sym, cfg in blocks.items():
        assert max(cfg.in_stream.word_bits, cfg.out_stream.word_bits) > 64, sym
        check_block(loaded, sym, cfg, rand_input(cfg, rng, 3))


def test_codegen_rejects_bad_symbols_and_blocks() -> None:
    cfg = MaxPool(ifm_dim=2, channels=1, kernel=2, idt="INT2")
    with pytest.raises(ConfigError, match=r"symbol '1bad' must be a C identifier"):
        generate_source({"1bad": cfg})
    with pytest.raises(ConfigError, match=r"no HLS kernel for 'str'"):
        generate_source({"ok": "not a block"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match=r"at least one block"):
        generate_source({})
