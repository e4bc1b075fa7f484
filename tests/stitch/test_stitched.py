"""Stitched designs: chain structure, generated top lint, and native rtlsim equal to the Design
(bit-exact) and to the pipeline cycle model (every accept and transfer cycle), with and without
backpressure."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest

from qsim.errors import ConfigError, SimulationError
from qsim.pipeline.engine import simulate_pipeline
from qsim.pipeline.plan import stitch, stitched_sample_ok
from qsim.rtlsim import stitch as sv
from qsim.rtlsim.build import lint_sources
from qsim.rtlsim.native_run import run_native, run_sharded, run_stitched
from qsim.rtlsim.patterns import Pattern
from tests.stitch._designs import random_input, tfc, tiny_conv

DESIGNS = {"tfc": tfc, "tiny_conv": tiny_conv}
PATTERNS = {
    "none": Pattern("none"),
    "stall0.4": Pattern("stall0.4", p_stall=0.4),
    "idle-bursts": Pattern("idle-bursts", p_idle=0.2, p_stall=0.2, burst=30),
}
_CACHE: dict[str, Any] = {}


def _design(name: str) -> Any:
    if name not in _CACHE:
        _CACHE[name] = DESIGNS[name]()
    return _CACHE[name]


# ---- structure (pure Python) -------------------------------------------------------------------
def test_tfc_chain() -> None:
    st = stitch(_design("tfc"))
    assert [n.name for n in st.nodes] == ["MVAU_0", "fifo_0", "dwc_0", "MVAU_1", "fifo_1",
                                          "MVAU_2", "fifo_2", "MVAU_3"]
    dwc = st.nodes[2].cfg
    assert (dwc.in_width, dwc.out_width) == (32, 16)  # PE 16 x INT2 -> SIMD 8 x INT2
    assert [n.frames_per_sample for n in st.nodes] == [1, 4, 4, 1, 8, 1, 8, 1]


def test_non_integer_ratio_goes_through_the_lcm() -> None:
    st = stitch(_design("tiny_conv"))
    widths = {n.name: (n.cfg.in_width, n.cfg.out_width) for n in st.nodes
              if n.name.startswith("dwc")}
    assert widths == {"dwc_0": (8, 24), "dwc_1_0": (8, 24), "dwc_1_1": (24, 6),
                      "dwc_2": (6, 12), "dwc_3_0": (12, 48), "dwc_3_1": (48, 16)}


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_each_link_carries_the_next_layers_words(name: str) -> None:
    """Layer j's output words through the FIFO/DWCs are exactly layer j+1's input words."""
    design = _design(name)
    assert stitched_sample_ok(stitch(design), random_input(design, 3, seed=5)) is None


def test_fifo_depths() -> None:
    design = _design("tiny_conv")
    st = stitch(design, fifo_depths=[1, 0, 3, 2])
    assert [n.cfg.depth for n in st.nodes if n.name.startswith("fifo")] == [1, 3, 2]
    with pytest.raises(ConfigError, match=r"fifo_depths=\[1, 2\] must be one depth"):
        stitch(design, fifo_depths=[1, 2])
    with pytest.raises(ConfigError, match="fifo_depths=-1"):
        stitch(design, fifo_depths=-1)


def test_label_select_is_a_stitched_core() -> None:
    design = _design("tfc").with_label_select(k=2)
    st = stitch(design)
    assert st.nodes[-1].layer == "LabelSelect_0" and st.out_words_per_sample == 2


def test_element_width_change_is_refused() -> None:
    from qsim.frontend import Design, Layer
    from qsim.models import Thresholding

    a = Thresholding(channels=4, pe=2, idt="UINT2", odt="UINT2",
                     thresholds=np.array([[1, 2, 3]] * 4), act_val=0)
    b = Thresholding(channels=4, pe=2, idt="UINT4", odt="UINT2",
                     thresholds=np.array([[1, 2, 3]] * 4), act_val=0)
    design = Design(layers=(Layer(name="T0", block=a, in_shape=(4,)),
                            Layer(name="T1", block=b, in_shape=(4,))),
                    input_shape=(4,), idt="UINT2", name="widen")
    with pytest.raises(ConfigError, match="'T0' outputs 2-bit elements but 'T1' reads 4-bit"):
        stitch(design)


# ---- RTL -----------------------------------------------------------------------------------------
@pytest.mark.rtlsim
@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_generated_top_lints(name: str, tmp_path: Path) -> None:
    st = stitch(_design(name))
    lint_sources(sv.sources(st, tmp_path), st.top)


def _native_matches(design: Any, st: Any, x: np.ndarray, offer: Optional[list[int]],
                    ready: Optional[list[bool]], **kwargs: Any) -> None:
    """Native rtlsim of ``st`` (stitched ``design``) on ``x``: outputs equal the Design's, every
    accept and transfer cycle equal the pipeline model's for the same offer/ready."""
    y, accept, transfer = run_native(design, x, ready=ready, offer=offer, **kwargs)
    np.testing.assert_array_equal(y, design(x))
    traces = simulate_pipeline(st.stages(st.samples_of(x)), offer, ready)
    np.testing.assert_array_equal(accept, traces[0].accept)
    np.testing.assert_array_equal(transfer, traces[-1].transfer)


