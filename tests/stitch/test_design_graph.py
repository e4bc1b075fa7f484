"""The Design as a graph: forks and joins, edges, per-port FIFO depths, and every refusal."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from qsim.errors import ConfigError
from qsim.frontend import Design, Layer
from qsim.frontend.design import apply_folding
from qsim.models import AddStreams, DuplicateStreams, Thresholding

from ._designs import random_input, tiny_residual


def _thr(name: str = "", c: int = 4, idt: str = "UINT2") -> Thresholding:
    t = np.tile(np.arange(1, 4), (c, 1))
    return Thresholding(channels=c, pe=2, idt=idt, odt="UINT2", thresholds=t, name=name)


def _diamond(**over: object) -> tuple[Layer, ...]:
    """input -> dup -> (thr_a, thr_b) -> add."""
    layers = [
        Layer(name="dup", block=DuplicateStreams(channels=4, pe=2, idt="UINT2"), in_shape=(4,)),
        Layer(name="a", block=_thr(), in_shape=(4,), inputs=("dup",)),
        Layer(name="b", block=_thr(), in_shape=(4,), inputs=("dup",)),
        Layer(name="add", block=AddStreams(channels=4, pe=2, idt="UINT2"), in_shape=(4,),
              inputs=("a", "b")),
    ]
    for i, la in enumerate(layers):
        if la.name in over:
            layers[i] = dataclasses.replace(la, inputs=over[la.name])  # type: ignore[arg-type]
    return tuple(layers)


def test_residual_design_equals_numpy() -> None:
    d = tiny_residual()
    x = random_input(d, 5, seed=3)
    outs = d.run_layers(x)
    # the join adds the conv branch and the shortcut (the Design input, duplicated)
    np.testing.assert_array_equal(outs["DuplicateStreams_0"], x)
    np.testing.assert_array_equal(outs["AddStreams_0"], outs["MVAU_0"] + x)
    pooled = outs["Thresholding_0"].sum(axis=(1, 2))  # (N, 4, 4, 4) -> (N, 4)
    np.testing.assert_array_equal(outs["GlobalAccPool_0"], pooled)
    np.testing.assert_array_equal(d(x), outs["MVAU_1"])
    assert not d.is_chain and len(d.links) == 8


def test_edges_give_dup_ports_in_layer_order() -> None:
    d = Design(layers=_diamond(), input_shape=(4,), idt="UINT2", name="g")
    got = [(e.src, e.src_port, e.dst, e.dst_port) for e in d.edges]
    assert got == [("input", 0, "dup", 0), ("dup", 0, "a", 0), ("dup", 1, "b", 0),
                   ("a", 0, "add", 0), ("b", 0, "add", 1)]
    x = np.arange(8).reshape(2, 4) % 4
    np.testing.assert_array_equal(d(x), 2 * _thr()(x))


@pytest.mark.parametrize("over, match", [
    ({"a": ("add",)}, r"layer 'a' reads 'add', which is a later layer \(a cycle"),
    ({"a": ("nope",)}, r"layer 'a' reads 'nope', which is no layer of that name"),
    ({"b": ("a",)}, r"'a' feeds more inputs than its 1 output port\(s\) \(layer 'add' is one too "
                    r"many\); a fork needs a DuplicateStreams layer"),
    ({"add": ("a",)}, r"layer 'add' names 1 inputs \['a'\] but its AddStreams has 2 input"),
])
def test_bad_graphs_are_refused(over: dict[str, tuple[str, ...]], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Design(layers=_diamond(**over), input_shape=(4,), idt="UINT2", name="g")


def test_branch_that_never_rejoins_is_refused() -> None:
    layers = _diamond()[:2] + (Layer(name="c", block=_thr(), in_shape=(4,), inputs=("a",)),)
    with pytest.raises(ConfigError, match=r"'dup' has 2 output port\(s\) but 1 reader\(s\): a "
                                          r"branch that never rejoins"):
        Design(layers=layers, input_shape=(4,), idt="UINT2", name="g")


def test_input_name_is_reserved() -> None:
    with pytest.raises(ConfigError, match=r"'input' names the Design input"):
        Design(layers=(Layer(name="input", block=_thr(), in_shape=(4,)),), input_shape=(4,),
               idt="UINT2")


def test_join_port_type_is_checked() -> None:
    layers = list(_diamond())
    layers[3] = dataclasses.replace(layers[3], block=AddStreams(channels=4, pe=2, idt="UINT2",
                                                                idt1="BIPOLAR"))
    with pytest.raises(ConfigError, match=r"'b' outputs UINT2, outside layer 'add' port 1's "
                                          r"idt='BIPOLAR'"):
        Design(layers=tuple(layers), input_shape=(4,), idt="UINT2", name="g")


def test_folding_fifo_depths_per_port() -> None:
    d = Design(layers=_diamond(), input_shape=(4,), idt="UINT2", name="g")
    f = apply_folding(d, {"add": {"inFIFODepths": [5, 9]}, "dup": {"outFIFODepths": [3, 1]}})
    # links: dup->a, dup->b, a->add[0], b->add[1]
    assert f.link_fifo_depths == (3, 1, 5, 9)  # the larger of the depths given
    with pytest.raises(ConfigError, match=r"folding entry 'add': inFIFODepths=\[1, 2, 3\] names "
                                          r"port 2 but the layer has 2 input port"):
        apply_folding(d, {"add": {"inFIFODepths": [1, 2, 3]}})
    with pytest.raises(ConfigError, match=r"fifo_depths=\(1, 2\) must be 4 integers"):
        d.with_fifo_depths((1, 2))
