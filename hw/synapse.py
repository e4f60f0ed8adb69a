"""Synapse/accumulate unit: turns events into weight reads and accumulates them, one lane group
per cycle.

Events (two input streams, spikes first):

- `i_spike`: a queue entry `(g, p, mask)` from the previous layer's fire scan: neurons
  `c = g*lanes + j` at position `p` for every set bit j of `mask`. The unit walks the set bits,
  one presynaptic neuron per cycle.
- `i_value`: an input sample `x[i]` (`rr = 0`) or an RR feature `rr[j]` (`rr = 1`), non-zero
  only (zeros are dropped upstream, so a silent input costs nothing here).

Fan-out of one presynaptic neuron, then one operation per (position, channel group)::

    conv  (c, i):  positions p = p0, p0-1, .. (count of them, `config.conv_fanout`),
                   tap k = i - p*stride; weights W[g*lanes + 0..lanes-1, c, k]
    dense (n):     n = c * P_prev + p_prev (channel-major flatten); weights W[g*lanes + .., n]
    RR    (j):     weights W_rr[g*lanes + .., j]

    spike:          vw[g, p]  += W[...]              (the spike-driven acc, exact)
    sample or RR:   cin[g, p] += W[...] * value      (the constant current, exact)

Sum-then-fire (`layer.neuron == "ssf"`): a spike entry carries the count c (1..T) of every
lane (`entry_layout(cbits=...)`), and one operation does `vw[g, p] += W[...] * c` — one weight
read per non-zero count instead of one per spike. The count multiply is a small multiplier per
lane, `weight_bits` x `cbits` (cbits = ceil(log2(T+1)), 4 bits at T = 8): cbits-1 adders of
about weight_bits+cbits bits each, in the same cycle as the accumulate, so the unit keeps one
operation per cycle and no extra control. A serial shift-add would cost cbits cycles per
operation (a 4x slower ssf phase at T = 8) and still needs an adder and a shifter per lane;
with counts this narrow the parallel multiplier is the cheaper point in cycles x area.

`vw` holds `V + acc` in a width that cannot overflow and `cin` the input current without bias
(`LayerGeometry`), so the saturation stays where the golden model has it: once, at fire time.

Pipeline and contract: the address generator issues one operation per cycle from registered
counters; the memories (owned by the layer) answer the next cycle and the sum is written back in
that cycle. The target memory's read port is transparent to its write port, so back-to-back
operations on the same word read the fresh sum: no stalls, one accumulate per lane per cycle.
A new event is loaded in the cycle the previous one issues its last operation (no bubbles); an
event with no fan-out (a position no window covers) costs one cycle. `idle` is high when no
event or operation is in flight.
"""

from __future__ import annotations

from amaranth.hdl import Elaboratable, Module, Shape, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.config import LayerGeometry, conv_fanout
from ecg_snn.model.contract.spec import index_bits


def entry_layout(
    lanes: int, max_groups: int, max_positions: int, cbits: int = 0
) -> data.StructLayout:
    """A queue entry: the spikes of one neuron group of one fire-scan step. With `cbits` > 0
    (a model with sum-then-fire layers fed by spikes) the entry also carries the spike count of
    every lane (`counts`, 0..T, `cbits` bits each; `mask` is then `counts != 0`)."""
    fields = {"g": index_bits(max_groups), "p": index_bits(max_positions), "mask": lanes}
    if cbits:
        fields["counts"] = data.ArrayLayout(cbits, lanes)
    return data.StructLayout(fields)


def value_layout(index_count: int, value_bits: int) -> data.StructLayout:
    """An input-current event: sample index (or RR index when `rr`) and its non-zero value."""
    return data.StructLayout(
        {"rr": 1, "index": index_bits(index_count), "value": signed(value_bits)}
    )


