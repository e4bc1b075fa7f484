"""The typed description of one SV core instance (:class:`CoreSpec`) and its parameters.

Port convention of the hand-written cores (``qsim/rtl``), which :class:`CoreSpec` describes
and :mod:`qsim.rtlsim.svgen` connects:

* one input port: ``in_valid_i``, ``in_ready_o``, ``in_data_i``; several: ``in<p>_valid_i``,
  ``in<p>_ready_o``, ``in<p>_data_i`` for p = 0, 1, ...;
* one output port: ``out_valid_o``, ``out_ready_i``, ``out_data_o``; several: the same names
  as packed vectors, port n at valid/ready bit n and data slice ``[n*W +: W]`` (all output
  ports of a core have the same width W).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from qsim.errors import ConfigError
from qsim.models._dtypes import BIPOLAR

__all__ = ["CoreSpec", "SvParam", "kind_code", "pack_values", "uint_param"]


@dataclass(frozen=True)
class SvParam:
    """One SV parameter: ``kind`` is "uint", "int", "bit", "mem" (a .mem file, see
    :mod:`qsim.rtlsim._memfile`) or "array" (an unpacked array of ``bits // elem`` elements of
    ``elem`` bits; ``value`` packs element 0 in the LSBs).

    Large constants are unpacked arrays on purpose: Verilator folds a packed concatenation
    pairwise, quadratic in its width (a 590 kbit weight parameter took 25 s to elaborate,
    as an array of 32-bit tiles 0.1 s).
    """

    name: str
    value: int
    kind: str
    comment: str
    bits: int = 0
    elem: int = 0


@dataclass(frozen=True)
class CoreSpec:
    """A core instance: module, parameters and word widths (unpadded).

    ``in_bits``/``out_bits`` are the widths of port 0; ``in_widths``/``out_widths`` give every
    port's width for multi-port cores (empty: one port of ``in_bits``/``out_bits``).
    """

    module: str
    owner: str
    params: tuple[SvParam, ...]
    in_bits: int
    out_bits: int
    in_widths: tuple[int, ...] = ()
    out_widths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for what, widths, first in (("in", self.in_widths, self.in_bits),
                                    ("out", self.out_widths, self.out_bits)):
            if widths and widths[0] != first:
                raise ConfigError(f"{self.owner}: {what}_widths={widths!r} must start with "
                                  f"{what}_bits={first!r}")
        if len(set(self.out_widths)) > 1:
            raise ConfigError(f"{self.owner}: output ports of one core share a width, got "
                              f"out_widths={self.out_widths!r}")

    @property
    def in_ports(self) -> int:
        """Number of input ports."""
        return max(1, len(self.in_widths))

    @property
    def out_ports(self) -> int:
        """Number of output ports."""
        return max(1, len(self.out_widths))

    def in_bits_of(self, port: int) -> int:
        """Word bits of input port ``port``."""
        return self._width(self.in_widths or (self.in_bits,), port, "input")

    def out_bits_of(self, port: int) -> int:
        """Word bits of output port ``port``."""
        return self._width(self.out_widths or (self.out_bits,), port, "output")

    def _width(self, widths: tuple[int, ...], port: int, what: str) -> int:
        if not 0 <= port < len(widths):
            raise ConfigError(f"{self.owner}: no {what} port {port!r} (it has {len(widths)})")
        return widths[port]

    @property
    def tag(self) -> str:
        """Instance name: the core module plus a hash of its parameters."""
        text = repr([(p.name, format(p.value, "x"), p.kind, p.bits, p.elem)
                     for p in self.params])
        return f"{self.module}_{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def kind_code(dt: Any) -> int:
    """Element kind code of the cores: 0 unsigned/BINARY, 1 signed INTn, 2 BIPOLAR."""
    if dt == BIPOLAR:
        return 2
    return 1 if dt.signed() else 0


def pack_values(values: npt.NDArray[Any], bits: int) -> int:
    """Flat values (C order) to one integer, element 0 in the least significant bits; values
    are taken modulo 2**bits (two's complement). Linear time: through a little-endian bit
    array, not repeated big-integer shifts."""
    flat = np.asarray(values, dtype=np.int64).ravel()
    codes = flat.view(np.uint64) & np.uint64((1 << bits) - 1 if bits < 64 else 2**64 - 1)
    # (n,) -> (n, bits) little-endian bit planes -> one little-endian byte string
    planes = (codes[:, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)
    packed = np.packbits(planes.astype(np.uint8).ravel(), bitorder="little")
    return int.from_bytes(packed.tobytes(), "little")


def uint_param(name: str, value: int, comment: str) -> SvParam:
    """An ``int unsigned`` parameter."""
    return SvParam(name, int(value), "uint", comment)
