"""The dense layers' accumulators in block RAM: the fused engine's FPGA build
(`HwConfig.block_ram`); the ASIC build keeps them in flip-flops (`core.py`).

In flip-flops, a dense layer of G groups costs G x lanes x acc_bits registers, a G-way read
multiplexer for the MAC, another for the fire stage, and a write decoder: on an iCE40 UP5K the
shipped model's dense layer (48 groups at one lane) does not fit beside the rest. Here each
dense layer of two groups or more is one memory of G words (a word: the `lanes` accumulators
of a group; a one-group layer stays in registers), with one write port and one synchronous
read port, shared by the two readers without a cycle more:

    MAC (read-modify-write)  the read is issued with the operation (the issue cycle, when the
                             weight ROM is read too), so the word arrives with the weight in
                             the MAC cycle, whose sum is written back at its end. No read
                             needs that sum in the cycle it is written, so the port needs no
                             forwarding: a FEED walks the layer's groups in turn for each
                             count, and a layer here has two groups or more, so consecutive
                             operations never meet on one group
    fire                     in every other cycle the port reads the group the fire stage of
                             this layer needs next: group g + 1 once group g of it has fired
                             (`cur` = the layer, `fired`: in its FIRE or the FEED of its
                             counts), group g before (the RR FEED into a later RR layer runs
                             with `cur` already on the first dense layer, group 0), else
                             group 0. A dense FIRE is always entered from a cycle without an
                             operation (a FIRE, a FEED's drain cycle, IN), and no operation
                             writes a layer while it fires (its FEEDs go to the next layer),
                             so the word read is the one to fire

Every conv FEED and RR FEED runs before the tail's first dense FIRE, hence the same holds for
them. The schedule, and so the cycle model (`cycles.py`), are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Module, Mux, Value, signed
from amaranth.lib import data
from amaranth.lib.memory import Memory

from ecg_snn.hw.fused.plan import FusedPlan, LayerPlan


def in_block_ram(plan: FusedPlan, p: LayerPlan) -> bool:
    """Whether dense layer `p`'s accumulators are a memory: in the FPGA build, with two groups
    or more (one group is one word: registers, with no multiplexer to save)."""
    return plan.block_ram and not p.conv and p.geo.groups > 1


@dataclass(frozen=True)
class AccBank:
    """One dense layer's accumulator memory: `word`, its read port's data (the group read in
    the cycle before); `write`, its write port (`addr` the group, `data`, `en`)."""

    word: Value
    write: object


def acc_banks(
    m: Module,
    plan: FusedPlan,
    first_dest: dict[int, int],
    op: dict[str, Value],
) -> dict[int, AccBank]:
    """One `AccBank` per dense layer of `plan` in block RAM (`in_block_ram`), by layer index
    (module docstring).
    `first_dest[l]`: layer l's group 0 `dest` number; `op`: the issue stage's `issue` and
    `dest`, and the schedule's `cur` (the layer being fired), `g` (its group) and `fired`
    (that group has fired)."""
    banks = {}
    for p in plan.layers:
        if not in_block_ram(plan, p):
            continue
        G, first = p.geo.groups, first_dest[p.index]
        word = data.ArrayLayout(signed(p.acc_bits), plan.lanes)
        mem = Memory(shape=word, depth=G, init=[])
        m.submodules[f"acc{p.index}"] = mem
        wr = mem.write_port()
        rd = mem.read_port()
        mine = op["issue"] & (op["dest"] >= first) & (op["dest"] < first + G)
        fire_next = Mux(op["cur"] == p.index, op["g"] + op["fired"], 0)
        m.d.comb += rd.addr.eq(Mux(mine, op["dest"] - first, fire_next))
        banks[p.index] = AccBank(rd.data, wr)
    return banks
