"""cocotb test module run inside the simulator: drives and monitors every instance of a bench.

The pytest side (:mod:`qsim.rtlsim.check`) writes a plan (JSON, path in ``QSIM_BENCH_PLAN``):
per instance its port prefix, input words and output word count; per run the earliest offer
cycle of each input word and the downstream ready pattern of each instance. This module runs
the plan and writes what happened (JSON, path in ``QSIM_BENCH_RESULT``).

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
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

_RESET_EDGES = 3


class _Instance:
    """Driver and monitor of one instance's AXI-Stream ports for one run."""

    def __init__(self, dut: Any, inst: dict[str, Any], offer: list[int], ready: str) -> None:
        p = inst["prefix"]
        self.s_data = getattr(dut, f"{p}s_axis_tdata")
        self.s_valid = getattr(dut, f"{p}s_axis_tvalid")
        self.s_ready = getattr(dut, f"{p}s_axis_tready")
        self.m_data = getattr(dut, f"{p}m_axis_tdata")
        self.m_valid = getattr(dut, f"{p}m_axis_tvalid")
        self.m_ready = getattr(dut, f"{p}m_axis_tready")
        self.words: list[int] = inst["in_words"]
        self.n_out: int = inst["n_out"]
        self.offer_plan = offer
        self.ready_plan = ready
        self.offered: list[int] = []
        self.accepted: list[int] = []
        self.transferred: list[int] = []
        self.out_words: list[int] = []
        self.protocol: list[str] = []
        self.valid_drv = 0
        self.ready_drv = -1
        self.stalled = False
        self.prev_data = 0
        self.quiet = 0  # cycles in a row without progress or a bench-side wait

    def idle(self) -> None:
        self.s_valid.value = 0
        self.s_data.value = 0
        self.m_ready.value = 0
        self.valid_drv = 0
        self.ready_drv = 0

    @property
    def done(self) -> bool:
        return len(self.accepted) == len(self.words) and len(self.out_words) >= self.n_out

    def cycle(self, t: int) -> None:
        """Drive cycle t and record the handshakes at rising edge t."""
        in_ready = int(self.s_ready.value)
        out_valid = int(self.m_valid.value)
        moved = len(self.accepted) + len(self.transferred)
        # ---- upstream driver -------------------------------------------------------------
        i = len(self.accepted)
        offer_due = i < len(self.words) and t >= self.offer_plan[i]
        bench_wait = i < len(self.words) and not offer_due
        if offer_due:
            if len(self.offered) == i:
                self.offered.append(t)
                self.s_data.value = self.words[i]
            if not self.valid_drv:
                self.s_valid.value = 1
                self.valid_drv = 1
            if in_ready:
                self.accepted.append(t)
        elif self.valid_drv:
            self.s_valid.value = 0
            self.valid_drv = 0
        # ---- downstream monitor ------------------------------------------------------------
        rdy = 1 if t >= len(self.ready_plan) else int(self.ready_plan[t] == "1")
        if rdy != self.ready_drv:
            self.m_ready.value = rdy
            self.ready_drv = rdy
        data = self.m_data.value.to_unsigned() if out_valid else 0
        if self.stalled and (not out_valid or data != self.prev_data):
            self.protocol.append(f"cycle {t}: output valid dropped or data changed while "
                                 f"stalled (valid={out_valid}, data {self.prev_data:#x} -> "
                                 f"{data:#x})")
        if out_valid and rdy:
            if len(self.out_words) >= self.n_out:
                self.protocol.append(f"cycle {t}: extra output word {data:#x} beyond the "
                                     f"{self.n_out} expected")
            self.transferred.append(t)
            self.out_words.append(data)
        self.stalled = bool(out_valid and not rdy)
        self.prev_data = data
        # ---- liveness ----------------------------------------------------------------------
        progress = len(self.accepted) + len(self.transferred) > moved
        if self.done or progress or bench_wait or not rdy:
            self.quiet = 0
        else:
            self.quiet += 1

    def result(self, cycles: int) -> dict[str, Any]:
        return {"offer": self.offered, "accept": self.accepted, "transfer": self.transferred,
                "words": self.out_words, "protocol": self.protocol, "cycles": cycles}

    def stall_state(self) -> dict[str, Any]:
        """Port state (as driven and read in the cycle just run) and word counts for the
        watchdog report."""
        return {"s_valid": self.valid_drv, "s_ready": int(self.s_ready.value),
                "m_valid": int(self.m_valid.value), "m_ready": self.ready_drv,
                "accepted": len(self.accepted), "in_words": len(self.words),
                "transferred": len(self.out_words), "out_words": self.n_out,
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
