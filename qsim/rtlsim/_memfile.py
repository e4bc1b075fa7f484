"""``.mem`` files of the cores' read-only memories (``qsim_rom``, ``$readmemh``).

A memory is an :class:`~qsim.rtlsim._corespec.SvParam` of kind ``"mem"``: ``value`` packs its
words, word 0 in the least significant ``elem`` bits, ``bits // elem`` words. The package
declares the file name as a string parameter (``<NAME>`` = ``{`QSIM_MEM_DIR, "<file>"}``) and
the generator writes the file from the same value, one word per line in hex (most significant
digit first, ``ceil(elem / 4)`` digits), as ``$readmemh`` reads it in Verilator, yosys and
Vivado. ``QSIM_MEM_DIR`` is empty unless a build defines it (Verilator reads the file at run
time, relative to the simulation's working folder, so its builds pass the absolute folder).
"""

from __future__ import annotations

import numpy as np

from qsim.rtlsim._corespec import CoreSpec, SvParam

__all__ = ["MEM_DIR_MACRO", "mem_file_name", "mem_files", "mem_text"]

#: Macro that prefixes every .mem file name in the generated packages.
MEM_DIR_MACRO = "QSIM_MEM_DIR"


def mem_file_name(spec: CoreSpec, p: SvParam) -> str:
    """File name of memory parameter ``p`` of ``spec``: ``<tag>_<name without _FILE>.mem``."""
    stem = p.name.lower().removesuffix("_file")
    return f"{spec.tag}_{stem}.mem"


def mem_text(p: SvParam) -> str:
    """The ``$readmemh`` text of memory parameter ``p``: one hex word per line."""
    depth, width = p.bits // p.elem, p.elem
    raw = np.frombuffer(p.value.to_bytes((p.bits + 7) // 8 or 1, "little"), dtype=np.uint8)
    # little-endian bits -> (depth, width) -> padded to whole bytes -> big-endian bytes per word
    bits = np.unpackbits(raw, bitorder="little")[:depth * width].reshape(depth, width)
    bits = np.pad(bits, ((0, 0), (0, (-width) % 8)))
    words = np.packbits(bits, axis=1, bitorder="little")[:, ::-1]
    digits = (width + 3) // 4
    return "".join(row.tobytes().hex()[-digits:] + "\n" for row in words)


def mem_files(spec: CoreSpec) -> list[tuple[str, str]]:
    """(file name, text) of every memory of ``spec``."""
    return [(mem_file_name(spec, p), mem_text(p)) for p in spec.params if p.kind == "mem"]
