"""On the emulated board, transfer cycles equal the predicted cycles exactly (zoo nets)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from qsim.board.board_run import run_transfer
from qsim.board.dma import StreamLayout, predict
from qsim.board.stream import bytes_to_words, input_bytes
from qsim.pipeline import stitch

pytestmark = [pytest.mark.rtlsim]
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _check(net: str, batch: int) -> None:
    from bench._zoo_designs import zoo_design

    design = zoo_design(net)
    st = stitch(design)
    rng = np.random.default_rng(batch)
    x = rng.integers(-128, 127, size=(batch, *design.input_shape), endpoint=True)
    res = run_transfer(st, input_bytes(st, x))
    assert res.cycles == predict(st, batch).cycles
    y = st.unpack_output(bytes_to_words(res.out_bytes, StreamLayout(st.out_bits)))
    assert np.array_equal(y, design(x))


@pytest.mark.parametrize("batch", [1, 10])
def test_tfc_w1a1_cycles_equal(batch: int) -> None:
    _check("tfc", batch)


@pytest.mark.slow
@pytest.mark.parametrize("net,batch", [("tfc", 1000), ("cnv", 1), ("cnv", 10), ("cnv", 1000)])
def test_cycles_equal_slow(net: str, batch: int) -> None:
    _check(net, batch)
