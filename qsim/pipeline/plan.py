"""The stitch plan: a Design as a graph of cores, FIFOs and data-width converters.

:func:`stitch` turns a :class:`~qsim.frontend.Design` into a :class:`Stitched` plan. A chain::

    s_axis -> core_0 -> [dwc_0] -> fifo_0 -> core_1 -> fifo_1 -> ... -> core_n -> m_axis

and in general one node per layer plus, on every edge between layers, a data-width converter
where the producer's output word width differs from the consumer's input word width (one DWC
for an integer ratio, an up-DWC to the least common multiple then a down-DWC otherwise) and a
FIFO on the edge's widest stream (depths from the Design, 2 by default, 0 for none; see
:func:`_glue` for why). A fork is a DuplicateStreams core with one output link per consumer, a
join a core with several input links (AddStreams). Nodes are in topological order (an edge's
glue right before the core it feeds); link 0 is s_axis, the last link m_axis. This one
description feeds

* the cycle model: :meth:`Stitched.stages` -> :class:`qsim.pipeline.engine.Stage` list for
  :func:`~qsim.pipeline.engine.simulate_pipeline`;
* the RTL: :mod:`qsim.rtlsim.stitch` renders the generated top SV module and its packages
  from the same node list, and :mod:`qsim.rtlsim.native_run` drives it.

Why the words of layer j feed layer j+1 unchanged: the Design only reshapes between layers
(row-major, never a permutation) and every block streams its tensor row-major with element 0 in
the least significant bits, so the bit stream of layer j's output *is* layer j+1's input bit
stream; only the word boundaries move (DWC). :func:`check_links` proves this per link from
the configs (stream order and element width) and raises ConfigError otherwise.

Timing: stitching adds nothing beyond its nodes; each FIFO adds 2 cycles of latency, each DWC
2 cycles (docs/timing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import lcm
from typing import Any, Optional, Sequence, Union

import numpy as np

from qsim.errors import ConfigError, StreamError
from qsim.frontend.design import DEFAULT_FIFO_DEPTH  # re-exported: a link's depth by default
from qsim.pipeline.dwc import DataWidthConverter
from qsim.pipeline.engine import DeadlockError, GraphTrace, Link, Stage, simulate_graph
from qsim.pipeline.fifo import Fifo

__all__ = ["DEFAULT_FIFO_DEPTH", "PlanLink", "StitchNode", "Stitched", "check_links", "stitch"]

FifoDepths = Union[None, int, Sequence[int]]


@dataclass(frozen=True)
class StitchNode:
    """One instance of the plan: a layer's block, a Fifo or a DataWidthConverter.

    ``words_in`` / ``words_out``: words it consumes / produces per Design sample on each port.
    """

    name: str
    cfg: Any
    words_in: int
    words_out: int
    layer: str = ""  # the Design layer (cores only)
    edge: str = ""   # the Design edge (glue only), e.g. "MVAU_0 -> MVAU_1"

    @property
    def in_ports(self) -> int:
        return int(getattr(self.cfg, "in_ports", 1))

    @property
    def out_ports(self) -> int:
        return int(getattr(self.cfg, "out_ports", 1))

    @property
    def frames_per_sample(self) -> int:
        """Schedule frames per Design sample."""
        n_in = self.cfg.schedule.n_in
        return self.words_in // n_in

    def stage(self, samples: int) -> Stage:
        """The pipeline-model stage for ``samples`` Design samples."""
        return Stage(self.name, self.cfg.schedule, self.frames_per_sample * samples,
                     self.in_ports, self.out_ports)


@dataclass(frozen=True)
class PlanLink:
    """A stream from output port ``src_port`` of node ``src`` (-1: s_axis) to input port
    ``dst_port`` of node ``dst`` (-1: m_axis), ``bits`` wide."""

    src: int
    src_port: int
    dst: int
    dst_port: int
    bits: int
    name: str


@dataclass(frozen=True)
class Stitched:
    """A Design as a graph of nodes and links (see the module docstring)."""

    design: Any
    nodes: tuple[StitchNode, ...]
    links: tuple[PlanLink, ...]
    top: str = "qsim_stitched"

    # ---- streams -------------------------------------------------------------------------
    @property
    def first(self) -> Any:
        return self.design.layers[0].block

    @property
    def last(self) -> Any:
        return self.design.layers[-1].block

    @property
    def in_bits(self) -> int:
        return int(self.first.in_stream.word_bits)

    @property
    def out_bits(self) -> int:
        return int(self.last.out_stream.word_bits)

    @property
    def in_words_per_sample(self) -> int:
        return self.nodes[0].words_in

    @property
    def out_words_per_sample(self) -> int:
        return self.nodes[self.links[-1].src].words_out

    def samples_of(self, x: Any) -> int:
        """Number of samples in ``x`` of shape (N, *input_shape)."""
        arr = np.asarray(x)
        n_in = len(self.design.input_shape)
        if arr.ndim < n_in or tuple(arr.shape[arr.ndim - n_in:]) != self.design.input_shape:
            raise StreamError(f"Design {self.design.name!r}: input shape {arr.shape!r} does not "
                              f"end in the input shape {self.design.input_shape!r}")
        return int(np.prod(arr.shape[: arr.ndim - n_in], dtype=np.int64))

    def pack_input(self, x: Any) -> list[int]:
        """(N, *input_shape) -> the s_axis words (unpadded)."""
        first = self.design.layers[0]
        n = self.samples_of(x)
        return list(self.first.pack_input(np.asarray(x).reshape((n,) + first.in_shape)))

    def unpack_output(self, words: Sequence[int]) -> np.ndarray:
        """m_axis words -> (N, *output_shape) integers."""
        y = self.last.unpack_output(list(words))
        return np.asarray(y).reshape((-1,) + tuple(self.design.output_shape))

    # ---- cycle model -----------------------------------------------------------------------
    def stages(self, samples: int) -> list[Stage]:
        """The nodes as pipeline-model stages for ``samples`` samples (node order)."""
        return [node.stage(samples) for node in self.nodes]

    def engine_links(self) -> list[Link]:
        """The links as pipeline-model links."""
        return [Link(ln.src, ln.dst, ln.src_port, ln.dst_port, ln.name) for ln in self.links]

    def simulate(self, samples: int, offer: Optional[Any] = None,
                 ready: Optional[Any] = None) -> GraphTrace:
        """The pipeline cycle model of the whole plan for ``samples`` samples
        (:func:`~qsim.pipeline.engine.simulate_graph`; DeadlockError names the wait cycle)."""
        try:
            return simulate_graph(self.stages(samples), self.engine_links(), offer, ready)
        except DeadlockError as exc:
            glue = [n for n in self.nodes if n.name in exc.full and n.edge]
            if not glue:
                raise
            edges = ", ".join(dict.fromkeys(
                f"{n.edge!r} (depth {n.cfg.depth})" if isinstance(n.cfg, Fifo) else
                f"{n.edge!r} (no FIFO, width converter {n.name!r})" for n in glue))
            raise DeadlockError(f"Design {self.design.name!r} deadlocks: the FIFO on edge "
                                f"{edges} is full and its consumer waits for the other "
                                f"branch; deepen it (qsim fifo-size). {exc}", exc.cycle,
                                exc.full) from None

    @property
    def is_chain(self) -> bool:
        """Link k feeds node k from node k - 1 (a chain: simulate_pipeline applies)."""
        return all((ln.src, ln.dst) == (k - 1, k if k < len(self.nodes) else -1)
                   for k, ln in enumerate(self.links))

    @property
    def link_names(self) -> list[str]:
        """Names of the links in link order (link 0 is s_axis, the last one m_axis)."""
        return [ln.name for ln in self.links]


# ---- building the plan ------------------------------------------------------------------------
def _depths(depths: FifoDepths, design: Any, owner: str) -> list[int]:
    n_links = len(design.links)
    if depths is None:
        return list(design.link_fifo_depths)
    if isinstance(depths, (int, np.integer)) and not isinstance(depths, bool):
        out = [int(depths)] * n_links
    else:
        out = [int(d) for d in depths]  # type: ignore[union-attr]
    if len(out) != n_links or min(out, default=0) < 0:
        raise ConfigError(f"{owner}: fifo_depths={depths!r} must be one depth >= 0 or "
                          f"{n_links} of them (one per edge between layers)")
    return out


def _words_per_sample(layer: Any, out: bool) -> int:
    b = layer.block
    frames = int(np.prod(layer.in_shape, dtype=np.int64)) // int(np.prod(b.in_frame_shape))
    return frames * (b.out_words if out else b.in_words)


def _in_stream(block: Any, port: int) -> Any:
    return block.in_stream_of(port) if hasattr(block, "in_stream_of") else block.in_stream


def check_links(design: Any) -> None:
    """Raise ConfigError unless each edge's producer output bit stream is its consumer's input
    bit stream (same element width, row-major stream order, whole words per sample)."""
    owner = f"Design {design.name!r}"
    for layer in design.layers:
        if not hasattr(layer.block, "schedule"):
            raise ConfigError(f"{owner}: layer {layer.name!r} is a {type(layer.block).__name__}, "
                              f"which has no RTL core; no stitched RTL for it")
    by_name = {la.name: la for la in design.layers}
    for e in design.links:
        up, down = by_name[e.src], by_name[e.dst]
        ub, db = up.block, down.block
        uw, dw = ub.out_stream.elem_bits, _in_stream(db, e.dst_port).elem_bits
        if uw != dw:
            raise ConfigError(f"{owner}: layer {up.name!r} outputs {uw}-bit elements but "
                              f"{down.name!r} reads {dw}-bit elements; the stitched RTL has "
                              f"no sign/zero extension between layers")
        fs = tuple(ub.out_frame_shape)
        idx = np.arange(int(np.prod(fs)), dtype=np.int64).reshape((1,) + fs)
        order = np.asarray(ub._out_to_stream_order(idx)).ravel()
        if not np.array_equal(order, np.arange(order.size)):
            raise ConfigError(f"{owner}: layer {up.name!r} streams its output in a permuted "
                              f"order (e.g. a depthwise SWG) but {down.name!r} reads it "
                              f"row-major; no stitched RTL for this link")


def _glue(name: str, up_bits: int, down_bits: int, words: int, depth: int,
          owner: str, edge: str) -> list[StitchNode]:
    """DWC(s) and a FIFO on one edge between two layers; ``words`` upstream words per sample.

    The FIFO sits on the widest stream of the link: after an up-converter, before a
    down-converter, between the two converters of a non-integer ratio. A converter moves one
    narrow word per cycle, so on its wide side it delivers (or takes) a word only every
    ratio cycles; a FIFO there can fill (or drain) ahead of time and serve the next layer's
    bursts at one word per cycle. An MVTU reads its SF input words back to back at the start
    of every vector, and with the FIFO on the narrow side CNV-w1a1 lost 420 cycles per image
    to its 1 -> 4 and 1 -> 8 bit converters (33,188 instead of the 32,768-cycle bottleneck).
    """
    bits = words * up_bits
    widths = [up_bits] if up_bits == down_bits else [up_bits, down_bits]
    if max(widths) % min(widths):
        widths = [up_bits, lcm(up_bits, down_bits), down_bits]
    nodes: list[StitchNode] = []  # converter k takes stream k to stream k + 1
    for k, (a, b) in enumerate(zip(widths, widths[1:])):
        if bits % a or bits % b or bits % max(a, b):
            raise ConfigError(f"{owner}: link {edge!r}: {bits} bits per sample do not split "
                              f"into whole {max(a, b)}-bit words for a {a} -> {b} converter")
        tag = f"dwc_{name}" + (f"_{k}" if len(widths) > 2 else "")
        nodes.append(StitchNode(tag, DataWidthConverter(in_width=a, out_width=b, name=tag),
                                bits // a, bits // b, edge=edge))
    if depth:
        at = widths.index(max(widths))  # the FIFO goes on stream `at`: before converter `at`
        wide = widths[at]
        nodes.insert(at, StitchNode(f"fifo_{name}", Fifo(depth=depth, width=wide,
                                                         name=f"fifo_{name}"),
                                    bits // wide, bits // wide, edge=edge))
    return nodes


def stitch(design: Any, fifo_depths: FifoDepths = None, top: str = "qsim_stitched"
           ) -> Stitched:
    """The plan of ``design`` with ``fifo_depths`` (one per edge between layers in
    ``design.links`` order, 0 = no FIFO; an int for all; None: the Design's own,
    ``design.link_fifo_depths``). Glue nodes on a chain's k-th link are named ``fifo_k`` /
    ``dwc_k``; on a graph's, after the edge (``fifo_<src>_<dst>[_<port>]``)."""
    owner = f"Design {design.name!r}"
    check_links(design)
    depths = dict(zip(design.links, _depths(fifo_depths, design, owner)))
    chain = design.is_chain
    nodes: list[StitchNode] = []
    # (node, port) that drives each edge's consumer port, and each layer's core node
    drive: dict[tuple[str, int], tuple[int, int]] = {}
    core: dict[str, int] = {}
    raw: list[tuple[int, int, int, int, int]] = []  # src, src_port, dst, dst_port, bits
    by_name = {la.name: la for la in design.layers}
    for j, layer in enumerate(design.layers):
        for e in [e for e in design.edges if e.dst == layer.name]:
            if e.src not in core:  # the design input
                drive[(e.dst, e.dst_port)] = (-1, 0)
                continue
            up = by_name[e.src]
            label = _edge_label(e, by_name)
            tag = str(j - 1) if chain else _ident(f"{e.src}_{e.dst}" + (
                f"_{e.dst_port}" if layer.in_ports > 1 else ""))
            glue = _glue(tag, int(up.block.out_stream.word_bits),
                         int(_in_stream(layer.block, e.dst_port).word_bits),
                         _words_per_sample(up, True), depths[e], owner, label)
            prev = (core[e.src], e.src_port)
            for g in glue:
                nodes.append(g)
                raw.append((*prev, len(nodes) - 1, 0, _bits_out_of(prev, nodes)))
                prev = (len(nodes) - 1, 0)
            drive[(e.dst, e.dst_port)] = prev
        nodes.append(StitchNode(layer.name, layer.block, _words_per_sample(layer, False),
                                _words_per_sample(layer, True), layer=layer.name))
        core[layer.name] = len(nodes) - 1
        for p in range(layer.in_ports):
            src = drive[(layer.name, p)]
            bits = (int(_in_stream(layer.block, p).word_bits) if src[0] < 0
                    else _bits_out_of(src, nodes))
            raw.append((*src, core[layer.name], p, bits))
    last = core[design.layers[-1].name]
    raw.append((last, 0, -1, 0, _bits_out_of((last, 0), nodes)))
    raw.sort(key=lambda r: (r[2] < 0, r[2], r[3]))  # link k feeds node k in a chain
    links = tuple(PlanLink(s, sp, d, dp, bits, _plan_link_name(s, d, dp, nodes))
                  for s, sp, d, dp, bits in raw)
    for ln in links:  # internal invariant: word counts and widths agree on every link
        if ln.src >= 0 and ln.dst >= 0:
            a, b = nodes[ln.src], nodes[ln.dst]
            assert a.words_out * _bits_out(a) == b.words_in * _bits_in(b, ln.dst_port), ln
    return Stitched(design, tuple(nodes), links, top)


