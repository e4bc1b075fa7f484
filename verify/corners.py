"""Corner stimuli: inputs that drive every accumulator to the ends of its range.

Random inputs almost never reach the top or the bottom of an accumulator's range (for an MVTU
with MW = 64 INT4 inputs the chance that a random vector reaches a channel's maximum is
about 16**-64), so a bug that only shows there (an accumulator declared one bit short, or
signed at the width of an unsigned range) escapes random tests. These functions build the
inputs that reach each end exactly, channel by channel:

* MVTU: for output channel j, the maximum of acc[j] = sum_i x[i] * W[i, j] takes x[i] =
  idt.max where W[i, j] > 0 and x[i] = idt.min where W[i, j] < 0; the minimum takes the
  opposite. XNOR mode: the popcount is MW for x = W[:, j] (bits) and 0 for its complement.
  One frame per distinct sign pattern (channels with the same pattern share a frame).
* Thresholding: each channel at the input type's ends and at every threshold and +-1.
* AddStreams, GlobalAccPool: all inputs at the type's minimum, all at its maximum, then
  each port at an opposite end.

:func:`corner_thresholds` turns an MVTU into one whose thresholds sit at every channel's
reached minimum and maximum and +-1: with :func:`corner_inputs` every compare at both ends of
the range is exercised, so a wrapped accumulator changes the output.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np
import numpy.typing as npt

from qsim.errors import ConfigError
from qsim.models import MVTU, AddStreams, GlobalAccPool, Thresholding
from qsim.models._dtypes import BIPOLAR

__all__ = ["channel_acc_range", "corner_inputs", "corner_thresholds", "has_corners"]

IntArray = npt.NDArray[np.int64]
_CORNER_BLOCKS = (MVTU, Thresholding, AddStreams, GlobalAccPool)


def has_corners(cfg: Any) -> bool:
    """Whether :func:`corner_inputs` knows the block (the accumulating and comparing ones)."""
    return isinstance(cfg, _CORNER_BLOCKS)


def _ends(dt: Any) -> tuple[int, int]:
    """(min, max) value of a datatype; BIPOLAR is (-1, +1)."""
    return (-1, 1) if dt == BIPOLAR else (int(dt.min()), int(dt.max()))


def channel_acc_range(cfg: MVTU) -> tuple[IntArray, IntArray]:
    """Per output channel j, the exact (min, max) of acc[j] over every valid input: two
    arrays of shape (MH,). Their overall min and max are ``cfg.acc_range``."""
    if cfg.binary_xnor:
        return np.zeros(cfg.mh, np.int64), np.full(cfg.mh, cfg.mw, np.int64)
    lo, hi = _ends(cfg.idt)
    w = cfg.weights.astype(np.int64)  # (MW, MH)
    return (np.minimum(w * lo, w * hi).sum(axis=0).astype(np.int64),
            np.maximum(w * lo, w * hi).sum(axis=0).astype(np.int64))


def _mvtu_corners(cfg: MVTU) -> IntArray:
    """(frames, MW): per channel the input reaching its maximum, then the one reaching its
    minimum; duplicate frames removed (order kept)."""
    lo, hi = _ends(cfg.idt)
    w = cfg.weights.astype(np.int64).T  # (MW, MH) -> (MH, MW): row j is channel j's column
    if cfg.binary_xnor:
        # popcount(xnor) is MW when the input bits equal the weight bits, 0 for the complement
        top = w
        bottom = (-w if cfg.idt == BIPOLAR else 1 - w)
    else:
        top = np.where(w > 0, hi, lo)     # (MH, MW): maximises every product of row j
        bottom = np.where(w > 0, lo, hi)  # minimises it (w == 0: either end, the sum is 0)
    frames = np.concatenate([top, bottom], axis=0)  # (2*MH, MW)
    _, first = np.unique(frames, axis=0, return_index=True)
    return frames[np.sort(first)]


def _thresholding_corners(cfg: Thresholding) -> IntArray:
    """(frames, C): every channel at the input type's ends, then at each threshold step s
    and +-1 (clipped to the input type)."""
    lo, hi = _ends(cfg.idt)
    t = cfg.thresholds.astype(np.int64)  # (C, S)
    frames = [np.full(cfg.channels, lo), np.full(cfg.channels, hi)]
    for s in range(t.shape[1]):
        for d in (-1, 0, 1):
            frames.append(np.clip(t[:, s] + d, lo, hi))
    out = np.stack(frames).astype(np.int64)  # (2 + 3*S, C)
    if cfg.idt == BIPOLAR:
        out = np.where(out > 0, 1, -1)
    _, first = np.unique(out, axis=0, return_index=True)
    return out[np.sort(first)]


def _port_ends(cfg: Any) -> list[IntArray]:
    """Per input port (frames, *in_frame_shape): all-min, all-max, then the ports at opposite
    ends (port 0 min / port 1 max and the reverse)."""
    shape = tuple(cfg.in_frame_shape)
    ends = [_ends(cfg.in_stream_of(p).dtype) for p in range(cfg.in_ports)]
    picks = [(0,) * len(ends), (1,) * len(ends)]
    if len(ends) > 1:
        picks += [(0, 1), (1, 0)]
    return [np.stack([np.full(shape, ends[p][k[p]], np.int64) for k in picks])
            for p in range(len(ends))]


def corner_inputs(cfg: Any) -> Union[IntArray, list[IntArray]]:
    """Inputs (frames, *in_frame_shape) that drive every accumulator of ``cfg`` to both ends
    of its range; a list with one array per input port for AddStreams.

    Raises
    ------
    ConfigError
        For a block without accumulators or thresholds (see :func:`has_corners`).
    """
    if isinstance(cfg, MVTU):
        return _mvtu_corners(cfg)
    if isinstance(cfg, Thresholding):
        return _thresholding_corners(cfg)
    if isinstance(cfg, AddStreams):
        return _port_ends(cfg)
    if isinstance(cfg, GlobalAccPool):
        return _port_ends(cfg)[0]
    raise ConfigError(f"corner_inputs: no corner stimuli for {type(cfg).__name__!r} "
                      f"({getattr(cfg, 'owner', cfg)!r}); known: "
                      f"{[c.__name__ for c in _CORNER_BLOCKS]!r}")


def corner_thresholds(cfg: MVTU, name: str = "") -> MVTU:
    """``cfg`` with 6 thresholds per channel at its reached minimum and maximum and +-1,
    ``[lo-1, lo, lo+1, hi-1, hi, hi+1]`` (sorted), output UINT3."""
    lo, hi = channel_acc_range(cfg)
    t = np.sort(np.stack([lo - 1, lo, lo + 1, hi - 1, hi, hi + 1], axis=1), axis=1)  # (MH, 6)
    d = cfg.to_dict()
    d.update(odt="UINT3", thresholds=t, act_val=0, name=name or f"{cfg.name}_corner_thr")
    return MVTU.from_dict(d)
