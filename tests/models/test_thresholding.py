"""Thresholding: bit-exact against loops and qonnx MultiThreshold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from qonnx.core.datatype import DataType

from qsim.errors import ConfigError
from qsim.models import Thresholding

from ._onnx import qonnx_node, run_qonnx
from ._ref import ref_threshold
from .strategies import rand_values, thresholding_configs


def loop_reference(cfg: Thresholding, x: np.ndarray) -> np.ndarray:
    bip = cfg.odt == DataType["BIPOLAR"]
    t = cfg.thresholds.tolist()
    flat = x.reshape(-1, cfg.channels).tolist()
    out = [[ref_threshold(v, t[c], cfg.act_val, bip) for c, v in enumerate(px)] for px in flat]
    return np.array(out).reshape(x.shape)


@given(cfg=thresholding_configs())
def test_random_configs_match_loops(cfg: Thresholding) -> None:
    x = rand_values(np.random.default_rng(cfg.channels), cfg.idt, (2, 3, cfg.channels))
    y = cfg(x)
    np.testing.assert_array_equal(y, loop_reference(cfg, x))
    np.testing.assert_array_equal(cfg.unpack_output(cfg.pack_output(y)),
                                  y.reshape(-1, cfg.channels))


def test_matches_qonnx_multithreshold_nhwc() -> None:
    rng = np.random.default_rng(5)
    t = np.sort(rng.integers(-20, 20, (6, 3)), axis=1)
    cfg = Thresholding(channels=6, pe=3, idt="INT6", odt="INT2", act_val=-2, thresholds=t)
    x = rand_values(rng, "INT6", (2, 4, 4, 6))
    node = qonnx_node("MultiThreshold", ["x", "T"], "y", out_dtype="INT2", out_bias=-2.0,
                      data_layout="NHWC")
    ref = run_qonnx(node, {"x": x}, [2, 4, 4, 6], inits={"T": t})
    np.testing.assert_array_equal(cfg(x), ref)


def test_many_thresholds_use_the_same_rule() -> None:
    rng = np.random.default_rng(9)
    t = np.sort(rng.integers(-200, 200, (4, 255)), axis=1)  # 8-bit output: binary-search path
    cfg = Thresholding(channels=4, pe=2, idt="INT9", odt="UINT8", thresholds=t)
    x = rand_values(rng, "INT9", (50, 4))
    np.testing.assert_array_equal(cfg(x), loop_reference(cfg, x))


def test_shared_threshold_row_broadcasts() -> None:
    cfg = Thresholding(channels=4, idt="INT4", odt="UINT2", thresholds=[[-1, 0, 1]])
    assert cfg.thresholds.shape == (4, 3)
    np.testing.assert_array_equal(cfg([[-2, 0, 1, 5]]), [[0, 2, 3, 3]])


@pytest.mark.parametrize("over,match", [
    (dict(pe=3), r"folding rule C % PE == 0 violated: C=4, PE=3"),
    (dict(channels=0), r"channels=0 must be a positive int"),
    (dict(thresholds=[[1, 0]]), r"row 0 is not ascending"),
    (dict(odt="BOGUS"), r"odt='BOGUS' is not a qonnx DataType name"),
    (dict(odt="INT2"), r"odt='INT2' cannot hold outputs act_val\.\.act_val\+S = 0\.\.2"),
])
def test_config_errors(over: dict, match: str) -> None:
    kw: dict = dict(channels=4, pe=2, idt="INT4", odt="UINT2", thresholds=[[0, 1]])
    kw.update(over)
    with pytest.raises(ConfigError, match=match):
        Thresholding(**kw)
