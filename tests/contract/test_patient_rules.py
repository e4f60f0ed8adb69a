"""Each rule of model/contract/patient.py (the patient-relative front end) pinned by a
hand-computed case: template distances, warm-up, exponential update, premature and distance
gates, rejects, gap reset, flat line, irregularity ring and saturation."""

import numpy as np
import pytest

from ecg_snn.model.contract import patient
from ecg_snn.model.contract.frontend import preprocess_rr, preprocess_stream
from ecg_snn.model.contract.patient import new_state, step
from ecg_snn.model.contract.spec import Preprocess

# 8 chip samples, R at chip sample 4; the QRS slice [max(4-6, 0), 4+8) is the whole beat
PRE = Preprocess(before=4, after=4, downsample=1, input_bits=8, rr_bits=6)
# 24 chip samples, R at 8: QRS slice [2, 16)
WIDE = Preprocess(before=8, after=16, downsample=1, input_bits=8, rr_bits=6)
N = 300  # a normal RR interval in samples


def spike(height: int, at: int = 4, n: int = 8) -> np.ndarray:
    x = np.zeros(n, np.int64)
    x[at] = height
    return x


def test_first_beat_has_zero_template_features_and_becomes_the_template():
    st = new_state(PRE)
    assert step(PRE, st, spike(16), N, N) == {
        "tmpl_dist": 0,
        "tmpl_qrs": 0,
        "irreg": 0,
        "rhythm": 0,
    }
    assert st.acc.tolist() == (spike(16) << 4).tolist()  # k = 0 copies the beat (times 2**4)
    assert st.accepted == 1


def test_distance_is_l1_relative_to_the_template_norm_then_half_step_update():
    st = new_state(PRE)
    step(PRE, st, spike(16), N, N)
    f = step(PRE, st, spike(8), N, N)
    # |8 - 16| = 8, sum|t| = 16: (8 << 5) // 16 = 16
    assert f["tmpl_dist"] == 16 and f["tmpl_qrs"] == 16
    # accepted = 1 -> k = 1: acc = 256 + ((8 << 4) - 256) >> 1 = 256 - 64 = 192 (t = 12)
    assert st.acc[4] == 192 and (st.acc >> 4)[4] == 12


def test_distance_floors_and_qrs_slice_covers_only_the_qrs():
    st = new_state(WIDE)
    t = np.zeros(24, np.int64)
    t[8], t[20] = 10, 10  # a QRS sample and a T-wave sample (outside [2, 16))
    step(WIDE, st, t, N, N)
    x = t.copy()
    x[20] = 3  # only the T wave differs by 7
    f = step(WIDE, st, x, N, N)
    assert f["tmpl_dist"] == (7 << 5) // 20  # 224 // 20 = 11 (11.2 floored)
    assert f["tmpl_qrs"] == 0


def test_distance_saturates_and_a_flat_template_divides_by_one():
    st = new_state(PRE)
    step(PRE, st, np.zeros(8, np.int64), N, N)  # a flat line becomes the template
    f = step(PRE, st, spike(1), N, N)
    assert f["tmpl_dist"] == 32  # (1 << 5) // max(0, 1) = 32
    assert step(PRE, st, spike(100), N, N)["tmpl_dist"] == 63  # 3200 // 1 saturates at 63


def test_warmup_shifts_grow_with_the_beats_taken_then_stay_at_the_template_shift():
    # k = min(bit_length(accepted), 4): 0, 1, 2, 2, 3, 3, 3, 3, 4, 4, ...
    st = new_state(PRE)
    ks = []
    for _ in range(12):
        ks.append(min(st.accepted.bit_length(), patient.TEMPLATE_SHIFT))
        step(PRE, st, spike(16), N, N)
    assert ks == [0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]
    assert st.accepted == 12
    for _ in range(10):
        step(PRE, st, spike(16), N, N)
    assert st.accepted == 16  # saturates at 2**TEMPLATE_SHIFT


def test_exponential_update_floors_towards_minus_infinity():
    st = new_state(PRE)
    st.acc, st.accepted = spike(257), 16  # t = 257 >> 4 = 16
    step(PRE, st, spike(15), N, N)  # distance (1 << 5) // 16 = 2: taken with k = 4
    # 257 + ((15 << 4) - 257) >> 4 = 257 + (-17 >> 4) = 257 - 2 (truncation would give -1)
    assert st.acc[4] == 255 and (st.acc >> 4)[4] == 15
    step(PRE, st, spike(22), N, N)  # (7 << 5) // 15 = 14: taken; 255 + (352 - 255) >> 4 = 261
    assert st.acc[4] == 261


