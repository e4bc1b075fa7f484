"""Residual networks end to end through the CLI: a Brevitas net written from scratch (padding=1,
identity and 1x1-conv shortcuts, AdaptiveAvgPool2d) and FINN's residual dataflow graph
(DuplicateStreams_Batch, AddStreams_Batch) pass rtlsim-stitched with FIFOs sized by the level,
are sized by ``qsim fifo-size`` and then pass ``qsim verify`` at ref, model and
rtlsim-stitched on the default ``--random`` inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsim.cli import main
from tests.frontend.test_residual import _export
from tests.frontend.test_residual_dataflow import _params, _residual_nodes, _save


def _size_then_verify(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "default"
    # no FIFO depths in the folding: the stitched level sizes them on the pipeline model
    # (FINN's default 2-word FIFOs deadlock the Brevitas net's shortcut: tests/stitch/
    # test_graph_native.py and test_resnet8.py hold that case)
    code = main(["verify", str(model), "--levels", "model,rtlsim-stitched", "--random", "2",
                 "--report", str(report)])
    data = json.dumps(json.loads((report / "report.json").read_text()))
    assert code == 0 and "FIFO depths sized on the pipeline model" in data
    sized = tmp_path / "sized.json"
    assert main(["fifo-size", str(model), "--out", str(sized), "--samples", "2"]) == 0
    depths = [v["inFIFODepths"] for v in json.loads(sized.read_text()).values()
              if isinstance(v, dict) and "inFIFODepths" in v]
    assert depths
    capsys.readouterr()
    code = main(["verify", str(model), "--folding", str(sized), "--levels",
                 "ref,model,rtlsim-stitched", "--report", str(tmp_path / "sized")])
    assert code == 0, capsys.readouterr()
    verdict = json.loads((tmp_path / "sized" / "report.json").read_text())
    assert verdict.get("verdict", "PASS") == "PASS"


@pytest.mark.rtlsim
def test_brevitas_residual_net_sized_passes(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _size_then_verify(_export(tmp_path, 8), tmp_path, capsys)


@pytest.mark.rtlsim
def test_finn_residual_graph_sized_passes(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _size_then_verify(_save(tmp_path, _residual_nodes(), _params()), tmp_path, capsys)
