"""The cppsim build cache and toolchain errors."""

from __future__ import annotations

import importlib.util
import shutil
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


@pytest.mark.parametrize("kind", ["ap_uint", "ap_int"])
def test_a_zero_width_type_does_not_build(tmp_path: Path, kind: str) -> None:
    """Vitis HLS rejects ap_(u)int<0>; the C model would keep a whole bit in one, so a width
    cut to zero (ap_uint<W - 1> with W = 1) ran as if nothing changed."""
    src = (f'#include "qsim/common.hpp"\nextern "C" int probe() {{ ap_uint<1> one = 1; '
           f"const {kind}<0> z = one; return z ? 1 : 0; }}\n")
    with pytest.raises(SimulationError, match=rf"(?s)failed.*{kind}<0> z. has initializer but "
                                              r"incomplete type"):
        build_library(src, cache_dir=tmp_path)
    ok = build_library(src.replace(f"{kind}<0>", f"{kind}<1>"), cache_dir=tmp_path)
    assert ok.path.is_file()


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


def test_headers_that_do_not_compile_are_a_compile_error(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A header copy g++ rejects: the precompiled header fails first (g++ removes its output
    file; that used to escape as FileNotFoundError), then the unit's own compile reports it."""
    copy = tmp_path / "hls" / "qsim"
    shutil.copytree(Path(build_mod.__file__).resolve().parents[2] / "hls" / "qsim", copy)
    common = copy / "common.hpp"
    common.write_text(common.read_text().replace("struct Bipolar {", "struct Bipolar { oops", 1))
    monkeypatch.setenv(build_mod.HLS_DIR_ENV, str(copy))
    with pytest.raises(SimulationError, match=r"(?s)cppsim: compiling .* failed.*oops"):
        build_library(generate_source({"t": _CFG}), cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache" / "cppsim" / "pch").glob("*/*.gch"))
