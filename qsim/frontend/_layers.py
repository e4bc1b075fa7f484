"""The graph pieces of a :class:`qsim.frontend.design.Design`: its :class:`Layer` and
:class:`Edge` records and the checks that resolve a layer list into a graph (producers named,
ports matched, every output read, shapes and datatypes compatible on each link)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from qsim.errors import ConfigError
from qsim.models._dtypes import DType, name

__all__ = ["INPUT", "Edge", "Layer", "check_input_range", "check_link", "edges_of",
           "resolve_inputs"]

# The name of the Design's input in ``Layer.inputs`` (no layer may take this name).
INPUT = "input"

@dataclass(frozen=True, kw_only=True, eq=False)
class Layer:
    """One named block of a Design.

    Parameters
    ----------
    name
        Node name (FINN style, e.g. ``MVAU_0``); folding configs refer to it.
    block
        MVTU, Thresholding, SlidingWindow, MaxPool or LabelSelect config.
    in_shape
        Per-sample shape the block is fed; must end in the block's frame shape.
    source
        Name of the source-model tensor this layer's output corresponds to ("" if none), with
        ``source_value = scale * y_int + bias`` per channel, in ``source_layout``.
    inputs
        The producer of each input port, in port order: layer names or :data:`INPUT`. Empty:
        the previous layer (the Design input for the first layer).
    """

    name: str
    block: Any
    in_shape: tuple[int, ...]
    inputs: tuple[str, ...] = ()
    source: str = ""
    scale: Any = 1.0
    bias: Any = 0.0
    source_layout: str = ""

    @property
    def out_shape(self) -> tuple[int, ...]:
        """Per-sample output shape: the leading (pixel) dims of in_shape + the out frame."""
        lead = self.in_shape[: len(self.in_shape) - len(self.block.in_frame_shape)]
        return tuple(lead) + tuple(self.block.out_frame_shape)

    @property
    def in_ports(self) -> int:
        return int(getattr(self.block, "in_ports", 1))

    @property
    def out_ports(self) -> int:
        return int(getattr(self.block, "out_ports", 1))

    def port_idt(self, port: int) -> DType:
        """Datatype read on input ``port``."""
        if hasattr(self.block, "in_stream_of"):
            return self.block.in_stream_of(port).dtype
        return self.block.idt

    @property
    def idt(self) -> DType:
        return self.block.idt

    @property
    def odt(self) -> DType:
        return self.block.odt


@dataclass(frozen=True)
class Edge:
    """A stream from output port ``src_port`` of layer ``src`` (or :data:`INPUT`) to input port
    ``dst_port`` of layer ``dst``."""

    src: str
    src_port: int
    dst: str
    dst_port: int

    @property
    def label(self) -> str:
        """``src[:port] -> dst[:port]`` (ports shown only where a layer has several)."""
        return f"{self.src} -> {self.dst}"


def check_input_range(owner: str, rng: Optional[tuple[int, int]], idt: DType) -> None:
    if rng is None:
        return
    lo, hi = (int(v) for v in rng)
    if (lo, hi) != tuple(rng) or not int(idt.min()) <= lo <= hi <= int(idt.max()):
        raise ConfigError(f"{owner}: input_range={rng!r} must be integers lo <= hi within "
                          f"idt={name(idt)} [{int(idt.min())}, {int(idt.max())}]")


def resolve_inputs(owner: str, layers: tuple[Layer, ...]) -> tuple[Layer, ...]:
    """Layers with ``inputs`` filled in (default: the previous layer), checked to name earlier
    layers (topological order: no cycle) with one name per input port."""
    out: list[Layer] = []
    seen = {INPUT}
    later = {la.name for la in layers}
    for i, la in enumerate(layers):
        inputs = tuple(la.inputs) or ((layers[i - 1].name,) if i else (INPUT,))
        for src in inputs:
            if src not in seen:
                why = ("a later layer (a cycle, or layers not in topological order)"
                       if src in later else "no layer of that name")
                raise ConfigError(f"{owner}: layer {la.name!r} reads {src!r}, which is {why}")
        if len(inputs) != la.in_ports:
            raise ConfigError(f"{owner}: layer {la.name!r} names {len(inputs)} inputs "
                              f"{list(inputs)!r} but its {type(la.block).__name__} has "
                              f"{la.in_ports} input port(s)")
        out.append(la if inputs == la.inputs else dataclasses.replace(la, inputs=inputs))
        seen.add(la.name)
    return tuple(out)


def edges_of(owner: str, layers: tuple[Layer, ...]) -> tuple[Edge, ...]:
    """Every edge (output ports given to their readers in layer order); ConfigError on an
    output that feeds nothing (a branch that never rejoins) or more readers than ports."""
    ports = {INPUT: 1, **{la.name: la.out_ports for la in layers}}
    used = dict.fromkeys(ports, 0)
    edges = []
    for la in layers:
        for p, src in enumerate(la.inputs):
            if used[src] >= ports[src]:
                raise ConfigError(f"{owner}: {src!r} feeds more inputs than its {ports[src]} "
                                  f"output port(s) (layer {la.name!r} is one too many); a fork "
                                  f"needs a DuplicateStreams layer")
            edges.append(Edge(src, used[src], la.name, p))
            used[src] += 1
    last = layers[-1].name
    for src, n in used.items():
        want = ports[src] - (1 if src == last else 0)
        if src == last and n:
            raise ConfigError(f"{owner}: the output layer {last!r} also feeds another layer")
        if n < want:
            raise ConfigError(f"{owner}: {src!r} has {want} output port(s) but {n} reader(s): "
                              f"a branch that never rejoins the output")
    return tuple(sorted(edges, key=lambda e: e.src != INPUT))


def check_link(owner: str, prev: str, shape: tuple[int, ...], dt: DType, layer: Layer,
                port: int = 0) -> None:
    b = layer.block
    frame = tuple(b.in_frame_shape)
    if tuple(layer.in_shape[len(layer.in_shape) - len(frame):]) != frame:
        raise ConfigError(f"{owner}: layer {layer.name!r} in_shape {layer.in_shape!r} does not "
                          f"end in its block's frame shape {frame!r}")
    if int(np.prod(shape)) != int(np.prod(layer.in_shape)):
        raise ConfigError(f"{owner}: {prev!r} outputs shape {shape!r}, which cannot feed layer "
                          f"{layer.name!r} with in_shape {layer.in_shape!r}")
    idt = layer.port_idt(port)
    if int(dt.min()) < int(idt.min()) or int(dt.max()) > int(idt.max()):
        where = f" port {port}" if layer.in_ports > 1 else ""
        raise ConfigError(f"{owner}: {prev!r} outputs {name(dt)}, outside layer "
                          f"{layer.name!r}{where}'s idt={name(idt)!r}")
