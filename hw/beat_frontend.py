"""The beat front end as a hardware block: raw samples and QRS beat events in, chip inputs out.

`BeatFrontend` does for each detected beat what `stream/core.py` `run_stream` does between the
detector and the classifier, bit for bit: the rules of `model/contract/beat_window.py` (which
beats are classified), the samples and RR features of `model/contract/frontend.py` and the
patient features of `model/contract/patient.py`.

Ports (`lib.stream`; a transfer is `valid & ready`):

- `tap` (`TAP`, not flow-controlled): the sample transfers of the QRS detector's input,
  observed (`valid` high in a cycle a sample is taken). `hold` (a function of the block's
  state and of `i_beat.valid` only) asks the owner of the sample stream not to take a sample:
  high during the power-up clear, in the cycle a beat is offered and while the ring is read
  for it (only if a sample would overwrite a ring entry still to be read, which takes a
  sample every cycle: never behind the QRS detector).
- `i_beat` (`qrs.BEAT_EVENT`): the detector's beats; `sample` (the fiducial R position) is
  used. A beat taken in the same cycle as a sample belongs to the samples before it.
- `o_x` (`input_bits` signed), `o_rr` (`rr_bits` unsigned, absent without RR features): the
  chip inputs of a classified beat, `n_samples` then `n_rr` words (the accelerator's ports).
- `o_info` (`info_layout(pre)`): one per beat, after its chip inputs: its fiducial sample,
  whether it is classified (`classified` 0: the first detection, or a beat a rule of
  `beat_window` excludes) and, for a classified beat, its `rhythm` (`model/contract/patient.py`
  rule 3: not a chip input, the measure of the rhythm gate; 0 when unclassified). The last
  detection never leaves (it has no next beat).

Beat i leaves when beat i+1 arrives (its emit sample e is the last sample taken before that).
Per beat (cycles): CHECK (the window, ring and start rules from positions) -> SCAN (one ring
read per cycle from the oldest sample needed, min(window start - margin, previous beat), to e:
the gap flags, the downsample sums d into `d_mem` and their total) -> divisions (local RR,
baseline, the two ratios) -> PASS1 (x words out, template distances) -> divisions (distances,
mean |dRR| and irregularity over the newest IRREG_BEATS, the same over all RHYTHM_BEATS:
rhythm) -> PASS2 (template update, when taken) -> RR words -> INFO.

Arithmetic (every width from the contract, `FrontendWidths`):

    d[g]   = sum of downsample raw samples        base = floor(sum d / n): the shared divider
           on (sum d + n K) with K = downsample * 2**(sample_bits-1), which makes it non-negative
    x[g]   = sat((d[g] - base) >> input_shift)
    local  = (r[i] - r[i-k]) // k, k = min(i, local_rr_beats) (a ring of local_rr_beats + 2
             fiducial positions)

and the ratios, distances, irregularity and rhythm of the contract, each a division of the one
`SeqDivider` (`num_bits` cycles). The |dRR| ring (RHYTHM_BEATS entries) keeps two running sums:
of all its entries and of its newest IRREG_BEATS; a push reads the entry leaving each (the
overwritten one, and the one IRREG_BEATS behind the write address) in two cycles. Positions
and RR intervals are `COUNTER_BITS` wide and modulo 2**COUNTER_BITS as the detector's counter.

Gaps (`beat_window` rule 4): the ring holds each sample's lead-on flag; the part of
[r[i-1], r[i+1]] that has left the ring is covered by `left_last`, the position of the last
invalid sample evicted from the ring (read before each write).

Memories (`lib.memory`): the raw ring (WINDOW_RING x sample_bits), the lead-on ring
(WINDOW_RING x 1; two read ports), the fiducial positions (local_rr_beats + 2 x 32), the
downsample sums (n_samples), the template (n_samples x (input_bits + TEMPLATE_SHIFT)) and the
|dRR| ring (RHYTHM_BEATS x 32). A CLEAR sweep after reset (WINDOW_RING cycles) marks every ring
entry lead-on, so entries before the first sample read as no gap; no other memory is read
before it is written (the template while `accepted` is 0 is overwritten, k = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Array, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.config import Checked
from ecg_snn.hw.divider import SeqDivider
from ecg_snn.hw.qrs import BEAT_EVENT
from ecg_snn.model.contract import beat_window as bw
from ecg_snn.model.contract import patient as pt
from ecg_snn.model.contract import qrs as qc
from ecg_snn.model.contract.spec import (
    PATIENT_FEATURES,
    Preprocess,
    SpecError,
    signed_bits_for,
)

POS_BITS = qc.COUNTER_BITS  # fiducial positions and RR intervals (the detector's counter)


def info_layout(pre: Preprocess) -> data.StructLayout:
    """`o_info`'s payload: sample, classified, rhythm (`rr_bits`)."""
    return data.StructLayout(
        {"sample": unsigned(POS_BITS), "classified": 1, "rhythm": unsigned(pre.rr_bits)}
    )


