"""Mutation operators over the project's SystemVerilog: each one changes one site of one line.

Only a module's body is mutated: after its port list and before ``endmodule``, outside
``ifndef SYNTHESIS`` sections (protocol checkers, assertions) and outside the elaboration
checks (``gen_check_*`` blocks holding a ``$fatal``) and off reset lines (an inverted reset is
killed by any test at all). Comments are never touched. Parameter
defaults in the header are not mutated either: every generated top overrides them, so such a
mutant could not change any simulated design.

Operators (name: what one mutant of it does):

==============  =============================================================================
``cmp``         a comparison flipped: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``
``const``       an integer literal +1 or -1 (in an expression or a parameter expression)
``param``       a parameter expression +1 or -1: an instance's ``.P(expr)`` or a localparam
``bit``         a one-bit literal inverted: ``1'b0`` <-> ``1'b1``
``lane``        a part-select's lane index ``i`` swapped with its neighbour: ``[i*W +: W]`` ->
                ``[(i ^ 1)*W +: W]`` (lanes 0<->1, 2<->3, ...)
``drop``        one operand of an ``&&`` or a binary ``&`` removed (a dropped valid/ready term)
``width``       a declaration truncated by one bit: ``logic [W-1:0] x`` -> ``logic [W-2:0] x``
``invert``      a condition inverted: ``if (c)`` -> ``if (!(c))``, ``(c) ? a : b`` ->
                ``!(c) ? a : b``
``or``          an ``||`` turned into ``&&``
``arith``       a binary ``+`` turned into ``-`` or ``-`` into ``+``
``stuck``       a signal stuck at 0 or at all-ones: the right side of an ``assign`` or of a
                non-blocking assignment, or an input connection ``.x_i(sig)`` of an instance
                (a stuck valid/ready/pop), replaced by ``'0`` or ``'1``
                (a one-bit literal right side is left to ``bit``); an output connection
                ``.x_o(sig)`` of an instance left open: ``.x_o()``
``negate``      the right side of an ``assign`` or a non-blocking assignment inverted
                bitwise: ``assign x = ~(e);``
``not``         a logical ``!`` removed: ``!a`` -> ``a``
``hold``        a non-blocking assignment removed (the register keeps its value there)
``cond``        an ``if`` condition forced true or false: ``if (1'b1)``, ``if (1'b0)``
==============  =============================================================================
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator, Optional

__all__ = ["OPERATORS", "Mutant", "apply_mutant", "mutable_lines", "mutants_of"]


@dataclass(frozen=True)
class Mutant:
    """One mutant: ``file``'s line ``line`` (1-based) with ``before`` replaced by ``after``."""

    file: str
    line: int
    op: str
    before: str
    after: str

    @property
    def id(self) -> str:
        """A stable name: file stem, line, operator and a short hash of the change."""
        h = hashlib.sha256(f"{self.file}:{self.line}:{self.before}->{self.after}".encode())
        stem = self.file.rsplit(".", 1)[0]
        return f"{stem}-L{self.line}-{self.op}-{h.hexdigest()[:8]}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Mutant":
        return cls(file=str(d["file"]), line=int(d["line"]), op=str(d["op"]),
                   before=str(d["before"]), after=str(d["after"]))

    def diff(self) -> str:
        """A unified-diff-like view of the change."""
        return (f"--- {self.file}:{self.line}\n+++ {self.file}:{self.line} ({self.op})\n"
                f"-{self.before}\n+{self.after}\n")


def _code_and_comment(line: str) -> tuple[str, str]:
    """Split a line at its ``//`` comment (string literals are kept whole)."""
    in_str = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_str = not in_str
        elif not in_str and line.startswith("//", i):
            return line[:i], line[i:]
    return line, ""


def _strings_masked(code: str) -> str:
    """``code`` with string literals blanked (same length), so no operator matches inside."""
    return re.sub(r'"[^"]*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', code)


