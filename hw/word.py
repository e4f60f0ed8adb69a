"""A one-word memory as registers, with the read and write ports of `lib.memory.Memory`.

A memory of depth 1 has a zero-width address, which Amaranth emits as `[-1:0]` (Verilator's
ASCRANGE). `LayerUnit` builds its one-word memories (the bias of a single channel group, the
`vw`/`cin` of a layer with one group at one position) from this class instead, so the Verilog
has no zero-width net and no waiver is needed. Semantics, exactly those of `Memory` for the
ports the layer uses:

- read port (`read_port(transparent_for=...)`): synchronous; `data` takes the word in the cycle
  after `en` and holds while `en` is low; transparent for a listed write port: a write in the
  same cycle as the read gives the written lanes' new values. Without a write port (ROM) the
  word is a constant and `data` is that constant (no register: it never changes).
- write port (`write_port(granularity=None|1)`): `en` one bit (whole word) or one bit per lane
  (granularity 1 on an `ArrayLayout` word), `data` the new word.
- `addr` of either port is an absent address: assigning to it adds nothing.

The word itself has no reset (it is memory contents; the soft and power-on resets leave it,
exactly like `Memory`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.lib import data


class NoAddress:
    """The address of a one-word memory: there is none, so `addr.eq(x)` assigns nothing."""

    def eq(self, value: object) -> list:
        return []


@dataclass
class WordPort:
    kind: str  # "read" | "write"
    en: Signal
    data: Signal
    addr: NoAddress = field(default_factory=NoAddress)
    transparent_for: tuple = ()


class WordMemory(Elaboratable):
    """Parameters: `shape` (the word, an `ArrayLayout` of lanes), `init` (a list with the one
    word's lanes, or empty for zeros). Ports are created with `read_port` / `write_port` before
    elaboration, as with `Memory`."""

    depth = 1

    def __init__(self, shape: data.ArrayLayout, init: list | None = None) -> None:
        self._shape = shape
        self._init = list(init[0]) if init else [0] * shape.length
        self._reads: list[WordPort] = []
        self._writes: list[WordPort] = []

    def read_port(self, *, transparent_for: tuple = ()) -> WordPort:
        p = WordPort("read", Signal(), Signal(self._shape), transparent_for=transparent_for)
        self._reads.append(p)
        return p

    def write_port(self, *, granularity: int | None = None) -> WordPort:
        lanes = self._shape.length if granularity else 1
        p = WordPort("write", Signal(lanes), Signal(self._shape))
        self._writes.append(p)
        return p

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        lanes = self._shape.length
        if not self._writes:  # a ROM word: a constant
            for r in self._reads:
                for j in range(lanes):
                    m.d.comb += r.data[j].eq(self._init[j])
            return m
        # One register per lane, each written only under its enable: synthesis infers enable
        # flip-flops and clock-gates them (a single word register with per-slice muxes is not).
        elem = self._shape.elem_shape
        regs = [
            Signal(elem, init=self._init[j], reset_less=True, name=f"lane{j}") for j in range(lanes)
        ]
        word = Signal(self._shape)
        new = Signal(self._shape)  # the word after this cycle's writes (the bypass value)
        for j in range(lanes):
            m.d.comb += [word[j].eq(regs[j]), new[j].eq(regs[j])]
        for w in self._writes:
            for j in range(lanes):
                with m.If(w.en[j if len(w.en) > 1 else 0]):
                    m.d.comb += new[j].eq(w.data[j])
                    m.d.sync += regs[j].eq(w.data[j])
        whole = [w for w in self._writes if len(w.en) == 1]
        for r in self._reads:
            if r.transparent_for and len(whole) == len(self._writes) == 1:
                # A whole-word write bypasses straight from its data. (Reading `new` instead
                # would share the lane registers' write mux, and a register whose D mux fans out
                # is not seen as an enable flip-flop, so synthesis would not clock-gate it.)
                with m.If(r.en & whole[0].en):
                    m.d.sync += r.data.eq(whole[0].data)
                with m.Elif(r.en):
                    m.d.sync += r.data.eq(word)
            else:
                with m.If(r.en):
                    m.d.sync += r.data.eq(new if r.transparent_for else word)
        return m