def _bits(n: int) -> int:
    return max(int(n).bit_length(), 1)


@dataclass(frozen=True)
class FrontendWidths:
    """Every width and bound of the block, from the preprocessing and the contract constants."""

    pre: Preprocess
    sample_bits: int = qc.INPUT_BITS

    @property
    def ring(self) -> int:
        return bw.WINDOW_RING

    @property
    def margin(self) -> int:
        return bw.margin(self.pre)

    @property
    def k_offset(self) -> int:
        """K: the offset that makes every downsample sum non-negative."""
        return self.pre.downsample << (self.sample_bits - 1)

    @property
    def d(self) -> int:
        lo = -(1 << (self.sample_bits - 1))
        return signed_bits_for(self.pre.downsample * lo, self.pre.downsample * (-lo - 1))

    @property
    def total(self) -> int:
        lo = -(1 << (self.sample_bits - 1))
        return signed_bits_for(self.pre.window * lo, self.pre.window * (-lo - 1))

    @property
    def acc(self) -> int:
        lo, hi = self.pre.input_range
        return signed_bits_for(lo << pt.TEMPLATE_SHIFT, hi << pt.TEMPLATE_SHIFT)

    @property
    def dist_sum(self) -> int:
        lo, hi = self.pre.input_range
        return _bits(self.pre.n_samples * (hi - lo))

    @property
    def diff_sum(self) -> int:
        return _bits(pt.RHYTHM_BEATS * ((1 << POS_BITS) - 1))

    @property
    def num(self) -> int:
        """Dividend bits of the shared divider: the largest of its dividends."""
        base = self.pre.n_samples * self.k_offset * 2
        return max(
            POS_BITS + self.pre.ratio_shift,  # prev, next << ratio_shift
            POS_BITS + pt.IRREG_SHIFT,  # mean |dRR| << IRREG_SHIFT
            self.diff_sum,  # sum of |dRR|
            self.dist_sum + pt.DISTANCE_SHIFT,  # template distances
            _bits(base),  # baseline
        )

    @property
    def den(self) -> int:
        """Divisor bits: local RR (the largest), the template norm, the counts, n_samples."""
        lo, hi = self.pre.input_range
        norm = _bits(self.pre.n_samples * max(-lo, hi))
        counts = _bits(max(self.pre.local_rr_beats, pt.RHYTHM_BEATS, self.pre.n_samples))
        return max(POS_BITS, norm, counts)


