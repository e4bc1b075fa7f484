"""The accelerator on pynq: an Overlay with one AXI DMA in simple mode (FINN's driver shape).

``QsimAccel(bitfile, io_shape, batch_size)`` loads the bitstream, allocates contiguous
buffers, packs inputs (packing.py), runs MM2S and S2MM transfers and unpacks the outputs.
A batch whose buffer exceeds the DMA's length register (``max_transfer_bytes``) goes in
several transfers of whole samples.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import packing
from pynq import Overlay, allocate


class QsimAccel:
    def __init__(self, bitfile: str, io_shape: dict[str, Any], batch_size: int = 1):
        self.io = io_shape
        self.ol = Overlay(bitfile)
        self.dma = getattr(self.ol, io_shape["dma_name"])
        self.batch_size = batch_size
        self._bufs: dict[int, tuple[Any, Any]] = {}

    # ---- shapes --------------------------------------------------------------------------
    @property
    def in_bytes(self) -> int:
        return int(self.io["in_words_per_sample"]) * int(self.io["in_word_bytes"])

    @property
    def out_bytes(self) -> int:
        return int(self.io["out_words_per_sample"]) * int(self.io["out_word_bytes"])

    def chunks(self, n: int) -> list[int]:
        """Samples per transfer: whole samples, each buffer within the DMA's limit."""
        most = int(self.io["max_transfer_bytes"]) // max(self.in_bytes, self.out_bytes)
        return [most] * (n // most) + ([n % most] if n % most else [])

    def _buffers(self, n: int) -> tuple[Any, Any]:
        if n not in self._bufs:
            self._bufs[n] = (allocate(shape=(n * self.in_bytes,), dtype=np.uint8),
                             allocate(shape=(n * self.out_bytes,), dtype=np.uint8))
        return self._bufs[n]

    # ---- transfers -----------------------------------------------------------------------
    def transfer(self, n: int) -> None:
        """Run the DMA on the first ``n`` samples' buffers (already packed and flushed)."""
        ibuf, obuf = self._buffers(n)
        self.dma.recvchannel.transfer(obuf)
        self.dma.sendchannel.transfer(ibuf)
        self.dma.sendchannel.wait()
        self.dma.recvchannel.wait()

    def execute(self, x: np.ndarray) -> np.ndarray:
        """Integer inputs (N, *ishape) -> integer outputs (N, *oshape)."""
        io = self.io
        x = np.asarray(x).reshape((-1, *io["ishape"]))
        outs, start = [], 0
        for n in self.chunks(x.shape[0]):
            ibuf, obuf = self._buffers(n)
            ibuf[:] = packing.pack(x[start:start + n], io["idt"], io["in_lanes"],
                                   io["in_word_bytes"])
            ibuf.flush()
            self.transfer(n)
            obuf.invalidate()
            y = packing.unpack(np.array(obuf), io["odt"], io["out_lanes"], io["out_word_bytes"])
            outs.append(y.reshape((n, *io["oshape"])))
            start += n
        return np.concatenate(outs)

    def _clock(self) -> float:
        # the emulated board keeps a clock of fclk cycles; the board has wall time
        clock = getattr(self.ol, "clock_seconds", None)
        return float(clock()) if clock is not None else time.perf_counter()

    def throughput_test(self) -> dict[str, float]:
        """FINN's fields for ``batch_size`` samples (transfers only, buffers ready)."""
        chunks = self.chunks(self.batch_size)
        for n in set(chunks):
            self._buffers(n)
        t0 = self._clock()
        for n in chunks:
            self.transfer(n)
        runtime = self._clock() - t0
        b = self.batch_size
        return {"runtime[ms]": runtime * 1e3, "throughput[images/s]": b / runtime,
                "DRAM_in_bandwidth[MB/s]": self.in_bytes * b * 1e-6 / runtime,
                "DRAM_out_bandwidth[MB/s]": self.out_bytes * b * 1e-6 / runtime,
                "fclk[mhz]": float(self.io["fclk_mhz"]), "batch_size": b}


def top1(y: np.ndarray, label: str) -> np.ndarray:
    """Predicted class per sample: the output itself (``index``) or its argmax."""
    y = np.asarray(y).reshape(y.shape[0], -1)
    return y[:, 0] if label == "index" else np.argmax(y, axis=1)