def test_premature_beat_is_not_taken_and_the_boundary_is():
    st = new_state(PRE)
    step(PRE, st, spike(16), N, N)
    before = st.acc.copy()
    step(PRE, st, spike(40), 262, N)  # 262 << 3 = 2096 < 7 * 300 = 2100: premature
    assert st.acc.tolist() == before.tolist() and st.rejects == 1 and st.accepted == 1
    step(PRE, st, spike(40), 7, 8)  # 7 << 3 = 56 >= 7 * 8 = 56: taken
    assert st.accepted == 2 and st.rejects == 0


def test_after_warmup_only_beats_within_accept_max_are_taken():
    st = new_state(PRE)
    for _ in range(patient.WARMUP):
        step(PRE, st, spike(32), N, N)  # template 32 exactly
    f = step(PRE, st, spike(49), N, N)  # (17 << 5) // 32 = 17 > 16: rejected
    assert f["tmpl_dist"] == 17 and st.rejects == 1 and st.accepted == patient.WARMUP
    f = step(PRE, st, spike(48), N, N)  # (16 << 5) // 32 = 16 <= 16: taken
    assert f["tmpl_dist"] == 16 and st.rejects == 0 and st.accepted == patient.WARMUP + 1


def test_max_rejects_in_a_row_empty_the_template():
    st = new_state(PRE)
    for _ in range(patient.WARMUP):
        step(PRE, st, spike(32), N, N)
    for _ in range(patient.MAX_REJECTS - 1):
        step(PRE, st, spike(-32), N, N)
    assert st.accepted == patient.WARMUP and st.rejects == patient.MAX_REJECTS - 1
    step(PRE, st, spike(-32), N, N)  # the 32nd reject
    assert st.accepted == 0 and not st.acc.any()
    f = step(PRE, st, spike(-32), N, N)  # empty template: features 0, the beat is taken
    assert (f["tmpl_dist"], f["tmpl_qrs"]) == (0, 0) and st.accepted == 1


def test_a_gap_longer_than_three_seconds_resets_template_and_irregularity():
    gap = patient.GAP_SECONDS * PRE.fs  # 1080 samples
    st = new_state(PRE)
    step(PRE, st, spike(16), N, N)
    step(PRE, st, spike(16), 400, N)  # diff 100
    f = step(PRE, st, spike(24), gap, N)  # exactly the gap: no reset
    assert f["tmpl_dist"] == (8 << 5) // 16 and f["irreg"] > 0
    f = step(PRE, st, spike(24), gap + 1, N)  # longer: reset first
    assert f == {"tmpl_dist": 0, "tmpl_qrs": 0, "irreg": 0, "rhythm": 0}
    assert st.accepted == 1 and st.acc[4] == 24 << 4


def test_irregularity_is_mean_abs_successive_difference_over_local():
    st = new_state(PRE)
    assert step(PRE, st, spike(16), 300, 250)["irreg"] == 0  # no difference yet
    assert step(PRE, st, spike(16), 331, 250)["irreg"] == (31 << 6) // 250  # 1984 // 250 = 7
    # diffs 31, 31 -> mean 31; then 31, 31, 2 -> 64 // 3 = 21: (21 << 6) // 250 = 5
    assert step(PRE, st, spike(16), 300, 250)["irreg"] == 7
    assert step(PRE, st, spike(16), 302, 250)["irreg"] == (21 << 6) // 250


