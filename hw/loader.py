"""Loader: parses the weight-image word stream of the load port (`model/contract/image.py`) and
writes thresholds, initial membranes, biases, RR weights and weights into the layers' memories.

Per accepted word (one per cycle while `allow`; `i.ready = allow`)::

    MAGIC    word == loadmap.MAGIC ? clear load_error : set load_error     loaded := 0
    ID       word == spec.hardware_id()   else load_error, back to MAGIC
    LEN      word == payload_words(spec)  else load_error, back to MAGIC
    PAYLOAD  write word to section `sec` at (address, lane); sum += word (mod 2**32)
    CHECK    word == sum ? loaded := 1 : load_error;          back to MAGIC

Payload addressing: a section of shape (rows, row_len...) is row-major; row `o` is channel `o`,
stored in lane `o % lanes` of the words `(o // lanes) * row_len + col` (`LayerGeometry`), so the
loader keeps `col`, `lane` and a running group base instead of dividing. Scalars (threshold,
v_init) are one-word sections. Writes reach the layers combinationally in the cycle the word is
accepted, on layer i's `LoadBus` `ld{i}` (`hw/buses.py`; one layer's `en` at a time).

`loaded` drops with the first word of any image and rises only after a correct checksum, so a
rejected or interrupted image leaves the chip flagged as not loaded (the memories may be half
written). An ssf layer's threshold must be a power of two 2**k with k <= membrane_bits - 2 (the
fire unit divides by a shift); any other value is refused like a bad checksum (`load_error`, back
to MAGIC), instead of silently acting as its highest power of two. `word` strobes on every
accepted word (the sequencer re-initialises the membranes after a load, since `v_init` may have
changed).

Two reset levels (`hw/README.md`, "Reset levels and retained state"): the soft reset (the sync
domain's `rst`) keeps the model, so `loaded` and `load_error` have no domain reset; the power-on
reset `por` clears them (and, on the `LoadBus`, every layer's threshold, shift and v_init), so
the chip never powers up flagged as loaded over undefined weights.
"""

from __future__ import annotations

import math

from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.buses import LoadBus, LoadField
from ecg_snn.hw.config import LayerGeometry
from ecg_snn.model.contract import image as loadmap
from ecg_snn.model.contract.artifact import ModelSpec
from ecg_snn.model.contract.ports import BUS_BITS
from ecg_snn.model.contract.spec import index_bits


