"""Each rule of the integer QRS detector (model/contract/qrs.py) pinned by a hand-computed case,
and its bad-input errors. The decision tests feed `decide` hand-built integration signals: bumps
[v/2, v, v/2] at chosen samples, so every level, threshold and time below is worked out by hand
in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.model.contract import qrs


def impulse_filters():
    x = np.zeros(100, np.int64)
    x[5] = 1024  # x0 = 0: u is the impulse itself
    return qrs.filters(x)


def test_input_saturates_to_16_bits_and_holds_invalid_samples():
    x = np.array([100, 40000, -40000, 7, 5] + [0] * 10)
    valid = np.ones(len(x), bool)
    valid[3] = False
    got = qrs.filters(x, valid)["x"][:5]
    np.testing.assert_array_equal(got, [100, 32767, -32768, -32768, 5])


def test_invalid_samples_before_the_first_valid_one_read_as_no_signal():
    x = np.array([999, 999, 50, 50, 50] + [50] * 10)
    valid = np.array([False, False] + [True] * 13)
    f = qrs.filters(x, valid)
    # u = x - x0 with x0 = 50 (the first valid sample), and 0 before it: no start-up step
    assert not f["b"].any() and not f["i"].any()


def test_band_pass_of_an_impulse():
    b = impulse_filters()["b"]
    # l is the 10x10 triangle times 1024: l[5..14] = 1024 * (1..10); its 64-sum at n=14 is
    # 1024 * 55, the delayed tap is still 0: b[14] = -56320 >> 10 = -55
    assert b[14] == -55
    # floor, not truncation: b[5] = -1024 >> 10 = -1, b[6] = -(1024 + 2048) >> 10 = -3
    assert (b[4], b[5], b[6]) == (0, -1, -3)
    # at n = 46 the tap reads l[14] = 10240: (10240 << 6) - 102400 (the whole triangle) = 552960
    assert b[46] == 540


def test_derivative_squaring_and_integration():
    f = impulse_filters()
    # d[14] = 2 b[14] + b[13] - b[11] - 2 b[10] = -110 - 45 + 28 + 42 = -85; q = 7225 >> 8 = 28
    assert (f["d"][14], f["q"][14]) == (-85, 28)
    q, i = f["q"], f["i"]
    for n in (14, 53, 54, 80):  # a 54-sample (150 ms) window
        assert i[n] == q[max(0, n - 53) : n + 1].sum()


def test_derivative_saturates_to_16_bits():
    x = np.zeros(200, np.int64)
    x[100:] = 32767  # a full-scale step: |d| would exceed 2^15
    d = qrs.filters(x)["d"]
    assert d.max() == 32767 and (d <= 32767).all() and (d >= -32768).all()


def bumps(n: int, *peaks: tuple[int, int]) -> np.ndarray:
    i = np.zeros(n, np.int64)
    for p, v in peaks:
        i[p - 1 : p + 2] = (v // 2, v, v // 2)
    return i


# Learning bump at 300, v = 2000: SPKI = 2000 >> 1 = 1000; sum = 4000, NPKI = (4000 // 720) >> 1
# = 2; THR1 = 2 + (998 >> 2) = 251, THR2 = 125. The bump, confirmed at 372 during learning (b = 0:
# slope 0, fiducial 300 - 54 - 41 = 205), is classified by the learning back-search at 719:
# 2000 > 251, a QRS: SPKI = 1000 + ((min(2000, 2 * 1000) - 1000) >> 3) = 1125, last = 300;
# THR1 = 2 + (1123 >> 2) = 282, THR2 = 141. Miss limit (360 * 8 >> 3) * 166 // 100 = 597.
LEARN_BUMP = (300, 2000)
LEARNED = (205, 300, qrs.LEARN - 1)  # the learning bump's beat: fiducial, peak, decided


def test_learning_back_search_keeps_the_first_beat_and_a_peak_above_thr1_is_a_qrs():
    b = np.zeros(3000, np.int64)
    b[980] = 50  # largest |b| in [1000 - 54, 1000]: fiducial 980 - 41
    det = qrs.decide(bumps(3000, LEARN_BUMP, (1000, 1000)), b)
    np.testing.assert_array_equal(det.peak, [LEARNED[1], 1000])
    np.testing.assert_array_equal(det.sample, [LEARNED[0], 980 - qrs.B_DELAY])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1000 + qrs.REFRACTORY])
    assert not det.searchback.any()


def test_learning_back_search_classifies_every_learning_peak_in_order():
    # bumps at 100 (v 2000), 400 (v 600), 500 (v 100): SPKI 1000, NPKI = (5400 // 720) >> 1 = 3,
    # THR1 = 3 + (997 >> 2) = 252. At 719 the first is a QRS (SPKI 1125, THR1 = 3 + (1122 >> 2)
    # = 283), the second too (600 > 283, 300 samples later: no T wave; SPKI = 1125 + (-525 >> 3)
    # = 1059, THR1 = 3 + (1056 >> 2) = 267, THR2 = 133), the third is noise below THR2, never a
    # beat. They leave one per sample: decided 719 and 720.
    det = qrs.decide(bumps(3000, (100, 2000), (400, 600), (500, 100)), np.zeros(3000, np.int64))
    np.testing.assert_array_equal(det.peak, [100, 400])
    np.testing.assert_array_equal(det.decided, [719, 720])
    # the 100 fiducial, 100 - 54 - 41 = 5, and a bump at 60 whose fiducial would be before the
    # start: max(0, 60 - 95) = 0
    det = qrs.decide(bumps(3000, (60, 2000)), np.zeros(3000, np.int64))
    np.testing.assert_array_equal(det.sample, [0])


def test_a_peak_below_thr1_is_noise_held_for_search_back():
    det = qrs.decide(bumps(3000, LEARN_BUMP, (1000, 250)), np.zeros(3000, np.int64))
    # 250 < THR1 282: noise (NPKI = 2 + (248 >> 3) = 33, THR1 = 33 + (1092 >> 2) = 306, THR2 =
    # 153), held as 250 > 153; 1000 - 300 > 597, so the search-back takes it at its confirmation
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072])
    np.testing.assert_array_equal(det.searchback, [False, True])
    det = qrs.decide(bumps(3000, LEARN_BUMP, (1000, 120)), np.zeros(3000, np.int64))
    np.testing.assert_array_equal(det.peak, [LEARNED[1]])  # 120 < THR2 141: never a beat


def test_search_back_accepts_the_largest_noise_peak_after_166_percent_of_rr():
    n = 4000
    # QRS at 1000: SPKI = 1125 + (-125 >> 3) = 1109, THR1 = 2 + (1107 >> 2) = 278; RR 700 makes
    # the miss limit ((700 + 7 * 360) >> 3) * 166 // 100 = 667. Noise at 1500, v = 200: NPKI =
    # 2 + (198 >> 3) = 26, THR1 = 26 + (1083 >> 2) = 296, THR2 = 148 < 200: held. At 1560, v =
    # 180: NPKI = 26 + (154 >> 3) = 45, THR1 = 45 + (1064 >> 2) = 311, THR2 = 155 < 180 < 200:
    # it does not replace the held one. Search-back at 1000 + 667 + 1 = 1668: SPKI = 1109 +
    # ((200 - 1109) >> 2) = 881, THR1 = 45 + (836 >> 2) = 254, THR2 = 127; RR 500 makes the miss
    # limit ((700 + 500 + 6 * 360) >> 3) * 166 // 100 = 697. Noise at 1700, v = 150 (confirmed at
    # 1772): NPKI = 45 + (105 >> 3) = 58, THR1 = 58 + (823 >> 2) = 263, THR2 = 131 < 150: held,
    # searched back at 1500 + 697 + 1 = 2198.
    peaks = (1000, 1000), (1500, 200), (1560, 180), (1700, 150)
    det = qrs.decide(bumps(n, LEARN_BUMP, *peaks), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1500, 1700])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072, 1668, 2198])
    np.testing.assert_array_equal(det.searchback, [False, False, True, True])


def test_search_back_waits_for_the_miss_limit():
    n = 4000
    # a held noise peak at 1200, then a QRS at 1400 confirmed at 1472, before 1668: the QRS
    # drops the held peak
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1200, 200), (1400, 1000)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1400])
    assert not det.searchback.any()


def test_refractory_a_larger_peak_within_200_ms_replaces_the_candidate():
    n = 3000
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1050, 1200)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1050])  # one beat, at the larger peak
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1050, 900)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000])  # a smaller one is absorbed
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1073, 900)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1073])  # after 72 samples: a new one


def test_what_enters_the_levels_is_clipped_to_twice_spki():
    n = 6000
    # After the QRS at 1000 (SPKI 1109, THR1 278) an artifact at 1500 with v = 100000: a QRS,
    # but SPKI = 1109 + ((2218 - 1109) >> 3) = 1247 (unclipped it would be 13467 and THR1 ~3400,
    # above every later beat). THR1 = 2 + (1245 >> 2) = 313: the beats at 2000, 2500 (v 1000)
    # are found.
    peaks = (1000, 1000), (1500, 100_000), (2000, 1000), (2500, 1000)
    det = qrs.decide(bumps(n, LEARN_BUMP, *peaks), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1500, 2000, 2500])
    assert not det.searchback.any()


def test_five_seconds_without_a_qrs_learn_the_thresholds_again():
    n = 3500
    # an artifact in the learning period, v = 100000: SPKI 50000, NPKI (200000 // 720) >> 1 =
    # 138, THR1 = 138 + (49862 >> 2) = 12603; it is a QRS at 719 (accepted there: 4b counts from
    # 720). The beats every 300 samples from 1000 (v 1000) are noise below THR2. At 720 + 1800 -
    # 1 = 2519: SPKI = max(i[720..2519]) >> 1 = 500, NPKI = (6 bumps x 2000 // 1800) >> 1 = 3,
    # THR1 = 3 + (497 >> 2) = 127: the bump at 2500 (confirmed at 2572) and the next are QRS.
    peaks = [(p, 1000) for p in range(1000, n - 100, 300)]
    det = qrs.decide(bumps(n, (300, 100_000), *peaks), np.zeros(n, np.int64))
    np.testing.assert_array_equal(det.peak, [300, 2500, 2800, 3100])
    np.testing.assert_array_equal(det.decided, [719, 2572, 2872, 3172])
    assert qrs.RELEARN == 1800


def t_wave_case(gap: int, slope: int) -> qrs.Detections:
    """The learning bump, a QRS at 1000 with slope 100 (a step of |b| 100), then a peak above
    THR1 `gap` samples later whose slope is `slope`, then a QRS at 1400 (before the search-back
    limit 1668, so a T wave, which is noise and held, is dropped)."""
    n = 3000
    b = np.zeros(n, np.int64)
    b[990:] = 100  # |b[990] - b[989]| = 100 inside [1000 - 54, 1000]
    b[1000 + gap - 10 :] = 100 + slope
    b[1390:] = 300 + slope  # a steep QRS
    return qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1000 + gap, 1000), (1400, 1000)), b)


def test_t_wave_within_360_ms_with_less_than_half_the_slope_is_noise():
    np.testing.assert_array_equal(t_wave_case(120, 49).peak, [300, 1000, 1400])  # 2 * 49 < 100
    np.testing.assert_array_equal(t_wave_case(120, 50).peak, [300, 1000, 1120, 1400])  # QRS
    np.testing.assert_array_equal(t_wave_case(130, 10).peak, [300, 1000, 1130, 1400])  # 360 ms


@pytest.mark.parametrize(
    ("samples", "fs", "valid", "message"),
    [
        (np.zeros(5000), 250, None, "runs at 360 Hz"),
        (np.zeros(qrs.MIN_SAMPLES - 1), 360, None, "too short"),
        (np.zeros(5000), 360, np.zeros(5000, bool), "every sample is invalid"),
        (np.zeros((2, 5000)), 360, None, "one lead"),
    ],
    ids=["wrong-rate", "too-short", "all-invalid", "two-leads"],
)
def test_bad_input_is_a_clear_error(samples, fs, valid, message):
    with pytest.raises(qrs.QrsError, match=message):
        qrs.detect(samples, fs, valid)


def test_a_t_wave_is_not_held_for_search_back():
    n = 3000
    b = np.zeros(n, np.int64)
    b[990:] = 100  # the QRS at 1000: slope 100
    b[1110:] = 149  # the peak at 1120: slope 49, 2 * 49 < 100 within 130 samples: a T wave
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1120, 1000)), b)
    # not held: no search-back at 1000 + 667 + 1 = 1668 takes it
    np.testing.assert_array_equal(det.peak, [300, 1000])
    # a noise peak past the T-wave window (1140, v 200 between THR2 139 and THR1 278) is held
    # and searched back at 1668: the search-back itself still works
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1140, 200)), b)
    np.testing.assert_array_equal(det.peak, [300, 1000, 1140])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072, 1668])
