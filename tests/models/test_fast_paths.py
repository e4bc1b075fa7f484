"""Every exact matmul path of the MVTU, forced one by one, equals an independent int64
reference on random and extreme operands; the measured choice and its cache behave."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest

from qsim.errors import ConfigError
from qsim.models import MVTU
from qsim.models import _calibrate as cal
from qsim.models._kernels import pack_bits

# (idt, wdt, binary_xnor): every datatype family the MVTU supports, and mixes
COMBOS = [("BIPOLAR", "BIPOLAR", True), ("BINARY", "BINARY", True),
          ("BIPOLAR", "BIPOLAR", False), ("BINARY", "BINARY", False), ("BINARY", "INT4", False),
          ("UINT8", "BIPOLAR", False), ("INT8", "BIPOLAR", False), ("BIPOLAR", "INT3", False)]
COMBOS += [(f"INT{b}", f"INT{b}", False) for b in range(2, 9)]
COMBOS += [(f"UINT{b}", f"INT{b}", False) for b in range(2, 9)]
COMBOS += [("UINT2", "INT8", False), ("INT8", "UINT3", False), ("UINT8", "UINT8", False),
           ("INT12", "INT4", False), ("INT16", "INT16", False)]


def _lim(dt: str) -> tuple[int, int]:
    if dt == "BIPOLAR":
        return -1, 1
    if dt == "BINARY":
        return 0, 1
    bits = int(dt.lstrip("UINT"))
    return (0, 2**bits - 1) if dt.startswith("U") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _rand(rng: np.random.Generator, dt: str, shape: tuple[int, ...]) -> np.ndarray:
    lo, hi = _lim(dt)
    if dt == "BIPOLAR":
        return 2 * rng.integers(0, 2, shape) - 1
    return rng.integers(lo, hi, shape, endpoint=True)


def _reference(x: np.ndarray, w: np.ndarray, xnor: bool) -> np.ndarray:
    """Python-integer dot products (or XNOR match counts), independent of qsim."""
    if xnor:  # equal one-bit values count 1
        return (x[:, :, None] == w[None, :, :]).sum(axis=1).astype(np.int64)
    return (x.astype(object) @ w.astype(object)).astype(np.int64)


def _extreme_inputs(w: np.ndarray, idt: str) -> np.ndarray:
    """All-min, all-max, and per column the inputs driving acc[j] to its max and min."""
    lo, hi = _lim(idt)
    rows = [np.full(w.shape[0], lo), np.full(w.shape[0], hi)]
    for j in range(min(w.shape[1], 3)):
        rows.append(np.where(w[:, j] > 0, hi, lo))
        rows.append(np.where(w[:, j] > 0, lo, hi))
    return np.array(rows)


def _weight_sets(rng: np.random.Generator, wdt: str, mw: int, mh: int) -> list[np.ndarray]:
    lo, hi = _lim(wdt)
    return [_rand(rng, wdt, (mw, mh)), np.full((mw, mh), lo), np.full((mw, mh), hi)]


@pytest.mark.parametrize("idt,wdt,xnor", COMBOS)
@pytest.mark.parametrize("mw", [1, 67, 130])
def test_every_path_equals_the_int64_reference(idt: str, wdt: str, xnor: bool, mw: int) -> None:
    rng = np.random.default_rng(mw)
    mh = 5
    for w in _weight_sets(rng, wdt, mw, mh):
        if wdt == "BIPOLAR" and not np.all(np.abs(w) == 1):
            continue
        cfg = MVTU(mw=mw, mh=mh, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor)
        x = np.concatenate([_rand(rng, idt, (9, mw)), _extreme_inputs(w, idt)])
        want = _reference(x, w, xnor)
        assert cfg._fast.candidates[-1] == "int64"
        for path in cfg._fast.candidates:
            got = cfg._fast.accumulate(x.astype(np.int64), path)
            np.testing.assert_array_equal(got.astype(np.int64), want, err_msg=path)
            np.testing.assert_array_equal(cfg.compute(x, path), want, err_msg=path)


@pytest.mark.parametrize("idt,wdt,xnor", [c for c in COMBOS if c[0] != "INT16"])
def test_thresholds_through_every_path(idt: str, wdt: str, xnor: bool) -> None:
    """Thresholds inside, at both ends of and beyond the accumulator range."""
    rng = np.random.default_rng(7)
    mw, mh = 70, 6
    w = _rand(rng, wdt, (mw, mh))
    cfg0 = MVTU(mw=mw, mh=mh, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor)
    lo, hi = cfg0.acc_range
    t = np.sort(np.stack([rng.integers(lo, hi + 1, mh), np.full(mh, lo), np.full(mh, hi),
                          np.full(mh, hi + 1), np.full(mh, lo - 5), rng.integers(lo, hi + 1, mh)],
                         axis=1), axis=1)
    cfg = MVTU(mw=mw, mh=mh, idt=idt, wdt=wdt, weights=w, binary_xnor=xnor, thresholds=t,
               odt="UINT3", act_val=0)
    x = np.concatenate([_rand(rng, idt, (20, mw)), _extreme_inputs(w, idt)])
    acc = _reference(x, w, xnor)
    want = (acc[:, :, None] >= t[None, :, :]).sum(axis=2)
    for path in cfg._fast.candidates:
        np.testing.assert_array_equal(cfg.compute(x, path), want, err_msg=path)


def test_bipolar_output_through_every_path() -> None:
    rng = np.random.default_rng(3)
    w = _rand(rng, "BIPOLAR", (200, 16))
    t = rng.integers(90, 110, (16, 1))
    cfg = MVTU(mw=200, mh=16, idt="BIPOLAR", wdt="BIPOLAR", odt="BIPOLAR", weights=w,
               thresholds=t, binary_xnor=True)
    x = _rand(rng, "BIPOLAR", (50, 200)).astype(np.int8)
    want = np.where(_reference(x, w, True) >= t[:, 0], 1, -1)
    assert "xnor" in cfg._fast.candidates
    for path in cfg._fast.candidates:
        np.testing.assert_array_equal(cfg.compute(x, path), want, err_msg=path)


@pytest.mark.parametrize("idt,wdt,mw,offered,not_offered", [
    ("INT8", "INT8", 1023, ("f32", "int8"), ()),  # B = 1023*2**14 < 2**24
    ("INT8", "INT8", 1024, ("int8", "f64"), ("f32",)),  # B = 2**24: f32 could round
    ("INT8", "INT8", 2**17 - 1, ("int8",), ("f32",)),  # int32 partial sums up to 2**31 - 2**14
    ("INT8", "INT8", 2**17, ("f64",), ("int8",)),  # 2**31: an int32 partial sum could wrap
    ("INT9", "INT8", 4, ("f32",), ("int8", "xnor")),  # inputs beyond int8
    ("UINT8", "INT8", 4, ("int8",), ("xnor",)),  # shifted by 128 into int8
    ("INT16", "INT16", 2, ("f64",), ("int8", "f32")),  # B = 2**31
])
def test_paths_are_offered_only_within_their_bound(idt: str, wdt: str, mw: int,
                                                    offered: tuple[str, ...],
                                                    not_offered: tuple[str, ...]) -> None:
    lo, hi = _lim(wdt)
    w = np.full((mw, 2), lo)
    cfg = MVTU(mw=mw, mh=2, idt=idt, wdt=wdt, weights=w)
    assert set(offered) <= set(cfg._fast.candidates)
    assert not set(not_offered) & set(cfg._fast.candidates)
    x = np.array([[_lim(idt)[0]] * mw, [_lim(idt)[1]] * mw])
    for path in cfg._fast.candidates:  # the extremes, where a path beyond its bound rounds
        np.testing.assert_array_equal(cfg.compute(x, path), _reference(x, w, False))


def test_path_not_exact_here_is_refused() -> None:
    cfg = MVTU(mw=4, mh=2, idt="INT16", wdt="INT16", weights=np.full((4, 2), -2**15))
    with pytest.raises(ConfigError, match=r"matmul path 'f32' is not exact for these operands "
                                          r"\(MW=4, MH=2, idt='INT16', weights in \[-32768, "
                                          r"-32768\]\)"):
        cfg.compute(np.zeros((1, 4), dtype=np.int64), "f32")


def test_env_forces_a_path_where_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = MVTU(mw=8, mh=2, idt="INT4", wdt="INT4", weights=np.ones((8, 2), dtype=int))
    assert cfg._fast.path_for(10) == "int64"  # tiny call: no measurement
    monkeypatch.setenv("QSIM_MATMUL_PATH", "f32")
    assert cfg._fast.path_for(10) == "f32"
    monkeypatch.setenv("QSIM_MATMUL_PATH", "xnor")  # not exact for INT4: the measured choice
    assert cfg._fast.path_for(10) in cfg._fast.candidates
    assert "xnor" not in cfg._fast.candidates
    monkeypatch.setenv("QSIM_MATMUL_PATH", "fastest")
    with pytest.raises(ConfigError, match=r"QSIM_MATMUL_PATH='fastest' is not a matmul path"):
        cfg._fast.path_for(10)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("QSIM_MATMUL_PATH", raising=False)
    monkeypatch.setattr(cal, "_load_avg", lambda: 0.0)  # a quiet machine, whatever runs now
    cal.reset()
    yield tmp_path
    cal.reset()


def _sleeper(seconds: float) -> Callable[[], None]:
    return lambda: time.sleep(seconds)


def test_choice_is_the_measured_fastest_and_cached(cache_dir: Path) -> None:
    key = cal.shape_class("mac", "8", "8", 1000, 64, 64, ("f64", "f32"))
    runners: dict[str, Callable[[], object]] = {"f64": _sleeper(0.004), "f32": _sleeper(0.0)}
    assert cal.choose(key, ("f64", "f32"), 64, lambda rows: runners) == "f32"
    data = json.loads((cache_dir / "qsim" / "matmul_paths.json").read_text())
    entry = data["machines"][cal.machine_key()][key]
    assert entry["path"] == "f32" and entry["ms"]["f64"] >= 4.0
    cal.reset()  # a new process: the disk cache answers, nothing is measured

    def no_measuring(rows: int) -> dict:
        raise AssertionError("measured again despite the cache")

    assert cal.choose(key, ("f64", "f32"), 64, no_measuring) == "f32"


def test_stale_cache_entry_is_measured_again(cache_dir: Path) -> None:
    key = cal.shape_class("mac", "8", "8", 1000, 64, 64, ("f64", "f32"))
    file = cache_dir / "qsim" / "matmul_paths.json"
    file.parent.mkdir(parents=True)
    stale = {"path": "int8", "load": 0.0, "ms": {}}  # int8 is no candidate of this class
    file.write_text(json.dumps({"version": 1, "machines": {cal.machine_key(): {key: stale}}}))
    runners: dict[str, Callable[[], object]] = {"f64": _sleeper(0.0), "f32": _sleeper(0.004)}
    assert cal.choose(key, ("f64", "f32"), 64, lambda rows: runners) == "f64"


def test_choice_made_under_load_is_measured_again_when_quiet(cache_dir: Path) -> None:
    key = cal.shape_class("mac", "8", "8", 1000, 64, 64, ("f64", "f32"))
    busy = {"path": "f32", "load": 50.0, "ms": {}}
    file = cache_dir / "qsim" / "matmul_paths.json"
    file.parent.mkdir(parents=True)
    file.write_text(json.dumps({"version": 1, "machines": {cal.machine_key(): {key: busy}}}))
    runners: dict[str, Callable[[], object]] = {"f64": _sleeper(0.0), "f32": _sleeper(0.004)}
    assert cal.choose(key, ("f64", "f32"), 64, lambda rows: runners) == "f64"


def test_unwritable_cache_still_chooses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    cal.reset()
    key = cal.shape_class("mac", "4", "4", 10, 8, 8, ("f64", "f32"))
    runners: dict[str, Callable[[], object]] = {"f64": _sleeper(0.003), "f32": _sleeper(0.0)}
    assert cal.choose(key, ("f64", "f32"), 64, lambda rows: runners) == "f32"
    assert not (blocker / "qsim").exists()
    cal.reset()


def test_shape_classes_bucket_sizes() -> None:
    paths = ("int8", "f32")
    assert cal.shape_class("mac", "8", "1", 900, 27, 64, paths) == \
        cal.shape_class("mac", "8", "1", 1000, 32, 60, paths)
    assert cal.shape_class("mac", "8", "1", 10**6, 27, 64, paths) == \
        cal.shape_class("mac", "8", "1", 20000, 27, 64, paths)  # M capped at 2**14
    assert cal.shape_class("mac", "8", "1", 900, 27, 64, paths) != \
        cal.shape_class("mac", "8", "1", 900, 33, 64, paths)


def test_real_calibration_picks_an_exact_path_quickly(cache_dir: Path) -> None:
    rng = np.random.default_rng(5)
    cfg = MVTU(mw=576, mh=64, idt="BIPOLAR", wdt="BIPOLAR", binary_xnor=True,
               weights=_rand(rng, "BIPOLAR", (576, 64)))
    cfg._fast.run(np.ones((4, 576), dtype=np.int8), "xnor")  # compile outside the clock
    t0 = time.perf_counter()
    path = cfg._fast.path_for(5000)
    assert path in cfg._fast.candidates and time.perf_counter() - t0 < 10.0


def test_packing_is_one_permutation_for_all_rows() -> None:
    """XOR popcounts of packed rows count unequal bytes, for any K (tails included)."""
    rng = np.random.default_rng(11)
    for k in (8, 64, 72, 576):
        a = rng.integers(0, 2, (6, k)).astype(np.uint8)
        b = rng.integers(0, 2, (6, k)).astype(np.uint8)
        words = -(-k // 64)
        pa, pb = np.empty((6, words), np.uint64), np.empty((6, words), np.uint64)
        pack_bits(a.view(np.uint64), 0, words, pa)
        pack_bits(b.view(np.uint64), 0, words, pb)
        assert np.array_equal(np.bitwise_count(pa ^ pb).sum(axis=1), (a != b).sum(axis=1))
        assert np.array_equal(np.bitwise_count(pa).sum(axis=1), a.sum(axis=1))


def test_large_batches_in_row_blocks_equal_one_block() -> None:
    """Row blocking of the GEMM paths (FastPath.run) changes nothing, remainder block too."""
    rng = np.random.default_rng(9)
    w = _rand(rng, "INT4", (40, 64))
    t = np.sort(rng.integers(-300, 300, (64, 3)), axis=1)
    cfg = MVTU(mw=40, mh=64, idt="UINT4", wdt="INT4", weights=w, thresholds=t, odt="UINT2")
    x = _rand(rng, "UINT4", (3 * 4096 + 17, 40))
    want = (_reference(x, w, False)[:, :, None] >= t[None]).sum(axis=2)
    for path in cfg._fast.candidates:
        np.testing.assert_array_equal(cfg.compute(x, path), want, err_msg=path)


def test_uint8_pixels_and_many_thresholds_through_every_path() -> None:
    """UINT8 pixels in their compact uint8 dtype (the int8 path flips bit 7 instead of
    subtracting 128) at 0 and 255, and 255 ascending thresholds with repeats (the binary search
    of the threshold kernel), against an independent count."""
    rng = np.random.default_rng(11)
    mw, mh = 27, 8
    w = _rand(rng, "INT8", (mw, mh))
    cfg0 = MVTU(mw=mw, mh=mh, idt="UINT8", wdt="INT8", weights=w)
    lo, hi = cfg0.acc_range
    t = np.sort(rng.integers(lo - 3, hi + 4, (mh, 255)), axis=1)
    t[:, 100:110] = t[:, 100:101]  # a run of equal thresholds
    cfg = MVTU(mw=mw, mh=mh, idt="UINT8", wdt="INT8", weights=w, thresholds=t, odt="UINT8")
    x = np.concatenate([_rand(rng, "UINT8", (300, mw)), _extreme_inputs(w, "UINT8"),
                        np.zeros((1, mw)), np.full((1, mw), 255)]).astype(np.uint8)
    acc = _reference(x.astype(np.int64), w, False)
    want = (acc[:, :, None] >= t[None, :, :]).sum(axis=2)
    assert "int8" in cfg._fast.candidates
    for path in cfg._fast.candidates:
        np.testing.assert_array_equal(cfg._fast.run(x, path), want, err_msg=path)
