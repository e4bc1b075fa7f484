"""Tests for survivors of the HLS mutation campaign (``qsim mutate --cores hls``), first in
their cores' selections (``qsim.mutate.HLS_CORE_TESTS``).

Thresholding (written for the first survivors, all in ``load_thresholds``: the three configs
the block test's two examples draw all have NF = C/PE = 1 -- PE 1 compiled in, PE 11 and 9 at
run time --, so a threshold loaded into the wrong lane or fold went unseen): run-time
thresholds on every config, every
value of the input type on every channel (each threshold is hit exactly and the count reaches
0 and S), per-channel thresholds that differ in every lane, NF in {2, 3}, PE in {1, 2, 4}.
MaxPool (edges the random block test reaches only by chance): five images in a row (the
row/column counters must wrap per image), PE 2 with NF 2, windows of unequal sides, a 1x1
window and one image of ties at the type's minimum. Later: the XNOR lane loop (SIMD > 64), the
sliding window over several output rows and frames, the threshold count's width.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qsim.cppsim.build import build_library
from qsim.models import MVTU, MaxPool, SlidingWindow, Thresholding

from ._configs import rand_values
from ._harness import check_block, compile_configs

pytestmark = pytest.mark.cppsim


def _sweep(cfg: Thresholding) -> np.ndarray:
    """(n, *frame) inputs: channel c of frame f holds value (f + 3c) mod n of the input type,
    so every channel sees every value once, each frame a different mix per lane."""
    dt = DataType[cfg.idt.get_canonical_name()]
    vals = np.arange(int(dt.min()), int(dt.max()) + 1)
    n, shape = len(vals), cfg.in_frame_shape
    chans = np.arange(cfg.channels)
    x = np.stack([vals[(f + 3 * chans) % n] for f in range(n)])  # (n, C)
    return np.broadcast_to(x.reshape(n, *([1] * (len(shape) - 1)), cfg.channels),
                           (n, *shape)).copy()


def _thresholding_configs() -> list[Thresholding]:
    rng = np.random.default_rng(16)
    # INT4: 8 channels (PE 4, NF 2), 7 distinct per-channel thresholds spread over the range
    t8 = np.sort(rng.choice(np.arange(-8, 8), (8, 7)), axis=1)
    t8[0] = [-8, -6, -3, 0, 2, 5, 7]  # the type's ends are thresholds of channel 0
    return [
        Thresholding(channels=8, pe=4, idt="INT4", odt="UINT3", thresholds=t8,
                     name="thr_int4_pe4"),
        Thresholding(channels=6, pe=2, idt="UINT3", odt="BIPOLAR", name="thr_bip_pe2",
                     thresholds=np.arange(6).reshape(6, 1) + 1),
        Thresholding(channels=3, pe=1, idt="INT2", odt="INT2", act_val=-2, name="thr_nf3",
                     thresholds=np.array([[-2, -1, 0], [-1, 0, 1], [-2, 0, 1]])),
        # act_val -3 into INT3: count - act_val would differ mod 8 (with -2 into INT2, +2 and
        # -2 are the same bits, so act_val's sign went unseen)
        Thresholding(channels=2, pe=2, idt="INT3", odt="INT3", act_val=-3, name="thr_act3",
                     thresholds=np.array([[-3, -1, 0, 2], [-2, 0, 1, 3]])),
    ]


def test_thresholding_kernel_edges() -> None:
    cfgs = _thresholding_configs()
    for (lib, sym), cfg in zip(compile_configs(cfgs, runtime=True), cfgs):
        check_block(lib, sym, cfg, _sweep(cfg))


def _maxpool_configs() -> list[MaxPool]:
    return [
        MaxPool(ifm_dim=(4, 6), channels=4, kernel=(2, 3), pe=2, idt="INT4", name="mp_pe2"),
        MaxPool(ifm_dim=(6, 2), channels=3, kernel=(3, 2), pe=1, idt="UINT2", name="mp_nf3"),
        MaxPool(ifm_dim=(2, 2), channels=2, kernel=(1, 1), pe=2, idt="INT3", name="mp_k1"),
    ]


def test_maxpool_kernel_edges() -> None:
    cfgs = _maxpool_configs()
    rng = np.random.default_rng(16)
    for (lib, sym), cfg in zip(compile_configs(cfgs), cfgs):
        dt = cfg.idt.get_canonical_name()
        x = rand_values(rng, dt, (5, *cfg.in_frame_shape))  # five images in a row
        x[2] = int(DataType[dt].min())  # one image of ties at the type's minimum
        check_block(lib, sym, cfg, x)


def _xnor_configs() -> list[MVTU]:
    rng = np.random.default_rng(21)
    cfgs = []
    for mw, simd, mh, pe, idt in ((256, 128, 4, 2, "BIPOLAR"), (130, 65, 3, 1, "BINARY")):
        w = rng.integers(0, 2, (mw, mh))
        w = 2 * w - 1 if idt == "BIPOLAR" else w
        t = rng.integers(mw // 2 - 6, mw // 2 + 7, (mh, 1))
        cfgs.append(MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt=idt, weights=w,
                         thresholds=t, odt="BINARY", binary_xnor=True, name=f"xnor_simd{simd}"))
    return cfgs


def test_mvtu_xnor_wider_than_64_lanes() -> None:
    """The XNOR popcount loop over SIMD lanes (the one HLS synthesizes) runs in cppsim only for
    SIMD > 64 (up to 64 lanes cppsim counts with one popcount instruction): every block test had
    SIMD <= 64, so a loop that skipped a lane or counted disagreements survived. SIMD 128 and
    65, random words and words that agree (or disagree) with a weight row in every lane."""
    cfgs = _xnor_configs()
    rng = np.random.default_rng(22)
    for (lib, sym), cfg in zip(compile_configs(cfgs), cfgs):
        low = -1 if cfg.idt.get_canonical_name() == "BIPOLAR" else 0
        x = np.where(rng.random((6, cfg.mw)) < 0.5, low, 1)
        row = np.asarray(cfg.weights)[:, 0]
        x[4], x[5] = row, np.where(row == 1, low, 1)  # count = MW and count = 0 on column 0
        check_block(lib, sym, cfg, x)


def _swg_configs() -> list[SlidingWindow]:
    return [
        SlidingWindow(ifm_dim=(5, 4), channels=2, kernel=(2, 2), simd=1, idt="UINT3",
                      name="swg_cf2"),
        SlidingWindow(ifm_dim=(7, 7), channels=2, kernel=(2, 2), stride=(2, 2),
                      dilation=(2, 2), simd=2, idt="INT4", name="swg_s2_d2"),
        SlidingWindow(ifm_dim=(6, 5), channels=4, kernel=(3, 2), stride=(1, 2), simd=2,
                      idt="INT2", depthwise=True, name="swg_dw"),
        SlidingWindow(ifm_dim=(6, 5), channels=1, kernel=(2, 2), stride=(3, 3), simd=1,
                      idt="UINT4", name="swg_unused_rows"),
    ]


def test_sliding_window_kernel_edges() -> None:
    """Seven frames in a row through configs with several output rows (the block test's draws
    were mostly one output row, where "frame done" and "row done" coincide), CF 2, stride with
    dilation, depthwise order and rows no window covers. Seven frames take the circular
    buffer's frame base and read slot through several wraps. check_block also checks that the
    loop reads every input word in the model's accept cycle: a buffer larger than the model's
    lets the input run ahead, with the same outputs and trip count."""
    cfgs = _swg_configs()
    rng = np.random.default_rng(23)
    for (lib, sym), cfg in zip(compile_configs(cfgs), cfgs):
        check_block(lib, sym, cfg, rand_values(rng, cfg.idt.get_canonical_name(),
                                               (7, *cfg.in_frame_shape)))


_COUNTS = (1, 2, 3, 4, 7, 8, 15, 16, 255, 256, 65535)


def test_threshold_count_width_is_minimal() -> None:
    """The threshold counter of S thresholds is bits_for<S> = bit_length(S) bits wide: the
    count takes S + 1 values, and one bit more is a register per lane the design does not
    need (a wider count gives the same outputs, so no block test sees it)."""
    body = " ".join(f"v[{i}] = qsim::bits_for<{n}ULL>::value;" for i, n in enumerate(_COUNTS))
    src = ('#include "qsim/activation.hpp"\n'
           f'extern "C" void count_widths(unsigned* v) {{ {body} }}\n')
    lib = ctypes.CDLL(str(build_library(src).path))
    widths = (ctypes.c_uint * len(_COUNTS))()
    lib.count_widths(widths)
    assert list(widths) == [n.bit_length() for n in _COUNTS]
