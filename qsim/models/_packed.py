"""Block chains with a bit-packed fast path: a SlidingWindow feeding an XNOR MVTU.

A SlidingWindow over one-bit pixels (BIPOLAR or BINARY) feeding an MVTU that has the ``xnor``
path copies every pixel KH*KW times as bytes (CNV's second layer: 156,800 x 576 bytes for 200
images), and the MVTU then reads them all again to pack them to bits. Here the pixels are
packed once (C channels -> ceil(C/64) uint64 words, zero bits beyond C) and the compiled
kernel reads each window's KH*KW*ceil(C/64) words straight from the packed image
(:func:`qsim.models._kernels.xnor_window_threshold`): neither the im2col bytes nor their
packed copy is made.

Exact by construction: the window's words are the im2col row's bits in the same order, with
zero bits where C does not fill a word; the weights are packed with zero bits in the same
places, so the padding never mismatches and the match counts are those of the MVTU's ``xnor``
path, compared with the same thresholds. Whether the fused pair runs is **measured** per
shape class (``packed`` against ``blocks``, the two blocks each on its own measured path), as
the MVTU's matmul paths are (qsim/models/_calibrate.py).

:func:`run_chain` runs a chain of blocks, fusing the pairs where that was measured faster.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Callable, Optional, Sequence

import numpy as np

from qsim.errors import ConfigError, StreamError
from qsim.models import _calibrate
from qsim.models._dtypes import BINARY, BIPOLAR, compact_dtype
from qsim.models._kernels import xnor_window_threshold
from qsim.models.mvtu import MVTU
from qsim.models.sliding_window import SlidingWindow

__all__ = ["CHAIN_PATHS", "PackedWindowMVTU", "fusable", "run_chain"]

#: choices for a SlidingWindow -> MVTU pair, preferred in this order when timings tie
CHAIN_PATHS = ("packed", "blocks")
_PIXEL_ROWS = 1 << 14  # calibration: about this many windows (the M cap of the matmul paths)
_pairs: "weakref.WeakKeyDictionary[MVTU, dict[int, PackedWindowMVTU]]" = \
    weakref.WeakKeyDictionary()


def fusable(swg: Any, mvtu: Any) -> bool:
    """True when ``swg`` feeds ``mvtu`` one-bit windows the packed kernel can take: plain
    (kh, kw, c) order, equal one-bit datatypes, MW = KH*KW*C, thresholds, and ``xnor`` among
    the MVTU's exact paths."""
    return (isinstance(swg, SlidingWindow) and isinstance(mvtu, MVTU) and not swg.depthwise
            and swg.idt in (BIPOLAR, BINARY) and mvtu.idt == swg.idt
            and mvtu.mw == swg.k2 * swg.channels and mvtu.thresholds is not None
            and "xnor" in mvtu._fast.candidates)


