"""The fused engine's datapath and schedule: line buffers, accumulators, the shared MAC array,
the fire stage and the layer scheduler that skips zero counts.

Equations: `hw/fused/plan.py`. Architecture and the cycle cost: `hw/fused/README.md`. One
operation at a time, in this order (the schedule the cycle model `hw/fused/cycles.py` replays):

    IN      take samples (priority) and RR words. A sample enters layer 0's line buffer (the
            last K samples); when it completes an output position p of a conv layer 0 the
            engine runs that position (the input layer is a conv: the spec's input is one
            channel of n_samples, which a dense layer cannot take)
    START   position p of conv layer l, channel group g: acc = v_init + T*bias, pending = the
            non-zero entries of the layer's input window (K x C_in counts, or K samples)
    ISSUE   one MAC per pending entry, lowest first: acc += W[g, c, k] * window[c, k]
            (zero entries are skipped); one drain cycle when none is left
    FIRE    counts = fire(acc) for the `lanes` channels of group g. Into the next conv layer's
            line buffer (its newest column), or, before a dense layer, as events: FEED
    FEED    one MAC per (non-zero count, target group): the dense layer's accumulators
            acc[g'] += W[g', m] * count[m]; one drain cycle at the end
    ...     after the last group of position p: the column is complete; if it completes a
            position of the next conv layer, that position runs at once (layer-fused), else IN
    TAIL    after the whole beat: RR events into the RR layers' accumulators (T * W_rr * rr),
            then FIRE each dense layer group by group (its non-zero counts FEED the next layer);
            the output layer's groups go to the decision unit instead
    RESULT  until the result is taken (`done`)

State (about 1 kbit for the default model): the K-sample window, one K x C_in count window per
later conv layer, one lanes-wide accumulator for the conv layers (output-stationary), one
accumulator per dense neuron (fed as the counts appear), the RR words, the schedule counters.
No membrane memory: every value lives only as long as it is needed.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.decision import values_layout
from ecg_snn.hw.fused.accmem import acc_banks, in_block_ram
from ecg_snn.hw.fused.fire import CountFire, OutputSat
from ecg_snn.hw.fused.mac import MacArray
from ecg_snn.hw.fused.plan import FusedPlan, init_values
from ecg_snn.hw.fused.rom import WeightRom
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import index_bits


class Source(enum.Enum, shape=1):
    """What a FEED walks: the counts of a fired group, or the RR words."""

    COUNTS = 0
    RR = 1


def lowest(m: Module, bits: Signal, name: str) -> Signal:
    """Index of the lowest set bit of `bits` (0 when none): a priority chain."""
    idx = Signal(index_bits(len(bits)), name=name)
    for b in reversed(range(len(bits))):
        with m.If(bits[b]):
            m.d.comb += idx.eq(b)
    return idx


class FusedCore(wiring.Component):
    """Ports: `i_sample`, `i_rr` (absent without RR features), `o_values` (the output layer's
    values to the decision unit, one group per transfer), `result_enable` (high in RESULT),
    `result_taken` in, `busy`, `done`, `quiet` out (no register can change until an input word
    or the result's acceptance arrives: IN with no word taken and the beat incomplete, RESULT
    until the result is taken; `hw/spi.py` stops the core's clock then). Parameters: `plan`
    (`FusedPlan`), `artifact` (its integers become ROM contents and constants)."""

    def __init__(self, plan: FusedPlan, artifact: Artifact) -> None:
        self._plan, self._art = plan, artifact
        pre = plan.spec.preprocess
        members = {
            "i_sample": In(stream.Signature(signed(pre.input_bits))),
            "o_values": Out(
                stream.Signature(values_layout(plan.lanes, plan.layers[-1].layer.membrane_bits))
            ),
            "result_enable": Out(1),
            "result_taken": In(1),
            "busy": Out(1),
            "done": Out(1),
            "quiet": Out(1),
        }
        if pre.n_rr:
            members["i_rr"] = In(stream.Signature(pre.rr_bits))
        super().__init__(members)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        plan, art = self._plan, self._art
        spec, lanes, T, cb = plan.spec, plan.lanes, plan.spec.T, plan.count_bits
        pre = spec.preprocess
        L, layers, n_conv = len(plan.layers), plan.layers, plan.n_conv
        n, n_rr = pre.n_samples, pre.n_rr
        max_g = max(p.geo.groups for p in layers)

        # ---- the weight ROM (`hw/fused/rom.py`): a bank per tensor, each held still unless it
        # is read; its data register is the MAC's weight operand, loaded only for an operation ----
        m.submodules.weights = rom = WeightRom(plan, art, sync_ports=plan.block_ram)
        bank = Signal.like(rom.bank)  # the tensor read this cycle
        addr = Signal.like(rom.addr)  # the word within it

        # ---- schedule registers ----
        busy = Signal()
        s_count = Signal(range(n + 1))
        r_count = Signal(range(n_rr + 1))
        cur = Signal(range(max(2, L)))  # the layer being started / fired
        g = Signal(range(max(2, max_g)))  # its channel group
        ft = Signal(range(max(2, L)))  # FEED: the target layer
        gt = Signal(range(max(2, max_g)))  # FEED: the target group
        src = Signal(Source)
        mask_bits = max([lanes, n_rr, 1] + [p.window_bits for p in layers if p.conv])
        pending = Signal(mask_bits, reset_less=True)  # written on entry to ISSUE / FEED
        need = {
            p.index: Signal(
                range(max(p.layer.kernel, p.layer.stride) + 1),
                init=p.layer.kernel,
                name=f"need{p.index}",
            )
            for p in layers
            if p.conv
        }
        pos = {
            p.index: Signal(range(p.geo.positions + 1), name=f"pos{p.index}")
            for p in layers
            if p.conv
        }

        # ---- data registers (no reset: each is written before it is read, per inference) ----
        rr_buf = [Signal(pre.rr_bits, reset_less=True, name=f"rr{j}") for j in range(n_rr)]
        cnt = Signal(data.ArrayLayout(cb, lanes), reset_less=True)  # the fired group's counts
        lb = {}  # line buffers: lb[l][k] is window column k (0 oldest) of conv layer l
        for p in layers:
            if not p.conv:
                continue
            if p.index == 0:
                elem = signed(pre.input_bits)
                cols = [
                    Signal(elem, reset_less=True, name=f"lb0_{k}") for k in range(p.layer.kernel)
                ]
            else:
                elem = data.ArrayLayout(cb, p.layer.in_channels)
                cols = [
                    Signal(elem, reset_less=True, name=f"lb{p.index}_{k}")
                    for k in range(p.layer.kernel)
                ]
            lb[p.index] = cols
        conv_bits = max([p.acc_bits for p in layers if p.conv], default=1)
        cacc = Signal(data.ArrayLayout(signed(conv_bits), lanes), reset_less=True)
        dacc = {}  # dacc[(l, g)][j]: dense layer l's accumulator of channel g*lanes + j
        for p in layers:
            if not p.conv:
                for gg in range(p.geo.groups):
                    real = p.layer.out_channels - gg * lanes  # padding lanes hold no register
                    dacc[(p.index, gg)] = [
                        Signal(signed(p.acc_bits), reset_less=True, name=f"acc{p.index}_{gg}_{j}")
                        if j < real and not in_block_ram(plan, p)  # else `accmem.py`
                        else None
                        for j in range(lanes)
                    ]

        def read(reg: list, j: int) -> object:
            return Const(0, 1) if reg[j] is None else reg[j]

        def write(reg: list, values: list) -> list:
            return [r.eq(v) for r, v in zip(reg, values, strict=True) if r is not None]

        def acc_in(m: Module, key: tuple[int, int], flag: Signal) -> list:
            """Dense accumulator group `key` as an operand, 0 until written (`written`): its
            registers; or, in block RAM, the word its layer's port read in the cycle before
            (`accmem.py`) behind `flag`, set here to the group's `written`: the same
            expression for every group of the layer, so one multiplexer, not one per group."""
            d, bank = dest_ids[key], banks.get(key[0])
            if bank is None:
                return [Mux(written[d], read(dacc[key], j), 0) for j in range(lanes)]
            m.d.comb += flag.eq(written[d])
            return [Mux(flag, bank.word[j], 0) for j in range(lanes)]

        dest_ids = {None: 0} | {key: i + 1 for i, key in enumerate(dacc)}
        # `written[d]`: accumulator group d has taken an operation in this inference (position,
        # for the conv accumulator). Until then it reads as 0 and the first MAC overwrites it;
        # the start value v_init + T*bias is added at the fire instead. So no accumulator is
        # ever loaded with a constant: a constant load is a synchronous reset to synthesis, and
        # the ASIC flow cannot clock-gate a flip-flop with a synchronous reset.
        written = [Signal(name=f"written{d}") for d in range(len(dest_ids))]

        def init_word(i: int, gg: int) -> list[int]:
            vals = init_values(plan, art, i)
            return [int(vals[c]) if (c := gg * lanes + j) < len(vals) else 0 for j in range(lanes)]

        # ---- the issue stage (this cycle) and the MAC stage (next cycle) ----
        issue = Signal()
        op = Signal(signed(plan.operand_bits))
        scale = Signal()
        dest = Signal(range(len(dest_ids)))
        v2 = Signal()
        op2 = Signal.like(op, reset_less=True)
        scale2 = Signal(reset_less=True)
        dest2 = Signal.like(dest, reset_less=True)
        m.d.sync += v2.eq(issue)
        banks = {}  # the dense accumulators in block RAM (`accmem.py`), the FPGA build
        fired = Signal()  # with `banks`: group g of layer `cur` has fired
        mac_written = Signal()  # with `banks`: `written` of the MAC's group (`acc_in`)
        fire_written = Signal()  # with `banks`: `written` of the fired group
        if plan.block_ram:
            firsts = {i: dest_ids[(i, 0)] for i, _ in dacc}
            ports = {"issue": issue, "dest": dest, "cur": cur, "g": g, "fired": fired}
            banks = acc_banks(m, plan, firsts, ports)  # empty: no layer of two groups
        with m.If(issue):  # loaded only with a new operation: an idle MAC array holds still
            m.d.sync += [op2.eq(op), scale2.eq(scale), dest2.eq(dest)]
        m.d.comb += [rom.en.eq(issue), rom.bank.eq(bank), rom.addr.eq(addr)]

        m.submodules.mac = mac = MacArray(
            lanes, plan.weight_bits, plan.operand_bits, plan.max_acc_bits, T
        )
        m.d.comb += [mac.x.eq(op2), mac.scale.eq(scale2)]
        m.d.comb += [mac.w[j].eq(rom.data[j]) for j in range(lanes)]
        with m.Switch(dest2):
            with m.Case(0):
                m.d.comb += [mac.acc[j].eq(Mux(written[0], cacc[j], 0)) for j in range(lanes)]
                with m.If(v2):
                    m.d.sync += [cacc[j].eq(mac.sum[j]) for j in range(lanes)]
                    m.d.sync += written[0].eq(1)
            for key, reg in dacc.items():
                d = dest_ids[key]
                with m.Case(d):
                    m.d.comb += [
                        mac.acc[j].eq(v) for j, v in enumerate(acc_in(m, key, mac_written))
                    ]
                    if key[0] in banks:  # block RAM: the sum written back to the word read
                        wr = banks[key[0]].write
                        m.d.comb += [wr.addr.eq(key[1]), wr.en.eq(v2)]
                        m.d.comb += [wr.data[j].eq(mac.sum[j]) for j in range(lanes)]
                    with m.If(v2):
                        if key[0] not in banks:
                            m.d.sync += write(reg, [mac.sum[j] for j in range(lanes)])
                        m.d.sync += written[d].eq(1)

        # ---- fire ----
        m.submodules.fire = fire = CountFire(plan)
        m.submodules.out_sat = osat = OutputSat(plan)
        m.d.comb += fire.layer.eq(cur)
        # The fired group's A = (written ? acc : 0) + v_init + T*bias, shared by the count fire
        # and the output saturation.
        base = Signal(data.ArrayLayout(signed(plan.max_acc_bits), lanes))
        start = Signal(data.ArrayLayout(signed(plan.max_acc_bits), lanes))
        a_in = Signal(data.ArrayLayout(signed(plan.max_acc_bits), lanes))
        with m.Switch(cur):
            for p in layers:
                with m.Case(p.index), m.Switch(g):
                    for gg in range(p.geo.groups):
                        with m.Case(gg):
                            w = init_word(p.index, gg)
                            m.d.comb += [start[j].eq(w[j]) for j in range(lanes)]
                            if p.conv:
                                m.d.comb += [
                                    base[j].eq(Mux(written[0], cacc[j], 0)) for j in range(lanes)
                                ]
                            else:
                                key = (p.index, gg)
                                m.d.comb += [
                                    base[j].eq(v)
                                    for j, v in enumerate(acc_in(m, key, fire_written))
                                ]
        m.d.comb += [a_in[j].eq(base[j] + start[j]) for j in range(lanes)]
        m.d.comb += [fire.acc[j].eq(a_in[j]) for j in range(lanes)]
        m.d.comb += [osat.acc[j].eq(a_in[j]) for j in range(lanes)]
        nz = Signal(lanes)  # the fired group's non-zero counts (real channels only)
        with m.Switch(cur):
            for p in layers:
                with m.Case(p.index):
                    for gg in range(p.geo.groups):
                        with m.If(g == gg):
                            lm = p.geo.lane_mask(gg)
                            m.d.comb += nz.eq(Cat(fire.counts[j] != 0 for j in range(lanes)) & lm)

        # ---- windows: the non-zero mask and the entry selected by the lowest pending bit ----
        win_mask = Signal(mask_bits)
        bit = lowest(m, pending, "bit")
        win_val = Signal(signed(plan.operand_bits))
        with m.Switch(cur):
            for p in layers:
                if not p.conv:
                    continue
                K = p.layer.kernel
                with m.Case(p.index):
                    cols = lb[p.index]
                    if p.index == 0:
                        m.d.comb += win_mask.eq(Cat(cols[k] != 0 for k in range(K)))
                        with m.Switch(bit):
                            for k in range(K):
                                with m.Case(k):
                                    m.d.comb += win_val.eq(cols[k])
                    else:
                        C = p.layer.in_channels
                        m.d.comb += win_mask.eq(
                            Cat(cols[k][c] != 0 for c in range(C) for k in range(K))
                        )
                        with m.Switch(bit):
                            for c in range(C):
                                for k in range(K):
                                    with m.Case(c * K + k):
                                        m.d.comb += win_val.eq(cols[k][c])

        def fire_index(layer_index: int) -> object:
            """The firing source neuron m (of layer ft - 1) behind the lowest pending lane."""
            p = layers[layer_index]
            ch = g * lanes + bit
            return ch * p.geo.positions + pos[p.index] if p.conv else ch

        def column_arrives(m: Module, i: int) -> None:
            """A new input column (a sample for layer 0) reached conv layer i: count it, and
            start a position when it completes one (else back to IN)."""
            p = layers[i]
            ready = (need[i] == 1) & (pos[i] < p.geo.positions)
            with m.If(ready):
                m.d.sync += [need[i].eq(p.layer.stride), cur.eq(i), g.eq(0)]
                m.next = "START"
            with m.Else():
                with m.If(need[i] > 1):
                    m.d.sync += need[i].eq(need[i] - 1)
                m.next = "IN"

        def after_group(m: Module) -> None:
            """Group g of layer `cur` is done (fired, and its counts fed): next group, next
            layer, or back to IN / on to RESULT."""
            with m.Switch(cur):
                for p in layers:
                    with m.Case(p.index):
                        with m.If(g != p.geo.groups - 1):
                            m.d.sync += g.eq(g + 1)
                            m.next = "START" if p.conv else "FIRE"
                        with m.Else():
                            if p.conv:
                                m.d.sync += pos[p.index].eq(pos[p.index] + 1)
                                if layers[p.index + 1].conv:
                                    column_arrives(m, p.index + 1)
                                else:
                                    m.next = "IN"
                            elif p.index < L - 1:
                                m.d.sync += [cur.eq(p.index + 1), g.eq(0)]
                                m.next = "FIRE"
                            else:
                                m.next = "RESULT"

        def start_tail(m: Module) -> None:
            rr_nz = Cat(r != 0 for r in rr_buf) if n_rr else Const(0, 1)
            if plan.rr_layers:
                with m.If(rr_nz != 0):
                    m.d.sync += [
                        ft.eq(plan.rr_layers[0]),
                        gt.eq(0),
                        src.eq(Source.RR),
                        pending.eq(rr_nz),
                    ]
                    m.next = "FEED"
                with m.Else():
                    m.d.sync += [cur.eq(n_conv), g.eq(0)]
                    m.next = "FIRE"
            else:
                m.d.sync += [cur.eq(n_conv), g.eq(0)]
                m.next = "FIRE"

        s_take = Signal()
        r_take = Signal()
        m.d.comb += [self.busy.eq(busy), s_take.eq(self.i_sample.valid & self.i_sample.ready)]
        if n_rr:
            m.d.comb += r_take.eq(self.i_rr.valid & self.i_rr.ready)

        with m.FSM(name="schedule") as fsm:
            with m.State("IN"):
                m.d.comb += self.i_sample.ready.eq(s_count < n)
                if n_rr:
                    m.d.comb += self.i_rr.ready.eq(
                        (r_count < n_rr) & ~(self.i_sample.valid & (s_count < n))
                    )
                with m.If((s_take | r_take) & ~busy):  # the beat's first word
                    m.d.sync += busy.eq(1)
                    m.d.sync += [written[d].eq(0) for d in range(1, len(written))]
                with m.If(r_take):
                    with m.Switch(r_count):
                        for j in range(n_rr):
                            with m.Case(j):
                                m.d.sync += rr_buf[j].eq(self.i_rr.payload)
                    m.d.sync += r_count.eq(r_count + 1)
                with m.If(s_take):
                    m.d.sync += s_count.eq(s_count + 1)
                    cols = lb[0]
                    m.d.sync += [cols[k].eq(cols[k + 1]) for k in range(len(cols) - 1)]
                    m.d.sync += cols[-1].eq(self.i_sample.payload)
                    column_arrives(m, 0)
                with m.Elif(busy & (s_count == n) & (r_count == n_rr)):
                    start_tail(m)
                with m.Else():
                    m.d.comb += self.quiet.eq(~r_take)
            with m.State("START"):
                with m.Switch(cur):
                    for p in layers:
                        if not p.conv:
                            continue
                        with m.Case(p.index):
                            if layers[p.index + 1].conv:  # a new newest column for layer l+1
                                cols = lb[p.index + 1]
                                with m.If(g == 0):
                                    m.d.sync += [
                                        cols[k].eq(cols[k + 1]) for k in range(len(cols) - 1)
                                    ]
                m.d.sync += [pending.eq(win_mask), written[0].eq(0)]  # a new position
                m.next = "ISSUE"
                with m.If(win_mask == 0):
                    m.next = "FIRE"
            with m.State("ISSUE"):
                with m.If(pending != 0):
                    m.d.comb += [issue.eq(1), op.eq(win_val), dest.eq(0)]
                    m.d.sync += pending.eq(pending & (pending - 1))
                    with m.Switch(cur):
                        for p in layers:
                            if not p.conv:
                                continue
                            with m.Case(p.index):
                                m.d.comb += [
                                    bank.eq(rom.ids[(p.index, "weight")]),
                                    addr.eq(g * p.geo.row_len + bit),
                                    scale.eq(p.layer.source == "input"),
                                ]
                with m.Else():
                    m.next = "FIRE"
            with m.State("FIRE"), m.Switch(cur):
                for p in layers:
                    with m.Case(p.index):
                        if not p.layer.fires:  # the output layer: values to the decision
                            m.d.comb += [
                                self.o_values.valid.eq(1),
                                self.o_values.payload.last.eq(g == p.geo.groups - 1),
                            ]
                            m.d.comb += [
                                self.o_values.payload.values[j].eq(osat.values[j])
                                for j in range(lanes)
                            ]
                            after_group(m)
                        elif layers[p.index + 1].conv:  # into the newest column
                            newest = lb[p.index + 1][-1]
                            C = p.layer.out_channels
                            for gg in range(p.geo.groups):
                                with m.If(g == gg):
                                    m.d.sync += [
                                        newest[c].eq(fire.counts[c - gg * lanes])
                                        for c in range(gg * lanes, min(C, gg * lanes + lanes))
                                    ]
                            after_group(m)
                        else:  # events for the dense layer behind
                            m.d.sync += [
                                cnt.eq(fire.counts),
                                ft.eq(p.index + 1),
                                gt.eq(0),
                                src.eq(Source.COUNTS),
                                pending.eq(nz),
                            ]
                            with m.If(nz != 0):
                                m.next = "FEED"
                            with m.Else():
                                after_group(m)
            with m.State("FEED"):
                with m.If(pending != 0):
                    m.d.comb += issue.eq(1)
                    for p in layers:
                        if p.conv:
                            continue
                        G = p.geo.groups
                        last_g = gt == G - 1
                        with m.If(ft == p.index):
                            with m.If(last_g):
                                m.d.sync += [gt.eq(0), pending.eq(pending & (pending - 1))]
                            with m.Else():
                                m.d.sync += gt.eq(gt + 1)
                            with m.Switch(gt):
                                for gg in range(G):
                                    with m.Case(gg):
                                        m.d.comb += dest.eq(dest_ids[(p.index, gg)])
                            n_in = p.layer.n_in
                            with m.Switch(src):
                                if p.index > 0:
                                    with m.Case(Source.COUNTS):
                                        m.d.comb += [
                                            bank.eq(rom.ids[(p.index, "weight")]),
                                            addr.eq(gt * n_in + fire_index(p.index - 1)),
                                            op.eq(cnt[bit]),
                                        ]
                                if p.layer.rr_inputs:
                                    with m.Case(Source.RR):
                                        m.d.comb += [
                                            bank.eq(rom.ids[(p.index, "rr_weight")]),
                                            addr.eq(gt * n_rr + bit),
                                            op.eq(
                                                Cat(r for r in rr_buf).word_select(bit, pre.rr_bits)
                                            ),
                                            scale.eq(1),
                                        ]
                with m.Else(), m.Switch(src):  # drained: the last MAC lands this cycle
                    with m.Case(Source.COUNTS):
                        after_group(m)  # `cur`, `g` still name the fired group
                    with m.Case(Source.RR):
                        rr_nz = Cat(r != 0 for r in rr_buf) if n_rr else Const(0, 1)
                        m.d.sync += [cur.eq(n_conv), g.eq(0)]
                        m.next = "FIRE"
                        for a, b in zip(plan.rr_layers, plan.rr_layers[1:], strict=False):
                            with m.If(ft == a):
                                m.d.sync += [ft.eq(b), gt.eq(0), pending.eq(rr_nz)]
                                m.next = "FEED"
            with m.State("RESULT"):
                m.d.comb += [self.result_enable.eq(1), self.quiet.eq(~self.result_taken)]
                with m.If(self.result_taken):
                    m.d.comb += self.done.eq(1)
                    m.d.sync += [busy.eq(0), s_count.eq(0), r_count.eq(0)]
                    for i in need:
                        m.d.sync += [need[i].eq(layers[i].layer.kernel), pos[i].eq(0)]
                    m.next = "IN"
        if banks:  # (cur, g) has fired: its memory's port reads the next group (`accmem.py`)
            counts_feed = fsm.ongoing("FEED") & (src == Source.COUNTS)
            m.d.comb += fired.eq(fsm.ongoing("FIRE") | counts_feed)
        return m
