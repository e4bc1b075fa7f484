"""Exact comparison of two levels' layer outputs, down to the stream word and lane.

Integers only: two tensors agree when their shapes are equal and every element is equal. A
shape difference is a mismatch in its own right (never reshaped away).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

import numpy as np

__all__ = ["Mismatch", "first_mismatch"]


@dataclass(frozen=True)
class Mismatch:
    """The first difference between an expected and an observed layer output.

    ``word``/``lane`` index the layer's output stream (element 0 of a word in its LSBs);
    ``frame`` is the frame (image or vector) that word belongs to; ``cycle`` is the transfer
    cycle of that word on the observed level, when it has cycles.
    """

    layer: str
    level: str
    against: str
    reason: str
    word: Optional[int] = None
    lane: Optional[int] = None
    frame: Optional[int] = None
    index: Optional[tuple[int, ...]] = None
    expected: Optional[int] = None
    got: Optional[int] = None
    cycle: Optional[int] = None
    waveform: Optional[str] = None

    def describe(self) -> str:
        """One line for a terminal or a log."""
        if self.word is None:
            return f"layer {self.layer!r}: {self.level} vs {self.against}: {self.reason}"
        where = f"word {self.word} lane {self.lane} (frame {self.frame}, element {self.index})"
        cyc = f" at cycle {self.cycle}" if self.cycle is not None else ""
        wave = f"; waveform {self.waveform}" if self.waveform else ""
        return (f"layer {self.layer!r}: {self.level} vs {self.against}: {where}: expected "
                f"{self.expected}, got {self.got}{cyc}{wave}")

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def first_mismatch(layer: str, block: Any, expected: np.ndarray, got: np.ndarray, level: str,
                   against: str, transfer_cycles: Optional[np.ndarray] = None,
                   waveform: Optional[str] = None) -> Optional[Mismatch]:
    """None if ``got`` equals ``expected`` exactly, else the first differing stream word.

    ``block`` supplies the output stream layout (``pack_output`` order and lanes); without a
    block (e.g. a float reference boundary) the mismatch is reported by flat element index.
    """
    exp, obs = np.asarray(expected), np.asarray(got)
    if exp.shape != obs.shape:
        return Mismatch(layer, level, against, f"shape {obs.shape} != expected {exp.shape}",
                        waveform=waveform)
    if np.array_equal(exp, obs):
        return None
    if block is None or not hasattr(block, "out_stream"):
        idx = tuple(int(i) for i in np.argwhere(exp != obs)[0])
        return Mismatch(layer, level, against, "value", index=idx, expected=int(exp[idx]),
                        got=int(obs[idx]), waveform=waveform)
    lanes = block.out_stream.lanes
    # tensor -> stream order (..., lanes) without packing: the same permutation pack_output uses
    fs = block.out_frame_shape
    e = block._out_to_stream_order(exp.reshape((-1,) + fs)).reshape(-1, lanes)
    o = block._out_to_stream_order(obs.reshape((-1,) + fs)).reshape(-1, lanes)
    word, lane = (int(v) for v in np.argwhere(e != o)[0])
    frame = word // block.out_words
    # locate the element in the tensor: index in stream order -> tensor index
    order = block._out_to_stream_order(
        np.arange(int(np.prod(fs))).reshape((1,) + fs)).reshape(-1)
    flat_in_frame = int(order[(word % block.out_words) * lanes + lane])
    index = (frame,) + tuple(int(i) for i in np.unravel_index(flat_in_frame, fs))
    cycle = None
    if transfer_cycles is not None and word < len(transfer_cycles):
        cycle = int(transfer_cycles[word])
    return Mismatch(layer, level, against, "value", word=word, lane=lane, frame=frame,
                    index=index, expected=int(e[word, lane]), got=int(o[word, lane]),
                    cycle=cycle, waveform=waveform)
