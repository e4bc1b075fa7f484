"""SlidingWindow: bit-exact against loops, qonnx Im2Col and an onnxruntime Conv."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from onnx import helper
from qonnx.core.datatype import DataType

from qsim.errors import ConfigError
from qsim.models import MVTU, SlidingWindow

from ._onnx import qonnx_node, run_ort, run_qonnx
from ._ref import ref_im2col
from .strategies import rand_values, swg_configs


@given(cfg=swg_configs())
def test_random_configs_match_loops(cfg: SlidingWindow) -> None:
    x = rand_values(np.random.default_rng(7), cfg.idt, (2, *cfg.ifm_dim, cfg.channels))
    y = cfg(x)
    ref = np.array([ref_im2col(img, cfg.kernel, cfg.stride, cfg.dilation) for img in x.tolist()])
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(cfg.unpack_output(cfg.pack_output(y)), y)
    np.testing.assert_array_equal(cfg.unpack_input(cfg.pack_input(x)), x)


def test_depthwise_stream_order() -> None:
    cfg = SlidingWindow(ifm_dim=3, channels=4, kernel=2, simd=2, idt="UINT4", depthwise=True)
    x = np.arange(36).reshape(1, 3, 3, 4) % 16
    words = cfg.out_stream.unpack(cfg.pack_output(cfg(x)))  # (words, SIMD)
    # pixel (0, 0): cf=0 for kernel taps (0,0),(0,1),(1,0),(1,1), then cf=1
    taps = [(0, 0), (0, 1), (1, 0), (1, 1)]
    expect = [x[0, a, b, cf * 2: cf * 2 + 2] for cf in range(2) for a, b in taps]
    np.testing.assert_array_equal(words[:8], np.array(expect))


@pytest.mark.parametrize("k,s,d,dims", [((3, 3), (1, 1), (1, 1), (6, 6)),
                                        ((3, 2), (2, 1), (1, 2), (7, 6)),
                                        ((1, 3), (1, 2), (1, 1), (4, 9))])
def test_matches_qonnx_im2col(k: tuple, s: tuple, d: tuple, dims: tuple) -> None:
    cfg = SlidingWindow(ifm_dim=dims, channels=3, kernel=k, stride=s, dilation=d, idt="INT4")
    x = rand_values(np.random.default_rng(1), "INT4", (2, *dims, 3))
    node = qonnx_node("Im2Col", ["x"], "y", stride=list(s), kernel_size=list(k),
                      dilations=list(d), input_shape=str((1, *dims, 3)))
    oh, ow = cfg.ofm_dim
    # qonnx's Im2Col mixes images of a batch (N > 1): run it one image at a time
    ref = np.concatenate([run_qonnx(node, {"x": img[None]}, [1, oh, ow, k[0] * k[1] * 3],
                                    dtypes={"x": DataType["INT4"]}) for img in x])
    np.testing.assert_array_equal(cfg(x), ref)


def test_swg_plus_mvtu_equals_onnxruntime_conv() -> None:
    rng = np.random.default_rng(3)
    c, oc, k = 3, 5, (3, 2)
    swg = SlidingWindow(ifm_dim=(6, 5), channels=c, kernel=k, stride=(1, 2), dilation=(2, 1),
                        simd=3, idt="INT4")
    w_oihw = rand_values(rng, "INT3", (oc, c, *k))
    # conv weights (OC, C, KH, KW) -> im2col order (KH, KW, C) x OC
    w_mat = w_oihw.transpose(2, 3, 1, 0).reshape(-1, oc)
    mvtu = MVTU(mw=w_mat.shape[0], mh=oc, idt="INT4", wdt="INT3", weights=w_mat)
    x = rand_values(rng, "INT4", (2, 6, 5, c))
    y = mvtu(swg(x))  # (N, OH, OW, OC)
    node = helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=list(k), strides=[1, 2],
                            dilations=[2, 1])
    oh, ow = swg.ofm_dim
    ref = run_ort(node, {"x": x.transpose(0, 3, 1, 2)}, [2, oc, oh, ow], inits={"W": w_oihw})
    np.testing.assert_array_equal(y, ref.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("over,match", [
    (dict(simd=4), r"folding rule C % SIMD == 0 violated: C=6, SIMD=4"),
    (dict(kernel=(3, 7)), r"dilated kernel extent 7 .* exceeds the image W=5"),
    (dict(kernel=3, dilation=(3, 1)), r"dilated kernel extent 7 .* exceeds the image H=5"),
    (dict(stride=0), r"stride=0 must be positive"),
    (dict(ifm_dim=(5, 5, 1)), r"ifm_dim=\(5, 5, 1\) must be an int or an \(h, w\) pair"),
    (dict(kernel="3"), r"kernel='3' must be an int or an \(h, w\) pair"),
])
def test_config_errors(over: dict, match: str) -> None:
    kw: dict = dict(ifm_dim=5, channels=6, kernel=2, simd=3, idt="INT4")
    kw.update(over)
    with pytest.raises(ConfigError, match=match):
        SlidingWindow(**kw)
