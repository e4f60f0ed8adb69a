"""The fused engine's weight ROM: one bank per weight tensor, whose address moves only when
that bank is read.

A ROM built as logic costs energy whenever its address changes, read or not: the address
decodes through the whole bank. One bank for every tensor would make each read of the first
layer's few weights (most of a beat's reads) walk the decoder of every weight of the network. So
each tensor is its own bank, and a bank's address is held (`hold`) in every cycle it is not
read: only the bank read toggles, and a small bank costs little per read. The banks share one
data register, the MAC array's weight operand, loaded only with a read (`en`).

Ports: `en` (read this cycle), `bank` and `addr` (which bank, the word within it) in; `data`
out, the word read, one cycle later, held until the next read. A one-word bank is a constant.

`sync_ports` (the FPGA build, `HwConfig.block_ram`): the same ports and timing built from one
synchronous read port per bank, enabled only when that bank is read (so it holds its word, as
the held address does), and a register naming the bank read last that selects among the banks'
outputs. An FPGA's block RAM reads only synchronously: so the banks go to block RAM there,
where the held-address banks would be logic.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.fused.plan import FusedPlan
from ecg_snn.hw.memories import memory_rows
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import index_bits


def weight_banks(plan: FusedPlan, art: Artifact) -> dict[tuple[int, str], list[list[int]]]:
    """Every weight tensor's rows (`memory_rows` layout: g*row_len + r) by (layer index, kind),
    kind "weight" or "rr_weight"."""
    banks = {}
    for p in plan.layers:
        banks[(p.index, "weight")] = memory_rows(p.geo, art.weight(p.layer))
        if p.layer.rr_inputs:
            banks[(p.index, "rr_weight")] = memory_rows(p.geo, art.rr_weight(p.layer))
    return banks


def bank_name(key: tuple[int, str]) -> str:
    """The bank's memory name in the Verilog: `w2` (layer 2's weights), `rr2` (its RR weights)."""
    index, kind = key
    return f"{'w' if kind == 'weight' else 'rr'}{index}"


class WeightRom(wiring.Component):
    """Parameters: `plan`, `artifact` (the banks' contents, `weight_banks`). `ids[key]` is the
    `bank` number of tensor `key`."""

    def __init__(self, plan: FusedPlan, artifact: Artifact, sync_ports: bool = False) -> None:
        self._banks = weight_banks(plan, artifact)
        self._sync_ports = sync_ports
        self.ids = {key: i for i, key in enumerate(self._banks)}
        self._word = data.ArrayLayout(signed(plan.weight_bits), plan.lanes)
        depth = max(len(rows) for rows in self._banks.values())
        super().__init__(
            {
                "en": In(1),
                "bank": In(range(max(2, len(self._banks)))),
                "addr": In(index_bits(depth)),
                "data": Out(self._word),
            }
        )

    def elaborate(self, platform: object) -> Module:
        m = Module()
        if self._sync_ports:
            self._sync_banks(m)
        else:
            self._held_banks(m)
        return m

    def _bank(self, m: Module, key: tuple[int, str], rows: list[list[int]]) -> Memory:
        """Tensor `key`'s bank: a memory of its `rows`, a submodule named `bank_name(key)`."""
        mem = Memory(shape=self._word, depth=len(rows), init=rows)
        m.submodules[bank_name(key)] = mem
        return mem

    def _held_banks(self, m: Module) -> None:
        """Banks read combinationally, each address held while another bank is read; one data
        register after the bank multiplexer."""
        word = Signal(self._word)  # the selected bank's word, this cycle
        for key, rows in self._banks.items():
            i = self.ids[key]
            if len(rows) == 1:
                out = self._word.const(rows[0])
            else:
                rd = self._bank(m, key, rows).read_port(domain="comb")
                # no reset: its value matters only as "unchanged", and a reset would cost logic
                hold = Signal(index_bits(len(rows)), reset_less=True, name=f"hold_{bank_name(key)}")
                take = self.en & (self.bank == i)
                m.d.comb += rd.addr.eq(Mux(take, self.addr, hold))
                with m.If(take):
                    m.d.sync += hold.eq(self.addr)
                out = rd.data
            with m.If(self.bank == i):
                m.d.comb += word.eq(out)
        q = Signal(self._word, reset_less=True)  # memory contents: no reset, as `Memory`'s
        with m.If(self.en):
            m.d.sync += q.eq(word)
        m.d.comb += self.data.eq(q)

    def _sync_banks(self, m: Module) -> None:
        """Banks behind synchronous read ports (block RAM), each enabled only when read, so its
        output holds the word until its next read; the multiplexer after them follows the bank
        read last (`last`, loaded with the read), so `data` holds too."""
        last = Signal.like(self.bank, reset_less=True)  # written by the first read of a beat
        with m.If(self.en):
            m.d.sync += last.eq(self.bank)
        for key, rows in self._banks.items():
            i = self.ids[key]
            if len(rows) == 1:
                out = self._word.const(rows[0])
            else:
                rd = self._bank(m, key, rows).read_port()
                m.d.comb += [rd.en.eq(self.en & (self.bank == i)), rd.addr.eq(self.addr)]
                out = rd.data
            with m.If(last == i):
                m.d.comb += self.data.eq(out)
