"""Work-driven clocking: a part of a design clocked only in the cycles it can change.

`work_clocked(m, part, en, clock_gate)` gives `part` the clock enable `en` (`EnableInserter`:
its registers hold in every other cycle, in every simulator and on an FPGA) and, in the ASIC
build (`clock_gate`, the library's clock-gate cell), puts it in its own clock domain behind one
such cell at the root of its clock tree, so that while it waits its tree does not toggle
either. The cell is redundant with the enable (a register of `part` changes only in a cycle
with `en` high either way): it cannot change what the part computes, only what its clock costs.
RTL simulators take the cell's behavioural model (`flow/asic/gate.py`, `ICG_MODEL_VERILOG`).
The reset is ORed into the enable here: `EnableInserter` lets a reset through with the enable
low, but a closed clock gate would not, so the gated build would then miss a reset the RTL
takes.
"""

from __future__ import annotations

from amaranth.hdl import (
    ClockDomain,
    ClockSignal,
    DomainRenamer,
    Elaboratable,
    EnableInserter,
    Instance,
    Module,
    ResetSignal,
    Signal,
)


def work_clocked(
    m: Module, name: str, part: Elaboratable, en: Signal, clock_gate: str | None
) -> Elaboratable:
    """`part` clocked only while `en` or the reset is high (module docstring); the clock
    domain and the gate cell are named after `name`. Returns what to add to `m` as a
    submodule."""
    run = Signal(name=f"{name}_en")
    m.d.comb += run.eq(en | ResetSignal())
    part = EnableInserter(run)(part)
    if not clock_gate:
        return part
    m.domains += ClockDomain(name, local=True)
    m.d.comb += ResetSignal(name).eq(ResetSignal())
    gclk = Signal(name=f"{name}_clk")
    m.submodules[f"{name}_gate"] = Instance(clock_gate, i_CE=run, i_CLK=ClockSignal(), o_GCLK=gclk)
    m.d.comb += ClockSignal(name).eq(gclk)
    return DomainRenamer(name)(part)
