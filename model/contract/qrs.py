"""Integer QRS detector: the front end finds each beat in the raw ADC stream (Pan-Tompkins family).

Causal and integer: every quantity below is an integer, `>>` is an arithmetic shift (floor) and
`//` floor division, as in `model/contract/frontend.py`; `firmware/src/snn_qrs.c` runs the same
rules one sample at a time and matches this module bit for bit. The constants are for the front
end's rate, 360 Hz (MIT-BIH; other records are resampled first, `data/resample.py`); each is
given in time units and its source.

Filters, per sample n = 0, 1, ... (values before n = 0 are 0)::

    x[n]  = sat16(sample)         if the sample is valid, else x[n-1] (hold; lead-off gaps)
    u[n]  = x[n] - x0             x0 = the first valid sample: removes the start-up step
    a[n]  = u[n] + ... + u[n-9]                        } low pass: moving sums of 10 and 8
    l[n]  = a[n] + ... + a[n-7]                        } (28 and 22 ms; -3 dB near 13 Hz, zeros
                                                         at 36 and 45 Hz), the form of Pan-
                                                         Tompkins' LP (two sums of 10 at 360 Hz)
    b[n]  = ((l[n-32] << 6) - (l[n] + ... + l[n-63])) >> 10   high pass: all-pass minus a 64-sum
                                                       (178 ms, ~2.5 Hz), Pan-Tompkins' HP form
    d[n]  = sat16(2 b[n] + b[n-1] - b[n-3] - 2 b[n-4]) five-point derivative (Pan-Tompkins)
    q[n]  = (d[n] * d[n]) >> 8                         squaring (scaled: q <= 2^22)
    i[n]  = q[n] + ... + q[n-57]                       moving-window integration, 161 ms

The band-pass output `b` lags the input by `B_DELAY` = (9 + 7) / 2 + 32 = 40 samples. The
second sum's length and the window's were chosen on DS1 (Pan-Tompkins' two 10-sample sums at
360 Hz and their 150 ms window: 92 missed beats and 83 false detections from 5:00; these, with
the quiet gate of step 5: 99 and 60, under the constraint of being no more than 1 point worse
under any synthetic noise condition, `docs/stream.md`).

Decision, per sample n after i[n] (state: candidate (cv, cp), signal and noise levels SPKI, NPKI,
thresholds THR1, THR2, the last QRS (position, slope), the search-back candidate, 8 RR)::

    1. learning: at n = L-1 (L = 2 s = 720, Pan-Tompkins' learning phase; the two levels are
                 our integer form of it):  SPKI = max(i[0..L)) >> 1,
                 NPKI = (sum(i[0..L)) // L) >> 1,  thresholds from them (step 5)
    2. peak:     if i[n-1] > i[n-2] and i[n-1] >= i[n] and i[n-1] > cv:  (cv, cp) = (i[n-1], n-1)
    3. confirm:  if cv > 0 and n - cp >= R (R = 200 ms = 72, the refractory period: two
                 candidates are always more than R apart): classify (cv, cp) if n >= L, else
                 keep it (with its slope and fiducial) for step 3b; then cv = 0
    3b. learning back-search: at n = L-1, after step 3, classify the kept candidates in order
                 (at most LEARN_PEAKS = L // R + 1 of them), so the beats of the first 2 s are
                 not lost
    4. search-back: if n >= L and a search-back candidate is held and n - last > M:
                 accept it as QRS with SPKI += (c(v) - SPKI) >> 2 (Pan-Tompkins' 0.25 weight)
    4b. re-learning: if n >= L and no QRS was accepted in the last Q = 5 s = 1800 samples
                 (counted from the later of L, the last sample a QRS was accepted at + 1 and
                 the last re-learning + 1, here called s: n = s + Q - 1), learn again over
                 them: SPKI = max(i[s..n]) >> 1, NPKI = (sum(i[s..n]) // Q) >> 1 (ours: an
                 artifact during learning, or a lead whose amplitude fell, no longer keeps the
                 thresholds out of reach; 5 s was chosen on DS1, where 3 s cost false detections)
    5. T = NPKI + ((SPKI - NPKI) >> 2);  THR1 = T (T >> 1 while the rhythm is irregular and
       the signal is quiet, SPKI >= QUIET_RATIO * NPKI), THR2 = T >> 1 (Pan-Tompkins: "for
       irregular heart rates, the first threshold of each set is reduced by half so as to
       increase the detection sensitivity"; ours: noise also makes the RR intervals irregular,
       and a halved THR1 then accepts noise peaks, so the rule waits for a signal level 16
       times the noise level, 4 times in amplitude: chosen on DS1 and on synthetic noise added
       to 118 and 119, both DS1, `docs/stream.md`)

Classifying a confirmed peak (v, p), with its slope s = max |b[k] - b[k-1]| and fiducial f over
k in [p - W, p] (W = 58, the integration window)::

    T wave:  a previous QRS exists, p - last < 360 ms (130) and 2 s < last slope  -> noise
    QRS:     v > THR1 (not a T wave): SPKI += (c(v) - SPKI) >> 3, beat at f
    noise:   otherwise NPKI += (c(v) - NPKI) >> 3; if not a T wave, v > THR2 and v > the
             held search-back candidate, hold (v, p, s, f) as the search-back candidate (a
             T wave held would bypass the T-wave test through the search-back, as Pan-Tompkins
             apply the test to every detection; chosen on DS1: 51 fewer false detections, 7
             more misses)

    c(v) = min(v, SPKI << 1) if SPKI > 0 else v: what enters the running levels is clipped to
    twice the signal level (ours), so one artifact (an electrode pop 10x the R wave, whose
    integrated peak is 100x a QRS) moves SPKI by at most 1/8 instead of blinding the detector
    for the rest of the record; the comparisons with THR1/THR2 use v itself.
    on a QRS: RR = p - last (if a previous QRS), kept in a ring of 8 (initially 8 x 360);
             M = (sum(ring) >> 3) * 166 // 100  (Pan-Tompkins' 166 % of RR AVERAGE);
             irregular = (8 intervals measured since the start) and not every one of them r
             in 92 A <= 100 r <= 116 A, A = sum(ring) >> 3 (Pan-Tompkins' RR LOW / HIGH
             LIMIT, 92 % and 116 %; before 8 are measured the rhythm counts as regular, as the
             ring still holds its initial 1 s; chosen on DS1: 28 fewer missed beats from 5:00,
             201 and 203, for 17 more false detections, docs/stream.md);
             last = p; the search-back candidate is dropped.

Initially last = 0 with no previous QRS. The fiducial (the R peak the beat window is cut around)
is where the band-passed signal peaks, moved back by its lag: its positive peak unless that is
below half its largest magnitude (a QRS whose band-passed R wave is weak or negative, as many
ventricular beats), then its largest magnitude::

    P = max_k max(b[k], 0), M = max_k |b[k]|   over k in [p-W, p], each at its first maximum
    k* = argmax max(b[k], 0)  if 2 P >= M,  else argmax |b[k]|
    f = max(0, k* - B_DELAY + FIDUCIAL_SHIFT)

(ours; the positive-peak preference was chosen on DS1 for the class agreement of the detected
beats' windows with the annotated ones, `docs/stream.md`).

Beats leave the detector one per sample (an output queue of `OUT_RING`): a beat accepted at
sample t is *decided* at max(t, the previous beat's decision + 1); only the learning
back-search accepts several at one sample. A beat whose decision would fall after the last
sample fed is still in the queue: it is not reported (as the C detector, which hands a beat
out only with a sample).

The sample counter. Sample numbers are unbounded here; the C detector counts them in a
`COUNTER_BITS`-bit unsigned integer that wraps (after 138 days at 360 Hz). Every rule above
reads only differences of sample numbers less than 2^31 apart and, for steps 1, 3 and 3b and
the max(0, ...) of f, the number of samples since the start (kept saturating, never wrapping),
so the detector is the same at any start count: C started at counter value s reports positions
(sample, peak) ``(golden + s) mod 2^COUNTER_BITS`` (`Detections.on_counter`).

Its median offset to the reference R peaks of DS1 is 0 samples, so FIDUCIAL_SHIFT = 0; a second
search in the raw signal was tried and dropped (`docs/stream.md`). Every beat is decided at
sample p + R (200 ms after the integration peak; later when found by search-back): the detector
is causal, with a latency of about R + W + B_DELAY samples (0.47 s) after the R peak.

Pan, J. and Tompkins, W. J. (1985), "A real-time QRS detection algorithm", IEEE Trans. Biomed.
Eng. 32(3):230-236: the filter forms, the 200 ms refractory period, the 0.125/0.25 level
weights, the threshold rule, the 166 % search-back limit and the 360 ms T-wave test with the
half-slope rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FS = 360  # Hz: the rate every constant below is set for
INPUT_BITS = 16  # samples saturate to signed 16 bits (ours: 11-12-bit ADCs fit with headroom)
LP1_LEN = 10  # samples (28 ms) of the first low-pass moving sum (Pan-Tompkins)
LP2_LEN = 8  # samples (22 ms) of the second (chosen on DS1; Pan-Tompkins: 28 ms)
HP_LEN = 64  # samples (178 ms) of the high-pass moving sum
HP_TAP = 32  # the all-pass tap, at the middle of the 64-sum
HP_SHIFT = 10  # b = (...) >> 10: the band-pass gain 80 * 64 brought to ~5
SQ_SHIFT = 8  # q = d^2 >> 8 keeps the integrator below 2^28 (ours)
MWI_LEN = 58  # samples (161 ms) of moving-window integration (chosen on DS1; P-T: 150 ms)
LEARN = 720  # samples (2 s) of threshold learning
REFRACTORY = 72  # samples (200 ms)
T_WAVE = 130  # samples (360 ms)
RR_RING = 8  # RR intervals averaged (Pan-Tompkins' RR AVERAGE1)
RR_INIT = 360  # samples (1 s, ours): the RR ring's initial value
MISS_PERCENT = 166  # search back when no QRS for 166 % of the RR average
RR_LOW_PERCENT = 92  # Pan-Tompkins' RR LOW LIMIT: an interval below 92 % of the average ...
RR_HIGH_PERCENT = 116  # ... or above 116 % makes the rhythm irregular (THR1 halved)
QUIET_RATIO = 16  # ... but only while SPKI >= 16 NPKI (ours: noise looks irregular too)
# samples the band-pass output b lags the input: (N - 1) / 2 per moving sum of N, whole here
B_DELAY = (LP1_LEN - 1 + LP2_LEN - 1) // 2 + HP_TAP
RELEARN = 1800  # samples (5 s) without a QRS before the thresholds are learnt again (step 4b)
LEARN_PEAKS = LEARN // REFRACTORY + 1  # candidates confirmed during learning, at most
OUT_RING = 16  # the output queue (a power of two >= LEARN_PEAKS + 1: C indexes by a mask)
COUNTER_BITS = 32  # the C detector's sample counter wraps at 2^32 (module docstring)
FIDUCIAL_SHIFT = 0  # samples: the median offset to the DS1 reference R peaks (docs/stream.md)
MIN_SAMPLES = LEARN + 2 * FS  # the learning period and two seconds to detect in
# History of b a decision at p + R reads (b[p-W-1 .. p]); a power of two so C indexes by a mask.
B_RING = 1 << (REFRACTORY + MWI_LEN + 1).bit_length()


def c_constants() -> dict[str, int]:
    """The constants as `firmware/generate.py` emits them into snn_config.h (SNN_QRS_*)."""
    names = ("FS", "INPUT_BITS", "LP1_LEN", "LP2_LEN", "HP_LEN", "HP_TAP", "HP_SHIFT")
    names += ("SQ_SHIFT",)
    names += ("MWI_LEN", "LEARN", "REFRACTORY", "T_WAVE", "RR_RING", "RR_INIT", "MISS_PERCENT")
    names += ("B_DELAY", "FIDUCIAL_SHIFT", "MIN_SAMPLES", "B_RING", "LEARN_PEAKS", "OUT_RING")
    names += ("RELEARN", "RR_LOW_PERCENT", "RR_HIGH_PERCENT", "QUIET_RATIO")
    return {name: globals()[name] for name in names}


class QrsError(ValueError):
    """Input the detector cannot run on (wrong rate, too short, no valid sample)."""


@dataclass(frozen=True)
class Detections:
    """What `detect` found: `sample` (N,) int64 fiducial R positions, increasing; `peak` (N,)
    the integration peaks p they were detected at; `decided` (N,) the sample at which each was
    decided (p + R, or later for a search-back); `searchback` (N,) bool."""

    sample: np.ndarray
    peak: np.ndarray
    decided: np.ndarray
    searchback: np.ndarray

    def __len__(self) -> int:
        return len(self.sample)

    def on_counter(self, start: int) -> Detections:
        """The positions a detector whose sample counter started at `start` reports:
        ``(sample + start) mod 2^COUNTER_BITS`` (and peak alike; `decided` stays the index
        of the sample fed)."""
        wrap = (1 << COUNTER_BITS) - 1
        return Detections(
            sample=(self.sample + start) & wrap,
            peak=(self.peak + start) & wrap,
            decided=self.decided,
            searchback=self.searchback,
        )


def _moving_sum(v: np.ndarray, n: int) -> np.ndarray:
    """s[k] = v[k] + ... + v[k-n+1], zeros before the start."""
    c = np.cumsum(v)
    out = c.copy()
    out[n:] -= c[:-n]
    return out


def _delayed(v: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros_like(v)
    out[k:] = v[: len(v) - k]
    return out


def filters(samples: np.ndarray, valid: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The filter chain (module docstring) on a whole record: int64 arrays `x, b, d, q, i`."""
    raw = np.asarray(samples, dtype=np.int64)
    ok = np.ones(len(raw), bool) if valid is None else np.asarray(valid, bool)
    lo, hi = -(1 << (INPUT_BITS - 1)), (1 << (INPUT_BITS - 1)) - 1
    sat = np.clip(raw, lo, hi)
    last = np.maximum.accumulate(np.where(ok, np.arange(len(raw)), -1))
    x = np.where(last >= 0, sat[np.maximum(last, 0)], 0)
    first = np.flatnonzero(ok)
    u = x - (sat[first[0]] if len(first) else 0)
    u[last < 0] = 0
    a = _moving_sum(u, LP1_LEN)
    lp = _moving_sum(a, LP2_LEN)
    b = ((_delayed(lp, HP_TAP) << 6) - _moving_sum(lp, HP_LEN)) >> HP_SHIFT
    d = 2 * b + _delayed(b, 1) - _delayed(b, 3) - 2 * _delayed(b, 4)
    d = np.clip(d, -(1 << 15), (1 << 15) - 1)
    q = (d * d) >> SQ_SHIFT
    return {"x": x, "b": b, "d": d, "q": q, "i": _moving_sum(q, MWI_LEN)}


