"""The one lanes-wide MAC array of the fused engine, shared by every layer.

One operation per cycle: `lanes` weights `w[j]` (the word of the weight ROM read the cycle
before), one operand `x` (a sample, an RR feature or a spike count, the same for every lane)
and the accumulators `acc[j]` it adds to::

    sum[j] = acc[j] + (scale ? T * w[j] * x : w[j] * x)        exact, `acc_bits` wide

`scale` marks a constant-current operand (samples, RR features): the golden model multiplies
the constant current by T (`model/contract/golden.py`, step 4), here applied to the product, a
shift for power-of-two T. Combinational; the scheduler registers the result into the addressed
accumulators. The product is computed only from registered operands that change with a new
operation, so an idle array does not toggle.
"""

from __future__ import annotations

from amaranth.hdl import Elaboratable, Module, Mux, Signal, signed
from amaranth.lib import data


class MacArray(Elaboratable):
    """Parameters: `lanes`, `weight_bits`, `operand_bits`, `acc_bits`, `T`.
    Signals: `w` (lanes x signed weight_bits), `x` (signed operand_bits), `scale`, `acc`
    (lanes x signed acc_bits) in; `sum` (lanes x signed acc_bits) out."""

    def __init__(
        self, lanes: int, weight_bits: int, operand_bits: int, acc_bits: int, T: int
    ) -> None:
        self._T = T
        self.w = Signal(data.ArrayLayout(signed(weight_bits), lanes))
        self.x = Signal(signed(operand_bits))
        self.scale = Signal()
        self.acc = Signal(data.ArrayLayout(signed(acc_bits), lanes))
        self.sum = Signal(data.ArrayLayout(signed(acc_bits), lanes))

    def elaborate(self, platform: object) -> Module:
        m = Module()
        for j in range(len(self.w)):
            prod = Signal(signed(len(self.w[j]) + len(self.x)), name=f"prod{j}")
            m.d.comb += [
                prod.eq(self.w[j] * self.x),
                self.sum[j].eq(self.acc[j] + Mux(self.scale, prod * self._T, prod)),
            ]
        return m