def mutable_lines(text: str) -> list[int]:
    """0-based indices of the lines a mutant may change (module bodies, see the module doc)."""
    lines = text.split("\n")
    out: list[int] = []
    in_body = in_nosynth = False
    check_depth = 0
    for i, raw in enumerate(lines):
        code = _code_and_comment(raw)[0].strip()
        if re.match(r"^\);", code) and not in_body:
            in_body = True
            continue
        if code.startswith("endmodule"):
            in_body = False
        if code.startswith("`ifndef SYNTHESIS"):
            in_nosynth = True
        if not in_body or in_nosynth or code.startswith("`"):
            if code.startswith("`endif"):
                in_nosynth = False
            continue
        if re.search(r"begin\s*:\s*gen_check", code):
            check_depth = 1
            continue
        if check_depth:
            check_depth += code.count("begin") - len(re.findall(r"\bend\b", code))
            continue
        if code and not re.search(r"\$fatal|\$error|\$display|\brst_ni\b", code):
            out.append(i)
    return out


_Site = tuple[int, int, str]  # (start, end, replacement) in a line's code part


def _cmp(code: str) -> Iterator[_Site]:
    flip = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
    for m in re.finditer(r"(?<![<>=!+:-])(<=|>=|==|!=|<|>)(?![<>=])", code):
        op = m.group(1)
        if op == "<=" and _nonblocking(code, m.start()):
            continue  # a nonblocking assignment, not a comparison
        yield m.start(), m.end(), flip[op]


def _const(code: str) -> Iterator[_Site]:
    ranges = [r.span() for r in re.finditer(r"-\s*1\s*:\s*0\]", code)]  # [W-1:0]: ``width``
    for m in re.finditer(r"(?<![\w'.$])(\d+)(?![\w'.])", code):
        if any(lo <= m.start() < hi for lo, hi in ranges):
            continue
        v = int(m.group(1))
        yield m.start(), m.end(), str(v + 1)
        if v > 0:
            yield m.start(), m.end(), str(v - 1)


def _bit(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"1'b([01])", code):
        yield m.start(), m.end(), "1'b" + ("0" if m.group(1) == "1" else "1")


def _lane(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"\[\s*([a-z]\w*)\s*\*[^\[\]]*\+:", code):
        yield m.start(1), m.end(1), f"({m.group(1)} ^ 1)"


def _nonblocking(code: str, i: int) -> bool:
    """Whether the ``<=`` at ``i`` is a nonblocking assignment (only an lvalue before it)."""
    return re.search(r"(?:^|[);]|\belse|\bbegin)\s*[\w.]+(\[[^\]]*\])*\s*$",
                     code[:i]) is not None


def _stops(code: str, i: int, op: str) -> bool:
    """Whether position ``i`` (bracket depth 0) ends an operand of the binary ``op``
    (``&&`` or ``&``): a lower-precedence operator, an assignment or a separator."""
    ch, two, prev = code[i], code[i:i + 2], code[i - 1:i + 1] if i else ""
    if "&&" in (two, prev) or "||" in (two, prev):
        return True
    if ch in ",;?:" or (op == "&" and ch in "&|^"):
        return True
    near = (code[i - 1] if i else " ") + (code[i + 1] if i + 1 < len(code) else " ")
    if ch == "=" and not any(c in "=<>!" for c in near):
        return True  # an assignment
    if two == "<=" and _nonblocking(code, i) or prev == "<=" and _nonblocking(code, i - 1):
        return True
    return False


def scan_operand(code: str, start: int, step: int, brackets: tuple[str, str],
                 stops: Callable[[str, int], bool]) -> int:
    """Index just past the operand that starts at ``start`` going ``step`` (+1 right, -1
    left): at an unbalanced bracket (``brackets`` = openers, closers) or where ``stops``
    says, once the operand has begun (a unary operator at its start never ends it)."""
    depth, i, seen = 0, start, False
    opens, closes = brackets if step > 0 else brackets[::-1]
    while 0 <= i < len(code):
        ch = code[i]
        if ch in opens:
            depth += 1
        elif ch in closes:
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and seen and stops(code, i):
            return i
        seen = seen or not ch.isspace()
        i += step
    return i


