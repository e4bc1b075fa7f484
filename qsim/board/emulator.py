"""The emulated board: a stand-in for the few pynq calls the package's driver makes.

The driver files run unmodified against this module, injected as ``pynq`` by the launcher
(``python -m qsim.board.launch DRIVER_SCRIPT ARGS``); it is never shipped as pynq. What it
offers, with pynq's names:

* ``Overlay(bitfile)``: finds the qsim package the bitfile belongs to (``qsim_package.json``
  in the bitfile's directory or a parent), loads the packaged model and folding, stitches the
  design and checks that the generated top equals the package's ``hw/rtl`` copy (the RTL the
  bitstream is built from). ``overlay.axi_dma_0`` is the DMA; ``clock_seconds()`` the board's
  time: the fclk cycles of every transfer so far (no host wall time);
* ``allocate(shape, dtype)``: a contiguous buffer (a numpy array) with ``flush``,
  ``invalidate``, ``physical_address`` and ``freebuffer``. The emulated caches are strict: the
  DMA reads what was last flushed and a received buffer shows the DMA's data only after
  ``invalidate`` (a driver that forgets either sees stale data here, as on the board);
* ``dma.sendchannel`` / ``dma.recvchannel``: ``transfer(buffer)`` and ``wait()``. When both
  channels hold a transfer the pair runs as :func:`qsim.board.board_run.run_transfer`; a
  buffer longer than the DMA's length register is refused (the driver must split).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import numpy as np

from qsim.board.dma import MAX_TRANSFER_BYTES
from qsim.errors import SimulationError, UsageError

__all__ = ["PACKAGE_MANIFEST", "Overlay", "PynqBuffer", "allocate", "find_package"]

PACKAGE_MANIFEST = "qsim_package.json"
_next_address = [0x1000_0000]


class PynqBuffer(np.ndarray):
    """A contiguous DMA buffer: host view (this array) and memory memory (a copy)."""

    physical_address: int
    memory: np.ndarray

    def flush(self) -> None:
        """Write the host's cache to memory: the DMA sees these bytes."""
        self.memory[...] = np.asarray(self)

    def invalidate(self) -> None:
        """Drop the host's cache: this array shows what the DMA wrote."""
        np.asarray(self)[...] = self.memory

    def freebuffer(self) -> None:
        pass

    def close(self) -> None:
        pass


def allocate(shape: Any, dtype: Any = np.uint32, **_: Any) -> PynqBuffer:
    """A zeroed buffer of ``shape`` and ``dtype`` (pynq.allocate)."""
    buf = np.zeros(shape, dtype=dtype).view(PynqBuffer)
    buf.memory = np.zeros(shape, dtype=dtype)
    buf.physical_address = _next_address[0]
    _next_address[0] += (buf.nbytes + 4095) // 4096 * 4096
    return buf


class _Channel:
    def __init__(self, dma: "_Dma", name: str):
        self.dma, self.name = dma, name
        self.buffer: Optional[PynqBuffer] = None

    @property
    def idle(self) -> bool:
        return self.buffer is None

    def transfer(self, buffer: PynqBuffer, *_: Any, **__: Any) -> None:
        if not isinstance(buffer, PynqBuffer):
            raise SimulationError(f"emulated DMA {self.name}: transfer of a "
                                  f"{type(buffer).__name__}, not an allocate() buffer")
        if buffer.nbytes > MAX_TRANSFER_BYTES:
            raise SimulationError(f"emulated DMA {self.name}: {buffer.nbytes} bytes exceed the "
                                  f"length register ({MAX_TRANSFER_BYTES} bytes); split it")
        if self.buffer is not None:
            raise SimulationError(f"emulated DMA {self.name}: transfer started while busy")
        self.buffer = buffer
        self.dma.start_if_ready()

    def wait(self) -> None:
        self.dma.start_if_ready()
        if self.buffer is not None:
            raise SimulationError(f"emulated DMA {self.name}: wait() would hang: the other "
                                  f"channel has no transfer")


class _Dma:
    """AXI DMA, simple mode: one MM2S and one S2MM transfer make one run of the design."""

    def __init__(self, board: "Overlay"):
        self.board = board
        self.sendchannel = _Channel(self, "MM2S")
        self.recvchannel = _Channel(self, "S2MM")

    def start_if_ready(self) -> None:
        send, recv = self.sendchannel.buffer, self.recvchannel.buffer
        if send is None or recv is None:
            return
        from qsim.board.board_run import run_transfer

        res = run_transfer(self.board.stitched, bytes(send.memory.view(np.uint8).reshape(-1)),
                           self.board.cache)
        out = np.frombuffer(res.out_bytes, dtype=np.uint8)
        dev = recv.memory.view(np.uint8).reshape(-1)
        if out.size > dev.size:
            raise SimulationError(f"emulated DMA S2MM: the design wrote {out.size} bytes into "
                                  f"a {dev.size}-byte buffer")
        dev[:out.size] = out
        self.board.cycles += res.cycles
        self.board.transfers.append(res.cycles)
        self.sendchannel.buffer = self.recvchannel.buffer = None


def find_package(bitfile: Path) -> Path:
    """The qsim package directory holding ``bitfile`` (UsageError when there is none)."""
    p = Path(bitfile).resolve()
    for d in [p.parent, *p.parents]:
        if (d / PACKAGE_MANIFEST).is_file():
            return d
    raise UsageError(f"emulated board: bitfile {str(bitfile)!r} is not inside a qsim package "
                     f"(no {PACKAGE_MANIFEST} above it)")


class Overlay:
    """pynq.Overlay for a qsim package (module docstring)."""

    def __init__(self, bitfile: str, download: bool = True, **_: Any):
        from qsim.frontend import load
        from qsim.pipeline import stitch
        from qsim.rtlsim.build import DEFAULT_CACHE
        from qsim.rtlsim.stitch import render_top

        self.package = find_package(Path(bitfile))
        meta = json.loads((self.package / PACKAGE_MANIFEST).read_text())
        design = load(str(self.package / meta["model"]), folding=str(self.package /
                                                                      meta["folding"]))
        self.stitched = stitch(design)
        packaged = self.package / "hw" / "rtl" / f"{self.stitched.top}.sv"
        body = render_top(self.stitched).split("\n", 1)[1]  # line 1 names the model file
        if not packaged.is_file() or packaged.read_text().split("\n", 1)[-1] != body:
            raise SimulationError(f"emulated board: {str(packaged)!r} is not the stitched top "
                                  f"of the packaged model and folding")
        self.fclk_mhz = float(meta["fclk_mhz"])
        self.cache = Path(DEFAULT_CACHE)
        self.cycles = 0
        self.transfers: list[int] = []
        setattr(self, meta.get("dma_name", "axi_dma_0"), _Dma(self))

    def clock_seconds(self) -> float:
        """The emulated board's time: fclk cycles of every transfer so far."""
        return self.cycles / (self.fclk_mhz * 1e6)
