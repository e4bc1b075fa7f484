"""ResNet-8 (the seed study's, zoo ``resnet8``): the first residual block with FINN's default
2-word shortcut FIFO deadlocks in the pipeline model and in native rtlsim, both naming the
edge; sized by ``size_fifos`` it runs, cycle-exact to the model. Slow: a Brevitas export and a
native build of five conv layers."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from qsim.errors import SimulationError
from qsim.pipeline import size_fifos, stitch
from qsim.pipeline.engine import DeadlockError
from qsim.rtlsim.native_run import run_native

from ._designs import random_input

SHORTCUT = "DuplicateStreams_0[1] -> Thresholding_0"  # the QuantIdentity on the shortcut


def _first_block() -> object:
    """ResNet-8 w4a4 with its zoo folding but default FIFOs, cut after the first join."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from _zoo_designs import zoo_design

    full = zoo_design("resnet8", "w4a4").with_fifo_depths(None)
    with pytest.raises(DeadlockError, match=re.escape(f"the FIFOs on edges '{SHORTCUT}'")):
        stitch(full).simulate(1)
    names = [la.name for la in full.layers]
    cut = names.index("AddStreams_0") + 1
    return dataclasses.replace(full, layers=full.layers[:cut], fifo_depths=None,
                               scale=1.0, bias=0.0)


@pytest.mark.slow
@pytest.mark.rtlsim
def test_resnet8_first_block_deadlock_then_sized() -> None:
    block = _first_block()
    x = random_input(block, 1, seed=0)
    with pytest.raises(DeadlockError, match=re.escape(f"the FIFOs on edges '{SHORTCUT}'")):
        stitch(block).simulate(1)
    with pytest.raises(SimulationError, match=re.escape(f"(edge {SHORTCUT}) occupancy 3 of 3 "
                                                        f"words (FULL)")):
        run_native(block, x, assertions=False)
    sized = block.with_fifo_depths(size_fifos(block, samples=1).depths)
    y, accept, transfer = run_native(sized, x, assertions=False)
    np.testing.assert_array_equal(y, sized(x))
    model = stitch(sized).simulate(1)
    np.testing.assert_array_equal(transfer, model.transfer)
    np.testing.assert_array_equal(accept, model.accept)


@pytest.mark.slow
@pytest.mark.rtlsim
@pytest.mark.cppsim
@pytest.mark.parametrize("variant", ["w4a4", "w5a5"])
def test_resnet8_every_level(variant: str, tmp_path: object) -> None:
    """``qsim verify`` of the exported ResNet-8 with its zoo folding (sized shortcut FIFOs) at
    ref, model, cppsim, rtlsim and rtlsim-stitched (stitched cycles checked against the
    pipeline model by the level itself)."""
    import json
    import sys
    from pathlib import Path

    from qsim.cli import main
    from qsim.zoo import default_folding

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from _zoo_designs import CACHE, zoo_design

    zoo_design("resnet8", variant)  # exports (cached) the ONNX file
    fold = Path(str(tmp_path)) / "fold.json"
    fold.write_text(json.dumps(default_folding("resnet8", variant)))
    code = main(["verify", str(CACHE / f"resnet8_{variant}.onnx"), "--folding", str(fold),
                 "--levels", "ref,model,cppsim,rtlsim,rtlsim-stitched", "--random", "8",
                 "--report", str(Path(str(tmp_path)) / "report")])
    assert code == 0
