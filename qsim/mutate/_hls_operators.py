"""Mutation operators over the qsim HLS headers (``hls/qsim/*.hpp``): one site of one line each.

The same :class:`~qsim.mutate._operators.Mutant` as the SV operators (``file`` is the header's
name inside ``hls/qsim``). Only code that synthesises is mutated: never a comment, a
preprocessor line (``#pragma HLS`` included), a ``static_assert``, a ``template <...>`` line, a
``QSIM_COUNT_TRIP`` / ``QSIM_ASSERT_*`` statement, nor anything inside ``#ifndef
__SYNTHESIS__`` (or the ``#else`` of ``#ifdef __SYNTHESIS__``): those are cppsim's own checks
and fast paths, not the kernel.

Operators (name: what one mutant of it does):

==========  ====================================================================================
``cmp``     a comparison flipped: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``
``const``   an integer literal +1 or -1 (suffix kept: ``0LL`` -> ``1LL``); never in the
            initializer of a packed word (``<LANES * T::width>`` or a typedef of one): the
            kernels write every lane of such a word before it is used
``bound``   a comparison's non-literal right operand +1 or -1 (loop bounds, counter wraps)
``lane``    a ``lane``/``set_lane`` lane index ``p`` -> ``(p ^ 1)`` (lanes 0<->1, 2<->3, ...)
``index``   two adjacent subscripts swapped: ``a[i][j]`` -> ``a[j][i]``
``sign``    a declared ``ap_int`` <-> ``ap_uint`` (the escaped MVTU accumulator's class); never
            on a packed word ``<LANES * T::width>``: its lanes are read and written through
            ``lane``/``set_lane``/``range``, never as one number, so its signedness cannot change
            a result (the flipped word converts to ``ap_uint`` bit for bit or does not compile)
``width``   a declared ``ap_int<W>``/``ap_uint<W>`` one bit short: ``<W - 1>``
``drop``    one operand of an ``&&`` or ``||`` removed
``invert``  a condition inverted: ``if (c)``/``while (c)`` -> ``(!(c))``, ``c ? a : b`` ->
            ``!(c) ? a : b``
``arith``   a binary ``+`` turned into ``-`` or ``-`` into ``+``
``stmt``    an expression statement deleted (an assignment, increment or call: a lost counter
            reset, a missed write)
==========  ====================================================================================

The headers follow clang-format (binary operators between spaces, template brackets tight:
``ap_uint<W>``), which is what tells a comparison from a template bracket here.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from ._operators import Mutant, scan_operand

__all__ = ["HLS_OPERATORS", "hls_mutable_lines", "hls_mutants_of"]

_Site = tuple[int, int, str]  # (start, end, replacement) in a line's code part
_SKIP_STMT = re.compile(r"^\s*(static_assert\b|template\s*<|QSIM_[A-Z_]+\s*\()")
_SYNTH_IF = re.compile(r"^#\s*(ifndef\s+__SYNTHESIS__|if\s+!\s*defined\s*\(\s*__SYNTHESIS__)")


def _code(line: str) -> str:
    """A line's code with ``//`` comments cut and string literals blanked (same length)."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', line)
    at = code.find("//")
    return code if at < 0 else code[:at]


def _no_block_comments(lines: list[str]) -> list[str]:
    """``lines`` with ``/* ... */`` comments blanked (positions kept)."""
    text = "\n".join(lines)
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    return text.split("\n")


def _preprocess(code: str, stack: list[list[bool]]) -> None:
    """Track ``#if`` nesting in ``stack``: per open ``#if``, [tests __SYNTHESIS__, the current
    branch is cppsim-only]."""
    if re.match(r"#\s*if", code):
        synth = "__SYNTHESIS__" in code
        stack.append([synth, synth and bool(_SYNTH_IF.match(code))])
    elif re.match(r"#\s*el", code) and stack and stack[-1][0]:
        stack[-1][1] = not stack[-1][1]
    elif re.match(r"#\s*endif", code) and stack:
        stack.pop()


def hls_mutable_lines(text: str) -> list[int]:
    """0-based indices of the lines a mutant may change (see the module doc)."""
    out: list[int] = []
    stack: list[list[bool]] = []
    in_stmt = False  # inside a skipped statement spanning several lines
    for i, raw in enumerate(_no_block_comments(text.split("\n"))):
        code = _code(raw).strip()
        if code.startswith("#"):
            _preprocess(code, stack)
            continue
        if in_stmt or _SKIP_STMT.match(code):
            in_stmt = not code.endswith((";", "{"))
            continue
        if code and not any(cppsim_only for _, cppsim_only in stack):
            out.append(i)
    return out


