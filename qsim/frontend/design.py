"""Design: a directed acyclic graph of named qsim blocks imported from an ONNX model.

A Design runs on integers only. Its input is the source model's input brought to the
integer domain (channels last, NHWC): ``x_src = input_scale * x_int + input_bias``, transposed
to the source layout (``source_layout``, e.g. NCHW for a Brevitas conv net). Its output maps back
to the source model's float output as ``y_src ~= scale * y_int + bias`` (per output channel).

Between layers the integer tensor is reshaped (never permuted) to the next layer's ``in_shape``:
a flatten of an (H, W, C) tensor is in (h, w, c) order; the importer permutes the weights of
the following MVTU to match the source model's (c, h, w) flatten.

The graph: each layer names the producer of each of its input ports (``Layer.inputs``; the
Design's input is :data:`INPUT`); by default a layer reads the layer before it, so a chain is
just a list. Layers are in topological order and the last one is the output. Every output
port feeds exactly one input port: a fork is a DuplicateStreams layer (one port per consumer,
assigned in layer order), a join a block with several input ports (AddStreams). An
:class:`Edge` joins an output port to an input port; each edge between layers carries a FIFO
(``fifo_depths``, one per edge in :attr:`Design.edges` order, the input edge excluded).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import numpy as np
import numpy.typing as npt

from qsim.errors import ConfigError, MismatchError, StreamError
from qsim.frontend._layers import (
    INPUT,
    Edge,
    Layer,
    check_input_range,
    check_link,
    edges_of,
    resolve_inputs,
)
from qsim.frontend.folding import _canonical as _canonical  # re-exported for qsim.frontend.load
from qsim.frontend.folding import _load_folding as _load_folding
from qsim.frontend.folding import apply_folding
from qsim.models._dtypes import DType, IntArray, as_int_array, name

__all__ = ["DEFAULT_FIFO_DEPTH", "INPUT", "Design", "Edge", "Layer", "apply_folding"]

# Depth of the FIFO on each link between layers unless the Design or a folding config says
# otherwise (words of the link's widest stream; qsim.pipeline.plan places the FIFOs).
DEFAULT_FIFO_DEPTH = 2

@dataclass(frozen=True, kw_only=True, eq=False)
class Design:
    """An imported dataflow design; ``design(x_int)`` returns the bit-exact integer output.

    Parameters
    ----------
    layers
        Layers in topological order (names unique), the last one the output.
    input_shape
        Per-sample integer input shape, channels last.
    idt
        Input datatype.
    input_scale, input_bias
        ``x_src = input_scale * x_int + input_bias`` (scalars).
    source_layout
        Layout of the source model's input, "NCHW" (transpose from NHWC) or "" (as is).
    scale, bias
        Per-output-channel float mapping ``y_src ~= scale * y_int + bias``.
    name
        Model name used in messages.
    fifo_depths
        FIFO depth of each edge between layers (in :attr:`links` order, 0 = no FIFO), or None
        for :data:`DEFAULT_FIFO_DEPTH` everywhere; set from a folding config's
        ``inFIFODepths``/``outFIFODepths`` or with :meth:`with_fifo_depths`.
    topk
        0, or K when the Design ends in a LabelSelect that the source model lacks (FINN's
        InsertTopK): :meth:`output_to_int` then ranks the source output (``scale * y_int +
        bias``) to its top-K indices, ties lower index first.
    input_range
        ``(lo, hi)``: the integer inputs the source model can take when narrower than ``idt``
        (a narrow-range input quantizer: INT2 narrow is [-1, 1]), or None for all of ``idt``.
    """

    layers: tuple[Layer, ...]
    input_shape: tuple[int, ...]
    idt: Any
    input_scale: float = 1.0
    input_bias: float = 0.0
    source_layout: str = ""
    scale: Any = 1.0
    bias: Any = 0.0
    name: str = ""
    fifo_depths: Optional[tuple[int, ...]] = None
    input_range: Optional[tuple[int, int]] = None
    topk: int = 0

    def __post_init__(self) -> None:
        from qsim.models._dtypes import resolve

        owner = f"Design {self.name!r}"
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "input_shape", tuple(int(d) for d in self.input_shape))
        object.__setattr__(self, "idt", resolve(self.idt, "idt", owner))
        if not self.layers:
            raise ConfigError(f"{owner}: a design needs at least one layer")
        names = [layer.name for layer in self.layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"{owner}: layer names {dup!r} are not unique")
        if INPUT in names:
            raise ConfigError(f"{owner}: {INPUT!r} names the Design input; no layer may take it")
        check_input_range(owner, self.input_range, self.idt)
        object.__setattr__(self, "layers", resolve_inputs(owner, self.layers))
        edges = edges_of(owner, self.layers)
        object.__setattr__(self, "_edges", edges)
        by_name = {la.name: la for la in self.layers}
        for e in edges:
            if e.src == INPUT:
                shape, dt = self.input_shape, self.idt
            else:
                shape, dt = by_name[e.src].out_shape, by_name[e.src].odt
            check_link(owner, e.src, shape, dt, by_name[e.dst], e.dst_port)
        if self.fifo_depths is not None:
            depths = tuple(self.fifo_depths)
            n = len(self.links)
            if len(depths) != n or not all(
                    isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
                    for d in depths):
                raise ConfigError(f"{owner}: fifo_depths={self.fifo_depths!r} must be {n} "
                                  f"integers >= 0 (one per edge between layers)")
            object.__setattr__(self, "fifo_depths", tuple(int(d) for d in depths))

    def with_fifo_depths(self, depths: Optional[Any]) -> "Design":
        """The same Design with FIFO depths per link (None: the default everywhere)."""
        return dataclasses.replace(self, fifo_depths=None if depths is None else tuple(depths))

    @property
    def edges(self) -> tuple[Edge, ...]:
        """Every edge, the input edge first, then by destination layer and port."""
        return self._edges  # type: ignore[attr-defined, no-any-return]

    @property
    def links(self) -> tuple[Edge, ...]:
        """The edges between layers (each carries a FIFO): :attr:`edges` without the input."""
        return tuple(e for e in self.edges if e.src != INPUT)

    @property
    def is_chain(self) -> bool:
        """Every layer reads the one before it through one port."""
        return all(la.inputs == ((self.layers[i - 1].name,) if i else (INPUT,))
                   for i, la in enumerate(self.layers))

    @property
    def link_fifo_depths(self) -> tuple[int, ...]:
        """The FIFO depth of every edge between layers (defaults filled in)."""
        if self.fifo_depths is not None:
            return self.fifo_depths
        return (DEFAULT_FIFO_DEPTH,) * len(self.links)

    # ---- properties -----------------------------------------------------------------------
    @property
    def input_bounds(self) -> tuple[int, int]:
        """``(lo, hi)``: the integer inputs the source model takes (``input_range``, else the
        whole ``idt``)."""
        if self.input_range is not None:
            return self.input_range
        return int(self.idt.min()), int(self.idt.max())

    def check_input_range(self, x: Any, what: str = "input", first: int = 0) -> None:
        """StreamError naming the first value of ``x`` (N, *input_shape) outside
        :attr:`input_bounds` (sample ``first + n``, its index within the sample), with the
        allowed range."""
        lo, hi = self.input_bounds
        arr = np.asarray(x)
        if arr.size == 0 or (int(arr.min()) >= lo and int(arr.max()) <= hi):
            return
        at = tuple(int(v) for v in np.argwhere((arr < lo) | (arr > hi))[0])
        narrow = " (narrow range)" if self.input_range is not None else ""
        raise StreamError(f"Design {self.name!r}: {what} {first + at[0]} holds {int(arr[at])!r} "
                          f"at index {at[1:]!r}, outside the input range [{lo}, {hi}] of "
                          f"idt={name(self.idt)}{narrow} that the source model can take")

    @property
    def odt(self) -> DType:
        """Output datatype (the last layer's)."""
        return self.layers[-1].odt

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Per-sample output shape."""
        return self.layers[-1].out_shape

    def __getitem__(self, key: str) -> Layer:
        for layer in self.layers:
            if layer.name == key:
                return layer
        raise KeyError(f"Design {self.name!r} has no layer {key!r}; layers: "
                       f"{[la.name for la in self.layers]!r}")

    def describe(self) -> str:
        """One line per layer: name, block type, shapes, datatypes, folding."""
        lines = []
        chain = self.is_chain
        for la in self.layers:
            b = la.block
            fold = ", ".join(f"{k}={getattr(b, k)}" for k in ("pe", "simd") if hasattr(b, k))
            src = "" if chain else f"  <- {', '.join(la.inputs)}"
            lines.append(f"{la.name:<32} {type(b).__name__:<16} {la.in_shape!s:>16} -> "
                         f"{la.out_shape!s:<16} {name(la.idt)}->{name(la.odt)} {fold}{src}")
        return "\n".join(lines)

    # ---- execution --------------------------------------------------------------------------
    def __call__(self, x: Any, memory: int = 256 << 20) -> IntArray:
        """Integer output (..., *output_shape) for an integer input (..., *input_shape).

        Samples run in chunks sized so that no layer's int64 output exceeds ``memory`` bytes
        (10,000 CNV images at once would need 34 GiB for one SWG output).
        """
        lead, flat = self._samples(x)
        per_sample = 8 * max(int(np.prod(la.out_shape, dtype=np.int64)) for la in self.layers)
        chunk = max(1, memory // per_sample)
        parts = [self._final(part)
                 for part in (flat[i:i + chunk] for i in range(0, max(flat.shape[0], 1), chunk))]
        y = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return y.reshape(lead + self.output_shape)

    def _final(self, x: IntArray) -> IntArray:
        """The last layer's output for (N, *input_shape). A chain runs through
        :func:`~qsim.models._packed.run_chain` (the same blocks; a one-bit SlidingWindow
        feeding an XNOR MVTU fused over packed pixels where that was measured faster), a
        graph layer by layer."""
        if not self.is_chain:
            return list(self._run(x, (x.shape[0],)).values())[-1]
        from qsim.models._packed import run_chain

        first = self.layers[0]
        y = run_chain([la.block for la in self.layers],
                      x.reshape((x.shape[0],) + first.in_shape))
        return np.asarray(y, dtype=np.int64).reshape((x.shape[0],) + self.output_shape)

    def run_layers(self, x: Any) -> dict[str, IntArray]:
        """Every layer's integer output, by layer name in stream order, each (..., *out_shape)."""
        lead, flat = self._samples(x)
        return self._run(flat, lead)

    def _samples(self, x: Any) -> tuple[tuple[int, ...], IntArray]:
        """(leading shape, inputs as (N, *input_shape)); StreamError on a wrong shape."""
        arr = as_int_array(x, f"Design {self.name!r} input")
        n_in = len(self.input_shape)
        if arr.ndim < n_in or tuple(arr.shape[arr.ndim - n_in:]) != self.input_shape:
            raise StreamError(f"Design {self.name!r}: input shape {arr.shape!r} does not end in "
                              f"the input shape {self.input_shape!r}")
        lead = tuple(arr.shape[: arr.ndim - n_in])
        return lead, arr.reshape((-1,) + self.input_shape)  # (..., *in) -> (N, *in)

    def _run(self, x: IntArray, lead: tuple[int, ...]) -> dict[str, IntArray]:
        """Every layer's output for (N, *input_shape), each reshaped to (*lead, *out_shape)."""
        n = x.shape[0]
        flat: dict[str, IntArray] = {INPUT: x}
        outs: dict[str, IntArray] = {}
        for layer in self.layers:
            args = [flat[src].reshape((n,) + layer.in_shape) for src in layer.inputs]
            y = layer.block(*args)
            flat[layer.name] = y
            outs[layer.name] = y.reshape(lead + layer.out_shape)
        return outs

    # ---- source-domain conversions ---------------------------------------------------------
    def input_to_source(self, x: Any) -> npt.NDArray[np.float32]:
        """Integer input (N, *input_shape) -> the float input of the source model."""
        arr = as_int_array(x, f"Design {self.name!r} input").astype(np.float64)
        xs = arr * self.input_scale + self.input_bias
        if self.source_layout == "NCHW":
            xs = np.moveaxis(xs, -1, 1)  # (N, H, W, C) -> (N, C, H, W)
        return xs.astype(np.float32)

    def output_to_int(self, y: Any, layer: Optional[str] = None,
                      tolerance: float = 1e-3) -> IntArray:
        """A float output of the source model (or of ``layer``'s source tensor) to integers:
        ``round((y - bias) / scale)``; raises MismatchError if a value is further than
        ``tolerance`` from an integer (the scale is then wrong, not the rounding)."""
        if layer is None:
            scale, bias, layout, what = self.scale, self.bias, self.layers[-1].source_layout, \
                "output"
        else:
            la = self[layer]
            scale, bias, layout, what = la.scale, la.bias, la.source_layout, f"layer {layer!r}"
        yy = np.asarray(y, dtype=np.float64)
        if layout == "NCHW":
            yy = np.moveaxis(yy, 1, -1)  # (N, C, H, W) -> (N, H, W, C)
        q = (yy - np.asarray(bias, dtype=np.float64)) / np.asarray(scale, dtype=np.float64)
        r = np.rint(q)
        err = np.abs(q - r)
        if err.size and float(err.max()) > tolerance:
            idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
            raise MismatchError(f"Design {self.name!r}: source {what} value {float(yy[idx])!r} "
                                f"at index {idx} is {float(q[idx])!r} on the integer scale, "
                                f"not within {tolerance} of an integer")
        if layer is None and self.topk:  # InsertTopK: rank the exact source values
            exact = np.asarray(scale, np.float64) * r + np.asarray(bias, np.float64)
            return np.argsort(-exact, axis=-1, kind="stable")[..., :self.topk].astype(np.int64)
        return r.astype(np.int64)

    def with_label_select(self, k: int = 1, name: str = "LabelSelect_0") -> "Design":
        """A copy ending in a LabelSelect of the top ``k`` output indices (FINN's InsertTopK).

        Needs a 1-D output with one positive scale and one bias for all channels, so that the
        order of the integers is the order of the source model's floats.
        """
        from qsim.models import LabelSelect

        owner = f"Design {self.name!r}"
        scale = np.asarray(self.scale, dtype=np.float64).reshape(-1)
        bias = np.asarray(self.bias, dtype=np.float64).reshape(-1)
        if len(self.output_shape) != 1:
            raise ConfigError(f"{owner}: label select needs a 1-D output, got shape "
                              f"{self.output_shape!r}")
        if np.any(scale <= 0) or np.any(scale != scale[0]) or np.any(bias != bias[0]):
            raise ConfigError(f"{owner}: label select needs one positive output scale and one "
                              f"bias for all channels; integer order would differ from the "
                              f"float order otherwise (load the model with topk=K instead: "
                              f"the importer folds a uniform negative scale and per-channel "
                              f"offsets into the last layer exactly)")
        blk = LabelSelect(labels=self.output_shape[0], k=k, idt=self.odt, name=name)
        layer = Layer(name=name, block=blk, in_shape=self.output_shape,
                      inputs=(self.layers[-1].name,))
        depths = (None if self.fifo_depths is None
                  else (*self.fifo_depths, DEFAULT_FIFO_DEPTH))  # a link to the new layer
        return dataclasses.replace(self, layers=(*self.layers, layer), scale=1.0, bias=0.0,
                                   fifo_depths=depths)

    # ---- folding ------------------------------------------------------------------------------
    def fold(self, folding: Union[Mapping[str, Any], str, Path]) -> "Design":
        """A copy with FINN folding_config.json entries applied (see :func:`apply_folding`)."""
        return apply_folding(self, folding)