class SynapseUnit(wiring.Component):
    """Parameters: `geo` (this layer), `prev` (the previous layer's geometry, for spike events;
    None for the input layer), `entry` and `value` (the event layouts)."""

    def __init__(
        self,
        geo: LayerGeometry,
        prev: LayerGeometry | None,
        entry: data.StructLayout,
        value: data.StructLayout,
    ) -> None:
        layer = geo.layer
        if (prev is None) != (layer.source == "input"):
            raise ValueError("a spike-driven layer needs the previous layer's geometry")
        self._geo, self._prev = geo, prev
        lanes = geo.lanes
        wdepth = max(geo.weight_depth, geo.rr_depth)
        members = {
            "idle": Out(1),
            "w_addr": Out(index_bits(wdepth)),
            "w_ren": Out(1),
            "rr_ren": Out(1),
            "v_ren": Out(1),
            "c_ren": Out(1),
            "t_addr": Out(index_bits(geo.depth)),
            "w_data": In(data.ArrayLayout(signed(layer.weight_bits), lanes)),
            "rr_data": In(data.ArrayLayout(signed(layer.weight_bits), lanes)),
            "v_data": In(data.ArrayLayout(signed(geo.vw_bits), lanes)),
            "c_data": In(data.ArrayLayout(signed(geo.cin_bits), lanes)),
            "wr_addr": Out(index_bits(geo.depth)),
            "v_we": Out(1),
            "c_we": Out(1),
            "v_wdata": Out(data.ArrayLayout(signed(geo.vw_bits), lanes)),
            "c_wdata": Out(data.ArrayLayout(signed(geo.cin_bits), lanes)),
        }
        if prev is not None:
            members["i_spike"] = In(stream.Signature(entry))
        if geo.has_cin:
            members["i_value"] = In(stream.Signature(value))
        self._value_bits = value.members["value"].width if geo.has_cin else 1
        # Sum-then-fire layers fed by spikes multiply each weight by the presynaptic count.
        self._counted = prev is not None and layer.neuron == "ssf"
        if self._counted and "counts" not in entry.members:
            raise ValueError("an ssf layer fed by spikes needs entries with counts")
        super().__init__(members)

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        geo, prev = self._geo, self._prev
        layer, lanes = geo.layer, geo.lanes
        G, P = geo.groups, geo.positions
        wbits, tbits = len(self.w_addr), len(self.t_addr)

        # Stage 1: walk the set bits of a spike entry, lowest first.
        e_valid = Signal()
        e_g = Signal.like(self.i_spike.payload.g) if prev else Signal(1)
        e_p = Signal.like(self.i_spike.payload.p) if prev else Signal(1)
        e_mask = Signal(lanes)
        low = Signal(range(max(2, lanes)))
        for j in reversed(range(lanes)):
            with m.If(e_mask[j]):
                m.d.comb += low.eq(j)
        rest = e_mask & (e_mask - 1)
        if self._counted:
            cshape = self.i_spike.payload.counts.shape()
            e_counts = Signal(cshape)
            cb = Shape.cast(cshape.elem_shape).width
        else:
            cb = 1

        # Stage 2: the address generator.
        active = Signal()
        is_val = Signal()  # sample/RR event: multiply, accumulate into cin
        is_rr = Signal()
        value = Signal(signed(self._value_bits))
        w_addr, w_row = Signal(wbits), Signal(wbits)
        t_addr, t_row = Signal(tbits), Signal(tbits)
        gi = Signal(range(max(2, G)))
        n = Signal(range(P + 2))
        last_op = active & (gi == G - 1) & (n == 1)
        can_load = ~active | last_op

        # Decoded event, combinational, registered into the generator on load.
        d_valid, d_val, d_rr = Signal(), Signal(), Signal()
        d_value = Signal(signed(self._value_bits))
        d_w, d_t, d_n = Signal(wbits), Signal(tbits), Signal(range(P + 2))
        count, d_count = Signal(cb), Signal(cb)  # the walked lane's spike count (ssf)

        def conv_decode(i: object, c_base: object) -> None:
            # Output positions and kernel taps of input position i: a constant table.
            with m.Switch(i):
                for pos in range(layer.in_length):
                    p0, k0, cnt = conv_fanout(layer, pos)
                    with m.Case(pos):
                        m.d.comb += [d_w.eq(c_base + k0), d_t.eq(p0), d_n.eq(cnt)]
                with m.Default():
                    m.d.comb += d_n.eq(0)

        take_spike = Signal()
        if prev is not None:
            c = e_g * lanes + low
            m.d.comb += self.i_spike.ready.eq(~e_valid | (take_spike & (rest == 0)))
            with m.If(e_valid):
                m.d.comb += [d_valid.eq(1), take_spike.eq(can_load)]
                if self._counted:
                    m.d.comb += d_count.eq(e_counts[low])
                if layer.kind == "conv1d":
                    conv_decode(e_p, c * layer.kernel)
                else:
                    m.d.comb += [d_w.eq(c * prev.positions + e_p), d_t.eq(0), d_n.eq(1)]
            with m.If(take_spike):
                m.d.sync += e_mask.eq(rest)
                with m.If(rest == 0):
                    m.d.sync += e_valid.eq(0)
            with m.If(self.i_spike.valid & self.i_spike.ready):
                m.d.sync += [
                    e_valid.eq(1),
                    e_g.eq(self.i_spike.payload.g),
                    e_p.eq(self.i_spike.payload.p),
                    e_mask.eq(self.i_spike.payload.mask),
                ]
                if self._counted:
                    m.d.sync += e_counts.eq(self.i_spike.payload.counts)
        if geo.has_cin:
            ev = self.i_value.payload
            m.d.comb += self.i_value.ready.eq(can_load & ~e_valid)
            with m.If(~e_valid & self.i_value.valid):
                m.d.comb += [d_valid.eq(1), d_val.eq(1), d_rr.eq(ev.rr), d_value.eq(ev.value)]
                with m.If(ev.rr):
                    m.d.comb += [d_w.eq(ev.index), d_t.eq(0), d_n.eq(1)]
                with m.Else():
                    if layer.source != "input":
                        m.d.comb += d_n.eq(0)  # a spike-driven layer only takes RR values
                    elif layer.kind == "conv1d":
                        conv_decode(ev.index, 0)
                    else:
                        m.d.comb += [d_w.eq(ev.index), d_t.eq(0), d_n.eq(1)]

        with m.If(active):
            with m.If(gi == G - 1):
                m.d.sync += [gi.eq(0), n.eq(n - 1)]
                m.d.sync += [w_row.eq(w_row + layer.stride), w_addr.eq(w_row + layer.stride)]
                m.d.sync += [t_row.eq(t_row - 1), t_addr.eq(t_row - 1)]
            with m.Else():
                m.d.sync += [gi.eq(gi + 1), t_addr.eq(t_addr + P)]
                # Next channel group: the weight address steps by one group's row.
                with m.If(is_rr):
                    m.d.sync += w_addr.eq(w_addr + max(1, layer.rr_inputs))
                with m.Else():
                    m.d.sync += w_addr.eq(w_addr + geo.row_len)
        with m.If(last_op):
            m.d.sync += active.eq(0)
        with m.If(can_load & d_valid):
            m.d.sync += [
                active.eq(d_n != 0),
                is_val.eq(d_val),
                is_rr.eq(d_rr),
                value.eq(d_value),
                count.eq(d_count),
                w_addr.eq(d_w),
                w_row.eq(d_w),
                t_addr.eq(d_t),
                t_row.eq(d_t),
                gi.eq(0),
                n.eq(d_n),
            ]
        m.d.comb += [self.w_addr.eq(w_addr), self.t_addr.eq(t_addr)]
        # Read enables: the memories answer next cycle, in stage 3, which uses the weight word
        # (or the RR weight word for an RR value event) and the vw word (spike events) or the
        # cin word (value events) of an active operation only.
        m.d.comb += [
            self.w_ren.eq(active & ~is_rr),
            self.rr_ren.eq(active & is_rr),
            self.v_ren.eq(active & ~is_val),
            self.c_ren.eq(active & is_val),
        ]

        # Stage 3: the memories answer; add and write back.
        # The operands have no reset: they are read only with op_valid, and a register with a
        # synchronous reset is not clock-gated by the ASIC flow (`flow/asic/gate.py`).
        op_valid = Signal()
        op_val, op_rr = Signal(reset_less=True), Signal(reset_less=True)
        op_value = Signal(signed(self._value_bits), reset_less=True)
        op_t = Signal(tbits, reset_less=True)
        op_count = Signal(cb, reset_less=True)
        m.d.sync += op_valid.eq(active)
        # The operands are read only with op_valid: they load only for an active operation, so
        # an idle synapse neither clocks nor toggles them (clock gating, operand isolation).
        with m.If(active):
            m.d.sync += [
                op_count.eq(count),
                op_val.eq(is_val),
                op_rr.eq(is_rr),
                op_value.eq(value),
                op_t.eq(t_addr),
            ]
        m.d.comb += self.wr_addr.eq(op_t)
        if prev is not None:  # the input layer has no spike input: no membrane adders
            m.d.comb += self.v_we.eq(op_valid & ~op_val)
            for j in range(lanes):
                if self._counted:  # weight x count: a weight_bits x cbits multiplier per lane
                    m.d.comb += self.v_wdata[j].eq(self.v_data[j] + self.w_data[j] * op_count)
                else:
                    m.d.comb += self.v_wdata[j].eq(self.v_data[j] + self.w_data[j])
        if geo.has_cin:
            m.d.comb += self.c_we.eq(op_valid & op_val)
            for j in range(lanes):
                w = Signal(signed(layer.weight_bits), name=f"w{j}")
                m.d.comb += w.eq(self.w_data[j])
                if layer.rr_inputs:
                    with m.If(op_rr):
                        m.d.comb += w.eq(self.rr_data[j])
                m.d.comb += self.c_wdata[j].eq(self.c_data[j] + w * op_value)
        m.d.comb += self.idle.eq(~e_valid & ~active & ~op_valid)
        return m
