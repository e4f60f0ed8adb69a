"""Layer sequencer: runs one inference timestep-major, layer by layer, and owns the input side.

One inference (`docs/arithmetic.md` §2 and `hw/README.md`)::

    INIT     sweep init_addr over 0..max depth-1: every layer vw = v_init, cin = 0
             (after reset, after an accepted result and after any load-port word)
    INPUT    accept samples and RR words in any interleaving; a non-zero sample x[i] becomes a
             value event for layer 0, a non-zero rr[j] one for every RR layer (zeros are
             counted and dropped: a silent input costs one cycle per word)
    for t in 0..T-1, for l in 0..L-1:
        FIRE l   fire_start[l] (in the cycle of the state change), then, while layer l scans,
                 route the queue to layer l+1, which integrates the spikes as they come;
                 leave when the scan is over, the queue empty and layer l+1 idle
    for l in n_if..L-1 (the sum-then-fire suffix, if any), once:
        FIRE l   as above; the last IF layer pushed its spike counts in step T-1 and layer n_if
                 integrated them during that scan, so each ssf layer fires once, its counts
                 integrated by the next ssf layer while it scans (an all-ssf model goes from
                 INPUT straight to the ssf layers: no timestep loop at all)
    RESULT   the output layer streamed its last-step membranes into the decision unit; wait
             until the result is taken (`done`), then INIT again

Overlapping layer l's scan with layer l+1's integration is exact: they touch different
memories, and layer l+1 fires only after every spike of layer l at this step is integrated.

Contract: `i_sample`/`i_rr` are ready only while a model is loaded, the membranes are
initialised, no image is being loaded, no image is offered before the beat's first word
(`load_pending`, so the two never race; an image offered after it waits for the result) and the
beat still lacks words; sample words have priority over RR words. `busy` is high from the first
accepted input word until the result is taken; `load_allow` (the load port's ready) is `~busy`
in state IDLE. `waiting` is high when nothing in the schedule can change until an input word,
an image word or the result's acceptance arrives: IDLE with the membranes initialised, INPUT with
words still missing and every input layer idle, RESULT (the core's clock may stop then,
`hw/spi.py`). Cycle cost: `hw/cycles.py` and `hw/README.md`.
"""

from __future__ import annotations

from amaranth.hdl import Elaboratable, Module, Signal, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.buses import LayerControl
from ecg_snn.hw.config import LayerGeometry
from ecg_snn.hw.synapse import value_layout
from ecg_snn.model.contract.artifact import ModelSpec
from ecg_snn.model.contract.spec import index_bits


def value_bits(spec: ModelSpec) -> int:
    """Signed width of a value event: a sample, or an unsigned RR feature plus a sign bit."""
    return max(spec.preprocess.input_bits, spec.preprocess.rr_bits + 1)


