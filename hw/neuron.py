"""Neuron/fire unit: `lanes` integrate-and-fire neurons updated in parallel, combinational.

For each lane j (one neuron of the channel group being scanned), exactly the golden model's step
(`model.contract.golden.if_step`, `docs/arithmetic.md` §2)::

    s_sum[j] = vw[j] + bias[j] + cin[j]           exact (vw already holds V + acc of this step)
    v_sat[j] = clamp(s_sum[j], -2**(m-1), 2**(m-1)-1)       m = membrane_bits; the one saturation
    spike[j] = fires and v_sat[j] >= threshold and lane_mask[j]            (compare is >=)
    v_new[j] = v_sat[j] - threshold * spike[j]                         (reset by subtraction)

`lane_mask` removes the padding lanes of a last, partial channel group (their weights and bias
are zero, but `v_init` could still reach the threshold). A non-firing (output) layer only
saturates.

Sum-then-fire (`layer.neuron == "ssf"`, `model.contract.golden.ssf_fire`), run once per inference;
`vw` holds `v_init + acc` with acc = sum of W x presynaptic counts (exact)::

    t_sum[j]  = vw[j] + T * (bias[j] + cin[j])    exact; T*C is a constant multiply (a shift
                                                  when T is a power of two, shift-adds else)
    v_sat[j]  = clamp(t_sum[j], -2**(m-1), 2**(m-1)-1)                  the one saturation
    count[j]  = lane_mask[j] ? clip(v_sat[j] >> k, 0, T) : 0          threshold = 2**k, `>>` is
                                                                       arithmetic (floor)
    spike[j]  = count[j] != 0,   v_new[j] = v_sat[j]

`k` (`shift`) is the log2 of the loaded threshold, found by a priority encoder when the threshold
is loaded (`hw/layer.py`), so the per-lane divide is a barrel shift. The clip needs only the sign
and whether any bit of `v_sat >> k` above the count width is set.

Latency: 0 cycles (pure combinational); the layer registers the memory read data in front of it
and writes `v_new` back in the same cycle, so a fire scan sustains one neuron group per cycle.
"""

from __future__ import annotations

from amaranth.hdl import Const, Elaboratable, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.config import LayerGeometry
from ecg_snn.model.contract.spec import count_bits, index_bits


class ShiftDecoder(wiring.Component):
    """log2 of a loaded ssf threshold: `shift` = the index of the highest set bit of `value`
    among bits 0..m-2 (0 if none), m = `membrane_bits`. A legal ssf threshold is a power of
    two in 1..2**(m-1)-1, i.e. 2**k with k <= m-2, so this is exactly k. Combinational; the
    layer registers it when the threshold is written (`hw/layer.py`)."""

    def __init__(self, membrane_bits: int) -> None:
        self._mb = membrane_bits
        super().__init__({"value": In(membrane_bits), "shift": Out(index_bits(membrane_bits))})

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        for b in range(self._mb - 1):  # the last assignment wins: the highest set bit
            with m.If(self.value[b]):
                m.d.comb += self.shift.eq(b)
        return m


class FireUnit(wiring.Component):
    """Parameters: `geo` (the layer and the number of lanes), `T` (timesteps; used by ssf
    layers only). An ssf layer has a `shift` input instead of `threshold` and, when it fires,
    a `counts` output (`count_bits(T)` per lane)."""

    def __init__(self, geo: LayerGeometry, T: int = 1) -> None:
        layer = geo.layer
        self._geo, self._T = geo, T
        self._ssf = layer.neuron == "ssf"
        lanes = geo.lanes
        members = {
            "vw": In(data.ArrayLayout(signed(geo.vw_bits), lanes)),
            "bias": In(data.ArrayLayout(signed(layer.bias_bits), lanes)),
            "cin": In(data.ArrayLayout(signed(geo.cin_bits), lanes)),
            "lane_mask": In(lanes),
            "v_new": Out(data.ArrayLayout(signed(layer.membrane_bits), lanes)),
            "spikes": Out(lanes),
        }
        if self._ssf:
            members["shift"] = In(index_bits(layer.membrane_bits))
            if layer.fires:
                members["counts"] = Out(data.ArrayLayout(count_bits(T), lanes))
        else:
            members["threshold"] = In(signed(layer.membrane_bits))
        super().__init__(members)

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        layer = self._geo.layer
        mb = layer.membrane_bits
        lo, hi = layer.membrane_range
        T = self._T
        sum_bits, const_bits = self._geo.fire_sum_bits(T), self._geo.fire_const_bits
        for j in range(self._geo.lanes):
            total = Signal(signed(sum_bits), name=f"sum{j}")
            v_sat = Signal(signed(mb), name=f"v_sat{j}")
            if self._ssf:
                const = Signal(signed(const_bits), name=f"const{j}")
                m.d.comb += const.eq(self.bias[j] + self.cin[j])
                m.d.comb += total.eq(self.vw[j] + const * T)
            else:
                m.d.comb += total.eq(self.vw[j] + self.bias[j] + self.cin[j])
            m.d.comb += v_sat.eq(
                Mux(
                    total > hi, Const(hi, signed(mb)), Mux(total < lo, Const(lo, signed(mb)), total)
                )
            )
            if self._ssf:
                m.d.comb += self.v_new[j].eq(v_sat)
                if layer.fires:
                    cb = count_bits(T)
                    q = Signal(signed(mb), name=f"q{j}")
                    cnt = Signal(cb, name=f"count{j}")
                    m.d.comb += q.eq(v_sat >> self.shift)  # arithmetic: floor(V / 2**k)
                    with m.If(q < 0):
                        m.d.comb += cnt.eq(0)
                    with m.Elif(q >= T):
                        m.d.comb += cnt.eq(T)
                    with m.Else():
                        m.d.comb += cnt.eq(q[:cb])
                    m.d.comb += [
                        self.counts[j].eq(Mux(self.lane_mask[j], cnt, 0)),
                        self.spikes[j].eq(self.lane_mask[j] & (cnt != 0)),
                    ]
            elif layer.fires:
                spike = Signal(name=f"spike{j}")
                m.d.comb += [
                    spike.eq((v_sat >= self.threshold) & self.lane_mask[j]),
                    self.spikes[j].eq(spike),
                    self.v_new[j].eq(Mux(spike, v_sat - self.threshold, v_sat)),
                ]
            else:
                m.d.comb += self.v_new[j].eq(v_sat)
        return m
