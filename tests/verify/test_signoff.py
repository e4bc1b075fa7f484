"""``qsim signoff`` writes a manifest binding hashes; ``qsim bitstream`` refuses without a
matching passing one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsim.cli import main
from qsim.verify.signoff import SignoffError, require_signoff

from ._models import tiny_mlp

pytestmark = [pytest.mark.rtlsim, pytest.mark.cppsim]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    d = tmp_path_factory.mktemp("so")
    model = tiny_mlp(d / "tiny.onnx")
    fold = d / "fold.json"
    fold.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 2, "SIMD": 4},
                                "MVAU_1": {"PE": 4, "SIMD": 2}}))
    out = d / "signoff"
    assert main(["signoff", str(model), "--folding", str(fold), "--out", str(out),
                 "--vectors", "16"]) == 0  # 3 vectors leave accumulator top bits untoggled
    return model, fold, out


def test_manifest_binds_everything(signed: tuple[Path, Path, Path]) -> None:
    model, fold, out = signed
    data = json.loads((out / "manifest.json").read_text())
    assert data["pass"] is True
    names = {c["name"] for c in data["checks"]}
    assert {"lint MVAU_0", "lint MVAU_1", "all levels ran",
            "rtlsim cycle-exact and protocol-clean under the backpressure sweep"} <= names
    files = set(data["files"])
    assert "hls/top.cpp" in files and "report/report.json" in files
    assert any(f.startswith("rtl/qsim_mvtu_") for f in files)
    report = json.loads((out / "report" / "report.json").read_text())
    assert set(report["levels"]) == {"ref", "model", "cppsim", "rtlsim"}
    assert require_signoff(str(model), str(fold), out)["pass"] is True


def test_gate_accepts_then_stops_at_the_missing_vivado(signed: tuple[Path, Path, Path],
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    model, fold, out = signed
    assert main(["bitstream", str(model), "--folding", str(fold), "--signoff", str(out)]) == 2
    assert "sign-off manifest OK" in capsys.readouterr().err


def test_gate_refuses_changed_inputs(signed: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, fold, out = signed
    other = tmp_path / "fold.json"
    other.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 4, "SIMD": 4}}))
    with pytest.raises(SignoffError, match="differs from the signed-off folding"):
        require_signoff(str(model), str(other), out)
    changed = tmp_path / "tiny.onnx"
    tiny_mlp(changed, seed=5)
    with pytest.raises(SignoffError, match="changed since sign-off"):
        require_signoff(str(changed), str(fold), out)
    assert main(["bitstream", str(changed), "--folding", str(fold), "--signoff",
                 str(out)]) == 2  # a refusal is bad input (exit 1 is for mismatches)
    with pytest.raises(SignoffError, match="no sign-off manifest"):
        require_signoff(str(model), str(fold), tmp_path)


def test_gate_refuses_tampered_rtl(signed: tuple[Path, Path, Path]) -> None:
    model, fold, out = signed
    rtl = next((out / "rtl").glob("qsim_mvtu_*_pkg.sv"))
    original = rtl.read_text()
    try:
        rtl.write_text(original + "\n// edited after sign-off\n")
        with pytest.raises(SignoffError, match="missing or changed since sign-off"):
            require_signoff(str(model), str(fold), out)
    finally:
        rtl.write_text(original)
