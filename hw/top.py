"""Top level: the event-driven SNN accelerator, generated from a spec (and, for ROM, an artifact).

Block diagram and dataflow: `hw/README.md`. Ports: exactly `model/contract/ports.py` (Verilog module
`model.contract.ports.TOP`). Submodules, named by role: `sequencer`, `queue`, `layer0..layer{L-1}`,
`decision`, `loader` (absent with `HwConfig(rom=True)`). Sum-then-fire layers (`hw/README.md`)
use the same blocks; the last IF layer in front of them gains a `count` memory.

Wiring: the sequencer feeds input-current events to the layers that have a `cin` memory and runs
init / integrate / fire; the firing layer's spike entries go into the one shared event queue,
whose output the sequencer routes to the layer being integrated; the output layer's last-step
membranes go to the decision unit, whose registered result is `o_result`.

Two reset levels (`hw/README.md`, "Reset levels and retained state"): `rst` (the sync domain's
reset) is the soft reset and keeps the loaded model; `por`, the power-on reset, is a second
synchronous reset of every register (`ResetInserter`) and also clears the loaded model's status
and scalars, which have no domain reset. Hold `por` high for at least one clock edge after power
is up; nothing the chip reads afterwards depends on a power-up value.
"""

from __future__ import annotations

from amaranth.hdl import (
    Assert,
    Cat,
    Elaboratable,
    Module,
    ResetInserter,
    Signal,
    Value,
)
from amaranth.lib import wiring

from ecg_snn.hw.buses import accelerator_ports
from ecg_snn.hw.config import Checked, HwConfig, LayerGeometry, check_design
from ecg_snn.hw.decision import Decision
from ecg_snn.hw.event_queue import EventQueue
from ecg_snn.hw.layer import LayerUnit
from ecg_snn.hw.loader import Loader
from ecg_snn.hw.memories import MemoryInfo, inventory, retained_state, rom_tensors
from ecg_snn.hw.sequencer import Sequencer
from ecg_snn.hw.synapse import entry_layout
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.ports import ResultLayout


