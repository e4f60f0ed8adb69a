"""A sequential restoring divider: one quotient bit per cycle, shared by a block's divisions.

    q = n // d          n unsigned `num_bits`, d unsigned `den_bits`, d >= 1 (floor division)

Contract: with `busy` low, `start` high for one cycle loads `num` and `den`; `busy` is then high
for exactly `num_bits` cycles, after which `quotient` holds q until the next `start`. A `start`
while busy restarts the division. d = 0 gives all ones (the caller divides by max(d, 1)).
The remainder register needs one bit more than the divisor (r < d, 2r + 1 < 2d).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.config import Checked


class SeqDivider(Checked, wiring.Component):
    """Parameters: `num_bits`, `den_bits` (positive integers)."""

    @classmethod
    def check(cls, num_bits: int, den_bits: int) -> None:
        for name, v in (("num_bits", num_bits), ("den_bits", den_bits)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")

    def __init__(self, num_bits: int, den_bits: int) -> None:
        self.num_bits, self.den_bits = num_bits, den_bits
        super().__init__(
            {
                "start": In(1),
                "num": In(num_bits),
                "den": In(den_bits),
                "quotient": Out(num_bits),
                "busy": Out(1),
            }
        )

    def elaborate(self, platform: object) -> Module:
        m = Module()
        q = Signal(self.num_bits)
        r = Signal(self.den_bits + 1)
        d = Signal(self.den_bits)
        left = Signal(range(self.num_bits + 1))
        r2 = Cat(q[-1], r)
        ge = r2 >= d
        m.d.comb += [self.quotient.eq(q), self.busy.eq(left != 0)]
        with m.If(self.start):
            m.d.sync += [q.eq(self.num), r.eq(0), d.eq(self.den), left.eq(self.num_bits)]
        with m.Elif(left != 0):
            m.d.sync += [
                r.eq(Mux(ge, r2 - d, r2)),
                q.eq(Cat(ge, q[:-1])),
                left.eq(left - 1),
            ]
        return m
