"""Common machinery of the block configs: validation helpers, stream views, cycle model hooks.

Each block is a frozen, keyword-only dataclass that derives from :class:`Block`. A block
works on *frames*: one input vector for MVTU and Thresholding, one image for SlidingWindow and
MaxPool. Arrays have any number of leading (batch) dimensions before the frame shape.

Multi-port blocks (AddStreams: 2 inputs; DuplicateStreams: N outputs) set ``in_ports`` /
``out_ports``. Every port of a block has the same frame shape, lanes and schedule; only the
element type may differ per input port (:meth:`Block.in_stream_of`). A block with two input
ports is called as ``blk(a, b)``; a block with several output ports returns the one tensor that
every output port carries.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Optional

import numpy as np
import numpy.typing as npt

from qsim.errors import ConfigError, StreamError
from qsim.models._dtypes import (
    DType,
    IntArray,
    as_int_array,
    check_range,
    compact_dtype,
    name,
    resolve,
)
from qsim.models._schedule import CycleTrace, Schedule, simulate
from qsim.models._stream import StreamFormat

__all__ = ["Block", "PerImage", "PerPixel", "StallFree", "check_fold", "check_positive", "pair",
           "range_type", "smallest_int_type", "word_schedule"]


def pair(value: Any, field: str, owner: str) -> tuple[int, int]:
    """An int (square) or an (h, w) pair of positive ints, as a tuple."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        out = (int(value[0]), int(value[1]))
    else:
        raise ConfigError(f"{owner}: {field}={value!r} must be an int or an (h, w) pair of ints")
    if min(out) < 1:
        raise ConfigError(f"{owner}: {field}={value!r} must be positive")
    return out


