"""cppsim's bounds check: a kernel that indexes past an on-chip array is an error.

The libraries are built with ``-fsanitize=bounds`` and the harness reports the first
out-of-bounds subscript of a call (array type, index, header line). The loops below run one
iteration too far (the loading loops of the run-time weights and thresholds, both seen as
survivors of the HLS mutation campaign): the extra write lands next to the array, no output
word changes, and without the check the run passed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import qsim.cppsim.build as build_mod
from qsim.cppsim import run_cppsim
from qsim.errors import SimulationError
from qsim.models import MVTU, Thresholding

pytestmark = pytest.mark.cppsim

_REAL = Path(build_mod.__file__).resolve().parents[2] / "hls" / "qsim"
# 2 PEs x 2 folds x 3 thresholds; MVTU 2 PEs x (2 folds x 2 tiles)
_THR = Thresholding(channels=4, pe=2, idt="INT4", odt="UINT2", name="oob_thr",
                    thresholds=[[-3, 0, 2], [-2, 1, 3], [-1, 0, 1], [-4, 2, 5]])
_MVTU = MVTU(mw=4, mh=4, simd=2, pe=2, idt="INT2", wdt="INT2", odt="INT6", name="oob_mvtu",
             weights=np.arange(16).reshape(4, 4) % 4 - 2)


def _mutated_copy(tmp_path: Path, header: str, old: str, new: str) -> Path:
    dst = tmp_path / "hls" / "qsim"
    shutil.copytree(_REAL, dst)
    text = (dst / header).read_text()
    assert text.count(old) == 1, f"{old!r} not found once in {header}"
    (dst / header).write_text(text.replace(old, new))
    return dst


def _rows(cfg: Thresholding | MVTU, frames: int) -> np.ndarray:
    shape = (frames, *cfg.in_frame_shape)
    return np.random.default_rng(5).integers(-2, 2, shape)


@pytest.mark.parametrize("cfg, header, old, array", [
    (_THR, "thresholding.hpp", "i < PE * NF * S;", r"'ap_int \[2\]\[2\]\[3\]'"),
    (_MVTU, "mvtu.hpp", "i < PE * TILES;", r"'ap_uint \[2\]\[4\]'"),
], ids=["load_thresholds", "load_weights"])
def test_a_loop_one_past_an_array_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              cfg: Thresholding | MVTU, header: str, old: str,
                                              array: str) -> None:
    x = _rows(cfg, 3)
    y, _ = run_cppsim(cfg, x, cache_dir=tmp_path / "cache")  # the real headers: in bounds
    assert np.array_equal(np.asarray(y), np.asarray(cfg(x)))
    copy = _mutated_copy(tmp_path, header, old, old.replace("<", "<="))
    monkeypatch.setenv(build_mod.HLS_DIR_ENV, str(copy))
    # the extra iteration writes [PE][0]...: index 2 of the PE dimension
    with pytest.raises(SimulationError, match=rf"cppsim failed: index 2 out of bounds for "
                                              rf"{array} at .*{header}:\d+"):
        run_cppsim(cfg, x, cache_dir=tmp_path / "cache")
