"""Patient-relative front-end features: a running template of the patient's own beats and an
RR irregularity measure. Integer and causal: beat i's features use beats 0 .. i-1 of the same
patient only (and beat i's own samples and previous RR). They enter the chip like the RR
features (unsigned `rr_bits` words on the RR inputs of the dense layers), so the accelerator is
unchanged; they run on the host that feeds it (firmware), beside the RR front end.

Notation: x = the beat's chip samples (`frontend.preprocess_samples`, n = n_samples values),
prev / local = the beat's previous and local RR in samples (`data.beats`), s = TEMPLATE_SHIFT,
f = DISTANCE_SHIFT, g = IRREG_SHIFT, L = IRREG_BEATS, sat(v) = clip(v, 0, 2**rr_bits - 1).
The constants are fixed rules of the front end (not `Preprocess` fields, so the hardware id of
artifacts without these features is unchanged); an artifact opts in by naming the features in
`Preprocess.rr_features`.
`>>` floors, `//` is floor division.

State (per patient, `PatientState`): acc[n] (the template times 2**s), `accepted` (beats taken
into the template since the last reset, saturating at 2**s), `rejects` (consecutive beats not
taken), the last R absolute successive RR differences, the previous beat's prev.

Per beat, in this order:

1. Gap: if prev > GAP_SECONDS * fs the state is reset first (a lost signal or a new patient).
2. Template features, against the template *before* this beat (t = acc >> s)::

       tmpl_dist = sat((sum_i |x[i] - t[i]| << f) // max(sum_i |t[i]|, 1))
       tmpl_qrs  = the same over the QRS samples i in [c - QRS_BEFORE, c + QRS_AFTER),
                   c = before // downsample (the R peak's chip sample)

   Both are 0 while the template is empty (accepted == 0): an unknown patient looks normal.
3. Irregularity: d = |prev - prev_last| (none for the first beat after a reset) enters a ring of
   the last R = RHYTHM_BEATS differences; m_L = the floor mean of its last L entries, m_R of all::

       irreg  = sat((m_L << g) // max(local, 1))           (0 while the ring is empty)
       rhythm = sat((m_R << g) // max(local, 1))           (the same over R differences)

   `irreg` is a chip input; `rhythm` is not: it feeds the rhythm gate below.

4. Template update. The beat is taken if it is not premature and looks normal::

       take = (prev << 3) >= 7 * local  and  (accepted < WARMUP or tmpl_dist <= ACCEPT_MAX)
       k    = min(bit_length(accepted), s)               (k = 0 copies the first beat)
       acc += ((x << s) - acc) >> k;   accepted = min(accepted + 1, 2**s);   rejects = 0

   during the warm-up (accepted < 2**(s-1)) k < s makes the template the near-mean of the
   beats so far; afterwards it is the exponential average with weight 2**-s. A beat not taken
   increments `rejects`; MAX_REJECTS in a row (the template no longer matches this patient: a
   lead change, a morphology change, a template learnt from ectopic beats) empty the template
   (accepted = 0), which warms up again from the next non-premature beat.

Rhythm gate (after the chip, on the host; an artifact opts in with `ModelSpec.rhythm_gate` = G,
0 = off): a beat the chip calls S becomes N when rhythm >= G. Atrial fibrillation makes every
RR interval irregular, so the chip's timing evidence for S (a premature beat) means nothing
there, and AAMI labels the beats of AF N; a premature beat in a regular rhythm keeps its S. The
64-difference mean and G were chosen by DS1 by-patient CV (`docs/model.md`, "The rhythm gate").

Reset (power-up, a new-patient command, a gap): the template and the irregularity ring empty.
A flat line gives t = 0: the distance's denominator is max(0, 1) = 1, so a beat with any
signal saturates tmpl_dist, is rejected, and MAX_REJECTS such beats re-warm the template.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ecg_snn.model.contract.spec import PATIENT_FEATURES, Preprocess, saturate

TEMPLATE_SHIFT = 4  # template = exponential average with weight 2**-4 (time constant 16 beats)
DISTANCE_SHIFT = 5  # fractional bits of the template distances (32 = a distance of 1.0)
IRREG_SHIFT = 6  # fractional bits of the irregularity (64 = mean |dRR| equal to the local RR)
IRREG_BEATS = 16  # successive RR differences averaged by `irreg`
RHYTHM_BEATS = 64  # ... by `rhythm`, the rhythm gate's measure (the ring's length)
GAP_SECONDS = 3  # a longer RR interval resets the patient state
QRS_BEFORE = 6  # chip samples before the R sample (67 ms at 90 Hz)
QRS_AFTER = 8  # chip samples from the R sample on (89 ms at 90 Hz)
WARMUP = 4  # beats taken without the distance test after a reset
ACCEPT_MAX = 16  # tmpl_dist of a normal-looking beat: <= 0.5 at distance_shift 5
MAX_REJECTS = 32  # consecutive beats not taken before the template is emptied


@dataclass
class PatientState:
    """The running state of one patient's front end (see the module docstring)."""

    acc: np.ndarray
    accepted: int = 0
    rejects: int = 0
    diffs: list[int] = field(default_factory=list)
    prev_last: int = -1


def new_state(pre: Preprocess) -> PatientState:
    """The power-up / new-patient state: an empty template and irregularity ring."""
    return PatientState(acc=np.zeros(pre.n_samples, dtype=np.int64))


