"""Address-event queue: a FIFO of spike events between a layer's fire scan and the next layer.

Contract (`lib.stream`): `i` accepts one entry per cycle while not full (`i.ready = count <
depth`); `o` offers the oldest entry from a register, so `o.valid` never depends on `o.ready`
and a full-rate consumer takes one entry per cycle. Latency: an entry written in cycle n is
offered on `o` from cycle n+2 (memory write, then registered read). `empty` is high when neither
the memory nor the output register holds an entry.

Because layers run one after another (a layer's scan fills the queue, the next layer drains it
completely before it fires), one queue serves every layer; its depth is the largest fire scan,
so a scan, which starts on an empty queue and pushes at most one entry per neuron group, can
never find it full, whatever the consumer does. Proved by induction on the whole accelerator
(`python -m ecg_snn.sim.formal`, `queue_no_overflow`); one entry less overflows on a 2-cycle scan
(`i.ready` looks at the memory's count only, and the first entry leaves the memory for the
output register one cycle after it was written).

Storage: one `lib.memory.Memory` of `depth` entries; read and write pointers and a count are
ordinary registers, cleared by reset.
"""

from __future__ import annotations

from amaranth.hdl import Assert, Elaboratable, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.config import Checked
from ecg_snn.model.contract.spec import index_bits


class EventQueue(Checked, wiring.Component):
    """FIFO of `depth` entries of `shape`.

    Parameters: `shape` (any shape-castable, e.g. a `data.Struct`), `depth` >= 1, `checks`
    (simulation builds: assert, on each clock edge, that no entry is offered while the queue is
    full, the invariant the accelerator relies on; adds an `Assert`, so leave it off for
    Verilog).
    """

    @classmethod
    def check(cls, shape: object, depth: int, checks: bool = False) -> None:
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"event queue depth must be a positive integer, not {depth!r}")

    def __init__(self, shape: object, depth: int, checks: bool = False) -> None:
        self._shape = shape
        self._depth = depth
        self._checks = checks
        super().__init__(
            {
                "i": In(stream.Signature(shape)),
                "o": Out(stream.Signature(shape)),
                "empty": Out(1),
                "level": Out(range(depth + 2)),
            }
        )

    @property
    def depth(self) -> int:
        return self._depth

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        depth = self._depth
        m.submodules.mem = mem = Memory(shape=self._shape, depth=depth, init=[])
        wr = mem.write_port()
        rd = mem.read_port()
        wp = Signal(index_bits(depth))
        rp = Signal(index_bits(depth))
        count = Signal(range(depth + 1))  # entries in memory, not counting the output register

        push = Signal()
        pop = Signal()  # memory -> output register
        m.d.comb += [
            self.i.ready.eq(count < depth),
            push.eq(self.i.valid & self.i.ready),
            # Refill the output register when it is empty or being taken this cycle.
            pop.eq((count > 0) & (~self.o.valid | self.o.ready)),
            wr.addr.eq(wp),
            wr.data.eq(self.i.payload),
            wr.en.eq(push),
            rd.addr.eq(rp),
            rd.en.eq(pop),
            # The read port holds its data while `en` is low, so it is the output register.
            self.o.payload.eq(rd.data),
            self.empty.eq((count == 0) & ~self.o.valid),
            self.level.eq(count + self.o.valid),
        ]
        with m.If(push):
            m.d.sync += wp.eq(Mux(wp == depth - 1, 0, wp + 1))
        with m.If(pop):
            m.d.sync += [rp.eq(Mux(rp == depth - 1, 0, rp + 1)), self.o.valid.eq(1)]
        with m.Elif(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        m.d.sync += count.eq(count + push - pop)
        if self._checks:
            # On the clock edge, where the queue samples `i`: a comb assertion also fires on a
            # delta-cycle value of `i.valid` before `count` has settled (a one-entry queue
            # aborted legal runs), whereas this one sees what the register would take.
            m.d.sync += Assert(~self.i.valid | self.i.ready, "event queue overflow")
        return m
