"""`preprocess_beats`, the one path from whole records to the chip inputs of some of their
beats: a beat's patient features do not depend on which other beats are selected (checked
against the full stream, an independent run), a front end without patient features stays per
beat, bad selections are refused, and the defined behaviour of the corners (a record shorter
than the warm-up, a flat line, a lead change, a gap) is pinned by hand-computed values."""

import numpy as np
import pytest

from ecg_snn.model.contract import patient
from ecg_snn.model.contract.frontend import preprocess, preprocess_beats, preprocess_stream
from ecg_snn.model.contract.spec import Preprocess

# 8 raw samples = 8 chip samples; R at 4. A window with `h` at sample 4 and 0 elsewhere gives
# chip samples x = h - h // 8 at 4 and -(h // 8) elsewhere (the window's mean removed).
PRE = Preprocess(
    before=4, after=4, downsample=1, input_shift=0, input_bits=8, rr_bits=6,
    rr_features=("prev_ratio", "tmpl_dist", "tmpl_qrs", "irreg"), ratio_shift=5,
)  # fmt: skip
PLAIN = Preprocess(
    before=4, after=4, downsample=1, input_shift=0, input_bits=8, rr_bits=6,
    rr_features=("prev_ratio", "local"), ratio_shift=5, rr_shift=4,
)  # fmt: skip
N = 300  # a normal RR interval in samples
DIST, QRS, IRREG = 1, 2, 3  # columns of PRE's patient features


def spikes(heights, prev=N) -> tuple[np.ndarray, np.ndarray]:
    """Windows with one spike each and constant RR triples (prev, N, N)."""
    w = np.zeros((len(heights), 8), np.int64)
    w[:, 4] = heights
    rr = np.tile([prev, N, N], (len(heights), 1))
    return w, rr


def stream(seed: int = 0, records: int = 3, n: int = 40):
    rng = np.random.default_rng(seed)
    w = rng.integers(-60, 60, (records * n, 8))
    w[:, 4] += 80
    rr = np.stack([rng.integers(200, 400, len(w)), rng.integers(200, 400, len(w))], 1)
    rr = np.c_[rr, np.full(len(w), N)]
    return w, rr, np.repeat([f"r{k}" for k in range(records)], n)


def test_selected_beats_have_the_features_of_the_full_stream():
    w, rr, rec = stream()
    x_all, f_all = preprocess_stream(PRE, w, rr, rec)
    idx = np.array([77, 3, 41, 40, 119, 3])  # any order, repeats, record boundaries
    x, f = preprocess_beats(PRE, w, rr, rec, idx)
    np.testing.assert_array_equal(x, x_all[idx])
    np.testing.assert_array_equal(f, f_all[idx])
    mask = np.zeros(len(w), bool)
    mask[[5, 60, 61]] = True
    np.testing.assert_array_equal(preprocess_beats(PRE, w, rr, rec, mask)[1], f_all[mask])
    np.testing.assert_array_equal(preprocess_beats(PRE, w, rr, rec)[1], f_all)


def test_selecting_a_subset_first_would_give_other_features():
    """The check above can fail: the per-subset stream (what the consumers did) differs."""
    w, rr, rec = stream()
    idx = np.arange(0, len(w), 5)
    _, f_sub = preprocess_stream(PRE, w[idx], rr[idx], rec[idx])
    _, f = preprocess_beats(PRE, w, rr, rec, idx)
    assert (f_sub[:, [DIST, IRREG]] != f[:, [DIST, IRREG]]).any()


