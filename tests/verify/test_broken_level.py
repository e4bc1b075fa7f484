"""A deliberately broken level (a test double that flips one bit) must be caught and reported
at the right layer, word and lane, by ``qsim verify`` and by the fuzzer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from qsim.cli import main
from qsim.verify import levels as lv
from qsim.verify.levels import Context, LayerRun, Level, LevelResult, register

from ._models import tiny_mlp

FLIP = {"layer": "MVAU_1", "frame": 1, "element": 2}


class FlipBit(Level):
    """Returns the model's outputs with bit 0 of one element flipped."""

    name = "flipbit"
    description = "test double: model outputs with one bit flipped"

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray], ctx: Context,
             progress: Any) -> LevelResult:
        res = LevelResult(self.name)
        for layer in design.layers:
            y = np.array(expected[layer.name], copy=True)
            if layer.name == FLIP["layer"]:
                flat = y.reshape(y.shape[0], -1)
                flat[FLIP["frame"], FLIP["element"]] ^= 1
            res.layers[layer.name] = LayerRun(y)
        return res


@pytest.fixture()
def flipbit() -> Iterator[None]:
    register(FlipBit)
    yield
    del lv._REGISTRY["flipbit"]


def test_flipped_bit_is_caught(flipbit: None, tmp_path: Path) -> None:
    model = tiny_mlp(tmp_path / "tiny.onnx")
    rc = main(["verify", str(model), "--levels", "model,flipbit", "--random", "3",
               "--report", str(tmp_path / "rep")])
    assert rc == 1
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert data["pass"] is False
    (mm,) = data["mismatches"]
    # MVAU_1 outputs 4 channels with PE=1: frame 1, element 2 is stream word 1*4 + 2, lane 0
    assert (mm["layer"], mm["level"], mm["word"], mm["lane"], mm["frame"]) == \
        ("MVAU_1", "flipbit", 6, 0, 1)
    assert mm["got"] == mm["expected"] ^ 1
    assert data["levels"]["flipbit"]["layers"]["MVAU_0"]["pass"] is True
    assert data["levels"]["flipbit"]["layers"]["MVAU_1"]["pass"] is False
