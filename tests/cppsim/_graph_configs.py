"""Hypothesis strategies of small graph-block configs for the cppsim property test."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from qsim.models import AddStreams, DuplicateStreams, FMPadding, GlobalAccPool, LabelSelect

from ._configs import ALL_TYPES, INT_TYPES, divisors

_NO_BIPOLAR = ["BINARY"] + INT_TYPES  # FMPadding refuses BIPOLAR (zero is not a value)


@st.composite
def fmpadding_configs(draw: Any) -> FMPadding:
    c = draw(st.integers(1, 6))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(4))
    return FMPadding(ifm_dim=(draw(st.integers(1, 4)), draw(st.integers(1, 4))), channels=c,
                     padding=pad, simd=draw(st.sampled_from(divisors(c))),
                     idt=draw(st.sampled_from(_NO_BIPOLAR)))


@st.composite
def duplicate_configs(draw: Any) -> DuplicateStreams:
    c = draw(st.integers(1, 8))
    return DuplicateStreams(channels=c, pe=draw(st.sampled_from(divisors(c))),
                            idt=draw(st.sampled_from(ALL_TYPES)),
                            n_outputs=draw(st.integers(2, 4)))


@st.composite
def add_configs(draw: Any) -> AddStreams:
    c = draw(st.integers(1, 8))
    return AddStreams(channels=c, pe=draw(st.sampled_from(divisors(c))),
                      idt=draw(st.sampled_from(ALL_TYPES)),
                      idt1=draw(st.sampled_from(ALL_TYPES)))


@st.composite
def global_acc_pool_configs(draw: Any) -> GlobalAccPool:
    c = draw(st.integers(1, 6))
    return GlobalAccPool(ifm_dim=(draw(st.integers(1, 4)), draw(st.integers(1, 4))), channels=c,
                         pe=draw(st.sampled_from(divisors(c))),
                         idt=draw(st.sampled_from(ALL_TYPES)))


@st.composite
def label_select_configs(draw: Any) -> LabelSelect:
    n = draw(st.integers(1, 12))
    return LabelSelect(labels=n, k=draw(st.integers(1, n)), pe=draw(st.sampled_from(divisors(n))),
                       idt=draw(st.sampled_from(ALL_TYPES)))


def graph_block_configs() -> st.SearchStrategy[Any]:
    """Any of the five graph blocks, small."""
    return st.one_of(fmpadding_configs(), duplicate_configs(), add_configs(),
                     global_acc_pool_configs(), label_select_configs())