@pytest.mark.rtlsim
@pytest.mark.parametrize("pattern", sorted(PATTERNS))
# SV assertions (protocol checks) in one configuration only: they make TFC's C++ ~10x slower to
# compile (60-85 s vs 6-10 s), and the builds without them are shared with the level tests.
# The protocol of every core is checked under cocotb; here every handshake cycle is checked.
@pytest.mark.parametrize(("name", "depths", "n", "assertions"),
                         [("tfc", None, 6, False), ("tiny_conv", None, 5, False),
                          ("tiny_conv", [1, 0, 3, 2], 4, True)])
def test_native_matches_design_and_cycle_model(name: str, depths: Any, n: int,
                                               assertions: bool, pattern: str) -> None:
    design = _design(name)
    st = stitch(design, depths)
    x = random_input(design, n, seed=11)
    rng = np.random.default_rng(7)
    pat = PATTERNS[pattern]
    n_in = n * st.in_words_per_sample
    offer = pat.offers(n_in, rng) if pat.p_idle or pat.burst else None
    horizon = 3 * simulate_pipeline(st.stages(n))[-1].cycles
    ready = pat.ready(horizon, rng) if pat.p_stall or pat.burst else None
    _native_matches(design, st, x, offer, ready, fifo_depths=depths, assertions=assertions)


@pytest.mark.rtlsim
def test_sharded_run_keeps_order_and_each_shard_its_cycles() -> None:
    design = _design("tiny_conv")
    st = stitch(design)
    x = random_input(design, 5, seed=4)
    run = run_sharded(st, x, shards=2, assertions=False)
    assert run.samples == [2, 3]  # contiguous, in order (linspace bounds 0, 2, 5)
    np.testing.assert_array_equal(st.unpack_output(run.words), design(x))
    for r, n in zip(run.runs, run.samples):
        np.testing.assert_array_equal(r.transfer, simulate_pipeline(st.stages(n))[-1].transfer)
    with pytest.raises(SimulationError, match="shards=0 must be at least 1"):
        run_sharded(st, x, shards=0)


@pytest.mark.rtlsim
def test_watchdog_names_the_links() -> None:
    """Asking for one word more than the chain makes: every link goes quiet."""
    design = _design("tiny_conv")
    st = stitch(design)
    words = st.pack_input(random_input(design, 1, seed=0))
    with pytest.raises(SimulationError, match=r"(?s)watchdog.*no word moved on any link for 300 "
                                              r"cycles.*link 0 's_axis -> Convolution"):
        run_stitched(st, words, st.out_words_per_sample + 1, watchdog=300, assertions=False)


def _zoo_stitched(net: str, samples: int, optimize: bool) -> None:
    """Zoo ``net`` (w1a1, default folding) stitched: bit-exact and every accept/transfer cycle
    equal to the pipeline model, always ready and under random output backpressure."""
    from bench._zoo_designs import zoo_design

    design = zoo_design(net, "w1a1")
    st = stitch(design)
    x = random_input(design, samples, seed=3)
    rng = np.random.default_rng(1)
    horizon = 2 * simulate_pipeline(st.stages(samples))[-1].cycles
    for ready in (None, Pattern("s", p_stall=0.3).ready(horizon, rng)):
        _native_matches(design, st, x, None, ready, assertions=False, optimize=optimize)


@pytest.mark.rtlsim
def test_qenet_w1a1_stitched() -> None:
    _zoo_stitched("qenet", 3, optimize=False)


@pytest.mark.rtlsim
def test_cnv_w1a1_stitched() -> None:  # ~55 s, most of it the Verilator + C++ build
    _zoo_stitched("cnv", 2, optimize=False)
