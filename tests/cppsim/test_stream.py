"""qsim's strict hls::stream: C++ unit check and its errors surfacing through a kernel."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from qsim.cppsim import CppsimLibrary, build_library, generate_source, hls_dir
from qsim.cppsim.build import find_compiler
from qsim.errors import SimulationError
from qsim.models import MVTU

pytestmark = pytest.mark.cppsim


def test_stream_unit(tmp_path: Path) -> None:
    exe = tmp_path / "stream_check"
    src = Path(__file__).with_name("stream_check.cpp")
    subprocess.run([*find_compiler(), "-std=c++17", "-O0", "-I", str(hls_dir()), str(src),
                    "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "OK", out.stdout


@pytest.fixture(scope="module")
def strict_mvtu() -> tuple[CppsimLibrary, MVTU]:
    cfg = MVTU(mw=4, mh=2, pe=1, simd=2, idt="INT4", wdt="INT4",
               weights=np.arange(8).reshape(4, 2) - 4, name="strict")
    return CppsimLibrary(build_library(generate_source({"strict": cfg})).path), cfg


def test_empty_read_throws(strict_mvtu: tuple[CppsimLibrary, MVTU]) -> None:
    lib, cfg = strict_mvtu
    words = cfg.pack_input(np.ones((1, 4), dtype=np.int64))  # one vector, run for two
    with pytest.raises(SimulationError, match=r"MVTU 'strict'.*stream 'MVTU 'strict' input': "
                                              r"read from an empty stream \(2 words read"):
        lib.run_words("strict", cfg, words, frames=2)


def test_unread_input_is_an_error(strict_mvtu: tuple[CppsimLibrary, MVTU]) -> None:
    lib, cfg = strict_mvtu
    words = cfg.pack_input(np.ones((3, 4), dtype=np.int64))  # three vectors, run for two
    with pytest.raises(SimulationError, match=r"MVTU 'strict'.*2 input words left unread"):
        lib.run_words("strict", cfg, words, frames=2)


def test_output_count_is_checked(strict_mvtu: tuple[CppsimLibrary, MVTU]) -> None:
    lib, cfg = strict_mvtu
    words = cfg.pack_input(np.ones((2, 4), dtype=np.int64))
    with pytest.raises(SimulationError, match=r"kernel wrote 4 words, expected 5"):
        lib.run_words("strict", cfg, words, frames=2, out_words=5)
