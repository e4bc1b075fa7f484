"""cppsim of the graph blocks (FMPadding, DuplicateStreams, AddStreams, GlobalAccPool,
LabelSelect) against their Python models and hand-computed values.

The fixed configs below share two translation units (two g++ runs, cached by content); every
check covers all output ports and the trip count (= frames * schedule.steps).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsim.cppsim import CppsimLibrary, hls_dir, run_cppsim, run_cppsim_ports
from qsim.cppsim.build import ap_types_dir, find_compiler
from qsim.errors import SimulationError, StreamError
from qsim.models import AddStreams, DuplicateStreams, FMPadding, GlobalAccPool, LabelSelect

from ._configs import graph_block, rand_inputs
from ._harness import check_ports, compile_configs

pytestmark = pytest.mark.cppsim

CONFIGS: dict[str, Any] = {
    # FMPadding: asymmetric, none on some sides, none at all, square int, > 64-bit words
    "pad_asym": FMPadding(ifm_dim=(3, 2), channels=4, padding=(1, 0, 2, 1), simd=2, idt="INT3",
                          name="pad_asym"),
    "pad_lr": FMPadding(ifm_dim=(2, 4), channels=3, padding=(0, 3, 0, 1), simd=1, idt="UINT4",
                        name="pad_lr"),
    "pad_none": FMPadding(ifm_dim=2, channels=2, padding=0, simd=2, idt="INT8", name="pad_none"),
    "pad_wide": FMPadding(ifm_dim=(2, 3), channels=10, padding=1, simd=10, idt="INT8",
                          name="pad_wide"),
    # DuplicateStreams: 2, 3 and 4 outputs, > 64-bit words
    "dup2": DuplicateStreams(channels=6, pe=3, idt="INT4", name="dup2"),
    "dup3": DuplicateStreams(channels=4, pe=1, idt="BIPOLAR", n_outputs=3, name="dup3"),
    "dup4": DuplicateStreams(channels=16, pe=16, idt="UINT8", n_outputs=4, name="dup4"),
    # AddStreams: same and different input types, BIPOLAR + BINARY, a given wider odt
    "add_i4": AddStreams(channels=4, pe=2, idt="INT4", name="add_i4"),
    "add_mix": AddStreams(channels=3, pe=1, idt="INT4", idt1="UINT3", name="add_mix"),
    "add_bin": AddStreams(channels=4, pe=4, idt="BIPOLAR", idt1="BINARY", name="add_bin"),
    "add_u8": AddStreams(channels=8, pe=8, idt="UINT8", odt="INT16", name="add_u8"),
    # GlobalAccPool: signed, unsigned, BIPOLAR, a given wider odt, > 64-bit output words
    "gap_i4": GlobalAccPool(ifm_dim=(2, 3), channels=4, pe=2, idt="INT4", name="gap_i4"),
    "gap_u8": GlobalAccPool(ifm_dim=4, channels=2, pe=1, idt="UINT8", name="gap_u8"),
    "gap_bip": GlobalAccPool(ifm_dim=3, channels=3, pe=3, idt="BIPOLAR", name="gap_bip"),
    "gap_i8": GlobalAccPool(ifm_dim=(5, 1), channels=8, pe=8, idt="INT8", odt="INT32",
                            name="gap_i8"),
    # LabelSelect: ties (narrow type), K = labels, K = 1, a given signed odt
    "lab_tie": LabelSelect(labels=6, k=4, pe=2, idt="UINT2", name="lab_tie"),
    "lab_all": LabelSelect(labels=10, k=10, pe=5, idt="INT3", name="lab_all"),
    "lab_top1": LabelSelect(labels=8, k=1, pe=8, idt="BINARY", name="lab_top1"),
    "lab_i8": LabelSelect(labels=12, k=3, pe=3, idt="INT8", odt="INT8", name="lab_i8"),
}
_SYMS = list(CONFIGS)


@pytest.fixture(scope="module")
def libs() -> dict[str, tuple[CppsimLibrary, str]]:
    pairs = compile_configs([CONFIGS[s] for s in _SYMS], chunks=2)
    return dict(zip(_SYMS, pairs))


def _run(libs: dict[str, tuple[CppsimLibrary, str]], sym: str,
         *xs: np.ndarray) -> list[np.ndarray]:
    lib, s = libs[sym]
    check_ports(lib, s, CONFIGS[sym], xs)  # every port == model, trip == frames * steps
    return lib.run_ports(s, CONFIGS[sym], *xs)[0]


@pytest.mark.parametrize("sym", _SYMS)
def test_random_inputs_match_model(libs: Any, sym: str) -> None:
    cfg = CONFIGS[sym]
    rng = np.random.default_rng(sum(map(ord, sym)))
    for frames in (1, 3):
        check_ports(*libs[sym], cfg, rand_inputs(cfg, rng, frames))


@pytest.mark.parametrize("sym", ["pad_asym", "pad_lr", "pad_none", "pad_wide"])
def test_fmpadding_equals_numpy_pad(libs: Any, sym: str) -> None:
    cfg = CONFIGS[sym]
    top, left, bottom, right = cfg.padding
    x = rand_inputs(cfg, np.random.default_rng(5), 2)[0]
    x[x == 0] = 1  # no zero inside the image: every zero of the output is padding
    (y,) = _run(libs, sym, x)
    want = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))  # (N, OH, OW, C)
    assert np.array_equal(y, want)


def test_duplicate_streams_every_port_is_the_input(libs: Any) -> None:
    for sym in ("dup2", "dup3", "dup4"):
        x = rand_inputs(CONFIGS[sym], np.random.default_rng(6), 2)[0]
        ys = _run(libs, sym, x)
        assert len(ys) == CONFIGS[sym].n_outputs
        assert all(np.array_equal(y, x) for y in ys)


@pytest.mark.parametrize("sym", ["add_i4", "add_mix", "add_bin", "add_u8"])
def test_add_streams_range_ends(libs: Any, sym: str) -> None:
    cfg = CONFIGS[sym]
    shape = (1, cfg.channels)
    lo0, hi0 = int(cfg.idt.min()), int(cfg.idt.max())
    lo1, hi1 = int(cfg.idt1.min()), int(cfg.idt1.max())
    (y,) = _run(libs, sym, np.full(shape, lo0), np.full(shape, lo1))
    assert np.all(y == lo0 + lo1)
    (y,) = _run(libs, sym, np.full(shape, hi0), np.full(shape, hi1))
    assert np.all(y == hi0 + hi1)
    (y,) = _run(libs, sym, np.full(shape, lo0), np.full(shape, hi1))
    assert np.all(y == lo0 + hi1)


@pytest.mark.parametrize("sym", ["gap_i4", "gap_u8", "gap_bip", "gap_i8"])
def test_global_acc_pool_range_ends(libs: Any, sym: str) -> None:
    cfg = CONFIGS[sym]
    h, w = cfg.ifm_dim
    shape = (1, h, w, cfg.channels)
    for v in (int(cfg.idt.min()), int(cfg.idt.max())):
        (y,) = _run(libs, sym, np.full(shape, v))
        assert np.all(y == h * w * v), (v, y)
    x = np.full(shape, int(cfg.idt.min()))  # channel 0 at the top, the rest at the bottom
    x[..., 0] = int(cfg.idt.max())
    (y,) = _run(libs, sym, x)
    assert y[0, 0] == h * w * int(cfg.idt.max()) and np.all(y[0, 1:] == h * w * cfg.idt.min())


@pytest.mark.parametrize("x, want", [
    ([3, 2, 2, 1, 2, 0], [0, 1, 2, 4]),     # three-way tie: lower index first
    ([1, 1, 1, 1, 1, 1], [0, 1, 2, 3]),     # all equal
    ([0, 0, 0, 0, 0, 3], [5, 0, 1, 2]),     # all but one at the type minimum
    ([2, 3, 0, 3, 1, 3], [1, 3, 5, 0]),
])
def test_label_select_ties(libs: Any, x: list[int], want: list[int]) -> None:
    (y,) = _run(libs, "lab_tie", np.array([x]))
    assert y.tolist() == [want]


def test_label_select_k_equals_labels_at_type_minimum(libs: Any) -> None:
    # finn-hlslib would output label 0 ten times here (see hls/qsim/label_select.hpp)
    (y,) = _run(libs, "lab_all", np.full((1, 10), -4))
    assert y.tolist() == [list(range(10))]
    (y,) = _run(libs, "lab_top1", np.zeros((2, 8), dtype=np.int64))
    assert y.tolist() == [[0], [0]]


def test_range_assertion_traps(tmp_path: Path) -> None:
    """C++ check: AddStreams / GlobalAccPool instantiated with a too narrow output type throw
    qsim::range_error naming the value and the word (the Python configs refuse such types)."""
    exe = tmp_path / "range_check"
    src = Path(__file__).with_name("range_check.cpp")
    subprocess.run([*find_compiler(), "-std=c++17", "-O0", "-w", "-I", str(hls_dir()), "-I",
                    str(ap_types_dir()), str(src), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "OK", out.stdout


def test_multiport_input_errors(libs: Any) -> None:
    lib, sym = libs["add_i4"]
    cfg = CONFIGS["add_i4"]
    a = np.zeros((2, 4), dtype=np.int64)
    with pytest.raises(StreamError, match=r"AddStreams 'add_i4'.*takes 2 input tensor\(s\).*got 1"):
        lib.run_ports(sym, cfg, a)
    with pytest.raises(StreamError, match=r"input port 1 has shape \(3, 4\); port 0 has leading "
                                          r"dimensions \(2,\)"):
        lib.run(sym, cfg, a, np.zeros((3, 4), dtype=np.int64))
    words = [cfg.pack_input(a, port=0), cfg.pack_input(a[:1], port=1)]  # port 1 one frame short
    with pytest.raises(SimulationError, match=r"AddStreams 'add_i4': cppsim failed: stream "
                                              r"'AddStreams 'add_i4' input 1': read from an "
                                              r"empty stream \(2 words read"):
        lib.run_ports_words(sym, cfg, words, frames=2)
    dup_lib, dup_sym = libs["dup3"]
    dup = CONFIGS["dup3"]
    with pytest.raises(SimulationError, match=r"DuplicateStreams 'dup3'.*stream 'DuplicateStreams "
                                              r"'dup3' output 0': kernel wrote 4 words, "
                                              r"expected 5"):
        dup_lib.run_ports_words(dup_sym, dup, [dup.pack_input(np.ones((1, 4)))], 1, out_words=5)
    with pytest.raises(SimulationError, match=r"AddStreams 'add_mix': cppsim entry "
                                              r"'qsim_b\d+_ports' was built for .* "
                                              r"\(2, 1, 10, 2, 2, 8, 8\), config needs"):
        lib.run_ports(sym, CONFIGS["add_mix"], np.zeros((1, 3)), np.zeros((1, 3)))


def test_run_cppsim_one_block() -> None:
    """The one-call API: inputs per port; run_cppsim checks the ports agree and returns one."""
    dup = DuplicateStreams(channels=2, pe=2, idt="INT2", n_outputs=2, name="api")
    x = np.array([[[-2, 1], [0, -1]]])  # (1, 2, C=2): two pixels
    y, trip = run_cppsim(dup, x)
    assert y.tolist() == x.tolist() and trip == 2
    ys, trip = run_cppsim_ports(dup, x)
    assert len(ys) == 2 and all(yq.tolist() == x.tolist() for yq in ys) and trip == 2


def _property(data: Any, n_cfgs: int) -> None:
    cfgs = data.draw(st.lists(graph_block, min_size=1, max_size=n_cfgs), label="cfgs")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    for (lib, sym), cfg in zip(compile_configs(cfgs), cfgs):  # one translation unit
        check_ports(lib, sym, cfg, rand_inputs(cfg, rng, int(rng.integers(1, 4))))


_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=3, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_property_graph_blocks_match_model(data: Any) -> None:
    _property(data, n_cfgs=8)


@pytest.mark.slow
@settings(max_examples=25, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_property_graph_blocks_match_model_slow(data: Any) -> None:
    _property(data, n_cfgs=12)