def _operand_end(code: str, start: int, step: int, op: str) -> int:
    """The end of an SV operand of ``op`` (see :func:`scan_operand`)."""
    return scan_operand(code, start, step, ("([{", ")]}"), lambda c, i: _stops(c, i, op))


def _drop(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"\s*(&&|&)\s*(?=[\w(!~{$'&|^])", code):
        op, at = m.group(1), m.start(1)
        if op == "&" and "&&" in (code[at:at + 2], code[at - 1:at + 1]):
            continue  # half of an ``&&``
        before = code[:m.start()].rstrip()
        if not before or before[-1] not in "_)]}" and not before[-1].isalnum():
            continue  # a reduction ``&x``, not a binary operator
        left = _operand_end(code, m.start() - 1, -1, op) + 1
        kw = re.match(r"\s*return\b", code[left:m.start()])
        left += kw.end() if kw else 0
        right = _operand_end(code, m.end(), +1, op)
        lhs, rhs = code[left:m.start()], code[m.end():right]
        if not lhs.strip() or not rhs.strip():
            continue
        lead = len(lhs) - len(lhs.lstrip())
        yield left + lead, m.end(), ""                      # keep the right operand
        trail = len(rhs) - len(rhs.rstrip())
        yield m.start(), right - trail, ""                  # keep the left operand


def _width(code: str) -> Iterator[_Site]:
    m = re.match(r"\s*logic\s+(?:signed\s+)?\[([^\[\]]*?)-\s*1\s*:\s*0\]", code)
    if m:
        yield m.start(1), m.end(0), m.group(1) + "-2:0]"


def _if_condition(code: str) -> Optional[tuple[int, int, str]]:
    """(start, end, text) of the parenthesised condition of the line's ``if``, if any."""
    m = re.search(r"\bif\s*\(", code)
    if m:
        depth = 0
        for end in range(m.end() - 1, len(code)):  # to the ``)`` that closes the condition
            depth += {"(": 1, ")": -1}.get(code[end], 0)
            if depth == 0:
                return m.end() - 1, end + 1, code[m.end():end]
    return None


def _invert(code: str) -> Iterator[_Site]:
    cond = _if_condition(code)
    if cond:
        yield cond[0], cond[1], f"(!({cond[2]}))"
    for q in re.finditer(r"\)\s*\?", code):
        depth = 0
        for i in range(q.start(), -1, -1):  # back to the ``(`` that matches the ``)``
            depth += {")": 1, "(": -1}.get(code[i], 0)
            if depth == 0:
                if i == 0 or not (code[i - 1].isalnum() or code[i - 1] in "_'$"):
                    yield i, i, "!"  # a parenthesised condition, not a call or a cast
                break


def _param(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"\.([A-Z][A-Z0-9_]*)\s*\(([^()\"]*(?:\([^()]*\)[^()\"]*)*)\)", code):
        yield m.start(2), m.end(2), f"{m.group(2).strip()} + 1"
        yield m.start(2), m.end(2), f"{m.group(2).strip()} - 1"
    lp = re.match(r"\s*localparam\b[^=]*\b[A-Z][A-Z0-9_]*\s*=\s*([^;]+);", code)
    if lp:
        yield lp.start(1), lp.end(1), f"({lp.group(1).strip()}) + 1"
        yield lp.start(1), lp.end(1), f"({lp.group(1).strip()}) - 1"


def _or(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"\|\|", code):
        yield m.start(), m.end(), "&&"