def _distance(x: np.ndarray, t: np.ndarray, shift: int, pre: Preprocess) -> int:
    """sat((sum |x - t| << shift) // max(sum |t|, 1)), the template distance over x's samples."""
    dist = int(np.abs(x - t).sum())
    norm = max(int(np.abs(t).sum()), 1)
    return int(saturate((dist << shift) // norm, *pre.rr_range))


def _gap(pre: Preprocess, state: PatientState, prev: int) -> None:
    """Rule 1: a gap (prev > GAP_SECONDS * fs) resets the state."""
    if prev > GAP_SECONDS * pre.fs:
        fresh = new_state(pre)
        state.acc, state.accepted, state.rejects = fresh.acc, 0, 0
        state.diffs, state.prev_last = [], -1


def _rhythm(pre: Preprocess, state: PatientState, prev: int, local: int) -> tuple[int, int]:
    """Rule 3: (irreg, rhythm) of this beat, the difference ring updated in place."""
    if state.prev_last >= 0:
        state.diffs = [*state.diffs, abs(prev - state.prev_last)][-RHYTHM_BEATS:]
    state.prev_last = prev
    out = []
    for beats in (IRREG_BEATS, RHYTHM_BEATS):
        last = state.diffs[-beats:]
        m = sum(last) // len(last) if last else 0
        out.append(int(saturate((m << IRREG_SHIFT) // max(local, 1), *pre.rr_range)))
    return out[0], out[1]


def step(pre: Preprocess, state: PatientState, x: np.ndarray, prev: int, local: int) -> dict:
    """One beat: its patient features and `rhythm` (dict by name), the state updated in place."""
    x = np.asarray(x, dtype=np.int64).reshape(-1)
    prev, local = int(prev), int(local)
    _gap(pre, state, prev)
    out = {"tmpl_dist": 0, "tmpl_qrs": 0}
    s = TEMPLATE_SHIFT
    if state.accepted:
        t = state.acc >> s
        c = pre.before // pre.downsample
        q = slice(max(c - QRS_BEFORE, 0), c + QRS_AFTER)
        out["tmpl_dist"] = _distance(x, t, DISTANCE_SHIFT, pre)
        out["tmpl_qrs"] = _distance(x[q], t[q], DISTANCE_SHIFT, pre)
    out["irreg"], out["rhythm"] = _rhythm(pre, state, prev, local)
    premature = (prev << 3) < 7 * local
    if not premature and (state.accepted < WARMUP or out["tmpl_dist"] <= ACCEPT_MAX):
        k = min(state.accepted.bit_length(), s)
        state.acc = state.acc + (((x << s) - state.acc) >> k)
        state.accepted = min(state.accepted + 1, 1 << s)
        state.rejects = 0
    else:
        state.rejects += 1
        if state.rejects >= MAX_REJECTS:
            state.acc = np.zeros_like(state.acc)
            state.accepted, state.rejects = 0, 0
    return out


def patient_features(
    pre: Preprocess, x: np.ndarray, rr: np.ndarray, record: np.ndarray | None = None
) -> np.ndarray:
    """(N, 3) int64 [tmpl_dist, tmpl_qrs, irreg] for beats in time order within each record.

    x (N, 1, n_samples) chip samples, rr (N, 3) [prev, next, local] in samples; `record` names
    each beat's patient (a new name is a new patient: the state resets). None: one patient."""
    x = np.asarray(x, dtype=np.int64).reshape(len(x), pre.n_samples)  # also for no beats
    rr = np.asarray(rr, dtype=np.int64)
    record = np.zeros(len(x), np.int64) if record is None else np.asarray(record)
    out = np.zeros((len(x), len(PATIENT_FEATURES)), dtype=np.int64)
    state, current = None, None
    for i in range(len(x)):
        if state is None or record[i] != current:
            state, current = new_state(pre), record[i]
        f = step(pre, state, x[i], rr[i, 0], rr[i, 2])
        out[i] = [f[name] for name in PATIENT_FEATURES]
    return out


def rhythm_values(pre: Preprocess, rr: np.ndarray, record: np.ndarray | None = None) -> np.ndarray:
    """(N,) int64 `rhythm` of beats in time order within each record (rules 1 and 3 alone: it
    needs only the RR intervals rr (N, 3) [prev, next, local]); `record` names each beat's
    patient (None: one), whose beats need not be adjacent."""
    rr = np.asarray(rr, dtype=np.int64).reshape(-1, 3)
    record = np.zeros(len(rr), np.int64) if record is None else np.asarray(record)
    out = np.zeros(len(rr), dtype=np.int64)
    states: dict = {}  # one per patient: a record's beats need not be adjacent (preprocess_beats)
    for i in range(len(rr)):
        state = states.setdefault(record[i], new_state(pre))
        prev, local = int(rr[i, 0]), int(rr[i, 2])
        _gap(pre, state, prev)
        out[i] = _rhythm(pre, state, prev, local)[1]
    return out


def gate(
    classes: tuple[str, ...], threshold: int, cls: np.ndarray, rhythm: np.ndarray
) -> np.ndarray:
    """The rhythm gate (module docstring): class S -> N where rhythm >= threshold (0: off)."""
    cls = np.asarray(cls, dtype=np.int64)
    if not threshold:
        return cls
    s, n = classes.index("S"), classes.index("N")
    return np.where((cls == s) & (np.asarray(rhythm) >= threshold), n, cls)
