"""Output decision unit: argmax over the output layer's final membranes, lowest index on ties.

Input `i` carries the output layer's new membranes one channel group (`lanes` values) per
transfer, in group order, `last` on the final group; it is taken from the output layer's fire
scan in the last timestep. Equations (`model.contract.golden.decide`)::

    cls    = min { k : V[k] = max_j V[j] }        (strict > while scanning keeps the lowest index)
    result = pack_result(ResultLayout.of(spec), cls, V)      (`model/contract/ports.py`)

Contract: `i.ready = ~o.valid`, so the unit takes one group per cycle until it holds a result;
`o` is registered and stays valid until taken. Latency: `o.valid` rises the cycle after the
`last` group. Padding lanes (channel index >= n_classes) are ignored.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.config import Checked
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.model.contract.spec import ceil_div


def values_layout(lanes: int, value_bits: int) -> data.StructLayout:
    return data.StructLayout({"values": data.ArrayLayout(signed(value_bits), lanes), "last": 1})


class Decision(Checked, wiring.Component):
    """Parameters: `layout` (the result word, `model.contract.ports.ResultLayout`), `lanes`."""

    @classmethod
    def check(cls, layout: ResultLayout, lanes: int) -> None:
        if layout.n_classes < 2:
            raise ValueError(f"a decision needs at least two classes, not {layout.n_classes}")

    def __init__(self, layout: ResultLayout, lanes: int) -> None:
        self._layout = layout
        self._lanes = lanes
        super().__init__(
            {
                "i": In(stream.Signature(values_layout(lanes, layout.value_bits))),
                "o": Out(stream.Signature(layout.width)),
            }
        )

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        lay, lanes = self._layout, self._lanes
        n, vb = lay.n_classes, lay.value_bits
        groups = ceil_div(n, lanes)
        g = Signal(range(max(2, groups)))
        # No reset: `vals` are read only with o.valid, `best_*` only for g != 0 (each pass starts
        # at g = 0 and overwrites them), and the ASIC flow clock-gates enable-only registers.
        vals = [Signal(signed(vb), name=f"v{k}", reset_less=True) for k in range(n)]
        best_val = Signal(signed(vb), reset_less=True)
        best_idx = Signal(lay.cls_bits, reset_less=True)

        # Lowest-index maximum within the group: a chain of strict compares.
        cand_val, cand_idx, cand_ok = best_val, best_idx, g != 0
        for j in range(lanes):
            real = (g * lanes + j) < n
            take = real & (~cand_ok | (self.i.payload.values[j] > cand_val))
            nv, ni, nok = Signal(signed(vb)), Signal(lay.cls_bits), Signal()
            m.d.comb += [
                nv.eq(Mux(take, self.i.payload.values[j], cand_val)),
                ni.eq(Mux(take, (g * lanes + j)[: lay.cls_bits], cand_idx)),
                nok.eq(cand_ok | take),
            ]
            cand_val, cand_idx, cand_ok = nv, ni, nok

        m.d.comb += self.i.ready.eq(~self.o.valid)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [best_val.eq(cand_val), best_idx.eq(cand_idx)]
            for k in range(n):
                gk, jk = divmod(k, lanes)
                with m.If(g == gk):
                    m.d.sync += vals[k].eq(self.i.payload.values[jk])
            with m.If(self.i.payload.last):
                m.d.sync += [g.eq(0), self.o.valid.eq(1)]
            with m.Else():
                m.d.sync += g.eq(g + 1)
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        # `best_idx` and `vals` hold still while `o.valid` (the input is not ready then).
        m.d.comb += self.o.payload.eq(Cat(best_idx, *[v.as_unsigned() for v in vals]))
        return m