class Accelerator(Checked, wiring.Component):
    """Parameters: `spec` (the hardware configuration), `config` (`HwConfig`), `artifact`
    (required with `config.rom`: its integers become memory init; otherwise unused), `checks`
    (simulation builds: `Assert`s on the design's invariants, e.g. the event queue never
    overflows; off for Verilog). Errors: `TypeError` / `ValueError` naming the bad parameter."""

    @classmethod
    def check(
        cls,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        checks: bool = False,
        queue: type[EventQueue] = EventQueue,
    ) -> None:
        config = HwConfig() if config is None else config
        check_design(spec, config, artifact)
        if config.rom and artifact is None:
            raise ValueError("the ROM option bakes the weights in: pass artifact=")

    def __init__(
        self,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        checks: bool = False,
        queue: type[EventQueue] = EventQueue,
    ) -> None:
        config = HwConfig() if config is None else config
        self._checks = checks
        self._queue = queue  # the event queue's class (formal checks build broken ones)
        self.spec, self.config, self.artifact = spec, config, artifact
        lanes = config.lanes
        self.geometries = [LayerGeometry(layer, lanes) for layer in spec.layers]
        self.result_layout = ResultLayout.of(spec)
        super().__init__(accelerator_ports(spec, self.result_layout))
        # Not a port (the ports are exactly the contract's): high when no register of the core
        # can change until an input word, an image word or the result's acceptance arrives,
        # so a wrapper may stop the core's clock (`hw/spi.py`, `work_clock`).
        self.quiet = Signal()

    def entry_count_bits(self) -> int:
        """Bits of each lane's spike count in a queue entry: ceil(log2(T+1)) when an ssf layer
        is fed by spikes, else 0 (IF-only models keep their (g, p, mask) entries)."""
        layers = self.spec.layers
        return self.spec.count_bits if any(la.neuron == "ssf" for la in layers[1:]) else 0

    def weight_memory_bytes(self) -> int:
        return sum(g.weight_bytes() for g in self.geometries)

    def memories(self) -> list[MemoryInfo]:
        """Every memory of this design (`hw/memories.py`): what `elaborate` builds, and what
        the area report, the ROM files, the gate-level memory plan and the retained-state list
        read."""
        return inventory(self.spec, self.config, self.artifact)

    def retained_state(self) -> dict[str, int]:
        """`hw.memories.retained_state` of this design."""
        return retained_state(self.spec, self.config)

    def _rom_tensors(self, i: int) -> dict | None:
        return rom_tensors(self.artifact, i) if self.config.rom else None

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        geos, lanes = self.geometries, self.config.lanes
        firing = geos[:-1]
        entry = entry_layout(
            lanes,
            max((g.groups for g in firing), default=1),
            max((g.positions for g in firing), default=1),
            self.entry_count_bits(),
        )
        n_if = self.spec.n_if
        m.submodules.sequencer = seq = Sequencer(self.spec, lanes)
        queue_depth = max((g.depth for g in firing), default=1)
        m.submodules.queue = queue = self._queue(entry, queue_depth, checks=self._checks)
        m.submodules.decision = dec = Decision(self.result_layout, lanes)
        layers = []
        for i, g in enumerate(geos):
            unit = LayerUnit(
                g,
                geos[i - 1] if i else None,
                entry,
                seq.value_shape,
                seq.init_bits,
                self._rom_tensors(i),
                T=self.spec.T,
                counts_out=i == n_if - 1 and i < len(geos) - 1,
                index=i,
            )
            m.submodules[f"layer{i}"] = unit
            layers.append(unit)

        wiring.connect(m, wiring.flipped(self.i_sample), seq.i_sample)
        if self.spec.n_rr:
            wiring.connect(m, wiring.flipped(self.i_rr), seq.i_rr)
        for i, unit in enumerate(layers):
            wiring.connect(m, seq.ctl[i], unit.ctl)
            if geos[i].has_cin:
                wiring.connect(m, getattr(seq, f"value{i}"), unit.i_value)

        # Spikes: only the layer being scanned has a valid entry, so an OR-mux suffices.
        if self._checks:
            valids = Cat(unit.o_spike.valid for unit in layers[:-1])
            m.d.comb += Assert(onehot0(valids), "two layers push spike entries in one cycle")
        for unit in layers[:-1]:
            with m.If(unit.o_spike.valid):
                m.d.comb += [queue.i.valid.eq(1), queue.i.payload.eq(unit.o_spike.payload)]
            m.d.comb += unit.o_spike.ready.eq(queue.i.ready)
        for i, unit in enumerate(layers[1:], start=1):
            m.d.comb += [
                unit.i_spike.valid.eq(queue.o.valid & seq.routing & (seq.route == i)),
                unit.i_spike.payload.eq(queue.o.payload),
            ]
            with m.If(seq.routing & (seq.route == i)):
                m.d.comb += queue.o.ready.eq(unit.i_spike.ready)
        m.d.comb += seq.queue_empty.eq(queue.empty)

        wiring.connect(m, layers[-1].o_values, dec.i)
        m.d.comb += [
            self.o_result.payload.eq(dec.o.payload),
            self.o_result.valid.eq(dec.o.valid & seq.result_enable),
            dec.o.ready.eq(self.o_result.ready & seq.result_enable),
        ]
        m.d.comb += [
            seq.result_taken.eq(self.o_result.valid & self.o_result.ready),
            self.busy.eq(seq.busy),
            self.done.eq(seq.done),
            # in RESULT only once the decision unit holds the result (it finishes there)
            self.quiet.eq(seq.waiting & (~seq.result_enable | dec.o.valid)),
        ]

        if self.config.rom:
            # Weights baked in: the load port is tied off (never ready) and the model is loaded.
            m.d.comb += [self.loaded.eq(1), seq.loaded.eq(1), self.i_load.ready.eq(0)]
        else:
            m.submodules.loader = loader = Loader(self.spec, lanes)
            wiring.connect(m, wiring.flipped(self.i_load), loader.i)
            m.d.comb += [
                loader.por.eq(self.por),
                loader.allow.eq(seq.load_allow),
                seq.loaded.eq(loader.loaded),
                seq.load_active.eq(loader.active),
                seq.load_pending.eq(self.i_load.valid),
                seq.load_word.eq(loader.word),
                self.loaded.eq(loader.loaded),
                self.load_error.eq(loader.load_error),
            ]
            for bus, unit in zip(loader.ld, layers, strict=True):
                wiring.connect(m, bus, unit.ld)
        # The power-on reset also resets every register the soft reset does.
        return ResetInserter({"sync": self.por})(m)


def onehot0(bits: Value) -> Value:
    """1 when at most one bit of `bits` is set: clearing the lowest set bit leaves zero."""
    return (bits & (bits - 1)) == 0
