"""Run compiled cppsim libraries on integer tensors through ctypes.

Words cross the C boundary as ``(n_words, limbs)`` uint64 arrays, ``limbs = ceil(bits/64)``,
limb 0 holding bits [63:0] of the word (element 0 in its least significant bits). A multi-port
block (AddStreams: two inputs; DuplicateStreams: N outputs) has the ``qsim_<sym>_ports`` entry
point instead, which takes one such array per port. The block's name goes to the entry point
at run time (error messages), and so do the weights and thresholds of a library generated
with run-time parameters (``qsim_<sym>_abi`` says how many uint64 words it takes, and
:func:`qsim.cppsim._runtime.pack_params` builds them from the config).
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import numpy.typing as npt

from qsim.cppsim._runtime import pack_params
from qsim.cppsim.build import BuildResult, build_libraries, build_library
from qsim.cppsim.codegen import AnyBlock, entry_symbol, generate_source
from qsim.errors import SimulationError, StreamError
from qsim.models._dtypes import IntArray

__all__ = ["CppsimLibrary", "block_libraries", "run_cppsim", "run_cppsim_ports", "words_from_limbs",
           "words_to_limbs"]

_MSG_LEN = 4096
_U64P = ctypes.POINTER(ctypes.c_uint64)
_MASK64 = (1 << 64) - 1
_ABI_LEN = 256  # uint64 slots handed to a ``_ports_abi`` function (5 + input ports are used)


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
        self._param_cache: dict[tuple[str, int], tuple[Any, npt.NDArray[np.uint64]]] = {}

    def _entry(self, sym: str) -> Any:
        try:
            fn = getattr(self._lib, entry_symbol(sym))
            abi = getattr(self._lib, entry_symbol(sym) + "_abi")
        except AttributeError:
            raise SimulationError(f"cppsim: {str(self.path)!r} has no entry point "
                                  f"{entry_symbol(sym)!r}") from None
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_char_p, _U64P, ctypes.c_uint64, _U64P, ctypes.c_uint64, _U64P,
                       ctypes.c_uint64, ctypes.c_uint32, _U64P, ctypes.c_char_p, ctypes.c_uint64]
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
        info = np.zeros(5, dtype=np.uint64)
        abi(info.ctypes.data_as(_U64P))
        expect = (cfg.in_stream.word_bits, cfg.out_stream.word_bits, cfg.in_words, cfg.out_words)
        if tuple(int(v) for v in info[:4]) != expect:
            raise SimulationError(f"{cfg.owner}: cppsim entry {entry_symbol(sym)!r} was built for "
                                  f"(in bits, out bits, in words, out words) = "
                                  f"{tuple(int(v) for v in info[:4])!r}, config needs {expect!r}")
        params = self._params(sym, cfg, int(info[4]))
        n_out = frames * cfg.out_words if out_words is None else out_words
        x = np.ascontiguousarray(words_to_limbs(words, cfg.in_stream.word_bits))
        y = np.zeros((n_out, _limbs(cfg.out_stream.word_bits)), dtype=np.uint64)
        trip = ctypes.c_uint64(0)
        msg = ctypes.create_string_buffer(_MSG_LEN)
        rc = fn(cfg.owner.encode(), params.ctypes.data_as(_U64P), params.size,
                x.ctypes.data_as(_U64P), len(words), y.ctypes.data_as(_U64P), n_out, frames,
                ctypes.byref(trip), msg, _MSG_LEN)
        if rc != 0:
            text = msg.value.decode(errors="replace")
            raise SimulationError(f"{cfg.owner}: cppsim failed: {text}")
        return words_from_limbs(y), int(trip.value)

    def read_iterations(self) -> npt.NDArray[np.int64]:
        """The kernel loop iteration (0-based) in which the last kernel call (on this thread)
        read each of its input words, in stream order: the last :meth:`run_words` call's, or
        none after a multi-port call (only single-port kernels log their reads)."""
        fn = self._lib.qsim_read_log
        fn.restype, fn.argtypes = ctypes.c_uint64, [_U64P, ctypes.c_uint64]
        n = int(fn(None, 0))
        log = np.zeros(n, dtype=np.uint64)
        fn(log.ctypes.data_as(_U64P), n)
        return log.astype(np.int64) - 1

    def _params(self, sym: str, cfg: AnyBlock, n_params: int) -> npt.NDArray[np.uint64]:
        """The run-time parameters entry ``sym`` takes (``n_params`` words; 0: constants)."""
        if n_params == 0:
            return np.zeros(1, dtype=np.uint64)[:0]
        key = (sym, id(cfg))
        cached = self._param_cache.get(key)
        if cached is not None and cached[0] is cfg:
            return cached[1]
        params = pack_params(cfg)  # type: ignore[arg-type]  # the entry takes them: MVTU, Thr.
        if params.size != n_params:
            raise SimulationError(f"{cfg.owner}: cppsim entry {entry_symbol(sym)!r} takes "
                                  f"{n_params} parameter words, the config packs {params.size}")
        self._param_cache[key] = (cfg, params)
        return params

    def run(self, sym: str, cfg: AnyBlock, *xs: Any) -> tuple[IntArray, int]:
        """Output (..., *out_frame_shape) and trip count for one input tensor per input port,
        each (..., *in_frame_shape).

        A block with several output ports returns the one tensor they all carry; a port that
        differs from port 0 is a SimulationError (:meth:`run_ports` returns every port).
        """
        if _multiport(cfg):
            ys, trip = self.run_ports(sym, cfg, *xs)
            for q, yq in enumerate(ys[1:], start=1):
                if not np.array_equal(yq, ys[0]):
                    idx = tuple(int(i) for i in np.argwhere(yq != ys[0])[0])
                    raise SimulationError(f"{cfg.owner}: cppsim output port {q} carries "
                                          f"{int(yq[idx])} at {idx}, port 0 {int(ys[0][idx])}")
            return ys[0], trip
        if len(xs) != 1:
            raise StreamError(f"{cfg.owner}: takes 1 input tensor, got {len(xs)}")
        arr = np.asarray(xs[0])
        lead = arr.shape[: arr.ndim - len(cfg.in_frame_shape)]
        frames = cfg.frames_of(arr)
        words, trip = self.run_words(sym, cfg, cfg.pack_input(arr), frames)
        # (frames * out_words,) words -> (frames, *out_frame_shape) -> (..., *out_frame_shape)
        y = cfg.unpack_output(words).reshape(lead + cfg.out_frame_shape)
        return y, trip

    def run_ports(self, sym: str, cfg: AnyBlock, *xs: Any) -> tuple[list[IntArray], int]:
        """Every output port's tensor (..., *out_frame_shape) and the trip count, for one input
        tensor per input port (a single-port block gives a list of one)."""
        if not _multiport(cfg):
            y, trip = self.run(sym, cfg, *xs)
            return [y], trip
        if len(xs) != cfg.in_ports:
            raise StreamError(f"{cfg.owner}: takes {cfg.in_ports} input tensor(s), one per "
                              f"input port, got {len(xs)}")
        arrs = [np.asarray(x) for x in xs]
        lead = arrs[0].shape[: arrs[0].ndim - len(cfg.in_frame_shape)]
        for p, a in enumerate(arrs):
            if a.shape[: a.ndim - len(cfg.in_frame_shape)] != lead:
                raise StreamError(f"{cfg.owner}: input port {p} has shape {a.shape!r}; port 0 "
                                  f"has leading dimensions {lead!r}")
        words = [cfg.pack_input(a, port=p) for p, a in enumerate(arrs)]
        outs, trip = self.run_ports_words(sym, cfg, words, cfg.frames_of(arrs[0]))
        # per port: (frames * out_words,) words -> (..., *out_frame_shape)
        return [cfg.unpack_output(w, port=q).reshape(lead + cfg.out_frame_shape)
                for q, w in enumerate(outs)], trip

    def _entry_ports(self, sym: str, cfg: AnyBlock) -> Any:
        name = entry_symbol(sym) + "_ports"
        try:
            fn, abi = getattr(self._lib, name), getattr(self._lib, name + "_abi")
        except AttributeError:
            raise SimulationError(f"cppsim: {str(self.path)!r} has no entry point "
                                  f"{name!r}") from None
        info = np.zeros(_ABI_LEN, dtype=np.uint64)
        abi.restype, abi.argtypes = None, [_U64P]
        abi(info.ctypes.data_as(_U64P))
        widths = tuple(cfg.in_stream_of(p).word_bits for p in range(cfg.in_ports))
        expect = (cfg.in_ports, cfg.out_ports, cfg.out_stream.word_bits, cfg.in_words,
                  cfg.out_words, *widths)
        got = tuple(int(v) for v in info[:5 + int(info[0])])
        if got != expect:
            raise SimulationError(f"{cfg.owner}: cppsim entry {name!r} was built for (in ports, "
                                  f"out ports, out bits, in words, out words, in bits...) = "
                                  f"{got!r}, config needs {expect!r}")
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_char_p, ctypes.POINTER(_U64P), _U64P, ctypes.POINTER(_U64P),
                       ctypes.c_uint64, ctypes.c_uint32, _U64P, ctypes.c_char_p, ctypes.c_uint64]
        return fn

    def run_ports_words(self, sym: str, cfg: AnyBlock, words: Sequence[list[int]], frames: int,
                        out_words: Optional[int] = None) -> tuple[list[list[int]], int]:
        """Run the ``_ports`` entry of a multi-port block: one word list per input port in,
        (one word list per output port, trip count) out. ``out_words`` per port defaults to
        ``frames * cfg.out_words``."""
        fn = self._entry_ports(sym, cfg)
        ins = [np.ascontiguousarray(words_to_limbs(list(w), cfg.in_stream_of(p).word_bits))
               for p, w in enumerate(words)]
        n_out = frames * cfg.out_words if out_words is None else out_words
        outs = [np.zeros((n_out, _limbs(cfg.out_stream.word_bits)), dtype=np.uint64)
                for _ in range(cfg.out_ports)]
        in_ptrs = (_U64P * len(ins))(*(a.ctypes.data_as(_U64P) for a in ins))
        out_ptrs = (_U64P * len(outs))(*(a.ctypes.data_as(_U64P) for a in outs))
        n_in = np.array([len(w) for w in words], dtype=np.uint64)
        trip = ctypes.c_uint64(0)
        msg = ctypes.create_string_buffer(_MSG_LEN)
        rc = fn(cfg.owner.encode(), in_ptrs, n_in.ctypes.data_as(_U64P), out_ptrs, n_out, frames,
                ctypes.byref(trip), msg, _MSG_LEN)
        if rc != 0:
            text = msg.value.decode(errors="replace")
            raise SimulationError(f"{cfg.owner}: cppsim failed: {text}")
        return [words_from_limbs(y) for y in outs], int(trip.value)


def _multiport(cfg: AnyBlock) -> bool:
    return cfg.in_ports > 1 or cfg.out_ports > 1


def _library(cfg: AnyBlock, cache_dir: Optional[Path]) -> CppsimLibrary:
    """The library of ``cfg``'s shape and types (run-time weights): built once per shape."""
    src = generate_source({"top": cfg}, runtime=True)
    return CppsimLibrary(build_library(src, cache_dir=cache_dir).path)


