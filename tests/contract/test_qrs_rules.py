"""Each rule of the integer QRS detector (model/contract/qrs.py) pinned by a hand-computed case,
and its bad-input errors. The decision tests feed hand-built integration signals (bumps
[v/2, v, v/2] at chosen samples) to the golden `decide` AND to the C detector's decision
(`snn_qrs_step_filtered` in firmware/src/snn_qrs.c), so every level, threshold and time below is
worked out by hand in the comments and checked on both: a rule changed in both, or one real records
never exercise, fails here."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.firmware.build import build_library
from ecg_snn.firmware.host import HostLib
from ecg_snn.model.contract import qrs
from ecg_snn.model.random_artifact import random_artifact


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


@pytest.fixture(scope="module")
def clib(tmp_path_factory) -> HostLib:
    """The firmware host library (the detector's constants come from the contract, not from the
    artifact, so any artifact builds it)."""
    art = random_artifact(np.random.default_rng(1))
    return HostLib(build_library(art, tmp_path_factory.mktemp("qrs-rules")))


def bumps(n: int, *peaks: tuple[int, int]) -> np.ndarray:
    i = np.zeros(n, np.int64)
    for p, v in peaks:
        i[p - 1 : p + 2] = (v // 2, v, v // 2)
    return i


def both(clib: HostLib, i: np.ndarray, b: np.ndarray | None = None) -> qrs.Detections:
    """The golden decision on (i, b), checked equal to the C decision on the same signals."""
    b = np.zeros(len(i), np.int64) if b is None else b
    g = qrs.decide(i, b)
    c = clib.qrs_decide(i, b)
    for key in ("sample", "peak", "decided", "searchback"):
        np.testing.assert_array_equal(c[key], getattr(g, key), err_msg=f"C != golden: {key}")
    return g


# Learning bump at 300, v = 2000: SPKI = 2000 >> 1 = 1000; sum = 4000, NPKI = (4000 // 720) >> 1
# = 2; THR1 = 2 + (998 >> 2) = 251, THR2 = 125. Initial miss limit (360 * 8 >> 3) * 166 // 100
# = 597. Every test below starts from this state, built after the learning period.
LEARN_BUMP = (300, 2000)


def test_golden_against_c_can_fail(clib):
    """The C-vs-golden check is not vacuous: a C run one sample late disagrees."""
    i = bumps(3000, LEARN_BUMP, (1000, 1000))
    g = qrs.decide(i, np.zeros(3000, np.int64))
    c = clib.qrs_decide(np.concatenate([[0], i[:-1]]), np.zeros(3000, np.int64))
    assert c["peak"].tolist() == [1001] and g.peak.tolist() == [1000]


def test_learning_peaks_are_not_beats_and_a_peak_above_thr1_is_a_qrs(clib):
    b = np.zeros(3000, np.int64)
    b[980] = 50  # largest |b| in [1000 - 54, 1000]: fiducial 980 - 41
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 1000)), b)
    np.testing.assert_array_equal(det.peak, [1000])  # the learning bump is dropped
    np.testing.assert_array_equal(det.sample, [980 - qrs.B_DELAY])
    np.testing.assert_array_equal(det.decided, [1000 + qrs.REFRACTORY])
    assert not det.searchback.any()


@pytest.mark.parametrize(
    ("v", "searchback"), [(251, True), (252, False)], ids=["at-thr1-noise", "above-thr1-qrs"]
)
def test_thr1_compare_is_strict(clib, v, searchback):
    # v = THR1 = 251 is noise (v > THR1 is the QRS rule), but > THR2 so held; with no QRS yet
    # (last = 0) the miss limit has long passed and the search-back takes it at its
    # confirmation, 1072. v = 252 is a QRS, decided at the same sample.
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, v)))
    np.testing.assert_array_equal(det.decided, [1072])
    np.testing.assert_array_equal(det.searchback, [searchback])


@pytest.mark.parametrize(("v", "found"), [(125, 0), (126, 1)], ids=["at-thr2", "above-thr2"])
def test_thr2_compare_is_strict(clib, v, found):
    # noise at THR2 = 125 is not held for search-back (v > THR2 holds it); 126 is, and is taken
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, v)))
    assert len(det) == found and det.searchback.all()


@pytest.mark.parametrize(("probe", "qrs_"), [(230, False), (231, True)], ids=["230", "231"])
def test_signal_level_moves_an_eighth_of_the_way_with_floor(clib, probe, qrs_):
    # QRS v = 340 at 1000: SPKI = 1000 + floor(-660 / 8) = 1000 - 83 = 917 (truncation: 918);
    # THR1 = 2 + (915 >> 2) = 230 (truncation: 231). A probe at 1300 (past the T-wave window,
    # before the search-back limit 1598) of 231 is a QRS, of 230 noise, held and searched back
    # at its confirmation 1372 + ... = max(1372, 1000 + 597 + 1) = 1598.
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 340), (1300, probe)))
    np.testing.assert_array_equal(det.peak, [1000, 1300])
    np.testing.assert_array_equal(det.searchback, [False, not qrs_])
    np.testing.assert_array_equal(det.decided, [1072, 1372 if qrs_ else 1598])


@pytest.mark.parametrize(("noise", "qrs_"), [(0, False), (1, True)], ids=["no-noise", "noise-1"])
def test_noise_level_moves_an_eighth_of_the_way_with_floor(clib, noise, qrs_):
    # A noise peak v = 1 at 900: NPKI = 2 + floor(-1 / 8) = 1 (truncation keeps 2), so
    # THR1 = 1 + (999 >> 2) = 250 and a peak of 251 at 1000 is a QRS; without the noise peak
    # THR1 = 251 and it is noise (searched back at once: no QRS yet).
    i = bumps(3000, LEARN_BUMP, (1000, 251))
    i[900] = noise  # a one-sample bump: a local maximum of 1
    det = both(clib, i)
    np.testing.assert_array_equal(det.peak, [1000])
    np.testing.assert_array_equal(det.searchback, [not qrs_])


def test_search_back_accepts_the_largest_noise_peak_after_166_percent_of_rr(clib):
    n = 4000
    # QRS at 1000 (1000 > 251). Noise at 1500, v = 200 < THR1: NPKI = 2 + (198 >> 3) = 26,
    # THR1 = 26 + (974 >> 2) = 269, THR2 = 134 < 200: held. A smaller noise peak at 1580
    # (v = 150 > THR2 but < 200) does not replace it. Search-back at the first n with
    # n - 1000 > 597: n = 1598.
    # Then SPKI = 1000 + (-800 >> 2) = 800, THR1 = 26 + (774 >> 2) = 219, THR2 = 109; RR 500
    # makes the miss limit ((500 + 7 * 360) >> 3) * 166 // 100 = 625, and the peak at 1580
    # (confirmed at 1652, noise, 150 > THR2: held) is searched back at 1500 + 625 + 1 = 2126.
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1500, 200), (1580, 150)))
    np.testing.assert_array_equal(det.peak, [1000, 1500, 1580])
    np.testing.assert_array_equal(det.decided, [1072, 1598, 2126])
    np.testing.assert_array_equal(det.searchback, [False, True, True])


@pytest.mark.parametrize(
    ("second", "taken"), [(200, 1200), (201, 1300)], ids=["tie-keeps-first", "larger-replaces"]
)
def test_search_back_tie_keeps_the_first_held_peak(clib, second, taken):
    # QRS at 1000. Noise 200 at 1200: NPKI = 26, THR1 = 269, THR2 = 134: held. Noise at 1300:
    # NPKI = 26 + (174 >> 3) = 47 (for 200), THR2 = 142 < v: it replaces the held peak only if
    # strictly larger (v > held), so a tie keeps 1200. Search-back at 1000 + 597 + 1 = 1598.
    det = both(clib, bumps(4000, LEARN_BUMP, (1000, 1000), (1200, 200), (1300, second)))
    np.testing.assert_array_equal(det.peak[:2], [1000, taken])
    np.testing.assert_array_equal(det.decided[:2], [1072, 1598])
    np.testing.assert_array_equal(det.searchback[:2], [False, True])


def test_search_back_moves_the_signal_level_a_quarter_of_the_way(clib):
    # QRS at 1000, noise 200 at 1200 (NPKI 26) searched back at 1598: SPKI = 1000 + (-800 >> 2)
    # = 800 (an eighth would give 900), THR1 = 26 + (774 >> 2) = 219. RR 200: miss limit
    # ((200 + 7 * 360) >> 3) * 166 // 100 = 564. A probe at 1800 (600 after 1200, no T wave) of
    # 220 is a QRS; of 219 noise, held and searched back at its confirmation (1872 > 1765).
    for probe, sb in ((220, False), (219, True)):
        det = both(clib, bumps(4000, LEARN_BUMP, (1000, 1000), (1200, 200), (1800, probe)))
        np.testing.assert_array_equal(det.peak, [1000, 1200, 1800])
        np.testing.assert_array_equal(det.searchback, [False, True, sb])
        np.testing.assert_array_equal(det.decided, [1072, 1598, 1872])


def test_search_back_waits_for_the_miss_limit(clib):
    n = 4000
    # a held noise peak at 1200, then a QRS at 1400 confirmed at 1472, before 1598: the QRS
    # drops the held peak
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1200, 200), (1400, 1000)))
    np.testing.assert_array_equal(det.peak, [1000, 1400])
    assert not det.searchback.any()


@pytest.mark.parametrize(
    ("p", "peaks", "searchback"),
    [(1526, [1000, 1526], [False, False]), (1527, [1000, 1200, 1527], [False, True, False])],
    ids=["confirm-first", "one-later"],
)
def test_a_confirmation_on_the_search_back_sample_comes_first(clib, p, peaks, searchback):
    # Noise 200 at 1200 is held; the search-back is due at 1598 (n - 1000 > 597). A QRS at 1526
    # is confirmed at 1526 + 72 = 1598, the same sample: step 3 runs before step 4, the QRS
    # drops the held peak. One sample later (1527, confirmed at 1599) the search-back at 1598
    # takes 1200 first; 1527 - 1200 = 327 is past the T-wave window, so 1527 is a QRS too.
    det = both(clib, bumps(4000, LEARN_BUMP, (1000, 1000), (1200, 200), (p, 1000)))
    np.testing.assert_array_equal(det.peak, peaks)
    np.testing.assert_array_equal(det.searchback, searchback)


def test_miss_limit_averages_the_last_eight_rr_intervals(clib):
    # Nine QRS 300 apart (1000 .. 3400) fill the ring with eight RRs of 300, so the miss limit
    # is (2400 >> 3) * 166 // 100 = 498 (with a seven-slot ring, or one initial 360 left, it
    # would be 509). A held noise peak at 3500 (200 < THR1 251, > THR2 125) is searched back at
    # 3400 + 498 + 1 = 3899.
    beats = [(1000 + 300 * k, 1000) for k in range(9)]
    det = both(clib, bumps(5000, LEARN_BUMP, *beats, (3500, 200)))
    np.testing.assert_array_equal(det.peak, [p for p, _ in beats] + [3500])
    assert det.decided[-1] == 3899 and det.searchback.tolist() == [False] * 9 + [True]


def test_refractory_a_larger_peak_within_200_ms_replaces_the_candidate(clib):
    n = 3000
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1050, 1200)))
    np.testing.assert_array_equal(det.peak, [1050])  # one beat, at the larger peak
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1050, 900)))
    np.testing.assert_array_equal(det.peak, [1000])  # a smaller one is absorbed
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1073, 900)))
    np.testing.assert_array_equal(det.peak, [1000, 1073])  # after 72 samples: a new candidate


@pytest.mark.parametrize(
    ("second", "peaks"),
    [((1050, 1000), [1000]), ((1071, 1200), [1071]), ((1072, 900), [1000, 1072])],
    ids=["equal-keeps-first", "larger-at-71", "smaller-at-72"],
)
def test_refractory_boundaries(clib, second, peaks):
    # The candidate at 1000 is confirmed at sample 1072 (n - 1000 >= 72). An equal peak inside
    # the window does not replace it (v > candidate, strict). A larger one at 1071 is seen at
    # sample 1072 (step 2 reads i[n-1]) before the confirmation (step 3) and replaces it. A peak
    # at 1072 is seen at 1073, after the confirmation: a new candidate, a QRS of its own
    # (72 < 130 but its slope 0 is not below half the last slope 0: no T wave).
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 1000), second))
    np.testing.assert_array_equal(det.peak, peaks)


def test_a_plateau_peaks_at_its_first_sample(clib):
    # i = [.., 500, 1000, 1000, 500, ..]: the local maximum rule i[n-1] > i[n-2] and
    # i[n-1] >= i[n] marks 1000 (rises into it, not above the next) and not 1001
    i = bumps(3000, LEARN_BUMP)
    i[999:1003] = (500, 1000, 1000, 500)
    det = both(clib, i)
    np.testing.assert_array_equal(det.peak, [1000])
    np.testing.assert_array_equal(det.decided, [1072])


@pytest.mark.parametrize(
    ("spike_at", "peaks"),
    [(719, [719]), (720, [720, 1120])],
    ids=["last-learning-sample", "first-after"],
)
def test_learning_period_is_two_seconds(clib, spike_at, peaks):
    # Absolute samples, not qrs.LEARN: the length itself is the rule, L = 2 s = 720 samples.
    # A one-sample spike of 3000 at L - 1 is inside the learning window: SPKI = 3000 >> 1 = 1500,
    # NPKI = ((4000 + 3000) // 720) >> 1 = 4, THR1 = 378; the spike itself is confirmed at
    # L + 71 >= L, a QRS: SPKI = 1500 + (1500 >> 3) = 1687, THR1 = 4 + (1683 >> 2) = 424, and a
    # probe of 400 at spike + 400 is noise (held; the record ends before its search-back at
    # spike + 598). At L it is outside: SPKI = 1000, THR1 = 251; the spike is a QRS, SPKI = 1000
    # + (2000 >> 3) = 1250, THR1 = 2 + (1248 >> 2) = 314, and the probe is a QRS. (Any learning
    # length from 1 s to 4 s keeps 400 between the two thresholds.)
    i = bumps(spike_at + 590, LEARN_BUMP, (spike_at + 400, 400))
    i[spike_at] = 3000
    det = both(clib, i)
    np.testing.assert_array_equal(det.peak, peaks)
    assert not det.searchback.any()


@pytest.mark.parametrize(("p", "peaks"), [(647, []), (648, [648])], ids=["647", "648"])
def test_only_candidates_confirmed_after_learning_are_classified(clib, p, peaks):
    # with L = 720: a peak confirmed at L - 1 (p = 647) is dropped; at L (p = 648) it is
    # classified: a QRS (both peaks are inside the learning window: SPKI = 1000, NPKI =
    # (8000 // 720) >> 1 = 5, THR1 = 5 + (995 >> 2) = 253 < 2000)
    det = both(clib, bumps(1300, LEARN_BUMP, (p, 2000)))
    np.testing.assert_array_equal(det.peak, peaks)


@pytest.mark.parametrize(
    ("b_at", "fiducial"),
    [
        ({970: -60, 980: 60}, 970),  # |b| ties: the first maximum, of magnitude (sign ignored)
        ({930: 90, 960: 50, 1001: 90}, 960),  # 930 < p - W = 946 and 1001 > p: outside
        ({946: 50, 960: 49}, 946),  # p - W is inside
    ],
    ids=["first-of-magnitude-tie", "outside-the-window", "window-start"],
)
def test_fiducial_is_the_first_largest_band_pass_magnitude_in_the_window(clib, b_at, fiducial):
    b = np.zeros(3000, np.int64)
    for k, v in b_at.items():
        b[k] = v
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 1000)), b)
    np.testing.assert_array_equal(det.sample, [fiducial - qrs.B_DELAY])


def t_wave_case(clib: HostLib, gap: int, slope: int) -> qrs.Detections:
    """QRS at 1000 with slope 100 (a step of |b| 100), then a peak above THR1 `gap` samples
    later whose slope is |slope| (a step down when negative), then a QRS at 1400 (before the
    search-back limit 1598, so a T wave, which is noise and held, is dropped)."""
    n = 3000
    b = np.zeros(n, np.int64)
    b[990:] = 100  # |b[990] - b[989]| = 100 inside [1000 - 54, 1000]
    b[1000 + gap - 10 :] = 100 + slope
    b[1390:] = 400  # a steep QRS
    return both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1000 + gap, 1000), (1400, 1000)), b)


@pytest.mark.parametrize(
    ("gap", "slope", "peaks"),
    [
        (120, 49, [1000, 1400]),  # 2 * 49 < 100: T wave, noise
        (120, 50, [1000, 1120, 1400]),  # half the slope: not below it, a QRS
        (120, -50, [1000, 1120, 1400]),  # the slope is a magnitude: a fall counts as much
        (129, 10, [1000, 1400]),  # 129 < 130 (360 ms): inside the window
        (130, 10, [1000, 1130, 1400]),  # at 360 ms: outside
    ],
    ids=["below-half", "half", "falling", "at-129", "at-130"],
)
def test_t_wave_within_360_ms_with_less_than_half_the_slope_is_noise(clib, gap, slope, peaks):
    np.testing.assert_array_equal(t_wave_case(clib, gap, slope).peak, peaks)


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