class Sequencer(wiring.Component):
    """The inference schedule and the input side (module docstring).

    Ports: `i_sample`, `i_rr` (the chip's input streams), `value{i}` (value events to every
    layer with a `cin` memory), `ctl0..ctl{L-1}` (`LayerControl`, also as the list `ctl`),
    `routing` / `route` (which layer the queue feeds), `queue_empty`, the load handshake
    (`loaded`, `load_active`, `load_pending`, `load_word` in; `load_allow` out), `result_taken` /
    `result_enable` (the result port opens in state RESULT only), `busy`, `done`.
    Parameters: `spec`, `lanes`."""

    def __init__(self, spec: ModelSpec, lanes: int) -> None:
        self._spec = spec
        pre = spec.preprocess
        self._geos = [LayerGeometry(layer, lanes) for layer in spec.layers]
        self._max_depth = max(g.depth for g in self._geos)
        n_idx = max(pre.n_samples, spec.n_rr, 1)
        self.value_shape = value_layout(n_idx, value_bits(spec))
        L = len(spec.layers)
        members = {
            "i_sample": In(stream.Signature(signed(pre.input_bits))),
            "routing": Out(1),
            "route": Out(range(L)),
            "queue_empty": In(1),
            "loaded": In(1),
            "load_active": In(1),
            "load_pending": In(1),
            "load_word": In(1),
            "load_allow": Out(1),
            "result_taken": In(1),
            "result_enable": Out(1),
            "busy": Out(1),
            "done": Out(1),
            "waiting": Out(1),
        }
        if spec.n_rr:
            members["i_rr"] = In(stream.Signature(unsigned(pre.rr_bits)))
        for i, g in enumerate(self._geos):
            members[f"ctl{i}"] = Out(LayerControl(self.init_bits))
            if g.has_cin:
                members[f"value{i}"] = Out(stream.Signature(self.value_shape))
        super().__init__(members)

    @property
    def init_bits(self) -> int:
        """Width of the init sweep's address (the deepest layer)."""
        return index_bits(self._max_depth)

    @property
    def ctl(self) -> list:
        """The control interface of every layer, in order."""
        return [getattr(self, f"ctl{i}") for i in range(len(self._geos))]

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        spec, geos = self._spec, self._geos
        L, T = len(geos), spec.T
        n_samples, n_rr = spec.preprocess.n_samples, spec.n_rr

        clean = Signal()  # the membranes hold v_init and cin is zero
        busy = Signal()
        ns = Signal(range(n_samples + 1))
        nr = Signal(range(max(2, n_rr + 1)))  # one bit without RR features: no [-1:0] net
        t = Signal(range(max(2, T)))  # one bit at T = 1: no [-1:0] net
        init = Signal()
        init_addr = Signal(self.init_bits)
        fire_start = Signal(L)
        m.d.comb += self.busy.eq(busy)
        for i, ctl in enumerate(self.ctl):  # init and the step are broadcast to every layer
            m.d.comb += [
                ctl.init.eq(init),
                ctl.init_addr.eq(init_addr),
                ctl.last_step.eq(t == T - 1),
                ctl.fire_start.eq(fire_start[i]),
            ]

        # Input side: active in IDLE (first word) and INPUT.
        accepting = Signal()
        # An offered image holds back a new beat (the two never race), not the rest of a begun
        # one: that would wait for the load, which waits for the result (a deadlock); the load
        # is deferred until the result is taken instead (`load_allow`).
        ok = accepting & self.loaded & clean & ~self.load_active & (busy | ~self.load_pending)
        s_go = ok & (ns < n_samples)
        x = self.i_sample.payload
        value0 = getattr(self, "value0", None)
        s_take = Signal()
        with m.If(s_go & (x == 0)):
            m.d.comb += [self.i_sample.ready.eq(1), s_take.eq(self.i_sample.valid)]
        with m.Elif(s_go):
            m.d.comb += [
                value0.valid.eq(self.i_sample.valid),
                value0.payload.rr.eq(0),
                value0.payload.index.eq(ns),
                value0.payload.value.eq(x),
                self.i_sample.ready.eq(value0.ready),
                s_take.eq(self.i_sample.valid & value0.ready),
            ]
        with m.If(s_take):
            m.d.sync += ns.eq(ns + 1)
        r_take = Signal()
        if n_rr:
            r_go = ok & (nr < n_rr) & ~(s_go & self.i_sample.valid)
            r = self.i_rr.payload
            targets = [getattr(self, f"value{i}") for i, g in enumerate(geos) if g.layer.rr_inputs]
            with m.If(r_go & (r == 0)):
                m.d.comb += [self.i_rr.ready.eq(1), r_take.eq(self.i_rr.valid)]
            if not targets:  # no layer takes the RR words: each is consumed at once
                with m.Elif(r_go):
                    m.d.comb += [self.i_rr.ready.eq(1), r_take.eq(self.i_rr.valid)]
            else:
                with m.Elif(r_go):
                    # Broadcast (a stream fork): every RR layer takes the word once. A target's
                    # `valid` never looks at any `ready`; `taken` remembers the targets that took
                    # the word already, and the word is consumed when the last one takes it.
                    taken = Signal(len(targets))
                    took = Signal(len(targets))
                    for k, tgt in enumerate(targets):
                        m.d.comb += [
                            tgt.valid.eq(self.i_rr.valid & ~taken[k]),
                            tgt.payload.rr.eq(1),
                            tgt.payload.index.eq(nr),
                            tgt.payload.value.eq(r),
                            took[k].eq(taken[k] | tgt.ready),
                        ]
                    m.d.comb += [
                        self.i_rr.ready.eq(took.all()),
                        r_take.eq(self.i_rr.valid & took.all()),
                    ]
                    with m.If(r_take):
                        m.d.sync += taken.eq(0)
                    with m.Elif(self.i_rr.valid):
                        m.d.sync += taken.eq(took)
            with m.If(r_take):
                m.d.sync += nr.eq(nr + 1)
        first = (s_take | r_take) & ~busy

        cin_layers = [i for i, g in enumerate(geos) if g.has_cin]
        all_idle = Signal()
        m.d.comb += all_idle.eq(1)
        for i in cin_layers:
            with m.If(~self.ctl[i].idle):
                m.d.comb += all_idle.eq(0)

        with m.If(self.load_word):
            m.d.sync += clean.eq(0)

        # Waiting for the outside: no input or image word offered, and a state that holds.
        offered = self.i_sample.valid | self.load_pending | self.load_active
        if n_rr:
            offered = offered | self.i_rr.valid
        holds = Signal()
        m.d.comb += self.waiting.eq(holds & ~offered)

        def start(i: int) -> None:
            # Start layer i's fire scan in the cycle of the state change: no idle cycle.
            m.d.comb += fire_start[i].eq(1)
            m.next = f"FIRE{i}"

        with m.FSM(name="seq"):
            with m.State("IDLE"):
                m.d.comb += [accepting.eq(1), self.load_allow.eq(~busy), holds.eq(clean)]
                with m.If(first):
                    m.d.sync += busy.eq(1)
                    m.next = "INPUT"
                with m.Elif(self.loaded & ~clean & ~self.load_active & ~self.load_pending):
                    m.d.sync += init_addr.eq(0)
                    m.next = "INIT"
            with m.State("INIT"):
                m.d.comb += init.eq(1)
                m.d.sync += init_addr.eq(init_addr + 1)
                with m.If(init_addr == self._max_depth - 1):
                    m.d.sync += clean.eq(1)
                    m.next = "IDLE"
            with m.State("INPUT"):
                words_missing = (ns != n_samples) | (nr != n_rr)
                m.d.comb += [accepting.eq(1), holds.eq(all_idle & words_missing)]
                with m.If((ns == n_samples) & (nr == n_rr) & all_idle):
                    m.d.sync += [t.eq(0), clean.eq(0)]
                    start(0)
            n_if = spec.n_if
            for i in range(L):
                with m.State(f"FIRE{i}"):
                    if i == n_if - 1 and i < L - 1:
                        # The last IF layer: the ssf layer behind it takes its counts in the
                        # last step; then the ssf suffix runs once.
                        m.d.comb += [self.routing.eq(1), self.route.eq(i + 1)]
                        with m.If(~self.ctl[i].fire_busy & self.queue_empty & self.ctl[i + 1].idle):
                            with m.If(t == T - 1):
                                start(i + 1)
                            with m.Else():
                                m.d.sync += t.eq(t + 1)
                                start(0)
                    elif i < L - 1:
                        # Layer i+1 integrates the spikes while layer i is still scanning.
                        m.d.comb += [self.routing.eq(1), self.route.eq(i + 1)]
                        with m.If(~self.ctl[i].fire_busy & self.queue_empty & self.ctl[i + 1].idle):
                            start(i + 1)
                    elif n_if < L:
                        with m.If(~self.ctl[i].fire_busy):
                            m.next = "RESULT"
                    else:
                        with m.If(~self.ctl[i].fire_busy):
                            with m.If(t == T - 1):
                                m.next = "RESULT"
                            with m.Else():
                                m.d.sync += t.eq(t + 1)
                                start(0)
            with m.State("RESULT"):
                # The decision unit may hold its result a cycle before this state: the result
                # port opens only here, so `done` and the acceptance coincide.
                m.d.comb += [self.result_enable.eq(1), holds.eq(~self.result_taken)]
                with m.If(self.result_taken):
                    m.d.comb += self.done.eq(1)
                    m.d.sync += [busy.eq(0), ns.eq(0), nr.eq(0)]
                    m.next = "IDLE"
        return m
