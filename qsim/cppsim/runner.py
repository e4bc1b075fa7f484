"""Run compiled cppsim libraries on integer tensors through ctypes.

Words cross the C boundary as ``(n_words, limbs)`` uint64 arrays, ``limbs = ceil(bits/64)``,
limb 0 holding bits [63:0] of the word (element 0 in its least significant bits).
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from qsim.cppsim.build import build_library
from qsim.cppsim.codegen import AnyBlock, entry_symbol, generate_source
from qsim.errors import SimulationError
from qsim.models._dtypes import IntArray

__all__ = ["CppsimLibrary", "run_cppsim", "words_from_limbs", "words_to_limbs"]

_MSG_LEN = 4096
_U64P = ctypes.POINTER(ctypes.c_uint64)
_MASK64 = (1 << 64) - 1


def _limbs(bits: int) -> int:
    return (bits + 63) // 64


def words_to_limbs(words: list[int], bits: int) -> npt.NDArray[np.uint64]:
    """Python-int words -> (n_words, limbs) uint64, limb 0 least significant."""
    n, nl = len(words), _limbs(bits)
    if nl == 1:
        return np.array(words, dtype=np.uint64).reshape(n, 1)
    objs = np.array(words, dtype=object)
    out = np.empty((n, nl), dtype=np.uint64)
    for limb in range(nl):  # (n,) objects -> limb column
        out[:, limb] = np.array([int(v) for v in (objs >> (64 * limb)) & _MASK64]
                                if n else [], dtype=np.uint64)
    return out


def words_from_limbs(arr: npt.NDArray[np.uint64]) -> list[int]:
    """(n_words, limbs) uint64 -> Python-int words."""
    if arr.shape[1] == 1:
        return [int(v) for v in arr[:, 0]]
    words = [0] * arr.shape[0]
    for limb in range(arr.shape[1]):
        col = arr[:, limb].tolist()
        words = [w | (int(c) << (64 * limb)) for w, c in zip(words, col)]
    return words


class CppsimLibrary:
    """A loaded cppsim ``.so`` with one or more block entry points."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lib = ctypes.CDLL(str(self.path))

    def _entry(self, sym: str) -> Any:
        try:
            fn = getattr(self._lib, entry_symbol(sym))
            abi = getattr(self._lib, entry_symbol(sym) + "_abi")
        except AttributeError:
            raise SimulationError(f"cppsim: {str(self.path)!r} has no entry point "
                                  f"{entry_symbol(sym)!r}") from None
        fn.restype = ctypes.c_int
        fn.argtypes = [_U64P, ctypes.c_uint64, _U64P, ctypes.c_uint64, ctypes.c_uint32, _U64P,
                       ctypes.c_char_p, ctypes.c_uint64]
        abi.restype = None
        abi.argtypes = [_U64P]
        return fn, abi

    def run_words(self, sym: str, cfg: AnyBlock, words: list[int], frames: int,
                  out_words: Optional[int] = None) -> tuple[list[int], int]:
        """Run entry ``sym`` on packed input words for ``frames`` frames.

        Returns (output words, pipelined-loop trip count). ``out_words`` defaults to
        ``frames * cfg.out_words``. Raises SimulationError naming the block on a C++ error.
        """
        fn, abi = self._entry(sym)
        info = np.zeros(4, dtype=np.uint64)
        abi(info.ctypes.data_as(_U64P))
        expect = (cfg.in_stream.word_bits, cfg.out_stream.word_bits, cfg.in_words, cfg.out_words)
        if tuple(int(v) for v in info) != expect:
            raise SimulationError(f"{cfg.owner}: cppsim entry {entry_symbol(sym)!r} was built for "
                                  f"(in bits, out bits, in words, out words) = "
                                  f"{tuple(int(v) for v in info)!r}, config needs {expect!r}")
        n_out = frames * cfg.out_words if out_words is None else out_words
        x = np.ascontiguousarray(words_to_limbs(words, cfg.in_stream.word_bits))
        y = np.zeros((n_out, _limbs(cfg.out_stream.word_bits)), dtype=np.uint64)
        trip = ctypes.c_uint64(0)
        msg = ctypes.create_string_buffer(_MSG_LEN)
        rc = fn(x.ctypes.data_as(_U64P), len(words), y.ctypes.data_as(_U64P), n_out, frames,
                ctypes.byref(trip), msg, _MSG_LEN)
        if rc != 0:
            text = msg.value.decode(errors="replace")
            raise SimulationError(f"{cfg.owner}: cppsim failed: {text}")
        return words_from_limbs(y), int(trip.value)

    def run(self, sym: str, cfg: AnyBlock, x: Any) -> tuple[IntArray, int]:
        """Output (..., *out_frame_shape) and trip count for input x (..., *in_frame_shape)."""
        arr = np.asarray(x)
        lead = arr.shape[: arr.ndim - len(cfg.in_frame_shape)]
        frames = cfg.frames_of(arr)
        words, trip = self.run_words(sym, cfg, cfg.pack_input(arr), frames)
        # (frames * out_words,) words -> (frames, *out_frame_shape) -> (..., *out_frame_shape)
        y = cfg.unpack_output(words).reshape(lead + cfg.out_frame_shape)
        return y, trip


def run_cppsim(cfg: AnyBlock, x: Any, *, cache_dir: Optional[Path] = None) -> tuple[IntArray, int]:
    """Compile (or reuse) the HLS kernel of ``cfg`` and run it on ``x``.

    Parameters
    ----------
    cfg
        An MVTU, Thresholding, SlidingWindow or MaxPool config.
    x
        Integer tensor (..., *cfg.in_frame_shape).

    Returns
    -------
    (y, trip_count)
        ``y`` of shape (..., *cfg.out_frame_shape), bit-exact to ``cfg(x)`` when the kernel is
        right; ``trip_count``: pipelined-loop iterations over the whole batch (see hls/README.md).
    """
    lib = CppsimLibrary(build_library(generate_source({"top": cfg}), cache_dir=cache_dir).path)
    return lib.run("top", cfg, x)