def _masked_templates(code: str) -> str:
    """``code`` with every template argument list blanked (``lane<W, PE>(x)`` ->
    ``lane<     >(x)``, same length), so its commas and brackets are not operators."""
    out = list(code)
    for m in re.finditer(r"\w<", code):
        depth, i = 0, m.start() + 1
        while i < len(code):
            depth += {"<": 1, ">": -1}.get(code[i], 0)
            if depth == 0:
                break
            i += 1
        for j in range(m.start() + 2, min(i, len(code))):
            out[j] = " "
    return "".join(out)


_CMP = re.compile(r"(?:(?<=[\w)\]])|(?<=--)|(?<=\+\+)) (<=|>=|<|>|==|!=) (?=[\w(!-])")
_FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}


def _cmp(code: str) -> Iterator[_Site]:
    for m in _CMP.finditer(_masked_templates(code)):
        yield m.start(1), m.end(1), _FLIP[m.group(1)]


def _const(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"(?<![\w.])(\d+)(?=(?:ULL|LL|UL|U|L)?(?![\w.]))", code):
        n = int(m.group(1))
        yield m.start(), m.end(), str(n + 1)
        if n > 0:
            yield m.start(), m.end(), str(n - 1)


def _stops(code: str, i: int) -> bool:
    """Whether position ``i`` (bracket depth 0) ends an operand of a logical operator, a
    comparison or a condition: ``&&``, ``||``, ``?``, ``:``, ``,``, ``;``, a brace or an
    assignment."""
    two, prev = code[i:i + 2], code[max(i - 1, 0):i + 1]
    if "&&" in (two, prev) or "||" in (two, prev):
        return True
    if code[i] in ",;?{}" or code[i] == ":" and ":" not in (code[i - 1:i], code[i + 1:i + 2]):
        return True  # (a scope ``::`` is not a separator)
    prev_ch, next_ch = (code[i - 1] if i else " "), code[i + 1:i + 2]
    return code[i] == "=" and next_ch != "=" and prev_ch not in "=<>!"  # ``=``, ``+=``, ...


def _operand(code: str, start: int, step: int) -> int:
    """The end of a C++ operand in template-masked ``code`` (see
    :func:`~qsim.mutate._operators.scan_operand`)."""
    return scan_operand(code, start, step, ("([", ")]"), _stops)


def _bound(code: str) -> Iterator[_Site]:
    masked = _masked_templates(code)
    for m in _CMP.finditer(masked):
        end = _operand(masked, m.end(), +1)
        rhs = code[m.end():end].rstrip()
        if rhs and not re.fullmatch(r"\d+\w*", rhs):  # a literal: ``const`` covers it
            at = m.end() + len(rhs)
            yield at, at, " + 1"
            yield at, at, " - 1"


def _lane(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"\b(?:set_)?lane<[^()]*>\(\s*[\w.\[\]]+\s*,\s*(\w+)\s*[,)]", code):
        yield m.start(1), m.end(1), f"({m.group(1)} ^ 1)"


def _is_declaration(code: str) -> bool:
    return re.match(r"\s*(?:static\s+|const\s+|typename\s+)*[\w:]+(?:<[^;=]*>)?\s+\w+\s*\[",
                    code) is not None


def _index(code: str) -> Iterator[_Site]:
    if _is_declaration(code):
        return  # an array's dimensions, not an access
    for m in re.finditer(r"\[([^\[\]]+)\]\[([^\[\]]+)\]", code):
        if m.group(1).strip() != m.group(2).strip():
            yield m.start(), m.end(), f"[{m.group(2)}][{m.group(1)}]"


_DECL = re.compile(r"^\s*(?:(?:static|const|typedef|inline)\s+)*(ap_u?int)<")


def _declared_type(code: str) -> tuple[int, int, int] | None:
    """(start of ``ap_int``/``ap_uint``, start of its argument, index of its ``>``) when the
    line declares something of that type (a name follows the type), else None."""
    m = _DECL.match(code)
    if not m:
        return None
    depth, i = 0, m.end() - 1
    while i < len(code):
        depth += {"<": 1, ">": -1}.get(code[i], 0)
        if depth == 0:
            break
        i += 1
    if not re.match(r"\s+\w", code[i + 1:]):
        return None  # a cast or a reference parameter, not a declaration
    return m.start(1), m.end(), i


# the width of a packed word, LANES * T::width (T::out_width for an activation's output)
_PACKED_WIDTH = r"\s*\w+\s*\*\s*[\w:]+::(?:out_)?width\s*"
_PACKED = re.compile(_PACKED_WIDTH)


