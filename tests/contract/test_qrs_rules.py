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
# = 2; THR1 = 2 + (998 >> 2) = 251, THR2 = 125. Initial miss limit (360 * 8 >> 3) * 166 // 100
# = 597.
LEARN_BUMP = (300, 2000)


def test_learning_peaks_are_not_beats_and_a_peak_above_thr1_is_a_qrs():
    b = np.zeros(3000, np.int64)
    b[980] = 50  # largest |b| in [1000 - 54, 1000]: fiducial 980 - 41
    det = qrs.decide(bumps(3000, LEARN_BUMP, (1000, 1000)), b)
    np.testing.assert_array_equal(det.peak, [1000])  # the learning bump is dropped
    np.testing.assert_array_equal(det.sample, [980 - qrs.B_DELAY])
    np.testing.assert_array_equal(det.decided, [1000 + qrs.REFRACTORY])
    assert not det.searchback.any()


def test_a_peak_below_thr1_is_noise_held_for_search_back():
    det = qrs.decide(bumps(3000, LEARN_BUMP, (1000, 250)), np.zeros(3000, np.int64))
    # 250 < THR1 251: noise, but > THR2 125 so held; with no QRS yet (last = 0) the miss limit
    # has long passed, so the search-back takes it at once, at its confirmation
    np.testing.assert_array_equal(det.decided, [1072])
    np.testing.assert_array_equal(det.searchback, [True])
    det = qrs.decide(bumps(3000, LEARN_BUMP, (1000, 120)), np.zeros(3000, np.int64))
    assert len(det) == 0  # below THR2: never a beat


def test_search_back_accepts_the_largest_noise_peak_after_166_percent_of_rr():
    n = 4000
    # QRS at 1000 (1000 > 251). Noise at 1500, v = 200 < THR1: NPKI = 2 + (198 >> 3) = 26,
    # THR1 = 26 + (974 >> 2) = 269, THR2 = 134 < 200: held. A smaller noise peak at 1580
    # (v = 150 > THR2 but < 200) does not replace it. Search-back at the first n with
    # n - 1000 > 597: n = 1598.
    # Then SPKI = 1000 + (-800 >> 2) = 800, THR1 = 26 + (774 >> 2) = 219, THR2 = 109; RR 500
    # makes the miss limit ((500 + 7 * 360) >> 3) * 166 // 100 = 625, and the peak at 1580
    # (confirmed at 1652, noise, 150 > THR2: held) is searched back at 1500 + 625 + 1 = 2126.
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1500, 200), (1580, 150)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [1000, 1500, 1580])
    np.testing.assert_array_equal(det.decided, [1072, 1598, 2126])
    np.testing.assert_array_equal(det.searchback, [False, True, True])


def test_search_back_waits_for_the_miss_limit():
    n = 4000
    # a held noise peak at 1200, then a QRS at 1400 confirmed at 1472, before 1598: the QRS
    # drops the held peak
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1200, 200), (1400, 1000)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [1000, 1400])
    assert not det.searchback.any()


def test_refractory_a_larger_peak_within_200_ms_replaces_the_candidate():
    n = 3000
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1050, 1200)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [1050])  # one beat, at the larger peak
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1050, 900)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [1000])  # a smaller one is absorbed
    det = qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1073, 900)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [1000, 1073])  # after 72 samples: a new candidate


def t_wave_case(gap: int, slope: int) -> qrs.Detections:
    """QRS at 1000 with slope 100 (a step of |b| 100), then a peak above THR1 `gap` samples
    later whose slope is `slope`, then a QRS at 1400 (before the search-back limit 1598, so a
    T wave, which is noise and held, is dropped)."""
    n = 3000
    b = np.zeros(n, np.int64)
    b[990:] = 100  # |b[990] - b[989]| = 100 inside [1000 - 54, 1000]
    b[1000 + gap - 10 :] = 100 + slope
    b[1390:] = 300 + slope  # a steep QRS
    return qrs.decide(bumps(n, LEARN_BUMP, (1000, 1000), (1000 + gap, 1000), (1400, 1000)), b)


def test_t_wave_within_360_ms_with_less_than_half_the_slope_is_noise():
    np.testing.assert_array_equal(t_wave_case(120, 49).peak, [1000, 1400])  # 2 * 49 < 100
    np.testing.assert_array_equal(t_wave_case(120, 50).peak, [1000, 1120, 1400])  # half: QRS
    np.testing.assert_array_equal(t_wave_case(130, 10).peak, [1000, 1130, 1400])  # 360 ms


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