def check_input(samples: np.ndarray, fs: int, valid: np.ndarray | None = None) -> None:
    """Raise `QrsError` for input the detector cannot run on."""
    if fs != FS:
        raise QrsError(
            f"the QRS detector runs at {FS} Hz, the record is at {fs} Hz: resample it first "
            "(data.resample.resample_record)"
        )
    n = len(samples)
    if np.ndim(samples) != 1:
        raise QrsError(f"expected one lead of samples (1-D), got shape {np.shape(samples)}")
    if n < MIN_SAMPLES:
        raise QrsError(
            f"{n} samples ({n / FS:.1f} s) are too short: the detector learns its thresholds "
            f"over {LEARN / FS:.0f} s and needs at least {MIN_SAMPLES / FS:.0f} s"
        )
    if valid is not None:
        if np.shape(valid) != np.shape(samples):
            raise QrsError(f"valid mask shape {np.shape(valid)} != samples {np.shape(samples)}")
        if not np.any(valid):
            raise QrsError("every sample is invalid (lead off?): there is no signal to detect in")


def detect(samples: np.ndarray, fs: int = FS, valid: np.ndarray | None = None) -> Detections:
    """Detect QRS complexes in one lead of raw ADC samples (N,) at `fs` Hz (must be 360);
    `valid` (N,) bool marks usable samples (default: all). Raises `QrsError` on bad input."""
    check_input(samples, fs, valid)
    f = filters(samples, valid)
    return decide(f["i"], f["b"])