def test_without_patient_features_each_beat_stands_alone():
    w, rr, rec = stream()
    idx = np.array([9, 2, 100])
    x, f = preprocess_beats(PLAIN, w, rr, rec, idx)
    x_ref, f_ref = preprocess(PLAIN, w[idx], rr[idx])
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(f, f_ref)
    # local = 300 >> rr_shift 4 = 18; prev_ratio = (prev << 5) // 300
    assert f[:, 1].tolist() == [18, 18, 18]
    assert f[:, 0].tolist() == [min((int(p) << 5) // N, 63) for p in rr[idx, 0]]


def test_bad_selections_are_refused():
    w, rr, rec = stream(records=2, n=5)
    with pytest.raises(ValueError, match="lie in"):
        preprocess_beats(PRE, w, rr, rec, np.array([10]))
    with pytest.raises(ValueError, match="boolean selection needs 10"):
        preprocess_beats(PRE, w, rr, rec, np.ones(3, bool))
    with pytest.raises(ValueError, match="one name per beat"):
        preprocess_beats(PRE, w, rr, rec[:4], np.array([1]))


def test_a_patient_is_its_beats_in_order_even_when_not_adjacent():
    w, rr, _ = stream(records=1, n=10)
    rec = np.array(["a", "a", "b", "b", "a", "c", "c", "a", "c", "a"])
    _, f = preprocess_beats(PRE, w, rr, rec, np.array([9, 3, 4]))
    a = np.flatnonzero(rec == "a")  # 0, 1, 4, 7, 9: one stream
    _, fa = preprocess_stream(PRE, w[a], rr[a])
    _, fb = preprocess_stream(PRE, w[[2, 3]], rr[[2, 3]])
    np.testing.assert_array_equal(f, [fa[4], fb[1], fa[2]])


def test_a_record_shorter_than_the_warmup_then_the_next_patient_starts_empty():
    w1, rr1 = spikes([80, 80])  # x = 70 at R, -10 elsewhere: norm 140
    w2, rr2 = spikes([160])
    w, rr = np.r_[w1, w2], np.r_[rr1, rr2]
    _, f = preprocess_beats(PRE, w, rr, np.array(["short", "short", "next"]))
    assert f[:, DIST].tolist() == [0, 0, 0]  # beat 2 of "short" equals its template
    assert f[:, IRREG].tolist() == [0, 0, 0]  # |300 - 300| = 0; "next" has no difference yet


def test_a_flat_line_learns_a_zero_template_and_signal_afterwards_saturates_until_relearnt():
    flat = patient.MAX_REJECTS + 5
    w, rr = spikes([0] * flat + [80] * (patient.MAX_REJECTS + 2))
    _, f = preprocess_beats(PRE, w, rr)
    assert not f[:flat].any(axis=0)[[DIST, QRS, IRREG]].any()  # zero distance to a zero template
    # signal: (140 << 5) // max(0, 1) saturates at 63 and is rejected, MAX_REJECTS times;
    # then the template empties (features 0), the next beat rebuilds it exactly (distance 0)
    sig = f[flat:, DIST].tolist()
    assert sig == [63] * patient.MAX_REJECTS + [0, 0]


def test_a_lead_change_is_rejected_until_the_template_is_relearnt():
    w, rr = spikes([80] * 8 + [-80] * (patient.MAX_REJECTS + 2))
    _, f = preprocess_beats(PRE, w, rr)
    # inverted: x = -70 at R, +10 elsewhere against 70 / -10: (140 + 7 * 20) << 5 // 140 = 64
    assert f[:8, DIST].tolist() == [0] * 8
    assert f[8:, DIST].tolist() == [63] * patient.MAX_REJECTS + [0, 0]


def test_a_gap_resets_the_patient_in_the_middle_of_a_record():
    w, rr = spikes([80, 80, 40, 40])
    rr[1, 0] = 400  # |400 - 300| = 100 -> irreg (100 << 6) // 300 = 21
    rr[2, 0] = patient.GAP_SECONDS * PRE.fs + 1  # a gap: reset before beat 2
    _, f = preprocess_beats(PRE, w, rr, None, np.array([1, 2, 3]))
    # beat 3: a fresh ring with |300 - 1081| = 781 -> (781 << 6) // 300 = 166, saturated to 63
    assert f[:, IRREG].tolist() == [21, 0, 63]
    # beat 2 meets an empty template (0); beat 3 equals the template beat 2 made
    assert f[:, DIST].tolist() == [0, 0, 0]


def test_no_beats_give_no_inputs():
    """A record with no beat (a silent signal) gives empty inputs of the right shapes."""
    w, rr = np.zeros((0, 8), np.int64), np.zeros((0, 3), np.int64)
    for x, f in (preprocess_stream(PRE, w, rr), preprocess_beats(PRE, w, rr)):
        assert x.shape == (0, 1, 8) and f.shape == (0, 4)
    w, rr, rec = stream(records=1, n=3)
    x, f = preprocess_beats(PRE, w, rr, rec, np.zeros(3, bool))
    assert x.shape == (0, 1, 8) and f.shape == (0, 4)