def _edge_label(e: Any, by_name: dict[str, Any]) -> str:
    """``src -> dst`` with ``[port]`` where a layer has several ports."""
    sp = f"[{e.src_port}]" if by_name[e.src].out_ports > 1 else ""
    dp = f"[{e.dst_port}]" if by_name[e.dst].in_ports > 1 else ""
    return f"{e.src}{sp} -> {e.dst}{dp}"


def _ident(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def _plan_link_name(src: int, dst: int, dst_port: int, nodes: Sequence[StitchNode]) -> str:
    a = "s_axis" if src < 0 else nodes[src].name
    b = "m_axis" if dst < 0 else nodes[dst].name
    return f"{a} -> {b}" + (f"[{dst_port}]" if dst >= 0 and nodes[dst].in_ports > 1 else "")


def _bits_out_of(src: tuple[int, int], nodes: Sequence[StitchNode]) -> int:
    return _bits_out(nodes[src[0]])


def _bits_in(node: StitchNode, port: int = 0) -> int:
    cfg = node.cfg
    if hasattr(cfg, "in_bits"):
        return int(cfg.in_bits)
    return int(_in_stream(cfg, port).word_bits)


def _bits_out(node: StitchNode) -> int:
    cfg = node.cfg
    return int(cfg.out_bits) if hasattr(cfg, "out_bits") else int(cfg.out_stream.word_bits)


def stitched_sample_ok(st: Stitched, x: Any) -> Optional[str]:
    """Data check of :func:`check_links`: pushing the model's output words of each edge's
    producer through the edge's glue nodes gives the consumer's input words on that port.
    None when every link agrees, else the first node where they differ."""
    outs = st.design.run_layers(x)
    n = st.samples_of(x)
    by_name = {la.name: la for la in st.design.layers}
    words: dict[int, list[int]] = {}  # words leaving each node (glue and cores)
    for k, node in enumerate(st.nodes):
        ins = [ln for ln in st.links if ln.dst == k]
        if node.layer:
            la = by_name[node.layer]
            for ln in ins:
                if ln.src < 0:
                    continue
                src = by_name[la.inputs[ln.dst_port]]
                y = outs[src.name].reshape((n,) + la.in_shape)
                expect = la.block.pack_input(y, port=ln.dst_port) if la.in_ports > 1 else \
                    la.block.pack_input(y)
                if list(expect) != words[ln.src]:
                    return node.name
            words[k] = list(la.block.pack_output(outs[la.name].reshape((n,) + la.out_shape)))
        else:
            words[k] = node.cfg.transform(words[ins[0].src])
    return None