def block_libraries(cfgs: Sequence[AnyBlock], jobs: int = 2, cache_dir: Optional[Path] = None
                    ) -> tuple[list[CppsimLibrary], list[BuildResult]]:
    """One library per config (entry ``"top"``, run-time weights), ``jobs`` compilers at once.

    Configs of the same shape and types share one source, hence one compile and one cached
    library; a new weight set of known shapes compiles nothing. Returns the libraries and the
    build results (``cached``, ``seconds``), both in the order of ``cfgs``.
    """
    results = build_libraries([generate_source({"top": c}, runtime=True) for c in cfgs],
                              jobs=jobs, cache_dir=cache_dir)
    return [CppsimLibrary(r.path) for r in results], results


def run_cppsim(cfg: AnyBlock, *xs: Any, cache_dir: Optional[Path] = None) -> tuple[IntArray, int]:
    """Compile (or reuse) the HLS kernel of ``cfg`` and run it on ``xs``.

    Parameters
    ----------
    cfg
        A block config (MVTU, Thresholding, SlidingWindow, MaxPool, FMPadding,
        DuplicateStreams, AddStreams, GlobalAccPool, LabelSelect).
    xs
        One integer tensor (..., *cfg.in_frame_shape) per input port (AddStreams: ``a, b``).

    Returns
    -------
    (y, trip_count)
        ``y`` of shape (..., *cfg.out_frame_shape), bit-exact to ``cfg(*xs)`` when the kernel
        is right (several output ports: the tensor they all carry, checked equal);
        ``trip_count``: pipelined-loop iterations over the whole batch (see hls/README.md).
    """
    return _library(cfg, cache_dir).run("top", cfg, *xs)


def run_cppsim_ports(cfg: AnyBlock, *xs: Any,
                     cache_dir: Optional[Path] = None) -> tuple[list[IntArray], int]:
    """As :func:`run_cppsim`, but returns every output port's tensor (DuplicateStreams: N)."""
    return _library(cfg, cache_dir).run_ports("top", cfg, *xs)
