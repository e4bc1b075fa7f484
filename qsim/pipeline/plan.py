"""The stitch plan: a Design as one chain of cores, FIFOs and data-width converters.

:func:`stitch` turns a :class:`~qsim.frontend.Design` into a :class:`Stitched` chain::

    s_axis -> core_0 -> [dwc_0] -> fifo_0 -> core_1 -> fifo_1 -> ... -> core_n -> m_axis

with a data-width converter where a layer's output word width differs from the next layer's
input word width (one DWC for an integer ratio, an up-DWC to the least common multiple then a
down-DWC otherwise) and one FIFO per link between layers on the link's widest stream (depths
from the Design, 2 by default, 0 for none; see :func:`_glue` for why). This one description
feeds

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
from qsim.pipeline.engine import Stage
from qsim.pipeline.fifo import Fifo

__all__ = ["DEFAULT_FIFO_DEPTH", "StitchNode", "Stitched", "check_links", "stitch"]

FifoDepths = Union[None, int, Sequence[int]]


@dataclass(frozen=True)
class StitchNode:
    """One instance of the chain: a layer's block, a Fifo or a DataWidthConverter.

    ``words_in`` / ``words_out``: words it consumes / produces per Design sample.
    """

    name: str
    cfg: Any
    words_in: int
    words_out: int
    layer: str = ""  # the Design layer (cores only)

    @property
    def frames_per_sample(self) -> int:
        """Schedule frames per Design sample."""
        n_in = self.cfg.schedule.n_in
        return self.words_in // n_in

    def stage(self, samples: int) -> Stage:
        """The pipeline-model stage for ``samples`` Design samples."""
        return Stage(self.name, self.cfg.schedule, self.frames_per_sample * samples)


@dataclass(frozen=True)
class Stitched:
    """A Design as a chain of nodes (see the module docstring)."""

    design: Any
    nodes: tuple[StitchNode, ...]
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
        return self.nodes[-1].words_out

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
        """The chain as pipeline-model stages for ``samples`` samples."""
        return [node.stage(samples) for node in self.nodes]

    @property
    def link_names(self) -> list[str]:
        """Link l connects node l-1 to node l; link 0 is s_axis, the last one m_axis."""
        names = ["s_axis"] + [n.name for n in self.nodes] + ["m_axis"]
        return [f"{a} -> {b}" for a, b in zip(names[:-1], names[1:])]


# ---- building the chain -----------------------------------------------------------------------
def _depths(depths: FifoDepths, design: Any, owner: str) -> list[int]:
    n_links = len(design.layers) - 1
    if depths is None:
        return list(design.link_fifo_depths)
    if isinstance(depths, (int, np.integer)) and not isinstance(depths, bool):
        out = [int(depths)] * n_links
    else:
        out = [int(d) for d in depths]  # type: ignore[union-attr]
    if len(out) != n_links or min(out, default=0) < 0:
        raise ConfigError(f"{owner}: fifo_depths={depths!r} must be one depth >= 0 or "
                          f"{n_links} of them (one per link between layers)")
    return out


def _words_per_sample(layer: Any, out: bool) -> int:
    b = layer.block
    frames = int(np.prod(layer.in_shape, dtype=np.int64)) // int(np.prod(b.in_frame_shape))
    return frames * (b.out_words if out else b.in_words)


def check_links(design: Any) -> None:
    """Raise ConfigError unless each layer's output bit stream is the next layer's input bit
    stream (same element width, row-major stream order, whole words per sample)."""
    owner = f"Design {design.name!r}"
    for layer in design.layers:
        if not hasattr(layer.block, "schedule"):
            raise ConfigError(f"{owner}: layer {layer.name!r} is a {type(layer.block).__name__}, "
                              f"which has no RTL core; stitched rtlsim supports MVTU, "
                              f"Thresholding, SlidingWindow and MaxPool layers only")
    for up, down in zip(design.layers, design.layers[1:]):
        ub, db = up.block, down.block
        uw, dw = ub.out_stream.elem_bits, db.in_stream.elem_bits
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
          owner: str) -> list[StitchNode]:
    """DWC(s) and a FIFO between two layers; ``words`` upstream words per sample.

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
            raise ConfigError(f"{owner}: link {name!r}: {bits} bits per sample do not split "
                              f"into whole {max(a, b)}-bit words for a {a} -> {b} converter")
        tag = f"dwc_{name}" + (f"_{k}" if len(widths) > 2 else "")
        nodes.append(StitchNode(tag, DataWidthConverter(in_width=a, out_width=b, name=tag),
                                bits // a, bits // b))
    if depth:
        at = widths.index(max(widths))  # the FIFO goes on stream `at`: before converter `at`
        wide = widths[at]
        nodes.insert(at, StitchNode(f"fifo_{name}", Fifo(depth=depth, width=wide,
                                                         name=f"fifo_{name}"),
                                    bits // wide, bits // wide))
    return nodes


def stitch(design: Any, fifo_depths: FifoDepths = None, top: str = "qsim_stitched"
           ) -> Stitched:
    """The chain of ``design`` with ``fifo_depths`` (one per link between layers, 0 = no FIFO;
    an int for all; None: the Design's own, ``design.link_fifo_depths``)."""
    owner = f"Design {design.name!r}"
    check_links(design)
    layers = design.layers
    depths = _depths(fifo_depths, design, owner)
    nodes: list[StitchNode] = []
    for j, layer in enumerate(layers):
        nodes.append(StitchNode(layer.name, layer.block, _words_per_sample(layer, False),
                                _words_per_sample(layer, True), layer=layer.name))
        if j + 1 < len(layers):
            nxt = layers[j + 1]
            up_bits = int(layer.block.out_stream.word_bits)
            nodes += _glue(str(j), up_bits, int(nxt.block.in_stream.word_bits),
                           _words_per_sample(layer, True), depths[j], owner)
    for a, b in zip(nodes, nodes[1:]):  # internal invariant: word counts chain
        assert a.words_out * _bits_out(a) == b.words_in * _bits_in(b), (a.name, b.name)
    return Stitched(design, tuple(nodes), top)


def _bits_in(node: StitchNode) -> int:
    cfg = node.cfg
    return int(cfg.in_bits) if hasattr(cfg, "in_bits") else int(cfg.in_stream.word_bits)


def _bits_out(node: StitchNode) -> int:
    cfg = node.cfg
    return int(cfg.out_bits) if hasattr(cfg, "out_bits") else int(cfg.out_stream.word_bits)


def stitched_sample_ok(st: Stitched, x: Any) -> Optional[str]:
    """Data check of :func:`check_links`: pushing the model's layer-j output words through the
    glue nodes gives layer j+1's input words. None when every link agrees, else the link."""
    outs = st.design.run_layers(x)
    layers = st.design.layers
    n = st.samples_of(x)
    by_name = {la.name: la for la in layers}
    words: list[int] = []
    prev_out: Optional[np.ndarray] = None
    for node in st.nodes:
        if node.layer:
            la = by_name[node.layer]
            if prev_out is not None:
                expect = la.block.pack_input(prev_out.reshape((n,) + la.in_shape))
                if list(expect) != words:
                    return node.name
            prev_out = outs[la.name]
            words = list(la.block.pack_output(prev_out.reshape((n,) + la.out_shape)))
        else:
            words = node.cfg.transform(words)
    return None
