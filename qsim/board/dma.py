"""The board's AXI DMA as pipeline stages: stream layout in memory and throughput prediction.

On the Pynq-Z2 the design sits between the two channels of a Xilinx AXI DMA in simple mode:
MM2S reads the input buffer from DDR through the PS7's S_AXI_HP0 port and streams it into
``s_axis``; S2MM takes ``m_axis`` and writes the output buffer. The documented constants:

* :data:`HP_BITS` = 64: the HP port moves 64 bits per fclk cycle (its AXI width);
* :data:`DMA_SETUP_CYCLES`: cycles from the driver's start of a transfer to the first memory
  beat the MM2S channel can present (register write, descriptor fetch, DDR read latency); one
  constant for every network, paid once per transfer;
* :data:`MAX_TRANSFER_BYTES` = 2**26 - 1: the buffer-length register (c_sg_length_width 26);
  the driver splits a batch whose buffer is longer into several transfers of whole samples.

Stream layout (:class:`StreamLayout`): a TDATA word is padded to a multiple of 8 bits
(``axis_bits``). A narrow word (<= 64 bits) goes over a DMA stream of the next power of two
>= 8 bits (the DMA's rule), one word per memory beat, padded alike in memory. A wide word
(> 64 bits) is padded in memory to whole 64-bit beats (``mem_bits = ceil(axis_bits / 64) *
64``) and the DMA stream stays 64 bits, the HP port's width: a 64 -> mem_bits up-converter
(``qsim_dwc``) in the top wrapper assembles the word, a mem_bits -> 64 down-converter splits
an output word. A wider DMA stream could not go faster (the HP port is the bound) and would
move more padding (a 392-bit TFC word padded to 512 bits is 1024 bytes per image instead of
896).

Cycle model (:func:`system_graph`): the stages ``mm2s -> [dwc_in] -> fifo_in -> design ->
[dwc_out] -> s2mm`` on :func:`qsim.pipeline.engine.simulate_graph`. ``mm2s`` and ``s2mm``
are one-beat pass-through stages (a 2-beat buffer and an output register, like a FIFO of
depth 2); the
memory side offers every input beat from cycle :data:`DMA_SETUP_CYCLES` on and always takes
output beats. A transfer ends with the last S2MM beat: its cycles are
``GraphTrace.cycles``.

Timing: latency = setup + 2 cycles per DMA stage and converter + the design's latency; the
period is the slowest of one beat per cycle on the HP port (``mem_bits / 64`` cycles per
wide word), the design's bottleneck, and the S2MM beats.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from qsim.errors import ConfigError
from qsim.models import Schedule
from qsim.pipeline.dwc import DataWidthConverter
from qsim.pipeline.engine import GraphTrace, Link, Stage, simulate_graph
from qsim.pipeline.fifo import Fifo

__all__ = ["DMA_SETUP_CYCLES", "HP_BITS", "INPUT_FIFO_MAX", "MAX_TRANSFER_BYTES",
           "SG_LENGTH_WIDTH", "Prediction", "StreamLayout", "SystemGraph", "input_fifo", "predict",
           "split_batch", "system_graph", "transfer_cycles"]

HP_BITS = 64
#: AXI DMA simple mode, MM2S: register writes to first read data, an estimate of the DMA's
#: command queueing plus a DDR read through HP0 at 100 MHz; the same for every network.
DMA_SETUP_CYCLES = 64
SG_LENGTH_WIDTH = 26
MAX_TRANSFER_BYTES = (1 << SG_LENGTH_WIDTH) - 1
#: deepest input FIFO the wrapper puts before the design (words)
INPUT_FIFO_MAX = 1024


@dataclass(frozen=True)
class StreamLayout:
    """How one stream's words sit in the DMA stream and in memory (module docstring)."""

    bits: int  # word bits of the design's stream

    @property
    def axis_bits(self) -> int:
        """TDATA of the design's port: word bits padded to a multiple of 8."""
        return (self.bits + 7) // 8 * 8

    @property
    def wide(self) -> bool:
        """The word is wider than the HP port: a converter sits in the wrapper."""
        return self.axis_bits > HP_BITS

    @property
    def dma_bits(self) -> int:
        """The DMA channel's stream width (a power of two >= 8, at most 64)."""
        if self.wide:
            return HP_BITS
        return max(8, 1 << (self.axis_bits - 1).bit_length())

    @property
    def mem_bits(self) -> int:
        """Bits one design word takes in memory (and in the wrapper's converter)."""
        return -(-self.axis_bits // HP_BITS) * HP_BITS if self.wide else self.dma_bits

    @property
    def word_bytes(self) -> int:
        return self.mem_bits // 8

    @property
    def ratio(self) -> int:
        """DMA beats per design word."""
        return self.mem_bits // self.dma_bits


def input_fifo(st: Any) -> Fifo:
    """The wrapper's FIFO before the design's s_axis: one sample's words (at most
    :data:`INPUT_FIFO_MAX`), so the DMA keeps streaming while the first layer replays its
    input (an MVTU reads a vector during nf = 0 only)."""
    depth = max(2, min(st.in_words_per_sample, INPUT_FIFO_MAX))
    return Fifo(depth=depth, width=StreamLayout(st.in_bits).axis_bits, name="fifo_in")


def _passthrough() -> Schedule:
    """One beat per step: need it, produce it, free it; 2-beat buffer (module docstring)."""
    return Schedule(n_in=1, n_out=1, need=np.zeros(1, dtype=np.int64),
                    produces=np.ones(1, dtype=bool), frees=np.ones(1, dtype=np.int64),
                    capacity=2)


@dataclass(frozen=True)
class SystemGraph:
    """The stages and links of DMA + design for ``samples`` samples.

    ``feed``/``drain``: the stage driving the design's s_axis / taking its m_axis;
    ``design_in``/``design_out``: the link indices of s_axis and m_axis; ``head``: stages
    before the design; ``first``: index of the design's first node.
    """

    stages: tuple[Stage, ...]
    links: tuple[Link, ...]
    feed: int
    drain: int
    design_in: int
    design_out: int
    first: int

    def simulate(self) -> GraphTrace:
        offers = np.full(self.stages[0].in_words, DMA_SETUP_CYCLES, dtype=np.int64)
        return simulate_graph(self.stages, self.links, offers)


def system_graph(st: Any, samples: int) -> SystemGraph:
    """``mm2s -> [dwc_in] -> st's nodes -> [dwc_out] -> s2mm`` for ``samples`` samples."""
    lin, lout = StreamLayout(st.in_bits), StreamLayout(st.out_bits)
    w_in, w_out = samples * st.in_words_per_sample, samples * st.out_words_per_sample
    head = [Stage("mm2s", _passthrough(), w_in * lin.ratio)]
    if lin.ratio > 1:
        up = DataWidthConverter(in_width=HP_BITS, out_width=lin.mem_bits, name="dwc_in")
        head.append(Stage("dwc_in", up.schedule, w_in))
    head.append(Stage("fifo_in", input_fifo(st).schedule, w_in))
    tail = []
    if lout.ratio > 1:
        down = DataWidthConverter(in_width=lout.mem_bits, out_width=HP_BITS, name="dwc_out")
        tail.append(Stage("dwc_out", down.schedule, w_out))
    tail.append(Stage("s2mm", _passthrough(), w_out * lout.ratio))
    k, n = len(head), len(st.nodes)
    links = [Link(j - 1, j) for j in range(k)]  # memory -> mm2s [-> dwc_in]
    design_in = design_out = -1
    for ln in st.engine_links():
        src = k - 1 if ln.src < 0 else ln.src + k
        dst = k + n if ln.dst < 0 else ln.dst + k
        if ln.src < 0:
            design_in = len(links)
        if ln.dst < 0:
            design_out = len(links)
        links.append(Link(src, dst, ln.src_port, ln.dst_port, ln.name))
    links += [Link(k + n + j, k + n + j + 1 if j + 1 < len(tail) else -1)
              for j in range(len(tail))]
    return SystemGraph(tuple(head + st.stages(samples) + tail), tuple(links), k - 1, k + n,
                       design_in, design_out, k)


def split_batch(st: Any, batch: int) -> list[int]:
    """Samples per DMA transfer: whole samples, every buffer within :data:`MAX_TRANSFER_BYTES`
    (the driver splits the same way)."""
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ConfigError(f"batch size {batch!r} must be a positive int")
    per = max(st.in_words_per_sample * StreamLayout(st.in_bits).word_bytes,
              st.out_words_per_sample * StreamLayout(st.out_bits).word_bytes)
    most = MAX_TRANSFER_BYTES // per
    if most < 1:
        raise ConfigError(f"one sample needs {per} bytes, more than one DMA transfer "
                          f"({MAX_TRANSFER_BYTES} bytes)")
    return [most] * (batch // most) + ([batch % most] if batch % most else [])


@dataclass(frozen=True)
class Prediction:
    """Predicted figures of one batch at ``fclk_mhz`` (from cycles, never host time)."""

    batch: int
    cycles: int  # summed over the batch's transfers
    fclk_mhz: float
    in_bytes: int  # per sample in memory
    out_bytes: int

    @property
    def runtime_s(self) -> float:
        return self.cycles / (self.fclk_mhz * 1e6)

    @cached_property
    def fields(self) -> dict[str, float]:
        """FINN's throughput-test fields."""
        t = self.runtime_s
        return {"runtime[ms]": t * 1e3, "throughput[images/s]": self.batch / t,
                "DRAM_in_bandwidth[MB/s]": self.in_bytes * self.batch * 1e-6 / t,
                "DRAM_out_bandwidth[MB/s]": self.out_bytes * self.batch * 1e-6 / t,
                "fclk[mhz]": self.fclk_mhz, "batch_size": self.batch}


def transfer_cycles(st: Any, samples: int) -> int:
    """Predicted cycles of one DMA transfer of ``samples`` samples."""
    return system_graph(st, samples).simulate().cycles


def predict(st: Any, batch: int, fclk_mhz: float = 100.0) -> Prediction:
    """Predicted cycles and FINN's throughput fields of ``batch`` samples through the DMA."""
    if not fclk_mhz > 0:
        raise ConfigError(f"fclk {fclk_mhz!r} MHz must be positive")
    cache: dict[int, int] = {}
    for n in split_batch(st, batch):
        if n not in cache:
            cache[n] = transfer_cycles(st, n)
    cycles = sum(cache[n] for n in split_batch(st, batch))
    return Prediction(batch, cycles, float(fclk_mhz),
                      st.in_words_per_sample * StreamLayout(st.in_bits).word_bytes,
                      st.out_words_per_sample * StreamLayout(st.out_bits).word_bytes)
