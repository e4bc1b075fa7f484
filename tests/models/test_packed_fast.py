"""The packed SlidingWindow -> XNOR MVTU path (qsim/models/_packed.py) and the MaxPool fast
path equal independent int64 references; run_chain equals the blocks run one by one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from qsim.errors import ConfigError, StreamError
from qsim.models import MVTU, MaxPool, SlidingWindow
from qsim.models import _calibrate as cal
from qsim.models._packed import CHAIN_PATHS, PackedWindowMVTU, fusable, pair_of, run_chain


def _im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int]) -> np.ndarray:
    """(N, H, W, C) -> (N, OH, OW, KH*KW*C) in (kh, kw, c) order, by explicit loops."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dw - 1) // sw + 1
    out = np.empty((n, oh, ow, kh * kw * c), dtype=np.int64)
    for oy in range(oh):
        for ox in range(ow):
            parts = [x[:, oy * sh + a * dh, ox * sw + b * dw, :]
                     for a in range(kh) for b in range(kw)]
            out[:, oy, ox, :] = np.concatenate(parts, axis=-1)
    return out


def _reference(x: np.ndarray, w: np.ndarray, t: np.ndarray, xnor: bool, bipolar_out: bool,
               act_val: int, geometry: tuple[Any, Any, Any]) -> np.ndarray:
    """Thresholded MVTU of the windows in int64: acc = matching values (XNOR) or the +-1 dot
    product, y = act_val + #{s : acc >= T[j, s]} (2 * #{...} - 1 for a BIPOLAR output)."""
    cols = _im2col(x.astype(np.int64), *geometry)  # (N, OH, OW, K)
    if xnor:
        acc = (cols[..., :, None] == w[None, None, None]).sum(axis=-2)
    else:
        acc = cols @ w.astype(np.int64)
    count = (acc[..., None] >= t).sum(axis=-1)  # (N, OH, OW, MH)
    return 2 * count - 1 if bipolar_out else act_val + count


def _values(rng: np.random.Generator, idt: str, shape: tuple[int, ...]) -> np.ndarray:
    bits = rng.integers(0, 2, shape)
    return 2 * bits - 1 if idt == "BIPOLAR" else bits


# (idt, binary_xnor, channels, image (H, W), kernel, stride, dilation)
CASES = [("BIPOLAR", True, 64, (9, 9), 3, 1, 1), ("BIPOLAR", True, 65, (7, 8), 3, 1, 1),
         ("BIPOLAR", True, 3, (6, 6), 3, 1, 1), ("BIPOLAR", True, 100, (6, 7), (3, 2), 2, 1),
         ("BIPOLAR", True, 130, (9, 9), 2, 1, 2), ("BIPOLAR", False, 48, (8, 8), 3, (1, 2), 1),
         ("BINARY", True, 64, (6, 6), 3, 1, 1), ("BINARY", True, 1, (5, 5), (1, 3), 1, (1, 2)),
         ("BINARY", True, 70, (10, 7), 3, 2, (2, 1)), ("BIPOLAR", True, 128, (4, 4), 1, 1, 1)]


def _pair(rng: np.random.Generator, idt: str, xnor: bool, c: int, hw: tuple[int, int],
          kernel: Any, stride: Any, dilation: Any, steps: int) -> tuple[SlidingWindow, MVTU]:
    swg = SlidingWindow(ifm_dim=hw, channels=c, kernel=kernel, stride=stride,
                        dilation=dilation, idt=idt)
    mw, mh = swg.k2 * c, 6
    w = _values(rng, idt if xnor else "BIPOLAR", (mw, mh))
    lo, hi = (0, mw) if xnor else (-mw, mw)
    t = np.sort(rng.integers(lo - 1, hi + 2, (mh, steps)), axis=1)
    t[0] = lo - 1  # always passed
    t[1] = hi + 1  # passed only by the all-matching window
    odt = "BIPOLAR" if steps == 1 else "UINT3"
    return swg, MVTU(mw=mw, mh=mh, idt=idt, wdt=idt if xnor else "BIPOLAR", odt=odt,
                     weights=w, thresholds=t, binary_xnor=xnor, act_val=0)


