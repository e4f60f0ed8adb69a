"""The `TB` base: clock, reset and the timing discipline every driver and monitor follows.

Timing discipline (simulator independent, and safe on Verilator, where values read right after
a rising edge are already the post-edge values):

- the TB *writes* DUT inputs only right after a rising clock edge;
- it *samples* handshakes (`valid & ready`) at the falling edge, when every input written after
  the rising edge has settled through the combinational logic;
- a transfer therefore happens at the rising edge following a falling edge where both were high.

The clock runs in C++ (`Clock(..., impl="gpi")`, chosen by cocotb when inertial writes are
trusted, which the Verilator runner sets), or, for a design wrapped by `sim/tb/hdl_clock.py`,
inside the simulator itself; either way Python only wakes up on the awaits the drivers and
monitors ask for, never once per cycle by itself.
"""

from __future__ import annotations

import os
from typing import Any

from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from ecg_snn.sim.tb import hdl_clock

PERIOD_NS = 10


class TB:
    """Clock and reset around a DUT with ports `clk` and `rst` (synchronous, active high)."""

    def __init__(self, dut: Any, *, clk: str = "clk", rst: str = "rst", period_ns: int = PERIOD_NS):
        self.dut = dut
        self.clk = getattr(dut, clk)
        self.rst = getattr(dut, rst)
        self.period_ns = period_ns
        # Edge triggers are built once: awaiting a prebuilt trigger is the cheapest await.
        self.rising = RisingEdge(self.clk)
        self.falling = FallingEdge(self.clk)
        self.rst.value = 1
        hdl_period = os.environ.get(hdl_clock.ENV)
        if hdl_period:
            # The design was wrapped with a Verilog clock (`sim/tb/hdl_clock.py`).
            self.period_ns = int(hdl_period)
        else:
            Clock(self.clk, period_ns, unit="ns").start()

    def cycle(self) -> int:
        """Clock cycles since time 0 (rising edges fall on multiples of the period)."""
        return int(get_sim_time("ns")) // self.period_ns

    async def cycles(self, n: int) -> None:
        """Let `n` rising edges pass; returns right after the last one."""
        if n > 0:
            await ClockCycles(self.clk, n)

    async def reset(self, cycles: int = 2) -> None:
        """Hold `rst` high for `cycles` rising edges, release it and return right after the
        first edge with `rst` low (the DUT is out of reset and the TB may write inputs)."""
        self.rst.value = 1
        await self.cycles(cycles)
        self.rst.value = 0
        await self.rising
