"""Evidence of a simulation that stopped: the SV assertions that fired, with their text, the
instance (block name and bench instance), the run and the cycle.

Verilator prints a failed immediate assertion as::

    [60000] %Error: qsim_mvtu.sv:240: Assertion failed in qsim_bench.u_i0.u_core.gen...: text

(time in ps with the benches' 1 ns / 1 ps timescale). The bench appends, at each run's reset
release, the time of that run's cycle 0 to ``<result>.progress`` (:mod:`qsim.rtlsim.bench`);
the cycle of an assertion is ``(time - cycle0) / period`` in the last run that started before
it. A native harness run (no progress file) gets the raw time and its own cycle mapping.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["Assertion", "assertion_report", "parse_assertions"]

_LINE = re.compile(r"^\[(?P<time>\d+)\] %(?:Error|Fatal|Warning): (?P<src>[^:\s]+:\d+): "
                   r"Assertion failed in (?P<scope>\S+?):? (?P<text>.*)$")
_OTHER = re.compile(r"^\[(?P<time>\d+)\] %(?:Error|Fatal)(?:-[A-Z]+)?: (?P<src>[^:\s]+:\d+): "
                    r"(?P<text>.*)$")
_INST = re.compile(r"\bu_i(\d+)\b")
_MAX_SHOWN = 5


@dataclass(frozen=True)
class Assertion:
    """One failed SV assertion (or $error/$fatal) from a simulator log."""

    time_ps: int
    source: str      # file:line of the assertion
    scope: str       # hierarchical scope, e.g. qsim_bench.u_i0.u_core.gen_check_acc
    text: str        # the assertion's message
    instance: Optional[int]  # bench instance k (``u_i<k>``), None outside an instance


def parse_assertions(log_text: str) -> list[Assertion]:
    """Every failed assertion (and other timed %Error/%Fatal) in a Verilator log, in order."""
    out: list[Assertion] = []
    for line in log_text.splitlines():
        m = _LINE.match(line.strip())
        if m is None:
            m2 = _OTHER.match(line.strip())
            if m2 is None or "Verilog $stop" in m2.group("text"):
                continue
            out.append(Assertion(int(m2.group("time")), m2.group("src"), "", m2.group("text"),
                                 None))
            continue
        inst = _INST.search(m.group("scope"))
        out.append(Assertion(int(m.group("time")), m.group("src"), m.group("scope"),
                             m.group("text").strip(), int(inst.group(1)) if inst else None))
    return out


def _runs(progress: Optional[Path]) -> list[tuple[str, int, int]]:
    """(run name, cycle-0 time in ps, clock period in ps) of every run that started."""
    if progress is None or not progress.is_file():
        return []
    runs = []
    for line in progress.read_text().splitlines():
        try:
            rec = json.loads(line)
            runs.append((str(rec["run"]), int(rec["cycle0_ps"]), int(rec["period_ps"])))
        except (ValueError, KeyError, TypeError):
            continue
    return runs


def _where(a: Assertion, runs: Sequence[tuple[str, int, int]]) -> str:
    started = [r for r in runs if r[1] - r[2] // 2 <= a.time_ps]
    if not started:
        return f"time {a.time_ps} ps"
    name, cycle0, period = started[-1]
    return f"run {name!r}, cycle {(a.time_ps - cycle0) // period}"


def assertion_report(log: Path, progress: Optional[Path], owners: Sequence[str]) -> str:
    """Lines naming each failed assertion of ``log`` (text, block, instance, run, cycle,
    source), or "" when the log holds none. ``owners[k]`` names bench instance k."""
    if not log.is_file():
        return ""
    found = parse_assertions(log.read_text(errors="replace"))
    if not found:
        return ""
    runs = _runs(progress)
    lines = []
    for a in found[:_MAX_SHOWN]:
        who = (f"{owners[a.instance]} (instance i{a.instance}, {a.scope})"
               if a.instance is not None and a.instance < len(owners) else a.scope or "bench")
        lines.append(f"SV assertion failed in {who}, {_where(a, runs)}: {a.text} "
                     f"[{a.source}]")
    if len(found) > _MAX_SHOWN:
        lines.append(f"... and {len(found) - _MAX_SHOWN} more")
    return "\n  ".join(lines)