def check_positive(value: Any, field: str, owner: str) -> int:
    """A positive int (bool refused)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{owner}: {field}={value!r} must be a positive int")
    return int(value)


def check_fold(total: int, total_name: str, fold: int, fold_name: str, owner: str) -> None:
    """The folding rule ``total % fold == 0`` with the wording every level uses."""
    if total % fold != 0:
        raise ConfigError(f"{owner}: folding rule {total_name} % {fold_name} == 0 violated: "
                          f"{total_name}={total!r}, {fold_name}={fold!r}")


def smallest_int_type(lo: int, hi: int) -> DType:
    """The narrowest INTn/UINTn (n >= 2) holding every value in [lo, hi]."""
    from qonnx.core.datatype import DataType

    if lo >= 0:
        bits = max(2, int(hi).bit_length())
        return DataType[f"UINT{bits}"]
    bits = max(2, max((-int(lo) - 1).bit_length(), int(hi).bit_length()) + 1)
    if bits > 64:
        raise ConfigError(f"accumulator range [{lo}, {hi}] needs {bits} bits (> 64)")
    return DataType[f"INT{bits}"]


def range_type(value: Any, lo: int, hi: int, field: str, what: str, owner: str) -> DType:
    """The type of an exact integer range [lo, hi]: ``value`` (None: the narrowest INTn/UINTn)
    checked to hold every integer in it. ``what`` says where the range comes from, e.g.
    "the exact sum range of idt='INT4' + idt1='INT4'". Ranges beyond int64 are refused."""
    if lo < -(1 << 63) or hi > (1 << 63) - 1:
        raise ConfigError(f"{owner}: {what} [{lo}, {hi}] does not fit 64-bit integers")
    dt = smallest_int_type(lo, hi) if value is None else resolve(value, field, owner)
    if int(dt.min()) > lo or int(dt.max()) < hi or (name(dt) == "BIPOLAR" and lo < hi):
        raise ConfigError(f"{owner}: {field}={name(dt)!r} cannot hold {what} [{lo}, {hi}]")
    return dt


@dataclass(frozen=True)
class StallFree:
    """Closed-form stall-free timing (inputs offered from cycle 0, downstream always ready).

    ``latency``: cycle of the first output transfer; ``period``: cycles per frame in steady
    state (the initiation interval); ``first_frame``: cycles until the last output word of a
    single frame has moved (its transfer cycle + 1).
    """

    latency: int
    period: int
    first_frame: int

    def cycles(self, frames: int) -> int:
        """Cycles (last transfer + 1) for ``frames`` back-to-back frames."""
        return self.first_frame + (frames - 1) * self.period if frames else 0


class Block:
    """Mixin of the block configs. Subclasses set the attributes used below."""

    #: Human-readable instance label used in every message, e.g. "MVTU 'fc0'".
    owner: str
    #: Input / output stream ports (AddStreams: 2 inputs; DuplicateStreams: n_outputs outputs).
    in_ports: int = 1
    out_ports: int = 1

    # ---- to be provided by each block -------------------------------------------------
    @property
    def in_frame_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def out_frame_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def in_stream(self) -> StreamFormat:
        raise NotImplementedError

    @property
    def out_stream(self) -> StreamFormat:
        raise NotImplementedError

    @property
    def schedule(self) -> Schedule:
        raise NotImplementedError

    def stall_free(self) -> StallFree:
        raise NotImplementedError

    def compute(self, x: IntArray) -> IntArray:
        """Bit-exact output for a checked input of shape (frames, *in_frame_shape)."""
        raise NotImplementedError

    # ---- shared ------------------------------------------------------------------------
    def _set(self, field: str, value: Any) -> None:
        object.__setattr__(self, field, value)

    def _dtype(self, field: str) -> DType:
        dt = resolve(getattr(self, field), field, self.owner)
        self._set(field, dt)
        return dt

    def __call__(self, *xs: Any) -> IntArray:
        """Bit-exact output (int64) for one tensor per input port, each (..., *in_frame_shape)."""
        return self.run(*xs).astype(np.int64)

    def run(self, *xs: Any, check: bool = True) -> npt.NDArray[np.integer]:
        """Bit-exact output in the narrowest numpy integer dtype that holds the output type.

        For pipelines: chaining compact arrays moves less memory. ``check=False`` skips the
        input range check, for inputs that come from a block whose ``odt`` is this ``idt``.
        ``xs``: one tensor per input port, all with the same leading (batch) dimensions.
        """
        if len(xs) != self.in_ports:
            raise StreamError(f"{self.owner}: takes {self.in_ports} input tensor(s), one per "
                              f"input port, got {len(xs)}")
        flats, lead = [], None
        for port, x in enumerate(xs):
            arr = self._check_input(x, port) if check else np.asarray(x)
            if check:  # checked values fit the compact dtype: move fewer bytes from here on
                arr = arr.astype(compact_dtype(self.in_stream_of(port).dtype), copy=False)
            this = arr.shape[: arr.ndim - len(self.in_frame_shape)]
            if lead is not None and this != lead:
                raise StreamError(f"{self.owner}: input port {port} has shape {arr.shape!r}; "
                                  f"port 0 has leading dimensions {lead!r}")
            lead = this
            # (..., *frame) -> (frames, *frame)
            flats.append(arr.reshape((-1,) + self.in_frame_shape))
        assert lead is not None
        return self.compute(*flats).reshape(lead + self.out_frame_shape)

    def _check_input(self, x: Any, port: int = 0) -> IntArray:
        fmt = self.in_stream_of(port)
        kind = "input" + (f" port {port}" if self.in_ports > 1 else "")
        arr = as_int_array(x, f"{self.owner} {kind}")
        fs = self.in_frame_shape
        if arr.ndim < len(fs) or tuple(arr.shape[arr.ndim - len(fs):]) != fs:
            raise StreamError(f"{self.owner}: {kind} shape {arr.shape!r} does not end in the "
                              f"frame shape {fs!r}")
        check_range(arr, fmt.dtype, f"{self.owner} {kind}")
        return arr

    def in_stream_of(self, port: int) -> StreamFormat:
        """Stream format of input port ``port`` (port 0 is :attr:`in_stream`)."""
        self._check_port(port, self.in_ports, "input")
        return self.in_stream

    def out_stream_of(self, port: int) -> StreamFormat:
        """Stream format of output port ``port`` (port 0 is :attr:`out_stream`)."""
        self._check_port(port, self.out_ports, "output")
        return self.out_stream

    def _check_port(self, port: Any, ports: int, kind: str) -> None:
        if (isinstance(port, bool) or not isinstance(port, (int, np.integer))
                or not 0 <= port < ports):
            raise ConfigError(f"{self.owner}: {kind} port {port!r} does not exist (the block "
                              f"has {kind} ports 0..{ports - 1})")

    def frames_of(self, x: Any) -> int:
        """Number of frames in an input array of shape (..., *in_frame_shape)."""
        arr = np.asarray(x)
        return int(np.prod(arr.shape[: arr.ndim - len(self.in_frame_shape)], dtype=np.int64))

    @property
    def in_words(self) -> int:
        """Input words per frame."""
        return int(np.prod(self.in_frame_shape)) // self.in_stream.lanes

    @property
    def out_words(self) -> int:
        """Output words per frame."""
        return int(np.prod(self.out_frame_shape)) // self.out_stream.lanes

    def _out_to_stream_order(self, y: IntArray) -> IntArray:
        """(frames, *out_frame_shape) -> same elements in stream order; identity by default."""
        return y

    def _out_from_stream_order(self, y: IntArray) -> IntArray:
        return y

    def pack_input(self, x: Any, port: int = 0) -> list[int]:
        """Input tensor (..., *in_frame_shape) of input port ``port`` to its stream words."""
        arr = self._check_input(x, port)
        fmt = self.in_stream_of(port)
        return fmt.pack(arr.reshape(-1, fmt.lanes))

    def unpack_input(self, words: list[int], port: int = 0) -> IntArray:
        """Stream words of input port ``port`` back to (frames, *in_frame_shape)."""
        fmt = self.in_stream_of(port)
        self._check_count(words, self.in_words, "input")
        return fmt.unpack(words).reshape((-1,) + self.in_frame_shape)

    def pack_output(self, y: Any, port: int = 0) -> list[int]:
        """Output tensor (..., *out_frame_shape) to the stream words of output port ``port``."""
        fmt = self.out_stream_of(port)
        arr = as_int_array(y, f"{self.owner} output")
        fs = self.out_frame_shape
        if arr.ndim < len(fs) or tuple(arr.shape[arr.ndim - len(fs):]) != fs:
            raise StreamError(f"{self.owner}: output shape {arr.shape!r} does not end in {fs!r}")
        arr = self._out_to_stream_order(arr.reshape((-1,) + fs))
        return fmt.pack(arr.reshape(-1, fmt.lanes))

    def unpack_output(self, words: list[int], port: int = 0) -> IntArray:
        """Stream words of output port ``port`` back to (frames, *out_frame_shape)."""
        fmt = self.out_stream_of(port)
        self._check_count(words, self.out_words, "output")
        flat = fmt.unpack(words)  # (words, lanes)
        return self._out_from_stream_order(flat.reshape((-1,) + self.out_frame_shape))

    def _check_count(self, words: list[int], per_frame: int, port: str) -> None:
        if len(words) % per_frame:
            raise StreamError(f"{self.owner}: {len(words)} {port} words is not a whole number "
                              f"of frames ({per_frame} words per frame)")

    def cycles(self, frames: int, offer: Optional[npt.ArrayLike] = None,
               ready: Optional[npt.ArrayLike] = None) -> CycleTrace:
        """Cycle model: accept cycle of every input word, transfer cycle of every output word.

        ``offer``: earliest cycle each input word is presented (None: all from cycle 0).
        ``ready``: downstream ready per cycle, cycles past the end ready (None: always ready).
        """
        return simulate(self.schedule, frames, offer, ready, owner=self.owner)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able field values (DataTypes by name, arrays as nested lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if hasattr(v, "get_canonical_name"):
                v = name(v)
            elif isinstance(v, np.ndarray):
                v = v.tolist()
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def word_schedule(produces: npt.NDArray[np.bool_]) -> Schedule:
    """One engine step per input word: step k needs and frees word k; ``produces`` (steps,)
    marks the steps that write the next output word. Input buffer: 2 words."""
    n = int(produces.shape[0])
    return Schedule(n_in=n, n_out=int(produces.sum()), need=np.arange(n), produces=produces,
                    frees=np.ones(n, dtype=np.int64), capacity=2)


class PerPixel(Block):
    """Base of the blocks that stream one pixel's C channels as C/PE words of PE lanes, in
    and out (Thresholding, DuplicateStreams, AddStreams, GlobalAccPool, FMPadding, MaxPool).

    A subclass sets the fields ``channels``, ``idt``, ``odt`` (or an ``odt`` property) and the
    lanes field named by :attr:`lanes_field`; image blocks override :attr:`in_pixels` /
    :attr:`out_pixels` with the (H, W) in front of the channels. The default schedule is the
    one-step-per-word engine with one output word per step.

    Timing (default schedule)::

        Latency: 2 cycles from accept to transfer.  II: 1 word per cycle (C/PE per frame).
        Input buffer: 2 words; output register: 1 word.
    """

    #: Name of the field holding the channels per word ("pe"; FMPadding: "simd").
    lanes_field: ClassVar[str] = "pe"
    channels: int
    idt: Any
    odt: Any

    def _set_owner(self, kind: str, fallback: str) -> None:
        """``owner``: "<kind> '<name>'", or "<kind>(<fallback>)" for an unnamed instance."""
        name_ = getattr(self, "name", "")
        self._set("owner", f"{kind} {name_!r}" if name_ else f"{kind}({fallback})")

    def _check_channels(self) -> int:
        """Checks ``channels`` and the lanes field (positive ints, C % lanes == 0); returns C."""
        c = check_positive(self.channels, "channels", self.owner)
        lanes = check_positive(self.lanes, self.lanes_field, self.owner)
        check_fold(c, "C", lanes, self.lanes_field.upper(), self.owner)
        return c

    @property
    def lanes(self) -> int:
        """Channels per stream word (the value of the :attr:`lanes_field` field)."""
        return getattr(self, self.lanes_field)  # type: ignore[no-any-return]

    @property
    def nf(self) -> int:
        """Channel folds: C / PE (words per pixel)."""
        return self.channels // self.lanes

    @property
    def in_pixels(self) -> tuple[int, ...]:
        """Frame dimensions in front of the channels on the input; () for one pixel."""
        return ()

    @property
    def out_pixels(self) -> tuple[int, ...]:
        """Frame dimensions in front of the channels on the output; () for one pixel."""
        return ()

    # ---- (*pixels, C) frames of PE-lane words, input and output ------------------------------
    @property
    def in_stream(self) -> StreamFormat:
        return StreamFormat(self.idt, self.lanes, f"{self.owner} input")

    @property
    def in_frame_shape(self) -> tuple[int, ...]:
        return (*self.in_pixels, self.channels)

    @property
    def out_frame_shape(self) -> tuple[int, ...]:
        return (*self.out_pixels, self.channels)

    @property
    def out_stream(self) -> StreamFormat:
        return StreamFormat(self.odt, self.lanes, f"{self.owner} output")

    @cached_property
    def schedule(self) -> Schedule:
        """One step per input word; each step consumes it and produces one output word."""
        return word_schedule(np.ones(self.nf, dtype=bool))

    def stall_free(self) -> StallFree:
        return StallFree(latency=2, period=self.nf, first_frame=self.nf + 2)


class PerImage(PerPixel):
    """A :class:`PerPixel` block on an (H, W, C) image (``ifm_dim``) that writes an
    (OH, OW, C) image (``ofm_dim``, given by the block): FMPadding, MaxPool."""

    ifm_dim: Any

    @property
    def ofm_dim(self) -> tuple[int, int]:
        raise NotImplementedError

    @property
    def in_pixels(self) -> tuple[int, ...]:
        return tuple(self.ifm_dim)

    @property
    def out_pixels(self) -> tuple[int, ...]:
        return tuple(self.ofm_dim)
