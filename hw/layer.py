"""One layer of the accelerator: its memories, its synapse unit and its fire scan.

Memories (`LayerGeometry` gives depths and address layouts; every word is `lanes` values):

    weight, rr_weight, bias   loadable (load port, one lane per write) or ROM (`HwConfig.rom`)
    vw                        V + acc of the running step, `vw_bits` wide (cannot overflow);
                              none in an ssf input layer (its one scan reads `v_init`)
    cin                       constant input current without bias (input layer and RR layers)
    threshold, v_init         registers kept by the soft reset and cleared by the power-on
                              reset (`ld.por`); constants with ROM

A memory of one word is registers with the same ports (`hw/word.py`): no zero-width address.

Every read port is enabled only in the cycle before its data is used (synchronous read; the
data holds while `en` is low): weight/rr_weight for an active synapse operation, vw/cin for
the fire scan or the synapse's read-modify-write, bias (and count) for the fire scan.

Operations, one at a time, chosen by the sequencer:

- init (`init`, `init_addr` swept over 0..max depth-1): `vw = v_init`, `cin = 0`.
- integrate: events on `i_spike` / `i_value` through the synapse unit (`hw/synapse.py`).
- fire scan (`fire_start` pulse): for a = g*P + p = 0 .. G*P-1, one group per cycle: read
  `vw[a]`, `cin[a]`, `bias[g]`; next cycle the fire unit (`hw/neuron.py`) computes the new
  membrane, which is written back, and the spikes, pushed as one queue entry `(g, p, mask)` when
  any lane fired. `fire_busy` is high from the cycle after `fire_start` until the last write
  (G*P + 1 cycles). `o_spike.ready` is not waited for: the shared queue is deep enough for a
  whole scan (`hw/event_queue.py`). In the last step an output layer also streams its new
  membranes to the decision unit on `o_values` (always ready while a result is pending).

Sum-then-fire (`docs/arithmetic.md`, "Sum-then-fire layers"):

- The last IF layer in front of an ssf suffix (`counts_out`) keeps a `count` memory (G*P words
  of `lanes` x ceil(log2(T+1)) bits, cleared by init): every fire scan adds its spikes,
  `count[a] += spikes`, and pushes nothing in steps 0..T-2; in the last step it pushes
  `(g, p, mask = count != 0, counts)` for every group with a non-zero count, so the ssf layer
  behind it integrates one event per non-zero count, overlapped with this scan as usual.
- An ssf layer runs one fire scan per inference (`hw/neuron.py`): `vw` holds `v_init + acc`,
  the fire unit computes `V = sat(vw + T*(bias + cin))` and `count = clip(V >> k, 0, T)` and
  the layer pushes `(g, p, count != 0, counts)`; an ssf output layer streams `V` to the
  decision unit. `k` is a register (kept by the soft reset, cleared by `ld.por`) written when
  the threshold is loaded: a priority encoder (`hw.neuron.ShiftDecoder`) takes the highest set
  bit of the loaded value (the loader refuses anything but a power of two, so this is exactly
  log2(threshold)); with `rom` it is a constant.
  An ssf layer keeps no threshold register.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Const, Elaboratable, Module, Mux, Shape, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.buses import LayerControl, LoadBus, LoadField
from ecg_snn.hw.config import LayerGeometry
from ecg_snn.hw.decision import values_layout
from ecg_snn.hw.memories import MemoryInfo, layer_memories
from ecg_snn.hw.neuron import FireUnit, ShiftDecoder
from ecg_snn.hw.synapse import SynapseUnit
from ecg_snn.hw.word import WordMemory
from ecg_snn.model.contract.spec import count_bits, index_bits


class LayerUnit(wiring.Component):
    """One layer: memories, synapse unit, fire scan (equations and timing: module docstring).

    Ports: `ctl` (`LayerControl` from the sequencer: init sweep, fire start, last step; reports
    `fire_busy` and `idle`), `i_spike` (queue entries of the previous layer; absent for the input
    layer), `i_value` (sample / RR value events; only with a `cin` memory), `o_spike` (this
    layer's queue entries; firing layers) or `o_values` (output membranes to the decision unit;
    the output layer), `ld` (`LoadBus` from the loader; absent for ROM). Streams follow
    `lib.stream`; `o_spike.ready` is never waited for (the queue holds a whole scan; the
    simulation build asserts it, `EventQueue(checks=True)`).

    Parameters: `geo`, `prev` (None for the input layer), the event layouts `entry`,
    `value`, `init_bits` (width of the shared init address), `tensors` (a dict with `weight`,
    `bias`, `rr_weight`, `threshold`, `v_init` to bake in as ROM, or None for a loadable
    layer), `T` (timesteps), `counts_out` (this is the last IF layer and feeds an ssf layer:
    count its spikes and push them as counts in the last step). Raises ValueError for a
    `counts_out` layer that is not a firing IF layer with count entries."""

    def __init__(
        self,
        geo: LayerGeometry,
        prev: LayerGeometry | None,
        entry: data.StructLayout,
        value: data.StructLayout,
        init_bits: int,
        tensors: dict | None = None,
        T: int = 1,
        counts_out: bool = False,
        index: int = 0,
    ) -> None:
        self._geo, self._prev = geo, prev
        self._entry, self._value = entry, value
        self._tensors = tensors
        self._T, self._counts_out = T, counts_out
        self._ssf = geo.layer.neuron == "ssf"
        if counts_out and (self._ssf or not geo.layer.fires or "counts" not in entry.members):
            raise ValueError("only a firing IF layer with count entries can feed an ssf layer")
        # what this layer builds, from the one inventory (`hw/memories.py`)
        self._scope = f"layer{index}"
        self.memories: dict[str, MemoryInfo] = {
            info.name: info for info in layer_memories(index, geo, tensors, T, counts_out)
        }
        layer, lanes = geo.layer, geo.lanes
        members = {"ctl": In(LayerControl(init_bits))}
        if prev is not None:
            members["i_spike"] = In(stream.Signature(entry))
        if geo.has_cin:
            members["i_value"] = In(stream.Signature(value))
        if layer.fires:
            members["o_spike"] = Out(stream.Signature(entry))
        else:
            members["o_values"] = Out(stream.Signature(values_layout(lanes, layer.membrane_bits)))
        if tensors is None:
            members["ld"] = In(LoadBus(geo.load_addr_bits, index_bits(lanes)))
        super().__init__(members)

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        self._built: list[str] = []
        syn, fire = self._units(m)
        par = self._parameters(m)
        b_rd = self._weight_reads(m, syn, par)
        st = self._state(m, syn, fire, par)
        m.d.comb += fire.bias.eq(b_rd.data)
        if self._ssf:
            m.d.comb += fire.shift.eq(par.shift)
        else:
            m.d.comb += fire.threshold.eq(par.threshold)
        sc = self._scan(m)
        self._scan_reads(m, sc, syn, fire, st, b_rd)
        cnt = self._outputs(m, sc, fire)
        self._write_arbitration(m, sc, syn, fire, st, cnt, par.v_init)
        if sorted(self._built) != sorted(self.memories):  # the inventory is what was built
            raise RuntimeError(
                f"layer memories {sorted(self._built)} != inventory {sorted(self.memories)}"
            )
        return m

    def _memory(self, m: Module, name: str, shape: data.ArrayLayout) -> Memory | WordMemory:
        """The inventory's memory `name` (depth, contents), with words of `shape`."""
        info = self.memories.get(name)
        if info is None:
            raise RuntimeError(f"{self._scope}/{name} is built but not in the memory inventory")
        if Shape.cast(shape.elem_shape).width != info.lane_bits or shape.length != info.lanes:
            raise RuntimeError(f"{info.path}: word {shape!r} differs from the inventory")
        init = [list(r) for r in info.rows]
        n = info.depth
        # One word: registers, not a memory with a zero-width address (`hw/word.py`).
        mem = WordMemory(shape, init) if n == 1 else Memory(shape=shape, depth=n, init=init)
        m.submodules[name] = mem
        self._built.append(name)
        return mem

    def _units(self, m: Module) -> tuple[SynapseUnit, FireUnit]:
        """The synapse and fire units, the synapse wired to this layer's input streams."""
        geo = self._geo
        m.submodules.synapse = syn = SynapseUnit(geo, self._prev, self._entry, self._value)
        m.submodules.fire = fire = FireUnit(geo, self._T)
        if self._prev is not None:
            wiring.connect(m, wiring.flipped(self.i_spike), syn.i_spike)
        if geo.has_cin:
            wiring.connect(m, wiring.flipped(self.i_value), syn.i_value)
        m.d.comb += self.ctl.idle.eq(syn.idle)
        return syn, fire

    def _parameters(self, m: Module) -> _Parameters:
        """Weight, bias and RR-weight memories, threshold (or shift) and v_init: constants with
        ROM, else registers and memories written through the load port."""
        layer, lanes = self._geo.layer, self._geo.lanes
        wshape = data.ArrayLayout(signed(layer.weight_bits), lanes)
        w_mem = self._memory(m, "weight", wshape)
        b_mem = self._memory(m, "bias", data.ArrayLayout(signed(layer.bias_bits), lanes))
        rr_mem = None
        if layer.rr_inputs:
            rr_mem = self._memory(m, "rr_weight", wshape)
        mb = layer.membrane_bits
        kbits = index_bits(mb)
        threshold = shift = None
        if self._tensors is not None:
            th = int(self._tensors["threshold"])
            threshold = Const(th, signed(mb))
            shift = Const(th.bit_length() - 1, kbits)
            v_init = Const(int(self._tensors["v_init"]), signed(mb))
            return _Parameters(w_mem, b_mem, rr_mem, threshold, shift, v_init)
        if self._ssf:  # the shift k, log2 of the loaded power-of-two threshold
            shift = Signal(kbits, reset_less=True)  # no soft reset; `ld.por` clears it
        else:
            threshold = Signal(signed(mb), reset_less=True)
        v_init = Signal(signed(mb), reset_less=True)
        par = _Parameters(w_mem, b_mem, rr_mem, threshold, shift, v_init)
        self._load_port(m, par)
        return par

    def _load_port(self, m: Module, par: _Parameters) -> None:
        """Load-port writes: one lane of a memory word per write, threshold (as its shift for
        ssf) and v_init registers; the power-on reset clears the registers."""
        lanes, mb = self._geo.lanes, self._geo.layer.membrane_bits
        for field, mem in (
            (LoadField.WEIGHT, par.w_mem),
            (LoadField.BIAS, par.b_mem),
            (LoadField.RR_WEIGHT, par.rr_mem),
        ):
            if mem is None:
                continue
            wp = mem.write_port(granularity=1)
            m.d.comb += [wp.addr.eq(self.ld.addr), wp.en.eq(0)]
            for j in range(lanes):
                m.d.comb += wp.data[j].eq(self.ld.data)
            with m.If(self.ld.en & (self.ld.field == field)):
                m.d.comb += wp.en.eq(Const(1, lanes) << self.ld.lane)
        if self._ssf:
            m.submodules.shift_decoder = dec = ShiftDecoder(mb)
            m.d.comb += dec.value.eq(self.ld.data)
        with m.If(self.ld.en & (self.ld.field == LoadField.THRESHOLD)):
            if self._ssf:
                m.d.sync += par.shift.eq(dec.shift)
            else:
                m.d.sync += par.threshold.eq(self.ld.data)
        with m.If(self.ld.en & (self.ld.field == LoadField.V_INIT)):
            m.d.sync += par.v_init.eq(self.ld.data)
        with m.If(self.ld.por):  # defined after power-up; the soft reset keeps them
            m.d.sync += [par.v_init.eq(0), (par.shift if self._ssf else par.threshold).eq(0)]

    def _weight_reads(self, m: Module, syn: SynapseUnit, par: _Parameters):
        """The synapse's weight and RR-weight read ports; returns the bias read port (the fire
        scan drives it).

        Read ports are enabled only in the cycle before their data is used (synchronous read:
        `en` in cycle n gives `data` in n+1, which holds while `en` is low), each enable a named
        net: the power model counts its high cycles as reads."""
        w_rd_en = Signal()
        w_rd = par.w_mem.read_port()
        m.d.comb += [
            w_rd_en.eq(syn.w_ren),
            w_rd.en.eq(w_rd_en),
            w_rd.addr.eq(syn.w_addr),
            syn.w_data.eq(w_rd.data),
        ]
        if par.rr_mem is not None:
            rr_weight_rd_en = Signal()
            rr_rd = par.rr_mem.read_port()
            m.d.comb += [
                rr_weight_rd_en.eq(syn.rr_ren),
                rr_rd.en.eq(rr_weight_rd_en),
                rr_rd.addr.eq(syn.w_addr),
                syn.rr_data.eq(rr_rd.data),
            ]
        b_rd = par.b_mem.read_port()  # named: the power model counts bias reads by name
        return b_rd

    def _state(self, m: Module, syn: SynapseUnit, fire: FireUnit, par: _Parameters) -> _State:
        """The inference state: vw and cin with their ports. An ssf input layer has no vw
        (`LayerGeometry.has_vw`): its fire scan reads the constant v_init instead."""
        geo, lanes = self._geo, self._geo.lanes
        vshape = data.ArrayLayout(signed(geo.vw_bits), lanes)
        v_wr = v_rd = None
        if geo.has_vw:
            v_mem = self._memory(m, "vw", vshape)
            v_wr = v_mem.write_port()
            v_rd = v_mem.read_port(transparent_for=(v_wr,))
        cshape = data.ArrayLayout(signed(geo.cin_bits), lanes)
        c_wr = c_rd = None
        if geo.has_cin:
            c_mem = self._memory(m, "cin", cshape)
            c_wr = c_mem.write_port()
            c_rd = c_mem.read_port(transparent_for=(c_wr,))
            m.d.comb += [syn.c_data.eq(c_rd.data), fire.cin.eq(c_rd.data)]
        if v_rd is not None:
            m.d.comb += [syn.v_data.eq(v_rd.data), fire.vw.eq(v_rd.data)]
        else:
            m.d.comb += [fire.vw[j].eq(par.v_init) for j in range(lanes)]
        return _State(v_wr, v_rd, c_wr, c_rd)

    def _scan(self, m: Module) -> _Scan:
        """The fire scan's address counters and its one registered stage in front of the fire
        unit (module docstring: `fire_busy` is G*P + 1 cycles)."""
        geo = self._geo
        G, P, depth = geo.groups, geo.positions, geo.depth
        scan = Signal()
        sa = Signal(index_bits(depth))
        sg = Signal(index_bits(G))
        sp = Signal(index_bits(P))
        f_valid = Signal()  # one name per line: a tuple assignment leaves nets unnamed
        # read only with f_valid: no reset, so the ASIC flow clock-gates them
        f_addr = Signal(index_bits(depth), reset_less=True)
        f_g = Signal(index_bits(G), reset_less=True)
        f_p = Signal(index_bits(P), reset_less=True)
        with m.If(self.ctl.fire_start):
            m.d.sync += [scan.eq(1), sa.eq(0), sg.eq(0), sp.eq(0)]
        with m.Elif(scan):
            m.d.sync += [sa.eq(sa + 1), sp.eq(sp + 1)]
            with m.If(sp == P - 1):
                m.d.sync += [sp.eq(0), sg.eq(sg + 1)]
            with m.If(sa == depth - 1):
                m.d.sync += scan.eq(0)
        m.d.sync += f_valid.eq(scan)
        with m.If(scan):  # read only with f_valid: loaded only while scanning (clock-gated)
            m.d.sync += [f_addr.eq(sa), f_g.eq(sg), f_p.eq(sp)]
        m.d.comb += self.ctl.fire_busy.eq(scan | f_valid)
        return _Scan(scan, sa, sg, sp, f_valid, f_addr, f_g, f_p)

    def _scan_reads(self, m: Module, sc: _Scan, syn, fire, st: _State, b_rd) -> None:
        """The scan reads vw, cin, bias (and count) for the fire stage; otherwise the synapse
        reads vw (spike events) or cin (value events) for its read-modify-write."""
        geo, lanes = self._geo, self._geo.lanes
        G = geo.groups
        if st.v_rd is not None:
            v_rd_en = Signal()
            m.d.comb += [
                v_rd_en.eq(sc.scan | syn.v_ren),
                st.v_rd.en.eq(v_rd_en),
                st.v_rd.addr.eq(Mux(sc.scan, sc.sa, syn.t_addr)),
            ]
        b_rd_en = Signal()
        m.d.comb += [b_rd_en.eq(sc.scan), b_rd.en.eq(b_rd_en), b_rd.addr.eq(sc.sg)]
        if st.c_rd is not None:
            c_rd_en = Signal()
            m.d.comb += [
                c_rd_en.eq(sc.scan | syn.c_ren),
                st.c_rd.en.eq(c_rd_en),
                st.c_rd.addr.eq(Mux(sc.scan, sc.sa, syn.t_addr)),
            ]
        full = (1 << lanes) - 1
        m.d.comb += fire.lane_mask.eq(Mux(sc.f_g == G - 1, geo.lane_mask(G - 1), full))

    def _outputs(self, m: Module, sc: _Scan, fire: FireUnit) -> _Counts | None:
        """What the layer pushes: counts in the last step (`counts_out`), spikes (a firing
        layer) or membranes (the output layer). Returns the count memory's write side."""
        geo, layer, lanes = self._geo, self._geo.layer, self._geo.lanes
        if self._counts_out:
            # Spike counts over the T steps; pushed as (address, count) in the last step.
            cb = count_bits(self._T)
            cnt_mem = self._memory(m, "count", data.ArrayLayout(cb, lanes))
            cnt_wr = cnt_mem.write_port()
            cnt_rd = cnt_mem.read_port()
            cnt_rd_en = Signal()
            m.d.comb += [cnt_rd_en.eq(sc.scan), cnt_rd.en.eq(cnt_rd_en), cnt_rd.addr.eq(sc.sa)]
            cnt_new = Signal(data.ArrayLayout(cb, lanes))
            nz = Signal(lanes)
            for j in range(lanes):
                m.d.comb += [
                    cnt_new[j].eq(cnt_rd.data[j] + fire.spikes[j]),
                    nz[j].eq(cnt_new[j] != 0),
                ]
            m.d.comb += [
                self.o_spike.valid.eq(sc.f_valid & self.ctl.last_step & (nz != 0)),
                self.o_spike.payload.g.eq(sc.f_g),
                self.o_spike.payload.p.eq(sc.f_p),
                self.o_spike.payload.mask.eq(nz),
                self.o_spike.payload.counts.eq(cnt_new),
            ]
            return _Counts(cnt_wr, cnt_new)
        if layer.fires:
            m.d.comb += [
                self.o_spike.valid.eq(sc.f_valid & (fire.spikes != 0)),
                self.o_spike.payload.g.eq(sc.f_g),
                self.o_spike.payload.p.eq(sc.f_p),
                self.o_spike.payload.mask.eq(fire.spikes),
            ]
            if self._ssf:
                m.d.comb += self.o_spike.payload.counts.eq(fire.counts)
        else:
            # An IF output layer reports its last step; an ssf one its only scan.
            m.d.comb += [
                self.o_values.valid.eq(sc.f_valid & (1 if self._ssf else self.ctl.last_step)),
                self.o_values.payload.last.eq(sc.f_addr == geo.depth - 1),
            ]
            for j in range(lanes):
                m.d.comb += self.o_values.payload.values[j].eq(fire.v_new[j])
        return None

    def _write_arbitration(
        self, m: Module, sc: _Scan, syn, fire, st: _State, cnt: _Counts | None, v_init
    ) -> None:
        """Write-port arbitration: the sequencer runs init, integrate and fire one at a time."""
        lanes = self._geo.lanes
        in_range = self.ctl.init_addr < self._geo.depth
        v_wr, c_wr = st.v_wr, st.c_wr
        if v_wr is not None:
            with m.If(self.ctl.init & in_range):
                m.d.comb += [v_wr.addr.eq(self.ctl.init_addr), v_wr.en.eq(1)]
                for j in range(lanes):
                    m.d.comb += v_wr.data[j].eq(v_init)
            with m.Elif(sc.f_valid):
                m.d.comb += [v_wr.addr.eq(sc.f_addr), v_wr.en.eq(1)]
                for j in range(lanes):
                    m.d.comb += v_wr.data[j].eq(fire.v_new[j])
            with m.Else():
                m.d.comb += [
                    v_wr.addr.eq(syn.wr_addr),
                    v_wr.en.eq(syn.v_we),
                    v_wr.data.eq(syn.v_wdata),
                ]
        if cnt is not None:
            cnt_wr = cnt.wr
            with m.If(self.ctl.init & in_range):
                m.d.comb += [cnt_wr.addr.eq(self.ctl.init_addr), cnt_wr.en.eq(1), cnt_wr.data.eq(0)]
            with m.Elif(sc.f_valid):
                m.d.comb += [cnt_wr.addr.eq(sc.f_addr), cnt_wr.en.eq(1), cnt_wr.data.eq(cnt.new)]
        if c_wr is not None:
            with m.If(self.ctl.init & in_range):
                m.d.comb += [c_wr.addr.eq(self.ctl.init_addr), c_wr.en.eq(1), c_wr.data.eq(0)]
            with m.Else():
                m.d.comb += [
                    c_wr.addr.eq(syn.wr_addr),
                    c_wr.en.eq(syn.c_we),
                    c_wr.data.eq(syn.c_wdata),
                ]


@dataclass
class _Parameters:
    """The loadable (or constant) values of a layer."""

    w_mem: object
    b_mem: object
    rr_mem: object | None
    threshold: object | None  # None in a loadable ssf layer (it keeps only the shift)
    shift: object | None  # None in a loadable IF layer
    v_init: object


@dataclass
class _State:
    """The inference-state memories' ports (None where the layer has no such memory)."""

    v_wr: object | None
    v_rd: object | None
    c_wr: object | None
    c_rd: object | None


@dataclass
class _Scan:
    """The fire scan's counters and the registered stage in front of the fire unit."""

    scan: Signal
    sa: Signal
    sg: Signal
    sp: Signal
    f_valid: Signal
    f_addr: Signal
    f_g: Signal
    f_p: Signal


@dataclass
class _Counts:
    """The count memory's write port and the new counts (a `counts_out` layer)."""

    wr: object
    new: Signal