@pytest.mark.parametrize("idt,xnor,c,hw,kernel,stride,dilation", CASES)
@pytest.mark.parametrize("steps", [1, 3])
def test_packed_windows_equal_the_int64_reference(idt: str, xnor: bool, c: int,
                                                  hw: tuple[int, int], kernel: Any,
                                                  stride: Any, dilation: Any,
                                                  steps: int) -> None:
    rng = np.random.default_rng(c + steps)
    swg, mvtu = _pair(rng, idt, xnor, c, hw, kernel, stride, dilation, steps)
    pair = PackedWindowMVTU(swg, mvtu)
    lo = -1 if idt == "BIPOLAR" else 0
    x = np.concatenate([_values(rng, idt, (3, *hw, c)), np.full((1, *hw, c), lo),
                        np.full((1, *hw, c), 1)])
    # an image equal to the first window's weights of column 0 (every value matches there)
    x[-1, :swg.kernel[0] * swg.dilation[0]:swg.dilation[0],
      :swg.kernel[1] * swg.dilation[1]:swg.dilation[1]] = \
        np.asarray(mvtu.weights)[:, 0].reshape(*swg.kernel, c)
    want = _reference(x, np.asarray(mvtu.weights), np.asarray(mvtu.thresholds), xnor,
                      steps == 1, 0, (swg.kernel, swg.stride, swg.dilation))
    got = pair.run(x.astype(np.int8), "packed")
    assert got.dtype == np.int8 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(pair.run(x.astype(np.int8), "blocks"), want)


def test_fusable_only_where_the_kernel_is_exact() -> None:
    rng = np.random.default_rng(0)
    swg, mvtu = _pair(rng, "BIPOLAR", True, 8, (4, 4), 3, 1, 1, 1)
    assert fusable(swg, mvtu)
    deep = SlidingWindow(ifm_dim=4, channels=8, kernel=3, idt="BIPOLAR", depthwise=True)
    no_t = MVTU(mw=72, mh=6, idt="BIPOLAR", wdt="BIPOLAR", weights=mvtu.weights,
                binary_xnor=True)
    wide = SlidingWindow(ifm_dim=4, channels=8, kernel=3, idt="INT2")
    assert not fusable(deep, mvtu) and not fusable(swg, no_t) and not fusable(wide, mvtu)
    assert not fusable(mvtu, swg)
    with pytest.raises(ConfigError, match=r"SlidingWindow\(ifm_dim=\(4, 4\), kernel=3\) "
                                          r"-> MVTU\(mw=72, mh=6\): not a one-bit"):
        PackedWindowMVTU(swg, no_t)
    with pytest.raises(ConfigError, match=r"chain path 'fast' is not one of"):
        pair_of(swg, mvtu).run(np.ones((1, 4, 4, 8), dtype=np.int8), "fast")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("QSIM_MATMUL_PATH", raising=False)
    monkeypatch.setattr(cal, "_load_avg", lambda: 0.0)
    cal.reset()
    yield tmp_path
    cal.reset()


def _chain(rng: np.random.Generator) -> list[Any]:
    """UINT8 conv -> BIPOLAR conv (fusable) -> pool -> fc: a small CNV."""
    w0 = _values(rng, "BIPOLAR", (27, 8))
    swg1 = SlidingWindow(ifm_dim=6, channels=8, kernel=3, idt="BIPOLAR")
    w1 = _values(rng, "BIPOLAR", (72, 16))
    t1 = rng.integers(30, 42, (16, 1))
    w2 = _values(rng, "BIPOLAR", (64, 5))
    return [SlidingWindow(ifm_dim=8, channels=3, kernel=3, idt="UINT8"),
            MVTU(mw=27, mh=8, idt="UINT8", wdt="BIPOLAR", odt="BIPOLAR", weights=w0,
                 thresholds=rng.integers(-200, 200, (8, 1))),
            swg1, MVTU(mw=72, mh=16, idt="BIPOLAR", wdt="BIPOLAR", odt="BIPOLAR", weights=w1,
                       thresholds=t1, binary_xnor=True),
            MaxPool(ifm_dim=4, channels=16, kernel=2, idt="BIPOLAR"),
            MVTU(mw=64, mh=5, idt="BIPOLAR", wdt="BIPOLAR", weights=w2, binary_xnor=True)]


