"""Design and LabelSelect: construction checks, layer-by-layer execution, conversions."""

from __future__ import annotations

import numpy as np
import pytest

from qsim.errors import ConfigError, MismatchError, StreamError
from qsim.frontend import Design, LabelSelect, Layer, apply_folding
from qsim.models import MVTU, Thresholding


def _design() -> Design:
    w = np.arange(24).reshape(6, 4) % 5 - 2
    t = np.array([[-3, 0, 4]] * 4)
    fc = MVTU(mw=6, mh=4, idt="INT4", wdt="INT3", odt="UINT2", weights=w, thresholds=t,
              name="MVAU_0")
    th = Thresholding(channels=4, idt="UINT2", odt="BIPOLAR", thresholds=[[2]], name="Thr_0")
    ls = LabelSelect(labels=4, k=2, idt="BIPOLAR", name="LabelSelect_0")
    return Design(layers=(Layer(name="MVAU_0", block=fc, in_shape=(6,)),
                          Layer(name="Thresholding_0", block=th, in_shape=(4,)),
                          Layer(name="LabelSelect_0", block=ls, in_shape=(4,))),
                  input_shape=(2, 3), idt="INT4", name="toy")


def test_run_layers_and_call() -> None:
    d = _design()
    x = np.random.default_rng(0).integers(-8, 8, size=(5, 2, 3))
    outs = d.run_layers(x)
    assert list(outs) == ["MVAU_0", "Thresholding_0", "LabelSelect_0"]
    acc = x.reshape(5, 6) @ d["MVAU_0"].block.weights
    act = (acc[..., None] >= np.array([-3, 0, 4])).sum(-1)
    np.testing.assert_array_equal(outs["MVAU_0"], act)
    bip = np.where(act >= 2, 1, -1)
    np.testing.assert_array_equal(outs["Thresholding_0"], bip)
    np.testing.assert_array_equal(d(x), np.argsort(-bip, axis=1, kind="stable")[:, :2])
    assert d.output_shape == (2,) and d.odt.get_canonical_name() == "UINT2"


def test_call_runs_large_batches_in_chunks() -> None:
    """A memory budget of one sample's widest output: one sample per chunk, same answer."""
    d = _design()
    x = np.random.default_rng(1).integers(-8, 8, size=(3, 4, 2, 3))
    whole = d.run_layers(x)["LabelSelect_0"]
    assert whole.shape == (3, 4, 2)
    np.testing.assert_array_equal(d(x, memory=8 * 4), whole)
    np.testing.assert_array_equal(d(x[0, 0], memory=8 * 4), whole[0, 0])  # one sample, no lead
    with pytest.raises(StreamError, match="does not end in the input shape"):
        d(x.reshape(3, 4, 3, 2))  # same size, wrong shape: refused, not reshaped


def test_labelselect_ties_lower_index_first() -> None:
    ls = LabelSelect(labels=6, k=3, idt="INT4")
    np.testing.assert_array_equal(ls(np.array([[1, 5, 5, -2, 5, 0]])), [[1, 2, 4]])
    with pytest.raises(ConfigError, match=r"k=7 exceeds labels=6"):
        LabelSelect(labels=6, k=7, idt="INT4")
    with pytest.raises(ConfigError, match=r"cannot hold the indices 0..5"):
        LabelSelect(labels=6, idt="INT4", odt="UINT2")
    with pytest.raises(StreamError, match=r"outside INT4"):
        ls(np.array([[1, 2, 3, 4, 5, 99]]))


def test_design_link_checks() -> None:
    d = _design()
    wrong = Thresholding(channels=4, idt="BIPOLAR", odt="BIPOLAR", thresholds=[[0]])
    with pytest.raises(ConfigError, match=r"'MVAU_0' outputs UINT2, outside layer 'bad'"):
        Design(layers=(d.layers[0], Layer(name="bad", block=wrong, in_shape=(4,))),
               input_shape=(6,), idt="INT4")
    with pytest.raises(ConfigError, match=r"not unique"):
        Design(layers=(d.layers[0], d.layers[0]), input_shape=(6,), idt="INT4")
    with pytest.raises(ConfigError, match=r"outputs shape \(5,\)"):
        Design(layers=d.layers[:1], input_shape=(5,), idt="INT4")
    with pytest.raises(StreamError, match=r"does not end in the input shape"):
        d(np.zeros((2, 6), dtype=np.int64))


def test_folding_defaults_and_errors() -> None:
    d = _design()
    f = apply_folding(d, {"Defaults": {"PE": 2}, "MVAU_0": {"SIMD": 3}})
    assert (f["MVAU_0"].block.pe, f["MVAU_0"].block.simd) == (2, 3)
    assert f["Thresholding_0"].block.pe == 2 and f["LabelSelect_0"].block.pe == 2
    x = np.random.default_rng(1).integers(-8, 8, size=(4, 2, 3))
    np.testing.assert_array_equal(f(x), d(x))
    with pytest.raises(ConfigError, match=r"folding rule Labels % PE == 0 violated"):
        apply_folding(d, {"LabelSelect_0": {"PE": 3}})
    with pytest.raises(ConfigError, match=r"must be a dict"):
        apply_folding(d, ["MVAU_0"])  # type: ignore[arg-type]


def test_output_to_int() -> None:
    d = Design(layers=_design().layers[:1], input_shape=(6,), idt="INT4", scale=0.25, bias=1.0)
    np.testing.assert_array_equal(d.output_to_int(np.array([1.0, 1.5, 0.25])), [0, 2, -3])
    with pytest.raises(MismatchError, match=r"value 1.1 at index \(0,\).*not within"):
        d.output_to_int(np.array([1.1]))


def test_input_to_source_nchw() -> None:
    d = Design(layers=_design().layers[:1], input_shape=(6,), idt="INT4", input_scale=0.5,
               source_layout="NCHW")
    x = np.arange(24).reshape(1, 2, 3, 4)  # NHWC
    xs = d.input_to_source(x)
    assert xs.shape == (1, 4, 2, 3) and xs[0, 1, 0, 2] == 0.5 * x[0, 0, 2, 1]


def test_fifo_depths_from_folding() -> None:
    d = _design()
    assert d.fifo_depths is None and d.link_fifo_depths == (2, 2)
    # FINN: the link's FIFO is the larger of producer outFIFODepths and consumer inFIFODepths
    f = apply_folding(d, {"MVAU_0": {"outFIFODepths": [5]}, "Thresholding_0": {
        "inFIFODepths": [3], "outFIFODepths": [0]}, "LabelSelect_0": {"inFIFODepths": 0}})
    assert f.fifo_depths == (5, 0)
    assert apply_folding(d, {"LabelSelect_0": {"inFIFODepths": [7]}}).fifo_depths == (2, 7)
    assert apply_folding(f, {"MVAU_0": {"PE": 2}}).fifo_depths == (5, 0)  # kept
    with pytest.raises(ConfigError, match=r"inFIFODepths=\[-1\] must be a list of depths"):
        apply_folding(d, {"MVAU_0": {"inFIFODepths": [-1]}})
    with pytest.raises(ConfigError, match=r"fifo_depths=\(1,\) must be 2 integers >= 0"):
        d.with_fifo_depths((1,))
    assert d.with_fifo_depths([4, 1]).link_fifo_depths == (4, 1)


def test_label_select_on_a_design_with_fifo_depths() -> None:
    d = _design()
    two = Design(layers=d.layers[:2], input_shape=d.input_shape, idt=d.idt, name="two",
                 fifo_depths=(9,))
    assert two.with_label_select(k=2).fifo_depths == (9, 2)