def _window_features(b: np.ndarray, p: int) -> tuple[int, int]:
    """(slope, fiducial) of a peak at p: max |b[k]-b[k-1]| and the fiducial rule (module
    docstring) over k in [p - W, p] (indices before 0 read as 0)."""
    lo = p - MWI_LEN
    seg = b[max(lo - 1, 0) : p + 1]
    if lo - 1 < 0:
        seg = np.concatenate([np.zeros(1 - lo, np.int64), seg])
    slope = int(np.abs(np.diff(seg)).max())
    pos, mag = np.maximum(seg[1:], 0), np.abs(seg[1:])
    k = lo + int(np.argmax(pos) if 2 * pos.max() >= mag.max() else np.argmax(mag))
    return slope, k - B_DELAY + FIDUCIAL_SHIFT


class _State:
    """The decision state (module docstring); `decide` drives it event by event."""

    def __init__(self, i: np.ndarray):
        n_learn = min(LEARN, len(i))
        self.measured = 0  # RR intervals measured since the start, up to RR_RING
        self.irregular = False
        self.spki = int(i[:n_learn].max()) >> 1
        self.npki = (int(i[:n_learn].sum()) // LEARN) >> 1
        self.thresholds()
        self.last, self.has_last, self.last_slope = 0, False, 0
        self.ring = [RR_INIT] * RR_RING
        self.ring_at = 0
        self.miss = self.miss_limit()
        self.sb = None  # (v, p, slope, fiducial, time held)
        self.learned: list[tuple[int, int, int, int]] = []  # step 3: (v, p, slope, fiducial)
        self.beats: list[tuple[int, int, int, bool]] = []
        self.quiet_from = LEARN  # step 4b's s
        self.i = i

    def clipped(self, v: int) -> int:
        """c(v): what enters the running levels (module docstring)."""
        return min(v, self.spki << 1) if self.spki > 0 else v

    def thresholds(self) -> None:
        """Step 5."""
        t = self.npki + ((self.spki - self.npki) >> 2)
        quiet = self.spki >= QUIET_RATIO * self.npki
        self.thr1 = t >> 1 if self.irregular and quiet else t
        self.thr2 = t >> 1

    def is_irregular(self) -> bool:
        """Eight measured intervals, not all within 92-116 % of their mean (module docstring)."""
        if self.measured < RR_RING:
            return False
        avg = sum(self.ring) >> 3
        return not all(RR_LOW_PERCENT * avg <= 100 * r <= RR_HIGH_PERCENT * avg for r in self.ring)

    def miss_limit(self) -> int:
        return (sum(self.ring) >> 3) * MISS_PERCENT // 100

    def qrs(self, p: int, slope: int, fid: int, t: int, searchback: bool) -> None:
        if self.has_last:
            self.ring[self.ring_at] = p - self.last
            self.ring_at = (self.ring_at + 1) % RR_RING
            self.miss = self.miss_limit()
            self.measured = min(self.measured + 1, RR_RING)
            self.irregular = self.is_irregular()
        self.last, self.has_last, self.last_slope = p, True, slope
        self.quiet_from = t + 1
        self.sb = None
        self.beats.append((max(fid, 0), p, t, searchback))

    def confirm(self, v: int, p: int, slope: int, fid: int, t: int) -> None:
        t_wave = self.has_last and p - self.last < T_WAVE and 2 * slope < self.last_slope
        if v > self.thr1 and not t_wave:
            self.spki += (self.clipped(v) - self.spki) >> 3
            self.qrs(p, slope, fid, t, False)
        else:
            self.npki += (self.clipped(v) - self.npki) >> 3
            if not t_wave and v > self.thr2 and (self.sb is None or v > self.sb[0]):
                self.sb = (v, p, slope, fid, t)
        self.thresholds()

    def searchback_time(self) -> float:
        if self.sb is None:
            return np.inf
        return max(self.sb[4], self.last + self.miss + 1, LEARN)

    def relearn(self, t: int) -> None:
        """Step 4b at sample t = quiet_from + RELEARN - 1."""
        seg = self.i[self.quiet_from : t + 1]
        self.spki = int(seg.max()) >> 1
        self.npki = (int(seg.sum()) // RELEARN) >> 1
        self.thresholds()
        self.quiet_from = t + 1

    def searchback(self, t: int) -> None:
        v, p, slope, fid, _ = self.sb
        self.spki += (self.clipped(v) - self.spki) >> 2
        self.qrs(p, slope, fid, t, True)
        self.thresholds()


def decide(i: np.ndarray, b: np.ndarray) -> Detections:
    """The decision rules (module docstring) on integration output `i` and band-pass `b`.

    Equivalent to running steps 1-5 at every sample, but driven by events: the local maxima of
    `i` (step 2), the confirmations (step 3), the learning back-search (3b), the search-backs
    (step 4) and the re-learnings (4b), in sample order."""
    i = np.asarray(i, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    n_total = len(i)
    st = _State(i)
    m = np.arange(1, n_total - 1)
    local = m[(i[1:-1] > i[:-2]) & (i[1:-1] >= i[2:])] if n_total > 2 else m
    cv, cp = 0, 0
    replay = [LEARN - 1]  # step 3b's sample, until it has run

    def advance(until: int) -> None:
        """Run steps 3, 3b, 4 and 4b for every sample before `until` (in that order at a
        sample)."""
        nonlocal cv
        while True:
            t_conf = cp + REFRACTORY if cv > 0 else np.inf
            t_replay = replay[0] if replay else np.inf
            t_sb = st.searchback_time()
            t_relearn = st.quiet_from + RELEARN - 1
            t = min(t_conf, t_replay, t_sb, t_relearn)
            if t >= until:
                return
            if t_conf == t:
                slope, fid = _window_features(b, cp)
                if t_conf >= LEARN:
                    st.confirm(cv, cp, slope, fid, int(t_conf))
                else:
                    st.learned.append((cv, cp, slope, fid))
                cv = 0
            elif t_replay == t:
                for v, p, slope, fid in st.learned:
                    st.confirm(v, p, slope, fid, int(t))
                replay.clear()
            elif t_sb == t:
                st.searchback(int(t_sb))
            else:
                st.relearn(int(t))

    for peak in local:
        t = int(peak) + 1  # step 2 at sample t looks at i[t-1]
        advance(t)
        if i[peak] > cv:
            cv, cp = int(i[peak]), int(peak)
    advance(n_total)
    rows = np.array(st.beats, dtype=np.int64).reshape(-1, 4)
    decided = rows[:, 2].copy()
    for k in range(1, len(decided)):  # the output queue: one beat per sample
        decided[k] = max(decided[k], decided[k - 1] + 1)
    out = decided < n_total  # beats still queued after the last sample are not out yet
    return Detections(
        sample=rows[out, 0],
        peak=rows[out, 1],
        decided=decided[out],
        searchback=rows[out, 3].astype(bool),
    )
