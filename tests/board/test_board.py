"""The package for the bundled example, its driver on the emulated board, refusals, TCL."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from qsim.board.dma import predict
from qsim.board.launch import run_script
from qsim.board.tclcheck import check_tcl
from qsim.cli import main

pytestmark = [pytest.mark.rtlsim, pytest.mark.cppsim]
ROOT = Path(__file__).resolve().parents[2]
MODEL, FOLD = ROOT / "examples/tfc_w2a2_digits.onnx", ROOT / "examples/tfc_folding.json"


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("board")
    # sign-off's default 16 vectors: 3 leave accumulator top bits untoggled (coverage < 90%)
    assert main(["signoff", str(MODEL), "--folding", str(FOLD), "--out", str(d / "so")]) == 0
    assert main(["bitstream", str(MODEL), "--folding", str(FOLD), "--signoff",
                 str(d / "so"), "--out", str(d / "pkg")]) == 0
    return d / "pkg"


def test_package_contents_and_binding(pkg: Path) -> None:
    import hashlib

    meta = json.loads((pkg / "qsim_package.json").read_text())
    so = Path(meta["signoff_dir"]) / "manifest.json"
    assert meta["signoff_manifest_sha256"] == hashlib.sha256(so.read_bytes()).hexdigest()
    for rel in ("hw/rtl/qsim_board_top.v", "hw/package_ip.tcl", "hw/make_bd.tcl",
                "hw/build.sh", "driver/driver.py", "driver/driver_base.py",
                "driver/packing.py", "driver/validate.py", "driver/io_shape.json",
                "vectors.npz"):
        assert meta["files"][rel] == hashlib.sha256((pkg / rel).read_bytes()).hexdigest()
    top = (pkg / "hw/rtl/qsim_board_top.v").read_text()
    assert "xilinx.com:interface:axis:1.0 s_axis TDATA" in top
    assert "ASSOCIATED_BUSIF s_axis:m_axis" in top


def test_tcl_parses_and_matches_the_wrapper(pkg: Path, tmp_path: Path) -> None:
    assert check_tcl(pkg, 100.0) == []
    bad = tmp_path / "bad"
    shutil.copytree(pkg, bad)
    tcl = bad / "hw/make_bd.tcl"
    tcl.write_text(re.sub(r"c_m_axis_mm2s_tdata_width \{64\}", "c_m_axis_mm2s_tdata_width {32}",
                          tcl.read_text()))
    (bad / "hw/rtl/qsim_mvtu.sv").unlink()
    problems = check_tcl(bad, 100.0)
    assert any("c_m_axis_mm2s_tdata_width='32'" in p for p in problems)
    assert any("qsim_mvtu.sv" in p for p in problems)
    assert any("FCLK0" in p for p in check_tcl(pkg, 125.0))


def test_validate_on_the_emulated_board(pkg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_script(str(pkg / "driver/validate.py"), ["--batchsize", "8"]) == 0
    out = capsys.readouterr().out
    assert "batch 2 / 2 : total OK 16 NOK 0" in out
    assert "bit-exact outputs: 16 of 16" in out


def test_throughput_test_reports_the_predicted_figures(pkg: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from qsim.frontend import load
    from qsim.pipeline import stitch

    monkeypatch.chdir(tmp_path)
    assert run_script(str(pkg / "driver/driver.py"),
                      ["--exec_mode", "throughput_test", "--batchsize", "10"]) == 0
    got = dict(ln.split(" : ") for ln in capsys.readouterr().out.splitlines() if " : " in ln)
    want = predict(stitch(load(str(MODEL), folding=str(FOLD))), 10, 100.0).fields
    assert set(got) == set(want)
    for k, v in want.items():
        assert float(got[k]) == float(v), k


def test_refusals_exit_2_and_write_nothing(pkg: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new"
    assert main(["bitstream", str(MODEL), "--folding", str(FOLD), "--signoff",
                 str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "--signoff" in (err := capsys.readouterr().err) and "does not exist" in err
    assert not out.exists()
    so = json.loads((pkg / "qsim_package.json").read_text())["signoff_dir"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert main(["bitstream", str(MODEL), "--folding", str(FOLD), "--signoff", so,
                 "--out", str(other)]) == 2
    assert "is not a qsim package" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["keep.txt"]
    assert main(["bitstream", str(MODEL), "--folding", str(FOLD), "--signoff", so,
                 "--out", str(out), "--board", "zedboard"]) == 2
    assert "'zedboard' is not one of ['pynq-z2']" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".new.tmp-*"))
