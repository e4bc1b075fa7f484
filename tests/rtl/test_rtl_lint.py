"""``verilator --lint-only -Wall`` is clean for every core at several parameter sets (through
the generated package + top), for each generated package on its own, and for each core with
its default parameters; folding violations stop elaboration with the Python wording."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from qsim.errors import SimulationError
from qsim.rtlsim import RTL_DIR, core_spec
from qsim.rtlsim.build import lint_sources
from qsim.rtlsim.svgen import render_package, render_top, rtl_sources

from .configs import (
    finn_subset,
    glue_set,
    graph_set,
    maxpool_set,
    mvtu_set,
    swg_set,
    thresholding_set,
)

pytestmark = pytest.mark.rtlsim

CONFIGS = mvtu_set() + finn_subset() + thresholding_set() + swg_set() + maxpool_set() + \
    glue_set() + graph_set()

CORE_DEPS = {
    "qsim_mvtu": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg", "qsim_rom", "qsim_threshold"],
    "qsim_thresholding": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg", "qsim_rom",
                          "qsim_threshold"],
    "qsim_rom": [],
    "qsim_maxpool": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_swg": ["qsim_stream_check", "qsim_oreg"],
    "qsim_fifo": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_dwc": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_fmpadding": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_duplicate_streams": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_add_streams": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_global_acc_pool": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_label_select": ["qsim_stream_check", "qsim_ibuf", "qsim_oreg"],
    "qsim_ibuf": [],
    "qsim_oreg": ["qsim_stream_check"],
    "qsim_threshold": [],
    "qsim_stream_check": [],
    "qsim_axis_wrap": [],
}


def _files(*names: str) -> list[Path]:
    return [RTL_DIR / f"{n}.sv" for n in names]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: core_spec(c).tag)
def test_generated_top_lints_clean(cfg: Any, tmp_path: Path) -> None:
    spec = core_spec(cfg)
    pkg = tmp_path / f"{spec.tag}_pkg.sv"
    top = tmp_path / f"{spec.tag}.sv"
    pkg.write_text(render_package(spec))
    top.write_text(render_top(spec))
    lint_sources([pkg], f"{spec.tag}_pkg")
    lint_sources([pkg, *rtl_sources(spec), top], spec.tag)


@pytest.mark.parametrize("core", sorted(CORE_DEPS))
def test_core_with_default_parameters_lints_clean(core: str) -> None:
    lint_sources(_files(*CORE_DEPS[core], core), core)


def test_every_rtl_file_is_covered() -> None:
    assert {p.stem for p in RTL_DIR.glob("*.sv")} == set(CORE_DEPS)


@pytest.mark.parametrize("core, params, words", [
    ("qsim_mvtu", {"MH": 6, "PE": 4}, "folding rule MH % PE == 0 violated: MH=6, PE=4"),
    ("qsim_mvtu", {"MW": 6, "SIMD": 4}, "folding rule MW % SIMD == 0 violated: MW=6, SIMD=4"),
    ("qsim_thresholding", {"C": 5, "PE": 2}, "folding rule C % PE == 0 violated: C=5, PE=2"),
    ("qsim_maxpool", {"C": 3, "PE": 2}, "folding rule C % PE == 0 violated: C=3, PE=2"),
    ("qsim_maxpool", {"H": 5, "KH": 2}, "folding rule H % K == 0 violated: H=5, K=2"),
    ("qsim_swg", {"C": 3, "SIMD": 2}, "folding rule C % SIMD == 0 violated: C=3, SIMD=2"),
    ("qsim_fmpadding", {"C": 3, "SIMD": 2}, "folding rule C % SIMD == 0 violated: C=3, SIMD=2"),
    ("qsim_duplicate_streams", {"C": 5, "PE": 2}, "folding rule C % PE == 0 violated: C=5, PE=2"),
    ("qsim_duplicate_streams", {"N_OUT": 1}, "n_outputs=1 must be an int >= 2"),
    ("qsim_add_streams", {"C": 3, "PE": 2}, "folding rule C % PE == 0 violated: C=3, PE=2"),
    ("qsim_global_acc_pool", {"C": 6, "PE": 4},
     "folding rule C % PE == 0 violated: C=6, PE=4"),
    ("qsim_label_select", {"LABELS": 5, "PE": 2},
     "folding rule Labels % PE == 0 violated: Labels=5, PE=2"),
    ("qsim_label_select", {"LABELS": 4, "K": 5}, "k=5 exceeds labels=4"),
])
def test_folding_violation_stops_elaboration(core: str, params: dict[str, int],
                                             words: str) -> None:
    with pytest.raises(SimulationError, match=re.escape(words)):
        lint_sources(_files(*CORE_DEPS[core], core), core, params)