class PackedWindowMVTU:
    """A SlidingWindow and the XNOR MVTU it feeds, as one exact computation on packed pixels.

    Parameters
    ----------
    swg, mvtu
        Blocks with ``fusable(swg, mvtu)``.
    """

    def __init__(self, swg: SlidingWindow, mvtu: MVTU) -> None:
        if not fusable(swg, mvtu):
            raise ConfigError(f"{swg.owner} -> {mvtu.owner}: not a one-bit SlidingWindow "
                              f"feeding a thresholded MVTU with the xnor path")
        self.swg, self.mvtu, self.fast = swg, mvtu, mvtu._fast
        self.words = -(-swg.channels // 64)  # Qc: uint64 words per packed pixel
        # (K2*C, MH) -> (K2, C, MH), channels padded with zeros (zero bits) to Qc*64
        w = np.zeros((swg.k2, self.words * 64, mvtu.mh), dtype=np.int8)
        w[:, :swg.channels] = mvtu.weights.reshape(swg.k2, swg.channels, mvtu.mh)
        packed = self.fast._pack(np.ascontiguousarray(w.reshape(-1, mvtu.mh).T))
        self.w_bits = np.ascontiguousarray(packed.T)  # (K2*Qc, MH): word order of a window
        self.geom = np.array([*swg.kernel, *swg.stride, *swg.dilation], dtype=np.int64)

    def pack_pixels(self, x: np.ndarray) -> np.ndarray:
        """(N, H, W, C) one-bit values -> (N, H, W, Qc) uint64, zero bits beyond C."""
        flat = np.ascontiguousarray(x).reshape(-1, self.swg.channels)
        return self.fast._pack(flat).reshape(*x.shape[:3], self.words)

    def run(self, x: np.ndarray, path: Optional[str] = None) -> np.ndarray:
        """MVTU output (N, OH, OW, MH) for checked images (N, H, W, C) in the compact dtype;
        ``path`` forces ``packed`` or ``blocks`` (the two blocks one after the other)."""
        path = path or self.path_for(len(x))
        if path == "blocks":
            return self.mvtu.run(self.swg.run(x, check=False), check=False)
        if path != "packed":
            raise ConfigError(f"chain path {path!r} is not one of {CHAIN_PATHS!r}")
        fast = self.fast
        out = np.empty((len(x), *self.swg.ofm_dim, self.mvtu.mh), dtype=compact_dtype(fast.odt))
        xnor_window_threshold(self.pack_pixels(x), self.w_bits, self.geom, fast.mw,
                              fast._match_thresholds, *fast.count_to_output, out)
        return out

    def path_for(self, n: int) -> str:
        """``packed`` or ``blocks`` for ``n`` images: measured per shape class and cached;
        ``QSIM_MATMUL_PATH`` set to a path other than ``xnor`` means ``blocks``."""
        forced = _calibrate.forced_path()
        if forced is not None and forced != "xnor":
            return "blocks"
        oh, ow = self.swg.ofm_dim
        s, fast = self.swg, self.fast
        mode = (f"swg{s.kernel[0]}x{s.kernel[1]}s{s.stride[0]}x{s.stride[1]}d{s.dilation[0]}x"
                f"{s.dilation[1]}c{s.channels}+{fast.popcount_mode}+t")
        key = _calibrate.shape_class(mode, "1", fast._wbits, n * oh * ow, fast.mw, fast.mh,
                                     CHAIN_PATHS)
        rows = max(oh * ow, min(n * oh * ow, _PIXEL_ROWS))
        return _calibrate.choose(key, CHAIN_PATHS, rows, self._runners)

    def _runners(self, rows: int) -> dict[str, Callable[[], object]]:
        """One calibration run of each choice on random images giving about ``rows``
        windows."""
        oh, ow = self.swg.ofm_dim
        rng = np.random.default_rng(0)
        bits = rng.integers(0, 2, (max(1, rows // (oh * ow)), *self.swg.in_frame_shape))
        x = (2 * bits - 1 if self.swg.idt == BIPOLAR else bits).astype(np.int8)
        return {p: self._runner(x, p) for p in CHAIN_PATHS}

    def _runner(self, x: np.ndarray, path: str) -> Callable[[], object]:
        return lambda: self.run(x, path)


def pair_of(swg: SlidingWindow, mvtu: MVTU) -> PackedWindowMVTU:
    """The (cached) fused form of a fusable pair."""
    per = _pairs.setdefault(mvtu, {})
    if id(swg) not in per:
        per[id(swg)] = PackedWindowMVTU(swg, mvtu)
    return per[id(swg)]


def run_chain(blocks: Sequence[Any], x: Any, check: bool = True,
              trace: Optional[list[str]] = None,
              times: Optional[dict[str, float]] = None) -> np.ndarray:
    """Outputs of single-port blocks in a chain, in the last block's compact dtype.

    Each block's output goes to the next block as it is when it ends in that block's frame
    shape, else as (N, *in_frame_shape) with N = len(x) (same element count). A
    SlidingWindow feeding a fusable MVTU runs as one packed computation where that was
    measured faster. ``check`` checks the input of the first
    block (the others take what their predecessor's ``odt`` allows); ``trace`` collects one
    line per MVTU or fused pair with the path it took; ``times`` gets the wall seconds of
    each step by label ("<index> <block type>", a fused pair "<i> packed SWG+MVTU").
    """
    y = np.asarray(x)
    n = y.shape[0] if y.ndim else 0
    i = 0
    while i < len(blocks):
        blk = blocks[i]
        if i:
            y = _reshape(y, blk, n)
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if nxt is not None and fusable(blk, nxt):
            if check and i == 0:
                y = blk._check_input(y).astype(compact_dtype(blk.idt), copy=False)
            pair = pair_of(blk, nxt)
            path = pair.path_for(n)
            _note(trace, f"{blk.owner} -> {nxt.owner}", path if path == "packed" else
                  f"blocks (MVTU {nxt._fast.path_for(n * blk.ofm_dim[0] * blk.ofm_dim[1])})")
            t0 = time.perf_counter()
            y, i = pair.run(y, path), i + 2
            _clock(times, f"{i - 2} {path} SWG+MVTU", t0)
            continue
        if isinstance(blk, MVTU):
            _note(trace, blk.owner, blk._fast.path_for(blk.frames_of(y)))
        t0 = time.perf_counter()
        y, i = blk.run(y, check=check and i == 0), i + 1
        _clock(times, f"{i - 1} {type(blk).__name__}", t0)
    return y


def _clock(times: Optional[dict[str, float]], label: str, t0: float) -> None:
    if times is not None:
        times[label] = time.perf_counter() - t0


def _reshape(y: np.ndarray, blk: Any, n: int) -> np.ndarray:
    """``y`` as is when it ends in the block's frame shape (e.g. an MVTU's pixels after a
    SlidingWindow), else as (n, *frame) (e.g. (N, 1, 1, C) into a fully connected layer)."""
    fs = tuple(blk.in_frame_shape)
    if y.shape[y.ndim - len(fs):] == fs:
        return y
    if y.size != n * int(np.prod(fs)):
        raise StreamError(f"{blk.owner}: the previous block's output {y.shape!r} does not "
                          f"hold {n} input frames of {fs!r}")
    return y.reshape((n, *fs))


def _note(trace: Optional[list[str]], what: str, path: str) -> None:
    if trace is not None:
        trace.append(f"{what}: {path}")
