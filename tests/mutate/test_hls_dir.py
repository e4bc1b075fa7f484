"""``$QSIM_HLS_DIR``: cppsim compiles against another copy of the qsim HLS headers."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import qsim.cppsim.build as build_mod
from qsim.cppsim import generate_source, hls_dir, run_cppsim
from qsim.errors import ConfigError
from qsim.models import Thresholding

pytestmark = pytest.mark.cppsim

_CFG = Thresholding(channels=4, pe=2, idt="INT4", odt="UINT2", name="hls_dir_probe",
                    thresholds=[[-3, 0, 2]])
_REAL = Path(build_mod.__file__).resolve().parents[2] / "hls" / "qsim"


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "hls" / "qsim"
    shutil.copytree(_REAL, dst)
    return dst


def test_a_mutated_copy_changes_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    x = np.arange(-8, 8).reshape(2, 2, 4)  # every INT4 value: hits each threshold exactly
    want = np.array(_CFG(x))
    copy = _copy(tmp_path)
    act = copy / "activation.hpp"
    text = act.read_text()
    assert text.count("(x >= thr[p][nf][s])") == 1
    act.write_text(text.replace("(x >= thr[p][nf][s])", "(x > thr[p][nf][s])"))
    key_real = build_mod.cache_key(generate_source({"t": _CFG}))
    monkeypatch.setenv(build_mod.HLS_DIR_ENV, str(copy))
    assert hls_dir() == copy.parent
    assert build_mod.cache_key(generate_source({"t": _CFG})) != key_real
    y, _ = run_cppsim(_CFG, x, cache_dir=tmp_path / "cache")
    # x == T counts under >= only: the mutated kernel differs exactly where x hits a threshold
    hits = np.isin(x, [-3, 0, 2])
    assert np.array_equal(np.asarray(y)[~hits], want[~hits])
    assert np.array_equal(np.asarray(y)[hits], want[hits] - 1)
    pch = list((tmp_path / "cache" / "cppsim" / "pch").glob("*/build.log"))
    assert len(pch) == 1 and f"-I {copy.parent} " in pch[0].read_text()
    monkeypatch.delenv(build_mod.HLS_DIR_ENV)
    y_real, _ = run_cppsim(_CFG, x, cache_dir=tmp_path / "cache")
    assert np.array_equal(np.asarray(y_real), want)


@pytest.mark.parametrize("name", ["headers", "qsim"])
def test_a_bad_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              name: str) -> None:
    (tmp_path / name).mkdir()
    monkeypatch.setenv(build_mod.HLS_DIR_ENV, str(tmp_path / name))
    with pytest.raises(ConfigError, match=rf"QSIM_HLS_DIR='.*{name}' is not a directory of "
                                          r"the qsim HLS headers"):
        hls_dir()
