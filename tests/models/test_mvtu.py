"""MVTU: bit-exact against loops, onnxruntime MatMul, qonnx MultiThreshold/XnorPopcountMatMul."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from onnx import helper
from qonnx.core.datatype import DataType

from qsim.errors import ConfigError, StreamError
from qsim.models import MVTU

from ._onnx import qonnx_node, run_ort, run_qonnx
from ._ref import ref_mvtu
from .strategies import GRID, MH, MW, grid_config, mvtu_configs, rand_values


def loop_reference(cfg: MVTU, x: np.ndarray) -> np.ndarray:
    t = None if cfg.thresholds is None else cfg.thresholds.tolist()
    bip = cfg.odt == DataType["BIPOLAR"]
    one_bit_bipolar = cfg.idt == DataType["BIPOLAR"]
    return np.array([ref_mvtu(v, cfg.weights.tolist(), t, cfg.act_val, bip, cfg.binary_xnor,
                              one_bit_bipolar) for v in x.tolist()])


@pytest.mark.parametrize("act,wdt,idt,nf,sf", GRID)
def test_finn_mvau_grid(act: str, wdt: str, idt: str, nf: int, sf: int) -> None:
    cfg = grid_config(act, wdt, idt, nf, sf)
    x = rand_values(np.random.default_rng(1), idt, (5, MW))
    y = cfg(x)
    np.testing.assert_array_equal(y, loop_reference(cfg, x))
    # folded stream round trip and the stall-free schedule of this folding
    np.testing.assert_array_equal(cfg.unpack_output(cfg.pack_output(y)), y)
    assert cfg.schedule.steps == nf * sf
    assert cfg.cycles(5).cycles == cfg.stall_free().cycles(5) == 5 * nf * sf + 2


@given(cfg=mvtu_configs())
@settings(max_examples=80)
def test_random_configs_match_loops(cfg: MVTU) -> None:
    x = rand_values(np.random.default_rng(cfg.mw * 31 + cfg.mh), cfg.idt, (4, cfg.mw))
    np.testing.assert_array_equal(cfg(x), loop_reference(cfg, x))
    y = cfg(x)
    assert np.all(y >= int(cfg.odt.min())) and np.all(y <= int(cfg.odt.max()))


def test_matches_onnxruntime_matmul_and_qonnx_multithreshold() -> None:
    rng = np.random.default_rng(7)
    cfg = grid_config("INT4", "INT4", "INT4", 2, 2, seed=3)
    x = rand_values(rng, "INT4", (6, MW))
    acc = run_ort(helper.make_node("MatMul", ["x", "W"], ["y"]), {"x": x}, [6, MH],
                  inits={"W": cfg.weights})
    np.testing.assert_array_equal(acc, cfg.accumulate(x))
    mt = qonnx_node("MultiThreshold", ["acc", "T"], "y", out_dtype="UINT4",
                    data_layout="NC")
    counts = run_qonnx(mt, {"acc": acc}, [6, MH], inits={"T": cfg.thresholds})
    np.testing.assert_array_equal(counts - 8, cfg(x))


def test_xnor_matches_qonnx_xnorpopcount() -> None:
    rng = np.random.default_rng(11)
    wb = rng.integers(0, 2, (MW, MH))
    xb = rng.integers(0, 2, (3, MW))
    node = qonnx_node("XnorPopcountMatMul", ["x", "W"], "y")
    ref = run_qonnx(node, {"x": xb}, [3, MH], inits={"W": wb},
                    dtypes={"x": DataType["BINARY"], "W": DataType["BINARY"]})
    binary = MVTU(mw=MW, mh=MH, pe=4, simd=8, idt="BINARY", wdt="BINARY", weights=wb,
                  binary_xnor=True)
    bipolar = MVTU(mw=MW, mh=MH, pe=4, simd=8, idt="BIPOLAR", wdt="BIPOLAR",
                   weights=2 * wb - 1, binary_xnor=True)
    np.testing.assert_array_equal(binary(xb), ref)
    np.testing.assert_array_equal(bipolar(2 * xb - 1), ref)
    # popcount = (dot + MW) / 2 on the +-1 values
    np.testing.assert_array_equal(2 * ref - MW, (2 * xb - 1) @ (2 * wb - 1))


def test_hardware_tile_order() -> None:
    cfg = grid_config("INT4", "INT4", "INT4", 4, 2)
    tiles = cfg.weight_tiles()  # (PE, NF*SF, SIMD)
    for p, nf, sf, s in itertools.product(range(cfg.pe), range(cfg.nf), range(cfg.sf),
                                          range(cfg.simd)):
        assert tiles[p, nf * cfg.sf + sf, s] == cfg.weights[sf * cfg.simd + s, nf * cfg.pe + p]
    tt = cfg.threshold_tiles()
    for p, nf in itertools.product(range(cfg.pe), range(cfg.nf)):
        np.testing.assert_array_equal(tt[p, nf], cfg.thresholds[nf * cfg.pe + p])


def test_accumulator_type_is_exact_bound() -> None:
    w = np.full((4, 2), -8)
    cfg = MVTU(mw=4, mh=2, idt="UINT4", wdt="INT4", weights=w)
    assert cfg.acc_range == (-480, 0) and cfg.odt == DataType["INT10"]
    x = np.full((1, 4), 15)
    np.testing.assert_array_equal(cfg(x), [[-480, -480]])


def test_fast_path_beyond_float_exact_range_is_exact() -> None:
    # |acc| up to 2**40: float32 would round; the model must stay exact
    big = 2**19
    w = np.full((8, 1), big - 1)
    x = np.full((2, 8), -(big))
    cfg = MVTU(mw=8, mh=1, idt="INT20", wdt="INT20", weights=w)
    assert cfg(x)[0, 0] == 8 * (big - 1) * -big


def _kw(**over: object) -> dict:
    base: dict = dict(mw=4, mh=4, pe=2, simd=2, idt="INT4", wdt="INT4",
                      weights=np.zeros((4, 4), dtype=int))
    base.update(over)
    return base


@pytest.mark.parametrize("over,match", [
    (dict(pe=3), r"folding rule MH % PE == 0 violated: MH=4, PE=3"),
    (dict(simd=3), r"folding rule MW % SIMD == 0 violated: MW=4, SIMD=3"),
    (dict(pe=0), r"pe=0 must be a positive int"),
    (dict(mw=True), r"mw=True must be a positive int"),
    (dict(idt="FLOAT32"), r"idt='FLOAT32' is not an integer type"),
    (dict(idt="FOO3"), r"idt='FOO3' is not a qonnx DataType name"),
    (dict(idt="INT99"), r"idt='INT99' is not an integer type of at most 64 bits"),
    (dict(wdt=3.5), r"wdt=3.5 must be a DataType or its name"),
    (dict(weights=np.zeros((4, 3))), r"weights shape \(4, 3\) must be \(MW, MH\) = \(4, 4\)"),
    (dict(weights=np.full((4, 4), 8)), r"weights \(wdt=INT4\): value 8 .* outside INT4"),
    (dict(wdt="BIPOLAR"), r"weights \(wdt=BIPOLAR\): value 0 .* outside BIPOLAR"),
    (dict(binary_xnor=True), r"binary_xnor=True needs idt and wdt both BIPOLAR or both BINARY"),
    (dict(act_val=1), r"act_val=1 has no meaning without thresholds"),
    (dict(thresholds=np.zeros((4, 1))), r"odt is required when thresholds are given"),
    (dict(thresholds=np.zeros((3, 1)), odt="BIPOLAR"), r"thresholds shape \(3, 1\) must be"),
    (dict(thresholds=[[2, 1]] * 4, odt="UINT2"), r"row 0 is not ascending: T\[0, 0\]=2 > "),
    (dict(thresholds=[[0.5]] * 4, odt="BIPOLAR"), r"thresholds: float values"),
    (dict(thresholds=[[0, 1]], odt="BIPOLAR"), r"BIPOLAR odt needs exactly 1 threshold"),
    (dict(thresholds=[[0]], odt="BIPOLAR", act_val=-1), r"act_val=0, got S=1, act_val=-1"),
    (dict(thresholds=[[0, 1, 2, 3]], odt="UINT2"), r"odt='UINT2' cannot hold outputs "
                                                   r"act_val\.\.act_val\+S = 0\.\.4"),
])
def test_config_errors(over: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        MVTU(**_kw(**over))


def test_odt_too_narrow_for_accumulator() -> None:
    with pytest.raises(ConfigError, match=r"odt='INT4' cannot hold the accumulator range "
                                          r"\[-28, 32\]: the accumulator could overflow "
                                          r"\(use 'INT7' or wider\)"):
        MVTU(**_kw(weights=np.full((4, 4), -1), idt="INT4", odt="INT4"))


def test_config_is_frozen_and_keyword_only() -> None:
    cfg = MVTU(**_kw())
    with pytest.raises(AttributeError):
        cfg.pe = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        MVTU(4, 4)  # type: ignore[misc]
    assert not cfg.weights.flags.writeable


def test_input_out_of_range_is_refused() -> None:
    cfg = MVTU(**_kw())
    with pytest.raises(StreamError, match=r"input: value -9 at index \(1, 2\) is outside INT4"):
        cfg(np.array([[0, 0, 0, 0], [0, 0, -9, 0]]))
    with pytest.raises(StreamError, match=r"input shape \(2, 5\) does not end in the frame "
                                          r"shape \(4,\)"):
        cfg(np.zeros((2, 5), dtype=int))


@pytest.mark.parametrize("idt,wdt,paths", [
    ("UINT8", "BIPOLAR", ("int8", "f32", "f64", "int64")),  # int8: shifted by 128
    ("INT8", "INT8", ("int8", "f32", "f64", "int64")),
    ("BINARY", "INT3", ("int8", "f32", "f64", "int64")),
    ("INT12", "INT4", ("f32", "f64", "int64")),  # inputs beyond int8
    ("INT16", "INT16", ("f64", "int64")),  # beyond float32's exact range
])
def test_each_fast_path_is_exact(idt: str, wdt: str, paths: tuple[str, ...]) -> None:
    rng = np.random.default_rng(13)
    w = rand_values(rng, wdt, (24, 6))
    cfg = MVTU(mw=24, mh=6, pe=3, simd=4, idt=idt, wdt=wdt, weights=w)
    assert cfg._fast.candidates == paths
    x = rand_values(rng, idt, (7, 24))
    # extremes of the input range, where a wrong shift or overflow would show
    x[0], x[1] = int(cfg.idt.min()), int(cfg.idt.max())
    for path in paths:  # every exact path, forced (tests/models/test_fast_paths.py: more)
        np.testing.assert_array_equal(cfg.compute(x, path), loop_reference(cfg, x))


def test_float_paths_without_int8_gemm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where torch's int8 GEMM is unavailable it is never offered; the others stay exact."""
    import qsim.models._mvtu_fast as fast

    monkeypatch.setattr(fast, "int8_gemm_available", lambda: False)
    for act, wdt, idt, nf, sf in GRID[::7]:
        cfg = grid_config(act, wdt, idt, nf, sf)
        assert "int8" not in cfg._fast.candidates and "f32" in cfg._fast.candidates
        x = rand_values(np.random.default_rng(2), idt, (5, MW))
        np.testing.assert_array_equal(cfg.compute(x, "f32"), loop_reference(cfg, x))
