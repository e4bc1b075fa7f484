"""MaxPool: bit-exact against loops, qonnx MaxPoolNHWC and onnxruntime MaxPool."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from onnx import helper

from qsim.errors import ConfigError
from qsim.models import MaxPool

from ._onnx import qonnx_node, run_ort, run_qonnx
from ._ref import ref_maxpool
from .strategies import maxpool_configs, rand_values


@given(cfg=maxpool_configs())
def test_random_configs_match_loops(cfg: MaxPool) -> None:
    x = rand_values(np.random.default_rng(2), cfg.idt, (2, *cfg.ifm_dim, cfg.channels))
    y = cfg(x)
    np.testing.assert_array_equal(y, np.array([ref_maxpool(i, cfg.kernel) for i in x.tolist()]))
    np.testing.assert_array_equal(cfg.unpack_output(cfg.pack_output(y)), y)


def test_bipolar_max_is_or_of_wire_bits() -> None:
    cfg = MaxPool(ifm_dim=2, channels=2, kernel=2, pe=2, idt="BIPOLAR")
    x = np.array([[[[-1, -1], [-1, 1]], [[-1, -1], [-1, -1]]]])
    assert cfg.pack_output(cfg(x)) == [0b10]


@pytest.mark.parametrize("k", [(2, 2), (3, 1), (1, 2)])
def test_matches_qonnx_and_onnxruntime(k: tuple) -> None:
    cfg = MaxPool(ifm_dim=(6, 6), channels=4, kernel=k, pe=2, idt="INT5")
    x = rand_values(np.random.default_rng(4), "INT5", (2, 6, 6, 4))
    oh, ow = cfg.ofm_dim
    nhwc = qonnx_node("MaxPoolNHWC", ["x"], "y", kernel_shape=list(k), strides=list(k),
                      pads=[0, 0, 0, 0])
    np.testing.assert_array_equal(cfg(x), run_qonnx(nhwc, {"x": x}, [2, oh, ow, 4]))
    std = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=list(k), strides=list(k))
    ref = run_ort(std, {"x": x.transpose(0, 3, 1, 2)}, [2, 4, oh, ow])
    np.testing.assert_array_equal(cfg(x), ref.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("over,match", [
    (dict(ifm_dim=5), r"folding rule H % K == 0 violated: H=5, K=2"),
    (dict(ifm_dim=(4, 5)), r"folding rule W % K == 0 violated: W=5, K=2"),
    (dict(pe=3), r"folding rule C % PE == 0 violated: C=4, PE=3"),
    (dict(idt="FLOAT32"), r"idt='FLOAT32' is not an integer type"),
])
def test_config_errors(over: dict, match: str) -> None:
    kw: dict = dict(ifm_dim=4, channels=4, kernel=2, pe=2, idt="INT4")
    kw.update(over)
    with pytest.raises(ConfigError, match=match):
        MaxPool(**kw)


@pytest.mark.parametrize("idt", ["BIPOLAR", "BINARY"])
@pytest.mark.parametrize("channels,kernel", [(64, 2), (16, 3), (12, 2), (6, (1, 2)), (3, 2)])
def test_one_bit_values_as_words_match_loops(idt: str, channels: int, kernel: object) -> None:
    """One-bit values in their compact int8 dtype, many channels and few: mostly -1 (or 0), so
    whole windows of it occur and their max must stay -1 (0)."""
    cfg = MaxPool(ifm_dim=6, channels=channels, kernel=kernel, pe=1, idt=idt)
    rng = np.random.default_rng(channels)
    low = -1 if idt == "BIPOLAR" else 0
    x = np.where(rng.random((3, 6, 6, channels)) < 0.8, low, 1)
    want = np.array([ref_maxpool(i, cfg.kernel) for i in x.tolist()])
    np.testing.assert_array_equal(cfg(x), want)
    np.testing.assert_array_equal(cfg.run(x.astype(np.int8), check=False), want)
