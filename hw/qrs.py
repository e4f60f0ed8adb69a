"""The integer QRS detector as a hardware block: ADC samples in, R-peak events out.

`QrsDetector` runs the rules of `model/contract/qrs.py` (steps 1-5, the filters and the output
queue) one sample at a time, as `firmware/src/snn_qrs.c` does, and is bit-exact with both: the
same beats (fiducial `sample`, integration `peak`, `searchback`) decided at the same sample.

Stream contract (`lib.stream`; a transfer is `valid & ready`):

- `i_sample` (`SAMPLE_IN`): one ADC sample per transfer, `value` signed `sample_bits` (saturated
  to the contract's `INPUT_BITS`), `valid` 0 for a lead-off sample (the last valid one is held).
  `ready` is high only in the IDLE state, so a sample is taken when the previous one is done.
- `o_beat` (`BEAT_EVENT`): after sample n is processed, at most one beat leaves (the contract's
  output queue, `OUT_RING` deep); the block waits for it to be taken before it takes sample
  n+1, so the beat is "decided at sample n" exactly as the contract's `Detections.decided`.
  `sample` and `peak` count samples from reset modulo 2^`COUNTER_BITS` (the C counter).

Schedule of one sample (cycles; the clock only needs to outrun 360 Hz):

    IDLE (take) -> F1 low pass, high-pass sum -> F2 band pass b, derivative d -> F3 square,
    integrate -> LEARN (step 1; at n = L-1 a 40-cycle division) -> CAND (steps 2, 3)
    [-> SCAN: 60 reads of the b ring for slope and fiducial -> CONF -> CLASSIFY
    [-> REGULAR after a QRS: 8 cycles, the rhythm's regularity for THR1]]
    -> REPLAY (step 3b, at n = L-1: CLASSIFY each learned candidate) -> SB (step 4; after a
    QRS, the miss limit is recomputed first: a 40-cycle division) -> QUIET (step 4b; a
    division when re-learning) -> END [-> OUT: one beat]

A typical sample takes 10 cycles (11 when a beat leaves, 8 more after a QRS); one with a
confirmed candidate about 75, one that also needs the miss limit's division about 115
(measured on Verilator over the 48 MIT-BIH records whole, 31.2 million samples: mean 10.4,
max 141).

Arithmetic: every width is derived from the contract's constants (`QrsWidths`) so that no sum
can overflow; the filters are the running-sum form of the C twin (exact in these widths). The
three divisions of the contract (sum // L, sum // Q for the levels, RR * 166 // 100 for the
miss limit) share one restoring divider (one quotient bit per cycle), computed when needed: the
miss limit only when step 4 could read it, which changes no decision (it is read nowhere else).
The square d * d is one combinational 16 x 16 multiplier (`cells` in `make qrs`).

State: the u (10 words), a (8), l (64), q (58) and b (256) rings, the learned candidates (11)
and the output queue (16) are `lib.memory` memories (1.3 KB in all, `memory_bits`); the rest
registers. After reset a CLEAR sweep (256 cycles) writes zeros into the filter rings, so the
block starts as the contract does (values before n = 0 are 0) whatever the memories held at
power-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Array, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.clocking import work_clocked
from ecg_snn.hw.config import Checked
from ecg_snn.model.contract import qrs as c

DIV_BITS = 40  # dividend bits of the shared divider (QrsWidths.check proves every dividend fits)
CLEAR_CYCLES = c.B_RING  # the largest filter ring


def _bits(n: int) -> int:
    """Bits of an unsigned value up to n."""
    return max(int(n).bit_length(), 1)


def _sbits(max_abs: int) -> int:
    """Bits of a signed value of magnitude up to max_abs."""
    return _bits(max_abs) + 1


# The largest magnitude of each value of the filter chain (contract docstring, exact bounds).
U_MAX = (1 << c.INPUT_BITS) - 1  # x - x0 of two 16-bit samples
A_MAX = c.LP1_LEN * U_MAX
L_MAX = c.LP2_LEN * A_MAX
HP_MAX = c.HP_LEN * L_MAX
B_MAX = ((L_MAX << 6) + HP_MAX >> c.HP_SHIFT) + 1
Q_MAX = (1 << 30) >> c.SQ_SHIFT  # (-2^15)^2 >> 8: d is saturated to 16 bits
I_MAX = c.MWI_LEN * Q_MAX


@dataclass(frozen=True)
class QrsWidths:
    """Widths of the datapath, each from the exact bound of its value (above), so that no sum
    of the running-sum filters or the decision can overflow."""

    x: int = c.INPUT_BITS
    u: int = _sbits(U_MAX)
    a: int = _sbits(A_MAX)
    l: int = _sbits(L_MAX)
    hp_sum: int = _sbits(HP_MAX)
    b: int = _sbits(B_MAX)
    d: int = 16  # saturated (contract: sat16)
    q: int = _bits(Q_MAX)
    i: int = _bits(I_MAX)
    slope: int = _bits(2 * B_MAX)
    counter: int = c.COUNTER_BITS
    age: int = _bits(c.LEARN)  # saturates at LEARN: every rule reads it below that only
    learn_sum: int = _bits(I_MAX * c.LEARN)
    quiet_sum: int = _bits(I_MAX * c.RELEARN)

    @property
    def level(self) -> int:
        """SPKI, NPKI, THR1, THR2 (in [0, I_MAX]) and their differences: signed."""
        return self.i + 2

    @property
    def rr_sum(self) -> int:
        return self.counter + _bits(c.RR_RING - 1)

    def check(self) -> None:
        """Every dividend fits the divider: sum(i over L or Q samples) and RR sum * 166."""
        dividends = {
            "learn sum": self.learn_sum,
            "re-learn sum": self.quiet_sum,
            "miss": self.rr_sum - 3 + _bits(c.MISS_PERCENT),
        }
        for name, bits in dividends.items():
            if bits > DIV_BITS:
                raise ValueError(f"the {name} needs {bits} bits, the divider has {DIV_BITS}")


W = QrsWidths()
W.check()


# Layouts (StructLayout objects: this module's annotations are strings, which `data.Struct`
# cannot read). SAMPLE_IN: one ADC sample and its lead-on flag. BEAT_EVENT: a detected beat, its
# fiducial R sample, integration peak and whether a search-back found it. PEAK: a confirmed peak
# of the integrated signal with its slope and fiducial.
SAMPLE_IN = data.StructLayout({"value": signed(c.INPUT_BITS), "valid": 1})
BEAT_EVENT = data.StructLayout(
    {"sample": unsigned(W.counter), "peak": unsigned(W.counter), "searchback": 1}
)
PEAK = data.StructLayout(
    {
        "value": unsigned(W.i),
        "peak": unsigned(W.counter),
        "slope": unsigned(W.slope),
        "fiducial": unsigned(W.counter),
    }
)


def _miss(rr_sum: int) -> int:
    return (rr_sum >> 3) * c.MISS_PERCENT // 100


class QrsDetector(Checked, wiring.Component):
    """The contract's QRS detector, one sample per `i_sample` transfer (module docstring).

    Parameters: `sample_bits` of the input port (default the contract's INPUT_BITS, 16; a wider
    port saturates to 16 bits as the contract does); `work_clock`: clocked only while it has
    work (`hw/clocking.py`): not while it waits in IDLE for a sample or in OUT for its beat to
    be taken (`quiet`), which is most of its cycles at any clock that keeps up with 360 Hz;
    `clock_gate`: the ASIC build's clock-gate cell at the root of its clock (with
    `work_clock`)."""

    @classmethod
    def check(
        cls,
        sample_bits: int = c.INPUT_BITS,
        work_clock: bool = False,
        clock_gate: str | None = None,
    ) -> None:
        if not isinstance(sample_bits, int) or not c.INPUT_BITS <= sample_bits <= 32:
            raise ValueError(
                f"sample_bits must be an integer from {c.INPUT_BITS} to 32, not {sample_bits!r}"
            )
        if clock_gate and not work_clock:
            raise ValueError("clock_gate needs work_clock: the gate's enable is the work clock's")

    def __init__(
        self,
        sample_bits: int = c.INPUT_BITS,
        work_clock: bool = False,
        clock_gate: str | None = None,
    ) -> None:
        self._sample_bits = sample_bits
        self._work_clock, self._clock_gate = work_clock, clock_gate
        self.quiet = Signal()  # no register can change this cycle (IDLE / OUT, waiting)
        sample = data.StructLayout({"value": signed(sample_bits), "valid": 1})
        super().__init__(
            {
                "i_sample": In(stream.Signature(sample)),
                "o_beat": Out(stream.Signature(BEAT_EVENT)),
                "busy": Out(1),  # a sample or the CLEAR sweep is being processed
            }
        )

    def elaborate(self, platform: object) -> Module:
        logic = self._logic()
        if not self._work_clock:
            return logic
        m = Module()
        m.submodules.logic = work_clocked(m, "work", logic, ~self.quiet, self._clock_gate)
        return m

    def _logic(self) -> Module:
        m = Module()
        n_u, n_a, n_hp, n_q, n_b = c.LP1_LEN, c.LP2_LEN, c.HP_LEN, c.MWI_LEN, c.B_RING

        # ---- memories -----------------------------------------------------------------------
        mems = {
            "u_ring": (signed(W.u), n_u),
            "a_ring": (signed(W.a), n_a),
            "l_ring": (signed(W.l), n_hp),
            "q_ring": (unsigned(W.q), n_q),
            "b_ring": (signed(W.b), n_b),
        }
        rd, wr = {}, {}
        for name, (shape, depth) in mems.items():
            mem = Memory(shape=shape, depth=depth, init=[])
            m.submodules[name] = mem
            rd[name], wr[name] = mem.read_port(), mem.write_port()
            m.d.comb += rd[name].en.eq(0)
        learned_mem = Memory(shape=PEAK, depth=c.LEARN_PEAKS, init=[])
        out_mem = Memory(shape=BEAT_EVENT, depth=c.OUT_RING, init=[])
        m.submodules.learned = learned_mem
        m.submodules.out_queue = out_mem
        learned_rd, learned_wr = learned_mem.read_port(), learned_mem.write_port()
        out_rd, out_wr = out_mem.read_port(), out_mem.write_port()
        m.d.comb += [learned_rd.en.eq(0), out_rd.en.eq(0)]

        # ---- registers ----------------------------------------------------------------------
        n = Signal(W.counter)  # the sample counter (wraps)
        age = Signal(W.age)  # samples seen, saturating at LEARN
        x, x0 = Signal(signed(W.x)), Signal(signed(W.x))
        started = Signal()
        u_at, a_at = Signal(range(n_u)), Signal(range(n_a))
        mwi_at = Signal(range(n_q))
        a_sum, l_sum = Signal(signed(W.a)), Signal(signed(W.l))
        hp_sum = Signal(signed(W.hp_sum))
        b1, b2, b3, b4 = (Signal(signed(W.b), name=f"b_{k}") for k in range(1, 5))
        d = Signal(signed(W.d))
        i_sum, i1, i2 = Signal(W.i), Signal(W.i), Signal(W.i)
        learn_max = Signal(W.i)
        learn_sum = Signal(W.learn_sum)
        spki, npki = Signal(signed(W.level)), Signal(signed(W.level))
        cand_value, cand_peak = Signal(W.i), Signal(W.counter)
        last, last_slope, has_last = Signal(W.counter), Signal(W.slope), Signal()
        rr = Array(Signal(W.counter, init=c.RR_INIT, name=f"rr_{k}") for k in range(c.RR_RING))
        rr_at = Signal(range(c.RR_RING))
        rr_sum = Signal(W.rr_sum, init=c.RR_INIT * c.RR_RING)
        miss = Signal(W.rr_sum, init=_miss(c.RR_INIT * c.RR_RING))
        miss_dirty = Signal()
        measured = Signal(range(c.RR_RING + 1))  # RR intervals measured, up to 8
        irregular = Signal()  # THR1 halved (contract step 5)
        reg_k = Signal(range(c.RR_RING))
        reg_bad = Signal()
        reg_ret_sb = Signal()  # REGULAR returns to QUIET (after a search-back), else REPLAY*
        sb = Signal(PEAK)  # the search-back candidate (value 0: none)
        n_learned = Signal(range(c.LEARN_PEAKS + 1))
        replay_k = Signal(range(c.LEARN_PEAKS + 1))
        quiet = Signal(range(c.RELEARN + 1))
        quiet_max = Signal(W.i)
        quiet_sum = Signal(W.quiet_sum)
        out_head = Signal(range(c.OUT_RING))
        out_count = Signal(range(c.OUT_RING + 1))
        found = Signal()
        pk = Signal(PEAK)  # the peak being classified
        in_replay = Signal()
        # window scan (slope and fiducial of a confirmed candidate)
        scan_j = Signal(range(c.MWI_LEN + 3))
        b_prev = Signal(signed(W.b))
        slope, best = Signal(W.slope), Signal(W.b)
        best_j = Signal(range(c.MWI_LEN + 2))
        best_pos, best_pos_j = Signal(W.b), Signal(range(c.MWI_LEN + 2))  # max(b, 0), its j
        # the divider
        div_q = Signal(DIV_BITS)
        div_r = Signal(_bits(2 * c.RELEARN))
        div_cnt = Signal(range(DIV_BITS + 1))
        div_mode = Signal(2)  # 0 learn, 1 miss, 2 re-learn
        clr = Signal(range(CLEAR_CYCLES + 1))

        # ---- combinational helpers ----------------------------------------------------------
        thr1 = Signal(signed(W.level))
        thr2 = Signal(signed(W.level))
        t_level = Signal(signed(W.level))
        m.d.comb += [
            t_level.eq(npki + ((spki - npki) >> 2)),  # >> on signed: floor, as the contract
            thr1.eq(Mux(irregular & (spki >= c.QUIET_RATIO * npki), t_level >> 1, t_level)),
            thr2.eq(t_level >> 1),
        ]

        def clipped(v):
            """c(v) = min(v, 2 SPKI) if SPKI > 0 else v."""
            twice = spki << 1
            return Mux((spki > 0) & (v > twice), twice, v)

        def push_beat(p, searchback: int) -> None:
            """The beat into the output queue (behind the ones still queued)."""
            m.d.comb += [
                out_wr.en.eq(1),
                out_wr.addr.eq((out_head + out_count)[: _bits(c.OUT_RING - 1)]),
                out_wr.data.sample.eq(p.fiducial),
                out_wr.data.peak.eq(p.peak),
                out_wr.data.searchback.eq(searchback),
            ]

        def accept(p, searchback: int) -> None:
            """The contract's `qrs()` for peak view `p`: RR ring, last QRS, the beat queued;
            the miss limit is recomputed when step 4 next needs it (`miss_dirty`), the
            rhythm's regularity in the REGULAR state that must follow."""
            with m.If(has_last):
                diff = (p.peak - last)[: W.counter]
                m.d.sync += [
                    rr[rr_at].eq(diff),
                    rr_sum.eq(rr_sum + diff - rr[rr_at]),
                    rr_at.eq(Mux(rr_at == c.RR_RING - 1, 0, rr_at + 1)),
                    miss_dirty.eq(1),
                    measured.eq(Mux(measured == c.RR_RING, measured, measured + 1)),
                ]
            m.d.sync += [
                last.eq(p.peak),
                last_slope.eq(p.slope),
                has_last.eq(1),
                sb.value.eq(0),
                found.eq(1),
                out_count.eq(out_count + 1),
            ]
            push_beat(p, searchback)

        def start_div(dividend, mode: int) -> list:
            return [div_q.eq(dividend), div_r.eq(0), div_cnt.eq(DIV_BITS), div_mode.eq(mode)]

        divisor = Mux(div_mode == 0, c.LEARN, Mux(div_mode == 1, 100, c.RELEARN))
        r2 = Cat(div_q[-1], div_r)
        ge = r2 >= divisor
        age_next = Mux(age == c.LEARN, age, age + 1)

        m.d.comb += [
            self.o_beat.payload.eq(out_rd.data),
            self.busy.eq(1),
        ]

        with m.FSM(name="qrs"):
            with m.State("CLEAR"):  # zero the filter rings (values before n = 0 are 0)
                for name, (_, depth) in mems.items():
                    m.d.comb += [
                        wr[name].en.eq(clr < depth),
                        wr[name].addr.eq(clr),
                        wr[name].data.eq(0),
                    ]
                m.d.sync += clr.eq(clr + 1)
                with m.If(clr == CLEAR_CYCLES - 1):
                    m.next = "IDLE"

            with m.State("IDLE"):
                m.d.comb += [
                    self.busy.eq(0),
                    self.i_sample.ready.eq(1),
                    rd["u_ring"].addr.eq(u_at),
                    rd["a_ring"].addr.eq(a_at),
                    rd["l_ring"].addr.eq(n[: _bits(n_hp - 1)]),
                    rd["q_ring"].addr.eq(mwi_at),
                ]
                for name in ("u_ring", "a_ring", "l_ring", "q_ring"):
                    m.d.comb += rd[name].en.eq(1)
                # waiting: the reads above repeat the same addresses (they depend on n only),
                # so the cycle that takes the sample reads what a waiting cycle would have
                m.d.comb += self.quiet.eq(~self.i_sample.valid)
                with m.If(self.i_sample.valid):
                    v = self.i_sample.payload.value
                    lo, hi = -(1 << (c.INPUT_BITS - 1)), (1 << (c.INPUT_BITS - 1)) - 1
                    sat = Mux(v < lo, lo, Mux(v > hi, hi, v))
                    with m.If(self.i_sample.payload.valid):
                        m.d.sync += [x.eq(sat), started.eq(1)]
                        with m.If(~started):
                            m.d.sync += x0.eq(sat)
                    m.d.sync += found.eq(0)
                    m.next = "F1"

            with m.State("F1"):  # low pass (moving sums of 10 and 8), the high-pass 64-sum
                u = Mux(started, x - x0, 0)
                a_new = a_sum + u - rd["u_ring"].data
                l_new = l_sum + a_new - rd["a_ring"].data
                m.d.comb += [
                    wr["u_ring"].en.eq(1),
                    wr["u_ring"].addr.eq(u_at),
                    wr["u_ring"].data.eq(u),
                    wr["a_ring"].en.eq(1),
                    wr["a_ring"].addr.eq(a_at),
                    wr["a_ring"].data.eq(a_new),
                    wr["l_ring"].en.eq(1),
                    wr["l_ring"].addr.eq(n[: _bits(n_hp - 1)]),
                    wr["l_ring"].data.eq(l_new),
                    rd["l_ring"].en.eq(1),  # l[n-32], half a ring away from the slot written
                    rd["l_ring"].addr.eq((n + n_hp - c.HP_TAP)[: _bits(n_hp - 1)]),
                ]
                m.d.sync += [
                    a_sum.eq(a_new),
                    l_sum.eq(l_new),
                    hp_sum.eq(hp_sum + l_new - rd["l_ring"].data),
                    u_at.eq(Mux(u_at == n_u - 1, 0, u_at + 1)),
                    a_at.eq(Mux(a_at == n_a - 1, 0, a_at + 1)),
                ]
                m.next = "F2"

            with m.State("F2"):  # band pass b, five-point derivative d (saturated)
                hp = (rd["l_ring"].data << 6) - hp_sum
                b = Signal(signed(W.b))
                m.d.comb += [
                    b.eq(hp >> c.HP_SHIFT),
                    wr["b_ring"].en.eq(1),
                    wr["b_ring"].addr.eq(n[: _bits(n_b - 1)]),
                    wr["b_ring"].data.eq(b),
                ]
                d_raw = (b << 1) + b1 - b3 - (b4 << 1)
                dmax = (1 << (W.d - 1)) - 1
                m.d.sync += [
                    d.eq(Mux(d_raw > dmax, dmax, Mux(d_raw < -dmax - 1, -dmax - 1, d_raw))),
                    b1.eq(b),
                    b2.eq(b1),
                    b3.eq(b2),
                    b4.eq(b3),
                ]
                m.next = "F3"

            with m.State("F3"):  # squaring, moving-window integration
                q = Signal(W.q)
                m.d.comb += [
                    q.eq((d * d) >> c.SQ_SHIFT),
                    wr["q_ring"].en.eq(1),
                    wr["q_ring"].addr.eq(mwi_at),
                    wr["q_ring"].data.eq(q),
                ]
                m.d.sync += [
                    i_sum.eq(i_sum + q - rd["q_ring"].data),
                    i1.eq(i_sum),
                    i2.eq(i1),
                    mwi_at.eq(Mux(mwi_at == n_q - 1, 0, mwi_at + 1)),
                ]
                m.next = "LEARN"

            with m.State("LEARN"):  # step 1
                new_max = Mux(i_sum > learn_max, i_sum, learn_max)
                new_sum = learn_sum + i_sum
                m.next = "CAND"
                with m.If(age < c.LEARN):
                    m.d.sync += [learn_max.eq(new_max), learn_sum.eq(new_sum)]
                    with m.If(age == c.LEARN - 1):
                        m.d.sync += start_div(new_sum, 0)
                        m.next = "DIV"

            with m.State("DIV"):  # restoring division, one quotient bit per cycle
                m.d.sync += [
                    div_r.eq(Mux(ge, r2 - divisor, r2)),
                    div_q.eq(Cat(ge, div_q[:-1])),
                    div_cnt.eq(div_cnt - 1),
                ]
                with m.If(div_cnt == 1), m.Switch(div_mode):
                    with m.Case(0):
                        m.next = "LEARN_SET"
                    with m.Case(1):
                        m.next = "MISS_SET"
                    with m.Default():
                        m.next = "RELEARN_SET"

            with m.State("LEARN_SET"):
                m.d.sync += [spki.eq(learn_max >> 1), npki.eq(div_q >> 1)]
                m.next = "CAND"

            with m.State("CAND"):  # step 2, then step 3's test
                is_peak = (age >= 2) & (i1 > i2) & (i1 >= i_sum) & (i1 > cand_value)
                m.next = "REPLAY"
                with m.If(is_peak):
                    m.d.sync += [cand_value.eq(i1), cand_peak.eq(n - 1)]
                with m.Elif((cand_value > 0) & ((n - cand_peak)[: W.counter] >= c.REFRACTORY)):
                    m.d.comb += [
                        rd["b_ring"].en.eq(1),
                        rd["b_ring"].addr.eq(cand_peak - c.MWI_LEN - 1),
                    ]
                    m.d.sync += [scan_j.eq(0), slope.eq(0), best.eq(0), best_j.eq(1)]
                    m.d.sync += [best_pos.eq(0), best_pos_j.eq(1)]
                    m.next = "SCAN"

            with m.State("SCAN"):  # k = p-W-1+j, j = 0..W+1: slope, first argmax |b| and b+
                bk = rd["b_ring"].data
                step = abs(bk - b_prev)
                mag = abs(bk)
                m.d.sync += [b_prev.eq(bk), scan_j.eq(scan_j + 1)]
                with m.If(scan_j != 0):
                    with m.If(step > slope):
                        m.d.sync += slope.eq(step)
                    with m.If(mag > best):
                        m.d.sync += [best.eq(mag), best_j.eq(scan_j)]
                    with m.If(bk > best_pos):
                        m.d.sync += [best_pos.eq(bk), best_pos_j.eq(scan_j)]
                with m.If(scan_j == c.MWI_LEN + 1):
                    m.next = "CONF"
                with m.Else():
                    m.d.comb += [
                        rd["b_ring"].en.eq(1),
                        rd["b_ring"].addr.eq(cand_peak - c.MWI_LEN + scan_j),
                    ]

            with m.State("CONF"):  # step 3: classify, or keep for the learning back-search
                fid_j = Mux((best_pos << 1) >= best, best_pos_j, best_j)  # the fiducial rule
                at = (cand_peak - (c.MWI_LEN + 1) + fid_j)[: W.counter]
                since = Signal(signed(W.counter + 2))
                m.d.comb += since.eq(age - (n - at)[: W.counter] - c.B_DELAY + c.FIDUCIAL_SHIFT)
                fid = Mux(since < 0, n - age, at - c.B_DELAY + c.FIDUCIAL_SHIFT)[: W.counter]
                m.d.sync += [
                    pk.value.eq(cand_value),
                    pk.peak.eq(cand_peak),
                    pk.slope.eq(slope),
                    pk.fiducial.eq(fid),
                    cand_value.eq(0),
                ]
                with m.If(age >= c.LEARN):
                    m.d.sync += in_replay.eq(0)
                    m.next = "CLASSIFY"
                with m.Else():
                    m.d.comb += [
                        learned_wr.en.eq(1),
                        learned_wr.addr.eq(n_learned),
                        learned_wr.data.value.eq(cand_value),
                        learned_wr.data.peak.eq(cand_peak),
                        learned_wr.data.slope.eq(slope),
                        learned_wr.data.fiducial.eq(fid),
                    ]
                    m.d.sync += n_learned.eq(n_learned + 1)
                    m.next = "REPLAY"

            with m.State("CLASSIFY"):  # QRS, T wave or noise (contract: confirm)
                t_wave = (
                    has_last
                    & ((pk.peak - last)[: W.counter] < c.T_WAVE)
                    & ((pk.slope << 1) < last_slope)
                )
                with m.If(in_replay):
                    m.next = "REPLAY_NEXT"
                with m.Else():
                    m.next = "REPLAY"
                with m.If((pk.value > thr1) & ~t_wave):
                    m.d.sync += spki.eq(spki + ((clipped(pk.value) - spki) >> 3))
                    accept(pk, 0)
                    m.d.sync += reg_ret_sb.eq(0)
                    m.next = "REGULAR"
                with m.Else():
                    m.d.sync += npki.eq(npki + ((clipped(pk.value) - npki) >> 3))
                    with m.If(~t_wave & (pk.value > thr2) & (pk.value > sb.value)):
                        m.d.sync += sb.eq(pk)

            with m.State("REGULAR"):  # after a QRS: is every RR within 92-116 % of the mean?
                avg = rr_sum >> 3
                r100 = rr[reg_k] * 100
                bad = (r100 < avg * c.RR_LOW_PERCENT) | (r100 > avg * c.RR_HIGH_PERCENT)
                m.d.sync += [reg_k.eq(reg_k + 1), reg_bad.eq(reg_bad | bad)]
                with m.If(reg_k == c.RR_RING - 1):
                    m.d.sync += [
                        irregular.eq((measured == c.RR_RING) & (reg_bad | bad)),
                        reg_k.eq(0),
                        reg_bad.eq(0),
                    ]
                    with m.If(reg_ret_sb):
                        m.next = "QUIET"
                    with m.Elif(in_replay):
                        m.next = "REPLAY_NEXT"
                    with m.Else():
                        m.next = "REPLAY"

            with m.State("REPLAY"):  # step 3b: at n = L-1, the candidates of the first 2 s
                m.next = "SB"
                with m.If((age == c.LEARN - 1) & (n_learned != 0)):
                    m.d.comb += [learned_rd.en.eq(1), learned_rd.addr.eq(0)]
                    m.d.sync += [replay_k.eq(1), in_replay.eq(1)]
                    m.next = "REPLAY_LOAD"

            with m.State("REPLAY_LOAD"):
                m.d.sync += pk.eq(learned_rd.data)
                m.next = "CLASSIFY"

            with m.State("REPLAY_NEXT"):
                m.next = "SB"
                with m.If(replay_k != n_learned):
                    m.d.comb += [learned_rd.en.eq(1), learned_rd.addr.eq(replay_k)]
                    m.d.sync += replay_k.eq(replay_k + 1)
                    m.next = "REPLAY_LOAD"

            with m.State("SB"):  # step 4: search back after the miss limit
                m.next = "QUIET"
                with m.If(~found & (age >= c.LEARN) & (sb.value > 0)):
                    with m.If(miss_dirty):
                        m.d.sync += start_div((rr_sum >> 3) * c.MISS_PERCENT, 1)
                        m.next = "DIV"
                    with m.Elif((n - last)[: W.counter] > miss):
                        m.d.sync += spki.eq(spki + ((clipped(sb.value) - spki) >> 2))
                        accept(sb, 1)
                        m.d.sync += reg_ret_sb.eq(1)
                        m.next = "REGULAR"

            with m.State("MISS_SET"):
                m.d.sync += [miss.eq(div_q), miss_dirty.eq(0)]
                m.next = "SB"

            with m.State("QUIET"):  # step 4b: learn again after RELEARN samples without a QRS
                new_max = Mux(i_sum > quiet_max, i_sum, quiet_max)
                new_sum = quiet_sum + i_sum
                m.next = "END"
                with m.If(found):
                    m.d.sync += [quiet.eq(0), quiet_max.eq(0), quiet_sum.eq(0)]
                with m.Elif(age >= c.LEARN):
                    m.d.sync += [quiet.eq(quiet + 1), quiet_max.eq(new_max), quiet_sum.eq(new_sum)]
                    with m.If(quiet == c.RELEARN - 1):
                        m.d.sync += start_div(new_sum, 2)
                        m.next = "DIV"

            with m.State("RELEARN_SET"):
                m.d.sync += [
                    spki.eq(quiet_max >> 1),
                    npki.eq(div_q >> 1),
                    quiet.eq(0),
                    quiet_max.eq(0),
                    quiet_sum.eq(0),
                ]
                m.next = "END"

            with m.State("END"):  # the next sample; one queued beat leaves
                m.d.sync += [n.eq(n + 1), age.eq(age_next)]
                m.next = "IDLE"
                with m.If(out_count != 0):
                    m.d.comb += [out_rd.en.eq(1), out_rd.addr.eq(out_head)]
                    m.next = "OUT"

            with m.State("OUT"):
                m.d.comb += [self.o_beat.valid.eq(1), self.quiet.eq(~self.o_beat.ready)]
                with m.If(self.o_beat.ready):
                    m.d.sync += [out_head.eq(out_head + 1), out_count.eq(out_count - 1)]
                    m.next = "IDLE"
        return m


def memory_bits() -> int:
    """Bits in the block's memories: the filter rings, the learned candidates, the output
    queue (the `$mem_v2` macros Yosys keeps)."""
    rings = c.LP1_LEN * W.u + c.LP2_LEN * W.a + c.HP_LEN * W.l + c.MWI_LEN * W.q + c.B_RING * W.b
    return rings + c.LEARN_PEAKS * PEAK.size + c.OUT_RING * BEAT_EVENT.size
