"""Run-time weights and thresholds: one compiled kernel per shape and type, exact for every
weight set (qsim.cppsim._runtime)."""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qsim.cppsim import CppsimLibrary, build_library, generate_source, run_cppsim
from qsim.cppsim._runtime import layout_of, pack_params
from qsim.cppsim.runner import block_libraries
from qsim.errors import SimulationError
from qsim.models import MVTU, MaxPool, Thresholding

from ._configs import rand_thresholds, rand_values
from ._harness import check_block

pytestmark = pytest.mark.cppsim


def _mvtu(seed: int, thr_lo: int = -200, thr_hi: int = 200, **kw: Any) -> MVTU:
    """INT4 x INT3 MVTU 12x6 (PE 3, SIMD 4) with 3 thresholds per channel."""
    rng = np.random.default_rng(seed)
    args: dict[str, Any] = dict(mw=12, mh=6, pe=3, simd=4, idt="INT4", wdt="INT3", odt="UINT2",
                                weights=rand_values(rng, "INT3", (12, 6)), name=f"fc_s{seed}",
                                thresholds=rand_thresholds(rng, 6, 3, thr_lo, thr_hi))
    args.update(kw)
    return MVTU(**args)


def _thr(seed: int, lo: int = 0, hi: int = 255) -> Thresholding:
    rng = np.random.default_rng(seed)
    return Thresholding(channels=8, pe=4, idt="UINT8", odt="INT3", act_val=-4,
                        thresholds=rand_thresholds(rng, 8, 7, lo, hi), name=f"thr_s{seed}")


def _x(cfg: Any, seed: int, n: int = 4) -> np.ndarray:
    return rand_values(np.random.default_rng(seed), cfg.idt.get_canonical_name(),
                       (n, *cfg.in_frame_shape))


def test_source_depends_on_shapes_and_types_only() -> None:
    a, b = _mvtu(1), _mvtu(2, weights=np.zeros((12, 6), dtype=np.int64))
    src = generate_source({"top": a}, runtime=True)
    assert src == generate_source({"top": b}, runtime=True)
    assert "fc_s1" not in src and "weights_mem" in src and "thresholds_mem" in src
    assert generate_source({"top": _thr(1)}, runtime=True) == \
        generate_source({"top": _thr(2, -1000, 1000)}, runtime=True)
    # a type change is a different kernel
    assert src != generate_source({"top": _mvtu(1, idt="UINT4")}, runtime=True)
    # the constant form still carries the values (and differs per weight set)
    assert generate_source({"top": a}) != generate_source({"top": b})


def test_new_weights_reuse_the_library_and_stay_exact(tmp_path: Path) -> None:
    cfgs = [_mvtu(1), _mvtu(2), _mvtu(3, thr_lo=-10**6, thr_hi=10**6),  # far outside the range
            _thr(1), _thr(2, -500, 500)]
    libs, builds = block_libraries(cfgs, cache_dir=tmp_path)
    assert len({b.key for b in builds[:3]}) == 1 and len({b.key for b in builds[3:]}) == 1
    assert len({b.path for b in builds}) == 2  # one compile per shape
    for i, (lib, cfg) in enumerate(zip(libs, cfgs)):
        check_block(lib, "top", cfg, _x(cfg, 10 + i))
    again, builds2 = block_libraries([_mvtu(4), _thr(3)], cache_dir=tmp_path)
    assert all(b.cached for b in builds2)
    for i, (lib, cfg) in enumerate(zip(again, [_mvtu(4), _thr(3)])):
        check_block(lib, "top", cfg, _x(cfg, 20 + i))


def test_thresholds_are_clamped_exactly() -> None:
    cfg = _mvtu(5, thr_lo=-10**6, thr_hi=10**6)
    lay = layout_of(cfg)
    # 12 products of INT4 [-8, 7] x INT3 [-4, 3], each in [-28, 32]: acc in [-336, 384]
    assert lay.clamp == (-12 * 28, 12 * 32 + 1)
    tail = pack_params(cfg)[-(lay.thr_count + 1):].view(np.int64)
    assert tail[:-1].max() <= 385 and int(tail[-1]) == cfg.act_val
    assert int(tail[:-1].min()) == -336  # a threshold below the range was clamped, not lost


def test_xnor_and_passthrough_layouts(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    xnor = MVTU(mw=16, mh=4, pe=2, simd=8, idt="BIPOLAR", wdt="BIPOLAR", binary_xnor=True,
                weights=rand_values(rng, "BIPOLAR", (16, 4)), odt="BIPOLAR",
                thresholds=rand_thresholds(rng, 4, 1, 0, 16), name="xnor")
    acc = MVTU(mw=16, mh=4, pe=4, simd=16, idt="INT8", wdt="INT8", odt="INT24",
               weights=rand_values(rng, "INT8", (16, 4)), name="acc")  # 128-bit weight words
    assert layout_of(xnor).clamp == (0, 17) and layout_of(acc).tdt is None
    assert layout_of(acc).n_params == 4 * 2  # PE*NF*SF = 4 tiles of 2 limbs, no thresholds
    for cfg in (xnor, acc):
        y, trip = run_cppsim(cfg, _x(cfg, 3, 5), cache_dir=tmp_path)
        assert np.array_equal(y, cfg(_x(cfg, 3, 5))) and trip == 5 * cfg.nf * cfg.sf


def test_runtime_source_compiles_alone(tmp_path: Path) -> None:
    cfg = _mvtu(6)
    lib = CppsimLibrary(build_library(generate_source({"blk": cfg}, runtime=True),
                                      cache_dir=tmp_path, pch=False).path)
    check_block(lib, "blk", cfg, _x(cfg, 6))


def test_parameter_count_mismatch_is_refused(tmp_path: Path) -> None:
    cfg = _mvtu(8)
    lib = CppsimLibrary(build_library(generate_source({"top": cfg}, runtime=True),
                                      cache_dir=tmp_path).path)
    other = _mvtu(8, thresholds=np.zeros((6, 1), dtype=np.int64))  # S = 1, same widths
    # 18 weight tiles + 18 thresholds + act_val; 18 + 6 + 1
    with pytest.raises(SimulationError, match=r"fc_s8.*takes 37 parameter words, the config "
                                              r"packs 25"):
        lib.run("top", other, _x(other, 1))
    # the C++ entry checks the count too
    fn, _ = lib._entry("top")
    params = np.zeros(5, dtype=np.uint64)
    msg = ctypes.create_string_buffer(256)
    p64 = ctypes.POINTER(ctypes.c_uint64)
    rc = fn(b"probe", params.ctypes.data_as(p64), 5, None, 0, None, 0, 0, None, msg, 256)
    assert rc == 1 and msg.value.decode() == "probe: 5 parameter words, the kernel takes 37"


def test_blocks_without_parameters_take_none(tmp_path: Path) -> None:
    cfg = MaxPool(ifm_dim=4, channels=4, kernel=2, pe=2, idt="INT4", name="mp")
    src = generate_source({"top": cfg}, runtime=True)
    assert "'mp'" not in src and "'mp'" in generate_source({"top": cfg})
    assert src == generate_source({"top": MaxPool(ifm_dim=4, channels=4, kernel=2, pe=2,
                                                  idt="INT4", name="other")}, runtime=True)
    x = _x(cfg, 2, 3)
    y, _ = run_cppsim(cfg, x, cache_dir=tmp_path)
    assert np.array_equal(y, cfg(x))
