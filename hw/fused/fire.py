"""The fused engine's fire stage, shared by every firing layer, and the output saturation.

Per lane, from the accumulator A of the layer being fired (`hw/fused/plan.py`)::

    count = 0        if A < 0
            M_l      if A >= M_l << k_l
            A >> k_l otherwise (then < M_l <= T: the bit slice A[k_l : k_l + count_bits])

equal to the golden `clip(sat(A) >> k, 0, T)`. The layer's constants `M_l << k_l`, `M_l` and
`k_l` are selected by `layer` (a mux of constants, one compare per lane). The output layer's
values are `clamp(A, lo, hi)` (`OutputSat`).
"""

from __future__ import annotations

from amaranth.hdl import Const, Elaboratable, Module, Mux, Signal, signed
from amaranth.lib import data

from ecg_snn.hw.fused.plan import FusedPlan


class CountFire(Elaboratable):
    """Signals: `acc` (lanes x signed max_acc_bits), `layer` (the firing layer's index) in;
    `counts` (lanes x count_bits) out. Combinational."""

    def __init__(self, plan: FusedPlan) -> None:
        self._plan = plan
        self._firing = [p for p in plan.layers if p.layer.fires]
        self.acc = Signal(data.ArrayLayout(signed(plan.max_acc_bits), plan.lanes))
        self.layer = Signal(range(len(plan.layers)))
        self.counts = Signal(data.ArrayLayout(plan.count_bits, plan.lanes))

    def elaborate(self, platform: object) -> Module:
        m = Module()
        plan, cb = self._plan, self._plan.count_bits
        width = plan.max_acc_bits
        limit = Signal(signed(width))  # M_l << k_l of the layer being fired
        cap = Signal(cb)
        with m.Switch(self.layer):
            for p in self._firing:
                with m.Case(p.index):
                    m.d.comb += [limit.eq(Const(p.cap << p.shift, signed(width))), cap.eq(p.cap)]
        for j in range(plan.lanes):
            a = self.acc[j]
            low = Signal(cb, name=f"low{j}")
            with m.Switch(self.layer):
                for p in self._firing:
                    with m.Case(p.index):
                        m.d.comb += low.eq(a >> p.shift)  # truncated: < M here
            m.d.comb += self.counts[j].eq(Mux(a < 0, 0, Mux(a >= limit, cap, low)))
        return m


class OutputSat(Elaboratable):
    """`values[j] = clamp(acc[j], lo, hi)` of the output layer (membrane_bits). Combinational."""

    def __init__(self, plan: FusedPlan) -> None:
        out = plan.layers[-1]
        self._mb = out.layer.membrane_bits
        self.acc = Signal(data.ArrayLayout(signed(out.acc_bits), plan.lanes))
        self.values = Signal(data.ArrayLayout(signed(self._mb), plan.lanes))

    def elaborate(self, platform: object) -> Module:
        m = Module()
        lo, hi = -(1 << (self._mb - 1)), (1 << (self._mb - 1)) - 1
        for j in range(len(self.acc)):
            a = self.acc[j]
            m.d.comb += self.values[j].eq(Mux(a < lo, lo, Mux(a > hi, hi, a)))
        return m
