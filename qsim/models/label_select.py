"""LabelSelect (FINN's LabelSelect_Batch / LabelSelect_hls): indices of the K largest values.

Maths: ``y = indices of the top K of x`` (``labels`` values per frame), largest first.
Ties: the LOWER index comes first. This is the order of ONNX ``TopK`` (largest=1, sorted=1;
the ONNX spec puts the lower index first among equal values), which FINN uses to execute
LabelSelect and which qsim's ONNX reference runs. finn-hlslib's ``LabelSelect_Batch``
(maxpool.h, read for facts) agrees on ties: it reads the values in index order and moves a
value into its ascending top-K list only where it is STRICTLY greater (``val > topval[i]``),
so a later equal value ranks below an earlier one; it writes the largest first. It differs in
one corner: its list starts filled with the input type's minimum and label 0, so a value equal
to that minimum never enters, and when fewer than K values exceed the minimum its remaining
outputs are label 0 (e.g. all-minimum input, K = 2: hlslib [0, 0], ONNX TopK and qsim
[0, 1]). qsim follows ONNX TopK everywhere; its HLS and RTL must not copy that sentinel.
Output type:
``odt`` if given, else the narrowest UINTn holding ``labels - 1`` (FINN rounds its default up
to a multiple of 8 bits; pass ``odt`` to match). Folding: ``Labels % PE == 0``; PE values per
input word; ONE index per output word (1 lane of ``odt``).

Micro-architecture (docs/timing.md): NF = labels/PE input steps keep a sorted top-K list
(each step reads and frees one input word, produces nothing); then K output steps write one
index each and need no input. The engine is in order: the next frame's first words wait in the
2-word input buffer until the K indices of this frame are out.

Timing::

    Latency: NF + 2 cycles.  II: NF + K cycles per frame.
    Input buffer: 2 words; output register: 1 word.

    cycle    0    1    2    3    4    5    6    7      (labels = 2*PE: NF = 2, K = 2)
    in acc   x0   x1   x0'  x1'  .    .    x0'' x1''
    step     .    x0   x1   o0   o1   x0'  x1'  o0'
    out xfr  .    .    .    .    i0   i1   .    .
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from qsim.errors import ConfigError
from qsim.models._block import Block, StallFree, check_fold, check_positive, smallest_int_type
from qsim.models._dtypes import IntArray, compact_dtype, name
from qsim.models._schedule import Schedule
from qsim.models._stream import StreamFormat

__all__ = ["LabelSelect"]


@dataclass(frozen=True, kw_only=True, eq=False)
class LabelSelect(Block):
    """Top-K label selection; calling it on (..., labels) integers returns (..., K) indices.

    Parameters
    ----------
    labels
        Number of input values per frame.
    k
        Number of indices output, ``1 <= K <= labels``.
    pe
        Values per input word; ``labels % PE == 0``.
    idt
        Input datatype.
    odt
        Index datatype (None: narrowest UINTn holding ``labels - 1``).
    name
        Instance name used in messages.
    """

    labels: int
    k: int = 1
    pe: int = 1
    idt: Any
    odt: Any = None
    name: str = ""

    def __post_init__(self) -> None:
        self._set("owner", f"LabelSelect {self.name!r}" if self.name else
                  f"LabelSelect(labels={self.labels!r})")
        owner = self.owner
        n = check_positive(self.labels, "labels", owner)
        k = check_positive(self.k, "k", owner)
        if k > n:
            raise ConfigError(f"{owner}: k={k!r} exceeds labels={n!r}")
        check_fold(n, "Labels", check_positive(self.pe, "pe", owner), "PE", owner)
        self._dtype("idt")
        if self.odt is None:
            self._set("odt", smallest_int_type(0, n - 1))
        odt = self._dtype("odt")
        if int(odt.min()) > 0 or int(odt.max()) < n - 1 or name(odt) == "BIPOLAR":
            raise ConfigError(f"{owner}: odt={name(odt)!r} cannot hold the indices 0..{n - 1}")

    @property
    def nf(self) -> int:
        """Input folds: labels / PE (input words per frame)."""
        return self.labels // self.pe

    @property
    def in_frame_shape(self) -> tuple[int, ...]:
        return (self.labels,)

    @property
    def out_frame_shape(self) -> tuple[int, ...]:
        return (self.k,)

    @property
    def in_stream(self) -> StreamFormat:
        return StreamFormat(self.idt, self.pe, f"{self.owner} input")

    @property
    def out_stream(self) -> StreamFormat:
        return StreamFormat(self.odt, 1, f"{self.owner} output")

    def compute(self, x: IntArray) -> IntArray:
        # stable sort over (frames, labels) on the key ~x = -x - 1 (descending in x, and unlike
        # -x it does not overflow at INT64's minimum): equal values keep the lower index first
        order = np.argsort(~x.astype(np.int64), axis=-1, kind="stable")
        return order[:, : self.k].astype(compact_dtype(self.odt))

    @cached_property
    def schedule(self) -> Schedule:
        """NF input steps (read and free one word each), then K output steps (no input)."""
        nf, k = self.nf, self.k
        need = np.concatenate([np.arange(nf), np.full(k, -1)]).astype(np.int64)
        produces = np.arange(nf + k) >= nf
        return Schedule(n_in=nf, n_out=k, need=need, produces=produces,
                        frees=(~produces).astype(np.int64), capacity=2)

    def stall_free(self) -> StallFree:
        nf, k = self.nf, self.k
        return StallFree(latency=nf + 2, period=nf + k, first_frame=nf + k + 2)
