"""LabelSelect (FINN's LabelSelect_Batch): the indices of the K largest of ``labels`` values.

Maths: ``y = indices of the top K of x``, largest first. Ties: the lower index comes first,
which is the ordering of ONNX ``TopK`` (sorted, largest): FINN's LabelSelect executes as an
onnxruntime TopK node (FINN v0.10 ``labelselect.py``, read for facts). Output type: ``odt`` if
given (FINN rounds its default up to a multiple of 8 bits), else the narrowest UINT holding
``labels - 1``.

This is a functional placeholder: it has no stream view or cycle model yet (glue block, not
one of the four modelled blocks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qsim.errors import ConfigError, StreamError
from qsim.models._block import check_fold, check_positive, smallest_int_type
from qsim.models._dtypes import IntArray, as_int_array, check_range, resolve

__all__ = ["LabelSelect"]


@dataclass(frozen=True, kw_only=True, eq=False)
class LabelSelect:
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
        owner = self.owner
        n = check_positive(self.labels, "labels", owner)
        k = check_positive(self.k, "k", owner)
        if k > n:
            raise ConfigError(f"{owner}: k={k!r} exceeds labels={n!r}")
        check_fold(n, "Labels", check_positive(self.pe, "pe", owner), "PE", owner)
        object.__setattr__(self, "idt", resolve(self.idt, "idt", owner))
        odt = smallest_int_type(0, n - 1) if self.odt is None else resolve(self.odt, "odt", owner)
        if int(odt.min()) > 0 or int(odt.max()) < n - 1:
            raise ConfigError(f"{owner}: odt={odt.get_canonical_name()!r} cannot hold the "
                              f"indices 0..{n - 1}")
        object.__setattr__(self, "odt", odt)

    @property
    def owner(self) -> str:
        """Instance label used in messages."""
        return f"LabelSelect {self.name!r}" if self.name else f"LabelSelect(labels={self.labels!r})"

    @property
    def in_frame_shape(self) -> tuple[int, ...]:
        return (self.labels,)

    @property
    def out_frame_shape(self) -> tuple[int, ...]:
        return (self.k,)

    def __call__(self, x: Any) -> IntArray:
        arr = as_int_array(x, f"{self.owner} input")
        if arr.ndim < 1 or arr.shape[-1] != self.labels:
            raise StreamError(f"{self.owner}: input shape {arr.shape!r} does not end in "
                              f"({self.labels},)")
        check_range(arr, self.idt, f"{self.owner} input")
        # stable sort of -x: among equal values the lower index stays first
        order = np.argsort(-arr, axis=-1, kind="stable")
        return order[..., : self.k].astype(np.int64)