class Loader(wiring.Component):
    """The load-port parser (module docstring).

    Ports: `i` (the image words, a `BUS_BITS` stream; `ready = allow`), `allow` (from the
    sequencer: no inference in flight), `por` (power-on reset: clears the status and, through
    `ld*.por`, the layers' loaded scalars), `loaded` / `load_error` (status, kept by the soft
    reset, cleared by `por`), `active` (inside an image), `word` (a word was accepted this
    cycle), `ld0..ld{L-1}` (`LoadBus` per layer, also as the list `ld`). Latency: a payload
    word reaches its layer in the cycle it is accepted. Parameters: `spec` (the hardware
    configuration), `lanes`."""

    def __init__(self, spec: ModelSpec, lanes: int) -> None:
        self._spec, self._lanes = spec, lanes
        self._sections = loadmap.sections(spec)
        self._n = loadmap.payload_words(spec)
        self._geos = [LayerGeometry(layer, lanes) for layer in spec.layers]
        members = {
            "i": In(stream.Signature(BUS_BITS)),
            "allow": In(1),
            "por": In(1),
            "loaded": Out(1),
            "load_error": Out(1),
            "active": Out(1),
            "word": Out(1),
        }
        for i, g in enumerate(self._geos):
            members[f"ld{i}"] = Out(LoadBus(g.load_addr_bits, index_bits(lanes)))
        super().__init__(members)

    @property
    def ld(self) -> list:
        """The load bus of every layer, in order."""
        return [getattr(self, f"ld{i}") for i in range(len(self._geos))]

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        spec, lanes, n = self._spec, self._lanes, self._n
        layer_index = {layer.name: i for i, layer in enumerate(spec.layers)}
        secs = self._sections
        # Retained across the soft reset (no domain reset); `por` clears them below.
        loaded = Signal(reset_less=True)
        error = Signal(reset_less=True)
        m.d.comb += [self.loaded.eq(loaded), self.load_error.eq(error)]

        sec = Signal(range(len(secs)))
        col = Signal(range(max(s.size for s in secs) + 1))
        row = Signal.like(col)
        lane = Signal(index_bits(lanes))
        base = Signal(max(g.load_addr_bits for g in self._geos))
        total = Signal(BUS_BITS)
        target = Signal(range(len(spec.layers)))
        field = Signal(LoadField)
        en = Signal()
        left = Signal(range(n + 1))

        word = self.i.payload
        row_len = Signal.like(col)
        rows = Signal.like(col)
        bad_shift = Signal()  # the word is an ssf threshold that is not a legal power of two
        with m.Switch(sec):
            for k, s in enumerate(secs):
                with m.Case(k):
                    m.d.comb += [
                        row_len.eq(math.prod(s.shape[1:]) if s.shape else 1),
                        rows.eq(s.shape[0] if s.shape else 1),
                        target.eq(layer_index[s.layer]),
                        field.eq(LoadField[s.field.upper()]),
                    ]
                    layer = spec.layers[layer_index[s.layer]]
                    if s.field == "threshold" and layer.neuron == "ssf":
                        m.d.comb += bad_shift.eq(~ssf_threshold_ok(word, layer.membrane_bits))
        take = self.i.valid & self.i.ready
        m.d.comb += [self.i.ready.eq(self.allow), self.word.eq(take)]
        for i, bus in enumerate(self.ld):
            m.d.comb += [
                bus.por.eq(self.por),
                bus.en.eq(en & (target == i)),
                bus.field.eq(field),
                bus.addr.eq(base + col),
                bus.lane.eq(lane),
                bus.data.eq(word),
            ]
        with m.FSM(name="load"):
            with m.State("MAGIC"), m.If(take):
                m.d.sync += [loaded.eq(0), error.eq(word != loadmap.MAGIC)]
                with m.If(word == loadmap.MAGIC):
                    m.next = "ID"
            with m.State("ID"):
                m.d.comb += self.active.eq(1)
                with m.If(take):
                    with m.If(word == spec.hardware_id()):
                        m.next = "LEN"
                    with m.Else():
                        m.d.sync += error.eq(1)
                        m.next = "MAGIC"
            with m.State("LEN"):
                m.d.comb += self.active.eq(1)
                with m.If(take):
                    m.d.sync += [sec.eq(0), col.eq(0), row.eq(0), lane.eq(0), base.eq(0)]
                    m.d.sync += [total.eq(0), left.eq(n)]
                    with m.If(word == n):
                        m.next = "PAYLOAD"
                    with m.Else():
                        m.d.sync += error.eq(1)
                        m.next = "MAGIC"
            with m.State("PAYLOAD"):
                m.d.comb += [self.active.eq(1), en.eq(take)]
                with m.If(take):
                    m.d.sync += [total.eq(total + word), left.eq(left - 1), col.eq(col + 1)]
                    with m.If(col == row_len - 1):
                        m.d.sync += [col.eq(0), row.eq(row + 1), lane.eq(lane + 1)]
                        with m.If(lane == lanes - 1):
                            m.d.sync += [lane.eq(0), base.eq(base + row_len)]
                        with m.If(row == rows - 1):
                            m.d.sync += [sec.eq(sec + 1), row.eq(0), lane.eq(0), base.eq(0)]
                    with m.If(left == 1):
                        m.next = "CHECK"
                    with m.If(bad_shift):  # refused at once: the image cannot load
                        m.d.sync += error.eq(1)
                        m.next = "MAGIC"
            with m.State("CHECK"):
                m.d.comb += self.active.eq(1)
                with m.If(take):
                    with m.If(word == total):
                        m.d.sync += loaded.eq(1)
                    with m.Else():
                        m.d.sync += error.eq(1)
                    m.next = "MAGIC"
        with m.If(self.por):  # the last assignment wins over the FSM's
            m.d.sync += [loaded.eq(0), error.eq(0)]
        return m


def ssf_threshold_ok(word: object, membrane_bits: int) -> object:
    """A legal ssf threshold (`ShiftDecoder`): 2**k with 0 <= k <= membrane_bits - 2, i.e. one
    set bit, below 2**(membrane_bits-1). `word` is the raw 32-bit image word."""
    w = word.as_unsigned()
    return (w != 0) & ((w & (w - 1)) == 0) & (w < (1 << (membrane_bits - 1)))