def test_irregularity_ring_keeps_the_last_16_differences_and_saturates():
    st = new_state(PRE)
    step(PRE, st, spike(16), 300, 300)
    assert step(PRE, st, spike(16), 900, 300)["irreg"] == 63  # (600 << 6) // 300 = 128 -> 63
    step(PRE, st, spike(16), 900, 300)
    for _ in range(patient.IRREG_BEATS - 2):
        f = step(PRE, st, spike(16), 900, 300)
    assert f["irreg"] == ((600 // 16) << 6) // 300  # 37 << 6 = 2368 // 300 = 7
    assert step(PRE, st, spike(16), 900, 300)["irreg"] == 0  # the 600 has left the ring


def test_rhythm_averages_the_last_64_differences_where_irreg_takes_16():
    st = new_state(PRE)
    step(PRE, st, spike(16), 300, 300)
    f = step(PRE, st, spike(16), 900, 300)  # one difference, 600: both saturate
    assert (f["irreg"], f["rhythm"]) == (63, 63)
    for _ in range(patient.IRREG_BEATS):
        f = step(PRE, st, spike(16), 900, 300)
    # 17 differences: 600 and 16 zeros; irreg sees the zeros only, rhythm all 17
    assert (f["irreg"], f["rhythm"]) == (0, ((600 // 17) << 6) // 300)  # 35 << 6 = 2240 // 300
    for _ in range(patient.RHYTHM_BEATS - patient.IRREG_BEATS - 2):
        f = step(PRE, st, spike(16), 900, 300)
    assert f["rhythm"] == ((600 // 63) << 6) // 300  # 9 << 6 = 576 // 300 = 1
    f = step(PRE, st, spike(16), 900, 300)
    assert f["rhythm"] == ((600 // 64) << 6) // 300  # 9 << 6 // 300 = 1: still in the ring
    assert step(PRE, st, spike(16), 900, 300)["rhythm"] == 0  # the 600 has left it


def test_rhythm_values_from_rr_alone_equal_the_stream_and_reset_per_record_and_gap():
    rng = np.random.default_rng(3)
    rr = np.stack([rng.integers(150, 500, 90), np.zeros(90, int), rng.integers(200, 400, 90)], 1)
    rr[40, 0] = patient.GAP_SECONDS * PRE.fs + 1  # a gap mid-record
    record = np.repeat(["a", "b"], [60, 30])
    st, want = None, []
    for i in range(90):
        st = new_state(PRE) if i in (0, 60) else st
        want.append(step(PRE, st, spike(16), rr[i, 0], rr[i, 2])["rhythm"])
    got = patient.rhythm_values(PRE, rr, record)
    assert got.tolist() == want
    mixed = np.array([*range(60, 75), *range(0, 60), *range(75, 90)])  # b's beats split by a's
    assert patient.rhythm_values(PRE, rr[mixed], record[mixed]).tolist() == got[mixed].tolist()
    assert got[0] == got[40] == got[60] == 0 and got[41] > 0  # reset: record start, gap


def test_gate_turns_s_into_n_only_at_or_above_the_threshold_and_never_when_off():
    classes = ("N", "S", "V", "F")
    cls = np.array([1, 1, 1, 2, 0, 3])
    rhythm = np.array([6, 7, 63, 63, 63, 63])
    assert patient.gate(classes, 7, cls, rhythm).tolist() == [1, 0, 0, 2, 0, 3]
    assert patient.gate(classes, 0, cls, rhythm).tolist() == cls.tolist()
    # the classes are found by name, not position
    assert patient.gate(("S", "N"), 7, np.array([0, 0]), np.array([7, 6])).tolist() == [1, 0]


def test_preprocess_rr_refuses_stateful_features():
    pre = Preprocess(rr_features=("prev_ratio", "irreg"))
    with pytest.raises(ValueError, match="preprocess_stream"):
        preprocess_rr(pre, np.array([[300, 300, 300]]))


def test_preprocess_stream_places_columns_and_resets_per_record():
    pre = Preprocess(
        before=4, after=4, downsample=1, input_shift=0, input_bits=8, rr_bits=6,
        rr_features=("irreg", "prev_ratio", "tmpl_dist"), ratio_shift=5,
    )  # fmt: skip
    w = np.zeros((3, 8), np.int64)
    w[:, 4] = [80, 40, 80]  # centred chip samples: x = w - sum(w) // 8
    rr = np.array([[300, 300, 300], [330, 300, 300], [300, 300, 300]])
    x, feats = preprocess_stream(pre, w, rr, np.array(["a", "a", "b"]))
    assert x.shape == (3, 1, 8)
    # beat 0: empty template; beat 1: diff 30 -> (30 << 6) // 300 = 6, ratio (330 << 5) // 300
    # = 35; template x0 = 80 - 10 at R, -10 elsewhere (norm 140), x1 = 35 at R, -5 elsewhere:
    # |35 - 70| + 7 * |-5 + 10| = 70 -> (70 << 5) // 140 = 16
    assert feats[0].tolist() == [0, 32, 0]
    assert feats[1].tolist() == [6, 35, 16]
    assert feats[2].tolist() == [0, 32, 0]  # record "b": a new patient
