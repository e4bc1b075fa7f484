"""cocotb test for ``tests/data/smoke_counter.sv``, launched by ``tests/test_toolchain.py``.

Not collected by pytest (no ``test_`` prefix); the simulator imports it by module name.
Inputs change on the falling edge; outputs are sampled in the read-only phase after a rising edge.
"""

from __future__ import annotations

from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


async def _tick(dut: Any) -> int:
    """Wait for the next rising edge and return ``count_o`` once it has settled."""
    await RisingEdge(dut.clk_i)
    await ReadOnly()
    return int(dut.count_o.value.to_unsigned())


@cocotb.test(timeout_time=10, timeout_unit="us")
async def counter_counts_holds_and_wraps(dut: Any) -> None:
    """Reset, count 20 enabled edges (wrapping at 16), hold for 3, then reset again."""
    width = len(dut.count_o)
    assert width == 4, f"count_o is {width} bits wide, expected 4 (parameter Width)"
    Clock(dut.clk_i, 10, unit="ns").start()
    dut.rst_ni.value = 0
    dut.en_i.value = 1
    for _ in range(2):
        assert await _tick(dut) == 0, "count_o not cleared by reset"
    await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 1
    for edge in range(1, 21):
        got = await _tick(dut)
        assert got == edge % 16, f"enabled edge {edge}: count_o={got}, expected {edge % 16}"
    await FallingEdge(dut.clk_i)
    dut.en_i.value = 0
    for edge in range(3):
        got = await _tick(dut)
        assert got == 4, f"disabled edge {edge}: count_o={got}, expected it to hold 4"
    await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 0
    assert await _tick(dut) == 0, "count_o not cleared by a reset after counting"
