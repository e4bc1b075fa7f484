"""The block configs whose generated tops carry the equivalence proofs of :mod:`._prove`.

A proof is only as general as its configs: a mutant that changes nothing for these parameter
values (a counter wrap compared with ``NF + 1`` instead of ``NF - 1`` is the same bits when
``NF`` is 1 or 2) is proved equivalent *for them*. So each core's list holds small but edge
parameter values: folds that are not powers of two (3), one-element dimensions, every generate
branch the core has (signed, unsigned and BIPOLAR inputs, thresholds or none, XNOR), while
staying small enough for PDR (a few hundred state bits at most).

``PROOF_SECONDS`` is the PDR time limit per config (overridable per core): a proof that
reaches it is ``not proven`` and its log and record say that the limit was reached.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

__all__ = ["PDR_SECONDS", "PROOF_CONFIGS", "PROOF_SECONDS"]

PDR_SECONDS = 300.0  # ABC pdr time limit per config (the default)


def _fifos(depths: Sequence[int], widths: Sequence[int]) -> list[Any]:
    from qsim.pipeline.fifo import Fifo

    return [Fifo(depth=d, width=w) for d in depths for w in widths]


def _thresholding() -> list[Any]:
    import numpy as np

    from qsim.models import Thresholding

    return [Thresholding(channels=2, pe=2, idt="INT3", odt="UINT2",
                         thresholds=np.array([[-2, 0, 2], [-1, 1, 3]])),
            Thresholding(channels=3, pe=1, idt="UINT2", odt="UINT1",
                         thresholds=np.array([[1], [2], [3]]))]


def _mvtu() -> list[Any]:
    """Three small MVTUs, one per datapath branch: signed products with the accumulator as
    output (NF = SF = 2), unsigned x signed with two thresholds per channel and SF = 3, and
    XNOR-popcount with one threshold (a BIPOLAR output) and NF = 3."""
    import numpy as np

    from qsim.models import MVTU

    return [MVTU(mw=4, mh=2, pe=1, simd=2, idt="INT2", wdt="INT2",
                 weights=np.array([[1, -2], [-1, 0], [1, 1], [-2, 1]])),
            MVTU(mw=3, mh=2, pe=2, simd=1, idt="UINT2", wdt="INT2", odt="UINT2",
                 weights=np.array([[1, -1], [0, 1], [-2, 1]]),
                 thresholds=np.array([[-1, 2, 4], [0, 3, 3]])),
            MVTU(mw=2, mh=3, pe=1, simd=2, idt="BIPOLAR", wdt="BIPOLAR", odt="BIPOLAR",
                 binary_xnor=True, weights=np.array([[1, -1, 1], [1, 1, -1]]),
                 thresholds=np.array([[1], [2], [0]]))]


def _threshold() -> list[Any]:
    """qsim_threshold inside Thresholding, plus the MVTU without thresholds (the NTHR = 0
    branch, which no Thresholding elaborates) and the XNOR MVTU (a BIPOLAR output: the
    OBIPOLAR branch)."""
    mvtus = _mvtu()
    return [*_thresholding(), mvtus[0], mvtus[2]]


def _maxpool() -> list[Any]:
    from qsim.models import MaxPool

    # a 4 x 4 window: a window counter that counts down meets KH - 1 on the right row for
    # KH = 2, 3, 5, 9 (2**KHW = 2*KH - 2) and only there, so kernels of 2 and 3 alone would
    # prove such a mutant equivalent
    return [MaxPool(ifm_dim=2, channels=2, kernel=2, pe=1, idt="INT2"),
            MaxPool(ifm_dim=(2, 3), channels=3, kernel=(1, 3), pe=1, idt="UINT2"),
            MaxPool(ifm_dim=4, channels=1, kernel=4, pe=1, idt="BINARY")]


def _swg() -> list[Any]:
    """Four tiny windows (1-bit elements; a 3x3 image with two channels already takes PDR
    past 600 s): a 2x2 kernel over 2x3 (two windows in a row), a 2x1 kernel over 3x2 (two
    rows), a depthwise 1x2 kernel over 1x3 with two channel folds, and a 1x2 kernel with
    stride 2 and two lanes per word over 1x4. Together: every counter wrapping, window
    overlap in each direction, channel folds, SIMD lanes and a stride."""
    from qsim.models import SlidingWindow

    return [SlidingWindow(ifm_dim=(2, 3), channels=1, kernel=(2, 2), simd=1, idt="BINARY"),
            SlidingWindow(ifm_dim=(3, 2), channels=1, kernel=(2, 1), simd=1, idt="BINARY"),
            SlidingWindow(ifm_dim=(1, 3), channels=2, kernel=(1, 2), simd=1, idt="BINARY",
                          depthwise=True),
            SlidingWindow(ifm_dim=(1, 4), channels=2, kernel=(1, 2), stride=(1, 2), simd=2,
                          idt="BINARY")]


def _dwc() -> list[Any]:
    from qsim.pipeline.dwc import DataWidthConverter

    return [DataWidthConverter(in_width=i, out_width=o) for i, o in ((4, 2), (2, 6), (3, 3))]


def _graph(name: str) -> list[Any]:
    import qsim.models as m

    makers: dict[str, Callable[[], list[Any]]] = {
        "qsim_fmpadding": lambda: [
            m.FMPadding(ifm_dim=(2, 3), channels=2, padding=(1, 0, 2, 1), simd=1, idt="INT2"),
            m.FMPadding(ifm_dim=1, channels=2, padding=(2, 1, 0, 0), simd=2, idt="UINT2"),
            # NF = 3 and a one-pixel-wide output
            m.FMPadding(ifm_dim=(2, 1), channels=3, padding=(1, 0, 0, 0), simd=1,
                        idt="UINT1")],
        "qsim_duplicate_streams": lambda: [
            m.DuplicateStreams(channels=2, pe=1, idt="UINT2"),
            m.DuplicateStreams(channels=3, pe=3, idt="INT2", n_outputs=3),
            m.DuplicateStreams(channels=3, pe=1, idt="BIPOLAR")],
        "qsim_add_streams": lambda: [
            m.AddStreams(channels=2, pe=2, idt="INT2"),
            m.AddStreams(channels=3, pe=1, idt="UINT2", idt1="BIPOLAR"),
            m.AddStreams(channels=2, pe=1, idt="BIPOLAR", idt1="INT2")],
        "qsim_global_acc_pool": lambda: [
            m.GlobalAccPool(ifm_dim=2, channels=2, pe=1, idt="INT2"),
            m.GlobalAccPool(ifm_dim=(3, 1), channels=2, pe=2, idt="UINT2"),
            m.GlobalAccPool(ifm_dim=(1, 3), channels=3, pe=1, idt="BIPOLAR")],
        "qsim_label_select": lambda: [
            m.LabelSelect(labels=4, k=2, pe=2, idt="INT2"),
            m.LabelSelect(labels=3, k=3, pe=1, idt="UINT2")],
    }
    return makers[name]()


#: Per core: the block configs whose generated tops carry the proof (small and edge values:
#: FIFO depth 1 to 4; stream widths equal to and short of a byte; folds of 3).
PROOF_CONFIGS: dict[str, Callable[[], list[Any]]] = {
    "qsim_fifo": lambda: _fifos((1, 2, 3, 4), (2,)),
    "qsim_ibuf": lambda: _fifos((1, 2, 3, 4), (2,)),
    "qsim_oreg": lambda: _fifos((1, 2), (2,)),
    "qsim_axis_wrap": lambda: _fifos((1,), (3, 8, 9)),
    "qsim_thresholding": _thresholding,
    "qsim_maxpool": _maxpool,
    "qsim_threshold": _threshold,
    "qsim_mvtu": _mvtu,
    "qsim_swg": _swg,
    "qsim_dwc": _dwc,
    **{c: functools.partial(_graph, c) for c in ("qsim_fmpadding", "qsim_duplicate_streams",
                                                  "qsim_add_streams", "qsim_global_acc_pool",
                                                  "qsim_label_select")},
}

#: PDR seconds per config, per core (the others: :data:`PDR_SECONDS`). qsim_swg: its four
#: configs proved an equivalent mutant in 15-81 s each on a loaded machine; 240 s bounds a
#: survivor's proof at 16 minutes.
PROOF_SECONDS: dict[str, float] = {"qsim_swg": 240.0}
