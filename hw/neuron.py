"""Neuron/fire unit: `lanes` integrate-and-fire neurons updated in parallel, combinational.

For each lane j (one neuron of the channel group being scanned), exactly the golden model's step
(`sim.golden.if_step`, `docs/arithmetic.md` §2)::

    s_sum[j] = vw[j] + bias[j] + cin[j]           exact (vw already holds V + acc of this step)
    v_sat[j] = clamp(s_sum[j], -2**(m-1), 2**(m-1)-1)       m = membrane_bits; the one saturation
    spike[j] = fires and v_sat[j] >= threshold and lane_mask[j]            (compare is >=)
    v_new[j] = v_sat[j] - threshold * spike[j]                         (reset by subtraction)

`lane_mask` removes the padding lanes of a last, partial channel group (their weights and bias
are zero, but `v_init` could still reach the threshold). A non-firing (output) layer only
saturates.

Latency: 0 cycles (pure combinational); the layer registers the memory read data in front of it
and writes `v_new` back in the same cycle, so a fire scan sustains one neuron group per cycle.
"""

from __future__ import annotations

from amaranth.hdl import Const, Elaboratable, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.config import LayerGeometry


class FireUnit(wiring.Component):
    """Parameters: `geo` (the layer and the number of lanes)."""

    def __init__(self, geo: LayerGeometry) -> None:
        layer = geo.layer
        self._geo = geo
        lanes = geo.lanes
        super().__init__(
            {
                "vw": In(data.ArrayLayout(signed(geo.vw_bits), lanes)),
                "bias": In(data.ArrayLayout(signed(layer.bias_bits), lanes)),
                "cin": In(data.ArrayLayout(signed(geo.cin_bits), lanes)),
                "threshold": In(signed(layer.membrane_bits)),
                "lane_mask": In(lanes),
                "v_new": Out(data.ArrayLayout(signed(layer.membrane_bits), lanes)),
                "spikes": Out(lanes),
            }
        )

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        layer = self._geo.layer
        mb = layer.membrane_bits
        lo, hi = -(1 << (mb - 1)), (1 << (mb - 1)) - 1
        sum_bits = max(self._geo.vw_bits, layer.bias_bits, self._geo.cin_bits) + 2
        for j in range(self._geo.lanes):
            total = Signal(signed(sum_bits), name=f"sum{j}")
            v_sat = Signal(signed(mb), name=f"v_sat{j}")
            m.d.comb += total.eq(self.vw[j] + self.bias[j] + self.cin[j])
            m.d.comb += v_sat.eq(
                Mux(
                    total > hi, Const(hi, signed(mb)), Mux(total < lo, Const(lo, signed(mb)), total)
                )
            )
            if layer.fires:
                spike = Signal(name=f"spike{j}")
                m.d.comb += [
                    spike.eq((v_sat >= self.threshold) & self.lane_mask[j]),
                    self.spikes[j].eq(spike),
                    self.v_new[j].eq(Mux(spike, v_sat - self.threshold, v_sat)),
                ]
            else:
                m.d.comb += self.v_new[j].eq(v_sat)
        return m
