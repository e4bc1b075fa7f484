"""Tests written for mutants ``qsim mutate`` found surviving the block tests (docs/verify.md):
each names the mutant class it kills."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qsim.models import (
    AddStreams,
    FMPadding,
    GlobalAccPool,
    LabelSelect,
    MaxPool,
    Thresholding,
)
from qsim.models._dtypes import BIPOLAR
from qsim.rtlsim import DEFAULT_PATTERNS, verify_rtl
from qsim.rtlsim.native_bench import run_rtl_native

from .configs import graph_set, maxpool_set, mvtu_set, swg_set, thresholding_set

pytestmark = pytest.mark.rtlsim


def test_thresholding_with_bipolar_input() -> None:
    # qsim_thresholding's BIPOLAR decode (bit 1 = +1, bit 0 = -1): no block test fed a BIPOLAR
    # input, so mutants of that line (-1 decoded as 0, +1 as 2, lanes 0/1 swapped) survived.
    # Thresholds at -1, 0 and +1 in every lane make each decoded value count differently.
    cfg = Thresholding(channels=4, pe=2, idt="BIPOLAR", odt="UINT2",
                       thresholds=np.array([[-1, 0, 1], [0, 1, 2], [-2, -1, 0], [1, 1, 1]]))
    verify_rtl([cfg], frames=8, seed=2)


def test_maxpool_with_three_channel_folds() -> None:
    # every block-test MaxPool has C/PE <= 2, so its fold counter cf_q is one bit wide and
    # counting down (cf_q - 1) or a counter one bit short survived; NF = 3 (a wrap that is not
    # a power of two) and NF = 5 need every bit and the wrap at NF - 1.
    verify_rtl([MaxPool(ifm_dim=4, channels=6, kernel=2, pe=2, idt="INT4"),
                MaxPool(ifm_dim=(2, 4), channels=5, kernel=(1, 2), pe=1, idt="UINT3")],
               frames=2, seed=4)


def test_maxpool_with_four_row_and_four_column_windows() -> None:
    # the window-row counter kh_q counting down (kh_q - 1) wraps to 2**KHW - 1 and still meets
    # KH - 1 on the KH-th row when 2**KHW = 2*KH - 2, i.e. for KH = 2, 3, 5, 9: every tested
    # MaxPool had KH and KW in {1, 2, 3}, and the proof configs too, so the mutant survived
    # and was "proved" equivalent. KH = KW = 4 (and 6) is where the order shows.
    verify_rtl([MaxPool(ifm_dim=(4, 8), channels=2, kernel=4, pe=1, idt="INT3"),
                MaxPool(ifm_dim=(6, 4), channels=1, kernel=(6, 4), pe=1, idt="UINT2")],
               frames=2, seed=11)


def test_thresholding_negative_values_in_the_top_lane() -> None:
    # qsim_thresholding's decoded values one bit short (``logic [PE*AW-2:0] val``) lose the top
    # lane's sign bit: a negative value there reads as a positive one. Verilator keeps a stray
    # bit above a declared width inside its storage word, so the loss shows only when the
    # dropped bit starts a new word: PE*AW = 3*3 = 9 bits (INT2 thresholds and inputs). The
    # top lane holds both signs against thresholds on both sides of zero.
    cfg = Thresholding(channels=3, pe=3, idt="INT2", odt="UINT2",
                       thresholds=np.array([[-2, 0, 1], [-1, 0, 1], [-2, -1, 0]]))
    assert cfg.tdt.bitwidth() + 1 == 3
    verify_rtl([cfg], frames=8, seed=3)


def test_add_streams_with_a_bipolar_first_input() -> None:
    # qsim_add_streams decodes a BIPOLAR port 0 in gen_a_bipolar; every graph config has its
    # BIPOLAR input on port 1, so -1 decoded as 0 on port 0 (``{OBITS{1'b0}}``) survived.
    verify_rtl([AddStreams(channels=4, pe=2, idt="BIPOLAR", idt1="INT3"),
                AddStreams(channels=2, pe=1, idt="BIPOLAR", idt1="BIPOLAR")],
               frames=4, seed=5)


def test_label_select_output_index_with_an_odd_fold() -> None:
    # qsim_label_select's output index out_j = step - NF is KW = clog2(K) bits wide: every
    # graph config has 2*NF a multiple of 2**KW, where step + NF gives the same bits. K = 3
    # with NF = 3 and K = 4 with NF = 1 do not.
    cfgs = [LabelSelect(labels=6, k=3, pe=2, idt="INT3"),
            LabelSelect(labels=5, k=4, pe=5, idt="UINT2")]
    assert [(c.labels // c.pe * 2) % 4 for c in cfgs] == [2, 2]
    verify_rtl(cfgs, frames=4, seed=6)


def test_fmpadding_three_channel_folds_in_a_one_pixel_wide_image() -> None:
    # every graph-config FMPadding has NF = C / SIMD <= 2 and an output at least 2 pixels wide:
    # the channel-fold wrap ``cf_q == NF - 1`` compared with NF + 1 (the same bits when NF is 1
    # or 2) and the column counter's width for OW = 1 were never exercised. NF = 3 and NF = 5,
    # OW = 1 (one column, no side padding) and OW = 3.
    verify_rtl([FMPadding(ifm_dim=(2, 1), channels=3, padding=(1, 0, 1, 0), simd=1, idt="INT3"),
                FMPadding(ifm_dim=(1, 2), channels=5, padding=(0, 1, 1, 0), simd=1,
                          idt="UINT2")],
               frames=2, seed=8)


def test_global_acc_pool_with_three_and_five_channel_folds() -> None:
    # every graph-config GlobalAccPool has NF = C / PE <= 2, where its fold counter is one bit
    # (a declaration ``[NFW-2:0]`` is then [-1:0], two bits, and nothing changes); NF = 3 and
    # NF = 5 need every bit of it and the accumulator of each fold.
    verify_rtl([GlobalAccPool(ifm_dim=2, channels=3, pe=1, idt="INT3"),
                GlobalAccPool(ifm_dim=(1, 2), channels=10, pe=2, idt="UINT2")],
               frames=2, seed=9)


def test_axis_wrap_with_byte_aligned_words() -> None:
    # qsim_axis_wrap's selection (the Thresholding block test) has no output word that is a
    # whole number of bytes, so gen_no_pad_out (m_axis_tdata = the core's word) was never
    # elaborated and its mutants (stuck at 0 or 1, negated) survived. 8-bit input and output
    # words, with 2 and 4 lanes.
    verify_rtl([Thresholding(channels=4, pe=4, idt="INT2", odt="UINT2",
                             thresholds=np.array([[-2, 0, 1]] * 4)),
                Thresholding(channels=2, pe=2, idt="INT4", odt="UINT4",
                             thresholds=np.array([np.arange(-8, 7), np.arange(-7, 8)]))],
               frames=3, seed=11)


def _random_inputs(cfg: Any, frames: int, rng: np.random.Generator) -> Any:
    xs = []
    for p in range(cfg.in_ports):
        dt, shape = cfg.in_stream_of(p).dtype, (frames, *cfg.in_frame_shape)
        if dt == BIPOLAR:
            xs.append(rng.choice([-1, 1], size=shape))
        else:
            xs.append(rng.integers(int(dt.min()), int(dt.max()) + 1, size=shape))
    return xs if cfg.in_ports > 1 else xs[0]


@pytest.mark.parametrize("kind", ["FMPadding", "DuplicateStreams", "AddStreams",
                                  "GlobalAccPool", "LabelSelect"])
def test_graph_blocks_from_random_register_values(kind: str) -> None:
    # the cocotb bench's Verilator model starts every register at 0, so a state register that
    # lost its reset (qsim_label_select's step counter: ``step_q <= '0`` removed) still starts
    # right. The native harness starts every register at a random value (Verilator random
    # reset, a fixed seed): only the reset puts the cores in their first state.
    cfgs = [c for c in graph_set() if type(c).__name__ == kind]
    rng = np.random.default_rng(7)
    inputs = [_random_inputs(c, 3, rng) for c in cfgs]
    run = run_rtl_native(cfgs, inputs, patterns=DEFAULT_PATTERNS, seed=7)
    assert run.problems == []
    for k, (cfg, x) in enumerate(zip(cfgs, inputs)):  # the model's words, not the bench's
        y = cfg(*x) if cfg.in_ports > 1 else cfg(x)
        assert run.words[k] == cfg.pack_output(y), cfg.owner


_BLOCK_SETS = {"MVTU": mvtu_set, "Thresholding": thresholding_set, "SlidingWindow": swg_set,
               "MaxPool": maxpool_set}


@pytest.mark.parametrize("kind", sorted(_BLOCK_SETS))
def test_blocks_from_random_register_values(kind: str) -> None:
    # as test_graph_blocks_from_random_register_values, for the block tests' own configs: a
    # counter or valid register of qsim_mvtu, qsim_threshold, qsim_swg, qsim_maxpool,
    # qsim_ibuf or qsim_oreg that lost its reset starts wrong here (and right under cocotb)
    cfgs = _BLOCK_SETS[kind]()
    rng = np.random.default_rng(10)
    inputs = [_random_inputs(c, 2, rng) for c in cfgs]
    run = run_rtl_native(cfgs, inputs, patterns=DEFAULT_PATTERNS, seed=10)
    assert run.problems == []
    for k, (cfg, x) in enumerate(zip(cfgs, inputs)):
        assert run.words[k] == cfg.pack_output(cfg(x)), cfg.owner
