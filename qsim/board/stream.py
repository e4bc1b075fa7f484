"""qsim's side of the DMA buffers: stream words <-> the bytes the DMA moves.

A design word is padded with zeros to :attr:`StreamLayout.word_bytes` bytes and stored little
endian (element 0 of the word in the least significant bits of its first byte, DESIGN.md
section 3). The driver's numpy-only ``packing.py`` must produce the same bytes
(tests/board check it for every datatype).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from qsim.board.dma import StreamLayout
from qsim.errors import StreamError

__all__ = ["bytes_to_words", "input_bytes", "words_to_bytes"]


def words_to_bytes(words: Sequence[int], layout: StreamLayout) -> bytes:
    """Each word (at most ``layout.bits`` bits) as ``word_bytes`` little-endian bytes."""
    nb = layout.word_bytes
    out = bytearray()
    for i, w in enumerate(words):
        w = int(w)
        if w < 0 or w >> layout.bits:
            raise StreamError(f"DMA buffer: word {i} = {w:#x} does not fit {layout.bits} bits")
        out += w.to_bytes(nb, "little")
    return bytes(out)


def bytes_to_words(raw: bytes, layout: StreamLayout) -> list[int]:
    """The words of a DMA buffer; StreamError on a partial word or nonzero padding."""
    nb = layout.word_bytes
    if len(raw) % nb:
        raise StreamError(f"DMA buffer of {len(raw)} bytes is not whole {nb}-byte words")
    words = [int.from_bytes(raw[i:i + nb], "little") for i in range(0, len(raw), nb)]
    bad = next((i for i, w in enumerate(words) if w >> layout.bits), None)
    if bad is not None:
        raise StreamError(f"DMA buffer: word {bad} = {words[bad]:#x} has bits set above its "
                          f"{layout.bits} data bits (padding must be zero)")
    return words


def input_bytes(st: Any, x: Any) -> bytes:
    """The MM2S buffer of samples ``x`` (N, *input_shape) for the stitched plan ``st``."""
    return words_to_bytes(st.pack_input(np.asarray(x)), StreamLayout(st.in_bits))
