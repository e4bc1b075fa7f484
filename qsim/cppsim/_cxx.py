"""Typed C++ text builders for the cppsim code generator.

Every piece of generated C++ is built from typed Python values (datatypes, ints, nested
arrays) by the functions here; nothing is pasted into a text template.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from qsim.models._dtypes import BIPOLAR, DType

__all__ = ["ap_type", "array_init", "codec", "int_literal", "template", "word_literal"]

_I64_MIN = -(2**63)


def codec(dt: DType) -> str:
    """The qsim element codec of a datatype: ``qsim::Int<4>``, ``qsim::UInt<8>``,
    ``qsim::Bipolar`` (BINARY is ``qsim::UInt<1>``)."""
    if dt == BIPOLAR:
        return "qsim::Bipolar"
    kind = "Int" if dt.signed() else "UInt"
    return f"qsim::{kind}<{int(dt.bitwidth())}>"


def ap_type(dt: DType) -> str:
    """The C++ type holding a datatype's values: ``ap_int<n>`` or ``ap_uint<n>``."""
    if dt == BIPOLAR:
        return "ap_int<2>"
    return f"ap_{'' if dt.signed() else 'u'}int<{int(dt.bitwidth())}>"


def int_literal(v: int) -> str:
    """A C++ literal of a signed 64-bit value (int64 min written as an expression)."""
    v = int(v)
    if not _I64_MIN <= v < 2**63:
        raise ValueError(f"{v!r} does not fit int64")
    if v == _I64_MIN:
        return "(-9223372036854775807LL - 1)"
    return f"{v}LL"


def word_literal(value: int, bits: int) -> str:
    """A packed word of ``bits`` bits: ``ap_uint<bits>(0x..ULL)`` up to 64 bits, else built
    from uint64 limbs (least significant first)."""
    value = int(value)
    if value < 0 or value >> bits:
        raise ValueError(f"word {value!r} does not fit {bits} bits")
    if bits <= 64:
        return f"ap_uint<{bits}>({value:#x}ULL)"
    limbs = [(value >> (64 * i)) & (2**64 - 1) for i in range((bits + 63) // 64)]
    return f"qsim::cppsim::word<{bits}>({{{', '.join(f'{v:#x}ULL' for v in limbs)}}})"


def template(name: str, args: Sequence[Any]) -> str:
    """``name<a, b, c>``; bools become ``true``/``false``."""
    def arg(a: Any) -> str:
        if isinstance(a, bool):
            return "true" if a else "false"
        return str(a)
    return f"{name}<{', '.join(arg(a) for a in args)}>"


def array_init(values: Any, fmt: Callable[[Any], str], indent: int = 2, width: int = 100) -> str:
    """Nested brace initializer of a nested list, elements formatted by ``fmt``."""
    pad = " " * indent
    if not isinstance(values, (list, tuple)):
        return fmt(values)
    if values and isinstance(values[0], (list, tuple)):
        inner = [array_init(v, fmt, indent + 2, width) for v in values]
        return "{\n" + ",\n".join(pad + "  " + s for s in inner) + "\n" + pad + "}"
    lines: list[str] = []
    line = ""
    for item in (fmt(v) for v in values):
        if line and len(pad) + len(line) + len(item) + 4 > width:
            lines.append(line)
            line = ""
        line = f"{line}, {item}" if line else item
    lines.append(line)
    if len(lines) == 1:
        return "{" + lines[0] + "}"
    return "{\n" + ",\n".join(pad + "  " + s for s in lines) + "\n" + pad + "}"