def test_chain_equals_the_blocks_one_by_one(cache_dir: Path) -> None:
    rng = np.random.default_rng(3)
    blocks = _chain(rng)
    x = rng.integers(0, 256, (7, 8, 8, 3))
    y = x
    for blk in blocks:
        y = blk(y.reshape(7, -1) if blk is blocks[-1] else y)  # int64 block by block
    trace: list[str] = []
    times: dict[str, float] = {}
    got = run_chain(blocks, x, trace=trace, times=times)
    np.testing.assert_array_equal(got.reshape(7, 5), y)
    assert trace[1].startswith("SlidingWindow(ifm_dim=6, kernel=3) -> MVTU(mw=72")
    assert trace[1].split(": ")[1].split()[0] in CHAIN_PATHS
    assert len(times) == 5 and all(v >= 0 for v in times.values())
    data = json.loads((cache_dir / "qsim" / "matmul_paths.json").read_text())
    entry = next(v for k, v in data["machines"][cal.machine_key()].items()
                 if k.startswith("swg3x3"))
    assert set(entry["ms"]) == set(CHAIN_PATHS) and entry["path"] in CHAIN_PATHS


def test_chain_checks_the_first_input_and_the_hand_over(cache_dir: Path) -> None:
    blocks = _chain(np.random.default_rng(4))
    with pytest.raises(StreamError, match=r"SlidingWindow\(ifm_dim=6, kernel=3\) input: value "
                                          r"256 at index \(0, 0, 0, 0\) is outside BIPOLAR"):
        run_chain(blocks[2:], np.full((1, 6, 6, 8), 256))
    with pytest.raises(StreamError, match=r"MaxPool\(ifm_dim=4, kernel=2\): the previous "
                                          r"block's output \(1, 6, 6, 8\) does not hold 1 "
                                          r"input frames of \(4, 4, 16\)"):
        run_chain([blocks[0], blocks[1], blocks[4]], np.zeros((1, 8, 8, 3), dtype=int))


def test_forced_matmul_path_runs_the_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    swg, mvtu = _pair(np.random.default_rng(1), "BIPOLAR", True, 8, (4, 4), 3, 1, 1, 1)
    monkeypatch.setenv("QSIM_MATMUL_PATH", "int64")
    assert pair_of(swg, mvtu).path_for(10) == "blocks"
    assert pair_of(swg, mvtu) is pair_of(swg, mvtu)  # built once per pair


def test_isa_limits_are_part_of_the_machine_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMBA_CPU_NAME", raising=False)
    cal.machine_key.cache_clear()
    plain = cal.machine_key()
    monkeypatch.setenv("NUMBA_CPU_NAME", "haswell")
    cal.machine_key.cache_clear()
    try:
        assert cal.machine_key() != plain
        assert cal.cpu_features()["isa_limits"] == {"NUMBA_CPU_NAME": "haswell"}
    finally:
        monkeypatch.delenv("NUMBA_CPU_NAME")
        cal.machine_key.cache_clear()


@pytest.mark.parametrize("kernel,idt", [(2, "BIPOLAR"), ((3, 1), "INT4"), ((1, 3), "UINT8"),
                                        ((5, 4), "INT8"), (1, "BINARY")])
def test_maxpool_equals_explicit_loops(kernel: Any, idt: str) -> None:
    rng = np.random.default_rng(2)
    mp = MaxPool(ifm_dim=(30, 12), channels=5, kernel=kernel, idt=idt)
    lo, hi = {"BIPOLAR": (-1, 1), "INT4": (-8, 7), "UINT8": (0, 255), "INT8": (-128, 127),
              "BINARY": (0, 1)}[idt]
    x = rng.integers(lo, hi, (3, 30, 12, 5), endpoint=True)
    if idt == "BIPOLAR":
        x = 2 * rng.integers(0, 2, x.shape) - 1
    x[0] = lo  # extremes: all minimum, one maximum in a window
    x[0, 0, 0, 0] = hi
    (kh, kw), (oh, ow) = mp.kernel, mp.ofm_dim
    want = np.empty((3, oh, ow, 5), dtype=np.int64)
    for oy in range(oh):
        for ox in range(ow):
            want[:, oy, ox] = x[:, oy * kh:(oy + 1) * kh, ox * kw:(ox + 1) * kw].max(axis=(1, 2))
    np.testing.assert_array_equal(mp(x), want)