def _sign(code: str) -> Iterator[_Site]:
    decl = _declared_type(code)
    if decl and not _PACKED.fullmatch(code[decl[1]:decl[2]]):
        kind = code[decl[0]:decl[1] - 1]
        yield decl[0], decl[1] - 1, "ap_uint" if kind == "ap_int" else "ap_int"


def _width(code: str) -> Iterator[_Site]:
    decl = _declared_type(code)
    if decl:
        yield decl[2], decl[2], " - 1"


def _drop(code: str) -> Iterator[_Site]:
    masked = _masked_templates(code)
    for m in re.finditer(r"\s*(&&|\|\|)\s*", masked):
        left = _operand(masked, m.start() - 1, -1) + 1
        kw = re.match(r"\s*return\b", masked[left:m.start()])
        left += kw.end() if kw else 0
        right = _operand(masked, m.end(), +1)
        lhs, rhs = code[left:m.start()], code[m.end():right]
        if lhs.strip() and rhs.strip():
            yield left + len(lhs) - len(lhs.lstrip()), m.end(), ""  # keep the right operand
            yield m.start(), right - (len(rhs) - len(rhs.rstrip())), ""  # keep the left one


def _invert(code: str) -> Iterator[_Site]:
    masked = _masked_templates(code)
    m = re.search(r"\b(?:if|while)\s*\(", masked)
    if m:
        depth = 0
        for end in range(m.end() - 1, len(code)):  # to the ``)`` that closes the condition
            depth += {"(": 1, ")": -1}.get(masked[end], 0)
            if depth == 0:
                yield m.end() - 1, end + 1, f"(!({code[m.end():end]}))"
                break
    for q in re.finditer(r"\s\?\s", masked):
        start = _operand(masked, q.start() - 1, -1) + 1
        kw = re.match(r"\s*return\b", masked[start:q.start()])
        start += kw.end() if kw else 0
        cond = code[start:q.start()]
        lead = len(cond) - len(cond.lstrip())
        if cond.strip():
            yield start + lead, q.start(), f"!({cond.strip()})"


def _arith(code: str) -> Iterator[_Site]:
    masked = _masked_templates(code)
    for m in re.finditer(r"(?<=[\w)\]]) ([+-]) (?=[\w(])", masked):
        yield m.start(1), m.end(1), "-" if m.group(1) == "+" else "+"


_STMT = re.compile(r"^(\s*)((?:\+\+|--)?[A-Za-z_]\w*(?:\.\w+|\[[^\]]*\]|\([^;]*\))*\s*"
                   r"(?:[-+*/%&|^]?=(?!=).*|\+\+|--)?;)\s*$")


def _stmt(code: str) -> Iterator[_Site]:
    m = _STMT.match(code)
    if m and not re.match(r"(return|break|continue)\b", m.group(2)):
        yield m.start(2), m.end(2), "/* deleted */;"


#: Every operator by name: a function from a line's code part to its mutation sites.
HLS_OPERATORS: dict[str, Callable[[str], Iterator[_Site]]] = {
    "cmp": _cmp, "const": _const, "bound": _bound, "lane": _lane, "index": _index,
    "sign": _sign, "width": _width, "drop": _drop, "invert": _invert, "arith": _arith,
    "stmt": _stmt}


def _packed_init(text: str) -> re.Pattern[str]:
    """Matches a packed word declared with a literal initial value: ``ap_uint<PE * T::width>
    y = 0;``, or ``out_word y = 0;`` after ``typedef ap_uint<PE * ...> out_word;``."""
    packed = rf"ap_u?int<{_PACKED_WIDTH}>"
    names = re.findall(rf"typedef\s+{packed}\s+(\w+)\s*;", text)
    types = "|".join([packed, *names])
    return re.compile(rf"\s*(?:const\s+)?(?:{types})\s+\w+\s*=\s*\d+\s*;")


def hls_mutants_of(file: str, text: str) -> list[Mutant]:
    """Every mutant the operators make of ``text`` (the header ``file``), in line order."""
    lines = text.split("\n")
    clean = _no_block_comments(lines)
    packed_init = _packed_init(text)
    out: list[Mutant] = []
    seen: set[tuple[int, str]] = set()
    for i in hls_mutable_lines(text):
        code = _code(clean[i])
        for op, fn in HLS_OPERATORS.items():
            if op == "const" and packed_init.match(code):
                continue
            for start, end, rep in fn(code):
                after = lines[i][:start] + rep + lines[i][end:]
                if after == lines[i] or (i, after) in seen:
                    continue
                seen.add((i, after))
                out.append(Mutant(file, i + 1, op, lines[i], after))
    return out
