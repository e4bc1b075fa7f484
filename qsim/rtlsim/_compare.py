"""Comparison of a bench run with the models: words, protocol and cycles per port.

An instance (``qsim.rtlsim.check._Instance``) carries ``cfg``, ``frames``, ``in_ports`` and
``out_ports`` (words per port); a run result is the bench's (:mod:`qsim.rtlsim.bench`).
"""

from __future__ import annotations

from typing import Any, Sequence

from qsim.models._block import Block

__all__ = ["compare"]


def _word_problem(inst: Any, k: int, run: str, m: int, exp: int, got: int,
                  cycle: int, port: str = "") -> str:
    w = inst.lane_bits
    mask = (1 << w) - 1
    block = isinstance(inst.cfg, Block)
    lanes = inst.cfg.out_stream.lanes if block else 1
    diff = exp ^ got
    lane = next((i for i in range(lanes) if (diff >> (i * w)) & mask), None)
    head = (f"{inst.cfg.owner} (instance i{k}), run {run!r}: output{port} word {m}")
    words = f"(word expected {exp:#x} got {got:#x}) at cycle {cycle}"
    if lane is None:
        return f"{head}: padding bits set {words}"
    if block:  # lane values in the output datatype
        fmt = inst.cfg.out_stream
        e_v, g_v = (int(fmt.unpack([v & ((1 << fmt.word_bits) - 1)])[0, lane])
                    for v in (exp, got))
        return f"{head} lane {lane}: expected {e_v!r} got {g_v!r} {words}"
    return (f"{head} lane {lane}: expected {(exp >> (lane * w)) & mask:#x} got "
            f"{(got >> (lane * w)) & mask:#x} {words}")


def _cycle_problems(inst: Any, k: int, run: str, what: str, exp: list[int],
                    got: list[int]) -> list[str]:
    where = f"{inst.cfg.owner} (instance i{k}), run {run!r}"
    if len(got) != len(exp):
        return [f"{where}: {len(got)} {what} events, expected {len(exp)}"]
    for i, (e, g) in enumerate(zip(exp, got)):
        if e != g:
            return [f"{where}: {what} of word {i} at cycle {g}, cycle model says {e}"]
    return []


def _port(n: int, p: int) -> str:
    return f" {p}" if n > 1 else ""


def compare(insts: Sequence[Any], plan: dict[str, Any],
             result: dict[str, Any]) -> list[str]:
    """Words, protocol and cycles of runs in which every instance finished (a stalled run
    raised SimulationError in :func:`_run_instances` before this). Every port of a
    multi-port core is held to the one cycle model (run with port 0's offers and ready) when
    the run drove the same pattern on every port; with independent port patterns
    (``cycles`` false in the run plan) only words and protocol are compared."""
    problems: list[str] = []
    for run_plan, run_res in zip(plan["runs"], result["runs"]):
        name = run_plan["name"]
        for k, (inst, res) in enumerate(zip(insts, run_res["instances"])):
            where = f"{inst.cfg.owner} (instance i{k}), run {name!r}"
            problems += [f"{where}: protocol: {p}" for p in res["protocol"]]
            n_out = len(inst.out_ports)
            for p, (exp, got) in enumerate(zip(inst.out_ports, res["out_ports"])):
                if len(got["words"]) != len(exp):
                    problems.append(f"{where}: output{_port(n_out, p)}: {len(got['words'])} "
                                    f"words, expected {len(exp)}")
                bad = next((m for m, (e, g) in enumerate(zip(exp, got["words"])) if e != g),
                           None)
                if bad is not None:
                    problems.append(_word_problem(inst, k, name, bad, exp[bad],
                                                  got["words"][bad], got["transfer"][bad],
                                                  _port(n_out, p)))
            if run_plan.get("cycles", True):
                problems += _port_cycles(inst, k, name, run_plan, res)
    return problems


def _port_cycles(inst: Any, k: int, name: str, run_plan: dict[str, Any],
                 res: dict[str, Any]) -> list[str]:
    """Accept cycles of every input port and transfer cycles of every output port against
    the cycle model run on port 0's recorded offers and ready pattern."""
    ready_plan = run_plan["ready"][k]
    ready = [c == "1" for c in (ready_plan if isinstance(ready_plan, str) else ready_plan[0])]
    model = inst.cfg.cycles(inst.frames, offer=res["offer"], ready=ready)
    n_in, n_out = len(res["in_ports"]), len(res["out_ports"])
    problems: list[str] = []
    for p, port in enumerate(res["in_ports"]):
        what = "accept" if n_in == 1 else f"accept (input {p})"
        problems += _cycle_problems(inst, k, name, what, model.accept.tolist(), port["accept"])
    for p, port in enumerate(res["out_ports"]):
        what = "transfer" if n_out == 1 else f"transfer (output {p})"
        problems += _cycle_problems(inst, k, name, what, model.transfer.tolist(),
                                    port["transfer"])
    return problems