def _arith(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"(?<=[\w)\]])(\s+)([+-])(\s+)(?=[\w(])", code):
        if code[:m.start()].count("[") > code[:m.start()].count("]"):
            continue  # inside a bit range or index: the const and width operators cover it
        yield m.start(2), m.end(2), "-" if m.group(2) == "+" else "+"


_ASSIGN = re.compile(r"^\s*assign\s+[^=]+?=(?!=)\s*(.+?)\s*;\s*$")
_NONBLOCKING = re.compile(r"^\s*[\w.]+(?:\[[^\]]*\])*\s*<=\s*(.+?)\s*;\s*$")
_CLOCK_RESET = ("clk_i", "rst_ni")
_LITERAL = re.compile(r"^(?:\d*'[bdh]?[0-9a-fA-FxX_]+|\d+)$")


def _stuck(code: str) -> Iterator[_Site]:
    m = _ASSIGN.match(code) or _NONBLOCKING.match(code)
    if m and not _LITERAL.match(m.group(1)):
        for rep in ("'0", "'1"):
            yield m.start(1), m.end(1), rep
    for c in re.finditer(r"\.(\w+_([io]))\s*\(([^()]+)\)", code):
        if c.group(1) in _CLOCK_RESET:
            continue
        if c.group(2) == "o":
            yield c.start(3), c.end(3), ""
            continue
        for rep in ("'0", "'1"):
            yield c.start(3), c.end(3), rep


def _negate(code: str) -> Iterator[_Site]:
    m = _ASSIGN.match(code) or _NONBLOCKING.match(code)
    if m and not _LITERAL.match(m.group(1)):
        yield m.start(1), m.end(1), f"~({m.group(1)})"


def _not(code: str) -> Iterator[_Site]:
    for m in re.finditer(r"!(?!=)\s*(?=[\w(])", code):
        yield m.start(), m.end(), ""


def _hold(code: str) -> Iterator[_Site]:
    m = _NONBLOCKING.match(code)
    if m:
        lead = len(code) - len(code.lstrip())
        yield lead, len(code.rstrip()), ";"


def _cond(code: str) -> Iterator[_Site]:
    cond = _if_condition(code)
    if cond:
        yield cond[0], cond[1], "(1'b1)"
        yield cond[0], cond[1], "(1'b0)"


#: Every operator by name: a function from a line's code part to its mutation sites.
OPERATORS: dict[str, Callable[[str], Iterator[_Site]]] = {
    "width": _width, "cmp": _cmp, "const": _const, "param": _param, "bit": _bit, "lane": _lane,
    "drop": _drop, "invert": _invert, "or": _or, "arith": _arith, "stuck": _stuck,
    "negate": _negate, "cond": _cond, "not": _not, "hold": _hold}


def mutants_of(file: str, text: str) -> list[Mutant]:
    """Every mutant the operators make of ``text`` (the contents of ``file``), in line order."""
    lines = text.split("\n")
    out: list[Mutant] = []
    seen: set[tuple[int, str]] = set()
    for i in mutable_lines(text):
        code, comment = _code_and_comment(lines[i])
        masked = _strings_masked(code)
        for op, fn in OPERATORS.items():
            for start, end, rep in fn(masked):
                after = code[:start] + rep + code[end:] + comment
                if after == lines[i] or (i, after) in seen:
                    continue
                seen.add((i, after))
                out.append(Mutant(file, i + 1, op, lines[i], after))
    return out


def apply_mutant(text: str, mutant: Mutant) -> str:
    """``text`` with ``mutant`` applied; refuses when the line no longer reads ``before``."""
    lines = text.split("\n")
    if lines[mutant.line - 1] != mutant.before:
        raise ValueError(f"mutant {mutant.id!r}: line {mutant.line} of {mutant.file!r} is "
                         f"{lines[mutant.line - 1]!r}, expected {mutant.before!r}")
    lines[mutant.line - 1] = mutant.after
    return "\n".join(lines)
