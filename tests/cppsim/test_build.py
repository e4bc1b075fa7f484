"""The cppsim build cache and toolchain errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import qsim.cppsim.build as build_mod
from qsim.cppsim import build_library, generate_source, run_cppsim
from qsim.errors import SimulationError, ToolchainError
from qsim.models import Thresholding

pytestmark = pytest.mark.cppsim

_CFG = Thresholding(channels=4, pe=2, idt="INT4", odt="UINT2", name="cache_probe",
                    thresholds=[[-3, 0, 2]])


def test_cache_reuse_and_key(tmp_path: Path) -> None:
    src = generate_source({"t": _CFG})
    cold = build_library(src, cache_dir=tmp_path)
    warm = build_library(src, cache_dir=tmp_path)
    assert not cold.cached and warm.cached
    assert warm.path == cold.path == tmp_path / "cppsim" / cold.key / "lib.so"
    assert (cold.path.parent / "top.cpp").read_text() == src
    assert warm.seconds < cold.seconds
    other = build_mod.cache_key(src, (*build_mod.DEFAULT_FLAGS, "-DQSIM_PROBE"))
    assert other != cold.key
    assert build_mod.cache_key(src + "\n") != cold.key


def test_run_cppsim_uses_cache(tmp_path: Path) -> None:
    x = np.arange(-8, 8).reshape(2, 2, 4)
    y, trip = run_cppsim(_CFG, x, cache_dir=tmp_path)
    assert np.array_equal(y, _CFG(x)) and trip == 4 * _CFG.nf
    libs = [p for p in (tmp_path / "cppsim").iterdir() if p.name != "pch"]
    assert len(libs) == 1 and (tmp_path / "cppsim" / "pch").is_dir()
    run_cppsim(_CFG, x, cache_dir=tmp_path)
    assert [p for p in (tmp_path / "cppsim").iterdir() if p.name != "pch"] == libs


def test_compile_error_is_reported(tmp_path: Path) -> None:
    src = generate_source({"t": _CFG}) + "\nthis is not C++;\n"
    with pytest.raises(SimulationError, match=r"cppsim: compiling .*top\.cpp' failed.*error"):
        build_library(src, cache_dir=tmp_path)


def test_missing_ap_types_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(build_mod.importlib.util, "find_spec",
                        lambda name, *a: None if name == "hls4ml" else real(name, *a))
    build_mod.ap_types_dir.cache_clear()
    try:
        with pytest.raises(ToolchainError, match=r"pip install --no-deps hls4ml==1\.3\.0"):
            build_mod.ap_types_dir()
    finally:
        monkeypatch.undo()
        build_mod.ap_types_dir.cache_clear()
    assert (build_mod.ap_types_dir() / "ap_int.h").is_file()