class BeatFrontend(Checked, wiring.Component):
    """The stream front end (module docstring). Parameters: `pre` (the artifact's
    `Preprocess`), `sample_bits` of the tapped sample port (default the detector's 16)."""

    @classmethod
    def check(cls, pre: Preprocess, sample_bits: int = qc.INPUT_BITS) -> None:
        if not isinstance(pre, Preprocess):
            raise TypeError(f"pre must be a Preprocess, not {type(pre).__name__}")
        try:
            pre.validate()
        except SpecError as e:
            raise ValueError(f"invalid preprocess: {e}") from None
        if pre.fs != qc.FS:
            raise ValueError(f"the front end runs at the detector's {qc.FS} Hz, not {pre.fs}")
        if not isinstance(sample_bits, int) or not qc.INPUT_BITS <= sample_bits <= 32:
            raise ValueError(
                f"sample_bits must be an integer from {qc.INPUT_BITS} to 32, not {sample_bits!r}"
            )

    def __init__(self, pre: Preprocess, sample_bits: int = qc.INPUT_BITS) -> None:
        self.pre = pre
        self.w = FrontendWidths(pre, sample_bits)
        tap = data.StructLayout({"value": signed(sample_bits), "valid": 1})
        members = {
            "tap_valid": In(1),
            "tap": In(tap),
            "hold": Out(1),
            "i_beat": In(stream.Signature(BEAT_EVENT)),
            "o_x": Out(stream.Signature(signed(pre.input_bits))),
            "o_info": Out(stream.Signature(info_layout(pre))),
            "busy": Out(1),
        }
        if pre.n_rr:
            members["o_rr"] = Out(stream.Signature(unsigned(pre.rr_bits)))
        super().__init__(members)

    def memory_bits(self) -> int:
        return memory_bits(self.pre, self.w.sample_bits)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        pre, w = self.pre, self.w
        ring, n, ds = w.ring, pre.n_samples, pre.downsample
        n_pos = pre.local_rr_beats + 2
        hi_rr = (1 << pre.rr_bits) - 1
        lo_in, hi_in = pre.input_range
        s = pt.TEMPLATE_SHIFT

        # ---- memories -----------------------------------------------------------------------
        m.submodules.raw_ring = raw_mem = Memory(shape=signed(w.sample_bits), depth=ring, init=[])
        m.submodules.on_ring = on_mem = Memory(shape=1, depth=ring, init=[])
        m.submodules.positions = pos_mem = Memory(shape=POS_BITS, depth=n_pos, init=[])
        m.submodules.d_sums = d_mem = Memory(shape=signed(w.d), depth=n, init=[])
        m.submodules.template = acc_mem = Memory(shape=signed(w.acc), depth=n, init=[])
        m.submodules.drr_ring = drr_mem = Memory(shape=POS_BITS, depth=pt.RHYTHM_BEATS, init=[])
        raw_wr, raw_rd = raw_mem.write_port(), raw_mem.read_port()
        on_wr, on_rd, on_ev = on_mem.write_port(), on_mem.read_port(), on_mem.read_port()
        pos_wr, pos_rd = pos_mem.write_port(), pos_mem.read_port()
        d_wr, d_rd = d_mem.write_port(), d_mem.read_port()
        acc_wr, acc_rd = acc_mem.write_port(), acc_mem.read_port()
        drr_wr, drr_rd = drr_mem.write_port(), drr_mem.read_port()
        for p in (raw_rd, on_rd, on_ev, pos_rd, d_rd, acc_rd, drr_rd):
            m.d.comb += p.en.eq(0)
        m.submodules.divider = div = SeqDivider(w.num, w.den)

        # ---- the tap: every sample into the rings ------------------------------------------
        wp = Signal(range(ring))  # the next write address
        count = Signal(POS_BITS)  # samples taken (the detector's counter)
        age = Signal(range(ring + 1))  # samples taken, saturating at the ring depth
        arrived = Signal(range(ring + 1))  # samples taken since the beat's emit sample
        evicting, evict_pos = Signal(), Signal(POS_BITS)
        left_last, any_left = Signal(POS_BITS), Signal()
        clearing = Signal()
        clr = Signal(range(ring))
        take_sample = self.tap_valid & ~clearing
        with m.If(clearing):
            m.d.comb += [
                raw_wr.en.eq(1),
                raw_wr.addr.eq(clr),
                raw_wr.data.eq(0),
                on_wr.en.eq(1),
                on_wr.addr.eq(clr),
                on_wr.data.eq(1),
            ]
        with m.Elif(take_sample):
            m.d.comb += [
                raw_wr.en.eq(1),
                raw_wr.addr.eq(wp),
                raw_wr.data.eq(self.tap.value),
                on_wr.en.eq(1),
                on_wr.addr.eq(wp),
                on_wr.data.eq(self.tap.valid),
                on_ev.en.eq(1),  # the flag this write evicts (read before write)
                on_ev.addr.eq(wp),
            ]
            m.d.sync += [
                wp.eq(Mux(wp == ring - 1, 0, wp + 1)),
                count.eq(count + 1),
                age.eq(Mux(age == ring, age, age + 1)),
                evict_pos.eq(count - ring),
            ]
        m.d.sync += evicting.eq(take_sample)
        with m.If(evicting & ~on_ev.data):
            m.d.sync += [left_last.eq(evict_pos), any_left.eq(1)]

        # ---- beat registers ----------------------------------------------------------------
        e_pos = Signal(POS_BITS)  # the emit sample
        a_e = Signal(range(ring))  # its ring address
        n_at_e = Signal(range(ring + 1))  # age at e + 1 (samples up to e, saturating)
        r_next, r_cur, r_prev = Signal(POS_BITS), Signal(POS_BITS), Signal(POS_BITS)
        r_old = Signal(POS_BITS)  # r[i-k]
        seen = Signal(range(n_pos + 1))  # beats so far, this one included, saturating
        pos_at = Signal(range(n_pos))  # the next position slot
        k_loc = Signal(range(pre.local_rr_beats + 1))
        since_start = Signal(POS_BITS)  # e - (r - before)
        since_prev = Signal(POS_BITS)  # e - r[i-1]
        since_next = Signal(POS_BITS)  # e - r[i+1]
        classified = Signal()
        # scan
        b = Signal(range(ring))  # distance back from e of the read being issued
        b_q = Signal(range(ring))  # ... of the read whose data is here
        have, issued_last = Signal(), Signal()
        gap_a, gap_b = Signal(), Signal()
        total = Signal(signed(w.total))
        d_part = Signal(signed(w.d))
        ph = Signal(range(ds))
        grp = Signal(range(n))
        # features
        prev = Signal(POS_BITS)
        nxt = Signal(POS_BITS)
        local = Signal(POS_BITS)
        base = Signal(signed(w.d + 1))
        feats = {f: Signal(pre.rr_bits, name=f"f_{f}") for f in (*_PLAIN, *PATIENT_FEATURES)}
        dist_sum, norm_sum = Signal(w.dist_sum), Signal(w.dist_sum)
        qdist_sum, qnorm_sum = Signal(w.dist_sum), Signal(w.dist_sum)
        g = Signal(range(n))
        rr_k = Signal(range(max(pre.n_rr, 1)))
        # patient state
        accepted = Signal(range((1 << s) + 1))
        rejects = Signal(range(pt.MAX_REJECTS + 1))
        prev_last, has_pl = Signal(POS_BITS), Signal()
        drr_at = Signal(range(pt.RHYTHM_BEATS))  # the next write address
        drr_n = Signal(range(pt.RHYTHM_BEATS + 1))  # entries (saturating)
        drr_sum = Signal(w.diff_sum)  # of all entries (rhythm)
        drr_sum16 = Signal(w.diff_sum)  # of the newest IRREG_BEATS (irreg)
        drr_old16 = Signal(POS_BITS)  # the entry IRREG_BEATS behind the write address
        rhythm = Signal(pre.rr_bits)
        k_t = Signal(range(s + 1))
        take = Signal()

        def sat_rr(v):
            return Mux(v > hi_rr, hi_rr, v)[: pre.rr_bits]

        def x_of(dv):
            """x = sat((d - base) >> input_shift) from a downsample sum."""
            v = (dv - base) >> pre.input_shift
            return Mux(v < lo_in, lo_in, Mux(v > hi_in, hi_in, v))

        c = pre.before // ds
        q_lo, q_hi = max(c - pt.QRS_BEFORE, 0), min(c + pt.QRS_AFTER, n)
        m.d.comb += self.busy.eq(1)

        def divide(state: str, num, den, then: str, done) -> None:
            """Two states: `state` starts num // den, `state`_W waits and runs `done(q)`."""
            with m.State(state):
                m.d.comb += [div.start.eq(1), div.num.eq(num), div.den.eq(den)]
                m.next = f"{state}_W"
            with m.State(f"{state}_W"), m.If(~div.busy):
                m.d.sync += done(div.quotient)
                m.next = then

        den_local = Mux(local == 0, 1, local)

        with m.FSM(name="frontend"):
            with m.State("CLEAR"):
                m.d.comb += [clearing.eq(1), self.hold.eq(1)]
                m.d.sync += clr.eq(clr + 1)
                with m.If(clr == ring - 1):
                    m.next = "IDLE"

            with m.State("IDLE"):
                m.d.comb += [
                    self.busy.eq(0),
                    self.i_beat.ready.eq(1),
                    self.hold.eq(self.i_beat.valid),
                ]
                with m.If(self.i_beat.valid):
                    p = self.i_beat.payload.sample
                    m.d.comb += [pos_wr.en.eq(1), pos_wr.addr.eq(pos_at), pos_wr.data.eq(p)]
                    m.d.sync += [
                        r_next.eq(p),
                        e_pos.eq(count - 1),
                        a_e.eq(Mux(wp == 0, ring - 1, wp - 1)),
                        n_at_e.eq(age),
                        arrived.eq(take_sample),
                        pos_at.eq(Mux(pos_at == n_pos - 1, 0, pos_at + 1)),
                        seen.eq(Mux(seen == n_pos, seen, seen + 1)),
                    ]
                    with m.If(seen == 0):
                        m.d.sync += r_cur.eq(p)  # the first beat: nothing leaves
                    with m.Else():
                        m.next = "CHECK"

            with m.State("CHECK"):  # beat_window rules 1-3 from positions; read r[i-k]
                m.d.comb += self.hold.eq(1)
                m.d.sync += arrived.eq(arrived + take_sample)
                # the beat leaving is i = seen - 2; k = min(i, local_rr_beats)
                k = Mux(seen - 2 > pre.local_rr_beats, pre.local_rr_beats, seen - 2)
                # r[i-k] is k + 1 slots behind the newest (written at pos_at - 1)
                back = pos_at - 2 - k
                m.d.comb += [
                    pos_rd.en.eq(1),
                    pos_rd.addr.eq(Mux(back < 0, back + n_pos, back)),
                ]
                st = (e_pos - r_cur + pre.before)[:POS_BITS]
                sp = (e_pos - r_prev)[:POS_BITS]
                sn = (e_pos - r_next)[:POS_BITS]
                ok = (
                    (seen >= 3)  # i >= 1: a previous beat
                    & (st < n_at_e)  # the window starts at or after sample 0
                    & (st >= pre.window - 1)  # ... and ends by e
                    & (st + w.margin < ring)  # the ring rule
                )
                ll_hit = any_left & ((e_pos - left_last)[:POS_BITS] <= sp)
                far = Mux(st + w.margin > sp, st + w.margin, sp)
                m.d.sync += [
                    k_loc.eq(k),
                    since_start.eq(st),
                    since_prev.eq(sp),
                    since_next.eq(sn),
                    prev.eq((r_cur - r_prev)[:POS_BITS]),
                    nxt.eq((r_next - r_cur)[:POS_BITS]),
                    b.eq(Mux(far > ring - 1, ring - 1, far)),
                    have.eq(0),
                    issued_last.eq(0),
                    gap_a.eq(0),
                    gap_b.eq(ll_hit),
                    total.eq(0),
                    d_part.eq(0),
                    ph.eq(0),
                    grp.eq(0),
                    classified.eq(ok),
                ]
                with m.If(ok):
                    m.next = "SCAN"
                with m.Else():
                    m.next = "INFO"

            with m.State("SCAN"):  # one ring read per cycle, oldest first
                m.d.sync += arrived.eq(arrived + take_sample)
                m.d.comb += self.hold.eq(arrived + 1 + b >= ring)
                with m.If(~have):
                    m.d.sync += r_old.eq(pos_rd.data)
                with m.If(have):
                    on, v = on_rd.data, raw_rd.data
                    # window and margin, as far as e: b in [max(st - (window-1) - m, 0), st + m]
                    a_hi = since_start + w.margin
                    a_lo = since_start - (pre.window - 1) - w.margin
                    in_a = (b_q <= a_hi) & (b_q >= a_lo)
                    in_b = (b_q <= since_prev) & (b_q >= since_next)
                    in_w = (b_q <= since_start) & (b_q + pre.window > since_start)
                    with m.If(~on & in_a):
                        m.d.sync += gap_a.eq(1)
                    with m.If(~on & in_b):
                        m.d.sync += gap_b.eq(1)
                    with m.If(in_w):
                        m.d.sync += [
                            total.eq(total + v),
                            ph.eq(Mux(ph == ds - 1, 0, ph + 1)),
                            d_part.eq(Mux(ph == ds - 1, 0, d_part + v)),
                        ]
                        with m.If(ph == ds - 1):
                            m.d.comb += [
                                d_wr.en.eq(1),
                                d_wr.addr.eq(grp),
                                d_wr.data.eq(d_part + v),
                            ]
                            m.d.sync += grp.eq(grp + 1)
                with m.If(~issued_last):
                    addr = a_e - b
                    m.d.comb += [
                        raw_rd.en.eq(1),
                        on_rd.en.eq(1),
                        raw_rd.addr.eq(Mux(addr < 0, addr + ring, addr)),
                        on_rd.addr.eq(Mux(addr < 0, addr + ring, addr)),
                    ]
                    m.d.sync += [b_q.eq(b), have.eq(1)]
                    with m.If(b == 0):
                        m.d.sync += issued_last.eq(1)
                    with m.Else():
                        m.d.sync += b.eq(b - 1)
                with m.Else():
                    m.next = "SCANNED"

            with m.State("SCANNED"):
                with m.If(gap_a | gap_b):
                    m.d.sync += classified.eq(0)
                    m.next = "INFO"
                with m.Else():
                    m.next = "D_LOCAL"

            divide(
                "D_LOCAL",
                (r_cur - r_old)[:POS_BITS],
                k_loc,
                "D_BASE",
                lambda q: local.eq(q),
            )
            divide(
                "D_BASE",
                total + n * w.k_offset,
                n,
                "D_PREV",
                lambda q: base.eq(q - w.k_offset),
            )
            divide(
                "D_PREV",
                prev << pre.ratio_shift,
                den_local,
                "D_NEXT",
                lambda q: feats["prev_ratio"].eq(sat_rr(q)),
            )
            divide(
                "D_NEXT",
                nxt << pre.ratio_shift,
                den_local,
                "PATIENT",
                lambda q: feats["next_ratio"].eq(sat_rr(q)),
            )

            with m.State("PATIENT"):  # the plain RR words; the gap reset (patient step 1)
                m.d.sync += [
                    feats["prev"].eq(sat_rr(prev >> pre.rr_shift)),
                    feats["next"].eq(sat_rr(nxt >> pre.rr_shift)),
                    feats["local"].eq(sat_rr(local >> pre.rr_shift)),
                    dist_sum.eq(0),
                    norm_sum.eq(0),
                    qdist_sum.eq(0),
                    qnorm_sum.eq(0),
                    g.eq(0),
                    feats["tmpl_dist"].eq(0),
                    feats["tmpl_qrs"].eq(0),
                    feats["irreg"].eq(0),
                    rhythm.eq(0),
                ]
                with m.If(prev > pt.GAP_SECONDS * pre.fs):
                    m.d.sync += [
                        accepted.eq(0),
                        rejects.eq(0),
                        has_pl.eq(0),
                        drr_n.eq(0),
                        drr_sum.eq(0),
                        drr_sum16.eq(0),
                        drr_at.eq(0),
                    ]
                m.next = "P1_READ"

            with m.State("P1_READ"):  # x out, template distances
                m.d.comb += [
                    d_rd.en.eq(1),
                    d_rd.addr.eq(g),
                    acc_rd.en.eq(1),
                    acc_rd.addr.eq(g),
                ]
                m.next = "P1_USE"

            with m.State("P1_USE"):
                x = Signal(signed(pre.input_bits))
                t = Signal(signed(pre.input_bits))
                m.d.comb += [
                    x.eq(x_of(d_rd.data)),
                    t.eq(acc_rd.data >> s),
                    self.o_x.valid.eq(1),
                    self.o_x.payload.eq(x),
                ]
                with m.If(self.o_x.ready):
                    dv, tv = abs(x - t), abs(t)
                    m.d.sync += [
                        dist_sum.eq(dist_sum + dv),
                        norm_sum.eq(norm_sum + tv),
                        g.eq(g + 1),
                    ]
                    with m.If((g >= q_lo) & (g < q_hi)):
                        m.d.sync += [qdist_sum.eq(qdist_sum + dv), qnorm_sum.eq(qnorm_sum + tv)]
                    with m.If(g != n - 1):
                        m.next = "P1_READ"
                    with m.Elif(accepted == 0):  # an empty template: both distances 0
                        m.next = "DRR_READ"
                    with m.Else():
                        m.next = "D_DIST"

            divide(
                "D_DIST",
                dist_sum << pt.DISTANCE_SHIFT,
                Mux(norm_sum == 0, 1, norm_sum),
                "D_QRS",
                lambda q: feats["tmpl_dist"].eq(sat_rr(q)),
            )
            divide(
                "D_QRS",
                qdist_sum << pt.DISTANCE_SHIFT,
                Mux(qnorm_sum == 0, 1, qnorm_sum),
                "DRR_READ",
                lambda q: feats["tmpl_qrs"].eq(sat_rr(q)),
            )

            with m.State("DRR_READ"):  # patient step 3: the |dRR| ring; read the entry
                back = drr_at - pt.IRREG_BEATS  # leaving the newest IRREG_BEATS
                m.d.comb += [
                    drr_rd.en.eq(1),
                    drr_rd.addr.eq(Mux(back < 0, back + pt.RHYTHM_BEATS, back)),
                ]
                m.next = "DRR_READ2"

            with m.State("DRR_READ2"):  # ... then the entry a push overwrites
                m.d.comb += [drr_rd.en.eq(1), drr_rd.addr.eq(drr_at)]
                m.d.sync += drr_old16.eq(drr_rd.data)
                m.next = "DRR_PUSH"

            with m.State("DRR_PUSH"):
                diff = Signal(POS_BITS)
                m.d.comb += diff.eq(Mux(prev >= prev_last, prev - prev_last, prev_last - prev))
                m.d.sync += [prev_last.eq(prev), has_pl.eq(1)]
                m.next = "DRR_MEAN"
                with m.If(has_pl):
                    m.d.comb += [drr_wr.en.eq(1), drr_wr.addr.eq(drr_at), drr_wr.data.eq(diff)]
                    m.d.sync += drr_at.eq(Mux(drr_at == pt.RHYTHM_BEATS - 1, 0, drr_at + 1))
                    with m.If(drr_n == pt.RHYTHM_BEATS):
                        m.d.sync += drr_sum.eq(drr_sum + diff - drr_rd.data)
                    with m.Else():
                        m.d.sync += [drr_sum.eq(drr_sum + diff), drr_n.eq(drr_n + 1)]
                    with m.If(drr_n >= pt.IRREG_BEATS):
                        m.d.sync += drr_sum16.eq(drr_sum16 + diff - drr_old16)
                    with m.Else():
                        m.d.sync += drr_sum16.eq(drr_sum16 + diff)

            with m.State("DRR_MEAN"):
                with m.If(drr_n == 0):
                    m.next = "TAKE"
                with m.Else():
                    m.next = "D_MEAN"

            mean = Signal(w.diff_sum)
            n16 = Mux(drr_n > pt.IRREG_BEATS, pt.IRREG_BEATS, drr_n)
            divide("D_MEAN", drr_sum16, n16, "D_IRREG", lambda q: mean.eq(q))
            divide(
                "D_IRREG",
                mean << pt.IRREG_SHIFT,
                den_local,
                "D_MEAN_R",
                lambda q: feats["irreg"].eq(sat_rr(q)),
            )
            divide("D_MEAN_R", drr_sum, drr_n, "D_RHYTHM", lambda q: mean.eq(q))
            divide(
                "D_RHYTHM",
                mean << pt.IRREG_SHIFT,
                den_local,
                "TAKE",
                lambda q: rhythm.eq(sat_rr(q)),
            )

            with m.State("TAKE"):  # patient step 4: is the beat taken into the template?
                premature = (prev << 3) < 7 * local
                ok = ~premature & ((accepted < pt.WARMUP) | (feats["tmpl_dist"] <= pt.ACCEPT_MAX))
                blen = Signal(range(s + 2))
                for bit in range(accepted.shape().width):
                    with m.If(accepted[bit]):
                        m.d.comb += blen.eq(bit + 1)
                m.d.sync += [k_t.eq(Mux(blen > s, s, blen)), take.eq(ok), g.eq(0)]
                with m.If(ok):
                    m.d.sync += [
                        accepted.eq(Mux(accepted == 1 << s, accepted, accepted + 1)),
                        rejects.eq(0),
                    ]
                    m.next = "P2_READ"
                with m.Else():
                    with m.If(rejects + 1 >= pt.MAX_REJECTS):
                        m.d.sync += [accepted.eq(0), rejects.eq(0)]
                    with m.Else():
                        m.d.sync += rejects.eq(rejects + 1)
                    m.next = "RR_OUT" if pre.n_rr else "INFO"

            with m.State("P2_READ"):  # acc += ((x << s) - acc) >> k
                m.d.comb += [
                    d_rd.en.eq(1),
                    d_rd.addr.eq(g),
                    acc_rd.en.eq(1),
                    acc_rd.addr.eq(g),
                ]
                m.next = "P2_WRITE"

            with m.State("P2_WRITE"):
                a = acc_rd.data
                upd = (x_of(d_rd.data) << s) - a
                m.d.comb += [
                    acc_wr.en.eq(1),
                    acc_wr.addr.eq(g),
                    acc_wr.data.eq(a + (upd >> k_t)),
                ]
                m.d.sync += g.eq(g + 1)
                with m.If(g == n - 1):
                    m.d.sync += g.eq(0)
                    m.next = "RR_OUT" if pre.n_rr else "INFO"
                with m.Else():
                    m.next = "P2_READ"

            if pre.n_rr:
                with m.State("RR_OUT"):
                    words = Array(feats[f] for f in pre.rr_features)
                    m.d.comb += [self.o_rr.valid.eq(1), self.o_rr.payload.eq(words[rr_k])]
                    with m.If(self.o_rr.ready):
                        m.d.sync += rr_k.eq(rr_k + 1)
                        with m.If(rr_k == pre.n_rr - 1):
                            m.d.sync += rr_k.eq(0)
                            m.next = "INFO"

            with m.State("INFO"):
                m.d.comb += [
                    self.o_info.valid.eq(1),
                    self.o_info.payload.sample.eq(r_cur),
                    self.o_info.payload.classified.eq(classified),
                    self.o_info.payload.rhythm.eq(Mux(classified, rhythm, 0)),
                ]
                with m.If(self.o_info.ready):
                    m.d.sync += [r_prev.eq(r_cur), r_cur.eq(r_next)]
                    m.next = "IDLE"
        return m


_PLAIN = ("prev_ratio", "next_ratio", "prev", "next", "local")


def memory_bits(pre: Preprocess, sample_bits: int = qc.INPUT_BITS) -> int:
    """Bits in the block's memories: the raw and lead-on rings, the fiducial positions, the
    downsample sums, the template and the |dRR| ring of RHYTHM_BEATS (the `$mem_v2` macros Yosys
    keeps)."""
    w = FrontendWidths(pre, sample_bits)
    return (
        w.ring * (w.sample_bits + 1)
        + (pre.local_rr_beats + 2) * POS_BITS
        + pre.n_samples * (w.d + w.acc)
        + pt.RHYTHM_BEATS * POS_BITS
    )
