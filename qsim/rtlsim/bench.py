"""cocotb test module run inside the simulator: drives and monitors every instance of a bench.

The pytest side (:mod:`qsim.rtlsim.check`) writes a plan (JSON, path in ``QSIM_BENCH_PLAN``):
per instance its port prefix, input words and output word count; per run the earliest offer
cycle of each input word and the downstream ready pattern of each instance. This module runs
the plan and writes what happened (JSON, path in ``QSIM_BENCH_RESULT``). A core with several
input or output ports lists them per instance (``inputs``/``outputs``, see :class:`_Instance`)
and gets one offer list per input port and one ready pattern per output port; the result keeps
port 0's events at the top level and every port's under ``in_ports``/``out_ports``.

Timing convention (DESIGN.md section 5): reset is held for a few edges and released at a
falling edge; the next rising edge is cycle 0. At the falling edge in the middle of cycle t
the driver reads the DUT outputs of cycle t (registers: they do not depend on the inputs it is
about to write), writes ``s_axis_tvalid/tdata`` and ``m_axis_tready`` for cycle t, and records
the handshakes that happen at rising edge t. One trigger per cycle keeps cocotb fast.

The driver holds word i from cycle ``max(offer[i], accept[i-1] + 1)`` until it is accepted and
records that first-offered cycle; the monitor records each transfer, its data and any breach
of the protocol (valid dropped or data changed while valid && !ready; words beyond the count).

Liveness watchdog: an unfinished instance is *quiet* in a cycle where no word moves on its
ports while it is not waiting on the bench (its next input word offered, its output ready).
After ``watchdog`` quiet cycles in a row, or at the run's cycle limit with instances
unfinished, the run stops and records each stalled instance's port state and word counts
(``stall``); the pytest side raises SimulationError with them.

Progress: at each run's reset release the simulation time of its cycle 0 is appended to
``<result>.progress``, so an SV assertion that stops the simulator (no result written) is
reported with the run and cycle it fired in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge
from cocotb.utils import get_sim_time

_RESET_EDGES = 3
_HALF_PERIOD_PS = 5000  # the clock is 10 ns


def _progress(name: str, cycle0_ps: int) -> None:
    """Append the simulation time of run ``name``'s cycle 0 to the progress file (``<result
    path>.progress``, one JSON line per run): an SV assertion that stops the simulator is
    reported with its run and cycle from it (see ``qsim.rtlsim._evidence``)."""
    path = Path(os.environ["QSIM_BENCH_RESULT"] + ".progress")
    with path.open("a") as fh:
        fh.write(json.dumps({"run": name, "cycle0_ps": int(cycle0_ps),
                             "period_ps": 2 * _HALF_PERIOD_PS}) + "\n")


class _InPort:
    """Upstream driver of one s_axis port."""

    def __init__(self, dut: Any, prefix: str, words: list[int], offer: list[int]) -> None:
        self.data = getattr(dut, f"{prefix}_tdata")
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.words = words
        self.offer_plan = offer
        self.offered: list[int] = []
        self.accepted: list[int] = []
        self.valid_drv = 0

    def idle(self) -> None:
        self.valid.value = 0
        self.data.value = 0
        self.valid_drv = 0

    def cycle(self, t: int) -> bool:
        """Drive cycle t, record an accept at edge t; True while waiting on its offer plan."""
        in_ready = int(self.ready.value)
        i = len(self.accepted)
        offer_due = i < len(self.words) and t >= self.offer_plan[i]
        if offer_due:
            if len(self.offered) == i:
                self.offered.append(t)
                self.data.value = self.words[i]
            if not self.valid_drv:
                self.valid.value = 1
                self.valid_drv = 1
            if in_ready:
                self.accepted.append(t)
        elif self.valid_drv:
            self.valid.value = 0
            self.valid_drv = 0
        return i < len(self.words) and not offer_due


class _OutPort:
    """Downstream monitor of one m_axis port."""

    def __init__(self, dut: Any, prefix: str, n_out: int, ready: str, name: str) -> None:
        self.data = getattr(dut, f"{prefix}_tdata")
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.n_out = n_out
        self.ready_plan = ready
        self.name = name
        self.transferred: list[int] = []
        self.words: list[int] = []
        self.protocol: list[str] = []
        self.ready_drv = -1
        self.stalled = False
        self.prev_data = 0

    def idle(self) -> None:
        self.ready.value = 0
        self.ready_drv = 0

    def cycle(self, t: int, hold: bool) -> int:
        """Drive ready for cycle t (low when ``hold``), record a transfer at edge t and any
        protocol breach; return the ready driven."""
        out_valid = int(self.valid.value)
        plan = 1 if t >= len(self.ready_plan) else int(self.ready_plan[t] == "1")
        rdy = 0 if hold else plan
        if rdy != self.ready_drv:
            self.ready.value = rdy
            self.ready_drv = rdy
        data = self.data.value.to_unsigned() if out_valid else 0
        if self.stalled and (not out_valid or data != self.prev_data):
            self.protocol.append(f"cycle {t}: {self.name}valid dropped or data changed while "
                                 f"stalled (valid={out_valid}, data {self.prev_data:#x} -> "
                                 f"{data:#x})")
        if out_valid and rdy:
            if len(self.words) >= self.n_out:
                self.protocol.append(f"cycle {t}: {self.name}extra output word {data:#x} "
                                     f"beyond the {self.n_out} expected")
            self.transferred.append(t)
            self.words.append(data)
        self.stalled = bool(out_valid and not rdy)
        self.prev_data = data
        return rdy


def _per_port(value: Any) -> list[Any]:
    """A run's offer list / ready string of one instance: one per port (a list of them) or,
    for a single port, the bare value."""
    if isinstance(value, list) and value and isinstance(value[0], (list, str)):
        return value
    return [value]


class _Instance:
    """Driver and monitor of one instance's AXI-Stream ports for one run.

    Plan of an instance: ``prefix``, ``in_words`` and ``n_out`` (a single-port core's
    ``s_axis``/``m_axis``), or ``inputs`` ([{"axis", "words"}]) and ``outputs`` ([{"axis",
    "n_out"}]) per port; ``hold_after_done``: drive ready low once every expected word moved
    (for cores whose next frame starts producing without input, e.g. top padding).
    """

    def __init__(self, dut: Any, inst: dict[str, Any], offer: Any, ready: Any) -> None:
        p = inst["prefix"]
        ins = inst.get("inputs") or [{"axis": "s_axis", "words": inst["in_words"]}]
        outs = inst.get("outputs") or [{"axis": "m_axis", "n_out": inst["n_out"]}]
        offers, readys = _per_port(offer), _per_port(ready)
        many = len(outs) > 1
        self.ins = [_InPort(dut, f"{p}{d['axis']}", d["words"], o) for d, o in zip(ins, offers)]
        self.outs = [_OutPort(dut, f"{p}{d['axis']}", d["n_out"], r,
                              f"{d['axis']}: " if many else "") for d, r in zip(outs, readys)]
        self.hold = bool(inst.get("hold_after_done", False))
        self.quiet = 0  # cycles in a row without progress or a bench-side wait

    def idle(self) -> None:
        for i in self.ins:
            i.idle()
        for o in self.outs:
            o.idle()

    @property
    def done(self) -> bool:
        return all(len(i.accepted) == len(i.words) for i in self.ins) and all(
            len(o.words) >= o.n_out for o in self.outs)

    def _moved(self) -> int:
        return sum(len(i.accepted) for i in self.ins) + sum(len(o.words) for o in self.outs)

    def cycle(self, t: int) -> None:
        """Drive cycle t and record the handshakes at rising edge t."""
        moved, hold = self._moved(), self.hold and self.done
        bench_wait = any([port.cycle(t) for port in self.ins])
        not_ready = not all([port.cycle(t, hold) for port in self.outs])
        # ---- liveness ----------------------------------------------------------------------
        if self.done or self._moved() > moved or bench_wait or not_ready:
            self.quiet = 0
        else:
            self.quiet += 1

    def result(self, cycles: int) -> dict[str, Any]:
        i0, o0 = self.ins[0], self.outs[0]
        return {"offer": i0.offered, "accept": i0.accepted, "transfer": o0.transferred,
                "words": o0.words, "protocol": [m for o in self.outs for m in o.protocol],
                "cycles": cycles,
                "in_ports": [{"offer": i.offered, "accept": i.accepted} for i in self.ins],
                "out_ports": [{"transfer": o.transferred, "words": o.words} for o in self.outs]}

    def stall_state(self) -> dict[str, Any]:
        """Port state (as driven and read in the cycle just run) and word counts for the
        watchdog report (the first stuck input port and the first unfinished output port)."""
        i = next((i for i in self.ins if len(i.accepted) < len(i.words)), self.ins[0])
        o = next((o for o in self.outs if len(o.words) < o.n_out), self.outs[0])
        return {"s_valid": i.valid_drv, "s_ready": int(i.ready.value),
                "m_valid": int(o.valid.value), "m_ready": o.ready_drv,
                "accepted": len(i.accepted), "in_words": len(i.words),
                "transferred": len(o.words), "out_words": o.n_out,
                "quiet": self.quiet}


async def _run(dut: Any, instances: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    insts = [_Instance(dut, inst, off, rdy)
             for inst, off, rdy in zip(instances, run["offer"], run["ready"])]
    dut.ap_rst_n.value = 0
    for inst in insts:
        inst.idle()
    for _ in range(_RESET_EDGES):
        await RisingEdge(dut.ap_clk)
    falling = FallingEdge(dut.ap_clk)
    await falling
    dut.ap_rst_n.value = 1
    _progress(run["name"], int(get_sim_time("ps")) + _HALF_PERIOD_PS)
    t, timeout = 0, int(run["timeout"])
    watchdog = int(run.get("watchdog", timeout + 1))
    stall: dict[str, Any] = {}
    while True:
        for inst in insts:
            inst.cycle(t)
        stuck = [k for k, inst in enumerate(insts) if inst.quiet >= watchdog]
        if not stuck and t >= timeout:  # the cycle limit: every unfinished instance
            stuck = [k for k, inst in enumerate(insts) if not inst.done]
        if stuck:
            stall = {"cycle": t, "watchdog": watchdog, "limit": t >= timeout,
                     "instances": {str(k): insts[k].stall_state() for k in stuck}}
            break
        if all(inst.done for inst in insts):
            break
        await falling
        t += 1
    return {"name": run["name"], "instances": [inst.result(t + 1) for inst in insts],
            "stall": stall}


@cocotb.test()
async def run_plan(dut: Any) -> None:
    """Run every run of the plan in order (reset between runs) and write the results."""
    plan = json.loads(Path(os.environ["QSIM_BENCH_PLAN"]).read_text())
    Clock(dut.ap_clk, 10, unit="ns").start()
    runs = [await _run(dut, plan["instances"], run) for run in plan["runs"]]
    Path(os.environ["QSIM_BENCH_RESULT"]).write_text(json.dumps({"runs": runs}))
