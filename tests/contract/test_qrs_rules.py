"""Each rule of the integer QRS detector (model/contract/qrs.py) pinned by a hand-computed case,
and its bad-input errors. The decision tests feed hand-built integration signals (bumps
[v/2, v, v/2] at chosen samples) to the golden `decide` AND to the C detector's decision
(`snn_qrs_step_filtered` in firmware/src/snn_qrs.c), so every level, threshold and time below is
worked out by hand in the comments and checked on both: a rule changed in both, or one real
records never exercise, fails here."""

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
    # a is 1024 over 5..14 and l its 8-sum, a trapezoid times 1024: l[5..12] = 1024 * (1..8),
    # l[13], l[14] = 8192, l[15..21] = 1024 * (7..1); its 64-sum at n=12 is 1024 * 36, the
    # delayed tap is still 0: b[12] = -36864 >> 10 = -36
    assert b[12] == -36
    # b[5] = -1024 >> 10 = -1, b[6] = -(1024 + 2048) >> 10 = -3
    assert (b[4], b[5], b[6]) == (0, -1, -3)
    # at n = 45 the tap reads l[13] = 8192: (8192 << 6) - 81920 (the whole trapezoid) = 442368
    assert b[45] == 432


def test_derivative_squaring_and_integration():
    f = impulse_filters()
    # d[12] = 2 b[12] + b[11] - b[9] - 2 b[8] = -72 - 28 + 15 + 20 = -65; q = 4225 >> 8 = 16
    assert (f["d"][12], f["q"][12]) == (-65, 16)
    q, i = f["q"], f["i"]
    for n in (14, 57, 58, 80):  # a 58-sample (161 ms) window
        assert i[n] == q[max(0, n - 57) : n + 1].sum()


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
# = 2; THR1 = 2 + (998 >> 2) = 251, THR2 = 125. The bump, confirmed at 372 during learning (b = 0:
# slope 0, fiducial 300 - 58 - 40 = 202), is classified by the learning back-search at 719:
# 2000 > 251, a QRS: SPKI = 1000 + ((min(2000, 2 * 1000) - 1000) >> 3) = 1125, last = 300;
# THR1 = 2 + (1123 >> 2) = 282, THR2 = 141. Miss limit (360 * 8 >> 3) * 166 // 100 = 597.
LEARN_BUMP = (300, 2000)
LEARNED = (202, 300, qrs.LEARN - 1)  # the learning bump's beat: fiducial, peak, decided


class OneSampleLate:
    """A C detector fed every signal one sample late: the wrong twin `both` must reject."""

    def __init__(self, clib: HostLib):
        self.clib = clib

    def qrs_decide(self, i: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        return self.clib.qrs_decide(np.concatenate([[0], i[:-1]]), np.concatenate([[0], b[:-1]]))


def test_golden_against_c_can_fail(clib):
    """The C-vs-golden check is not vacuous: a C run one sample late disagrees, and `both`
    says so (golden peaks 300 and 1000, the late C 301 and 1001)."""
    i = bumps(3000, LEARN_BUMP, (1000, 1000))
    late = OneSampleLate(clib).qrs_decide(i, np.zeros(3000, np.int64))
    assert late["peak"].tolist() == [301, 1001]
    with pytest.raises(AssertionError, match="C != golden"):
        both(OneSampleLate(clib), i)


def test_learning_back_search_keeps_the_first_beat_and_a_peak_above_thr1_is_a_qrs(clib):
    b = np.zeros(3000, np.int64)
    b[980] = 50  # largest |b| in [1000 - 58, 1000]: fiducial 980 - 40
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 1000)), b)
    np.testing.assert_array_equal(det.peak, [LEARNED[1], 1000])
    np.testing.assert_array_equal(det.sample, [LEARNED[0], 980 - qrs.B_DELAY])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1000 + qrs.REFRACTORY])
    assert not det.searchback.any()


def test_learning_back_search_classifies_every_learning_peak_in_order(clib):
    # bumps at 100 (v 2000), 400 (v 600), 500 (v 100): SPKI 1000, NPKI = (5400 // 720) >> 1 = 3,
    # THR1 = 3 + (997 >> 2) = 252. At 719 the first is a QRS (SPKI 1125, THR1 = 3 + (1122 >> 2)
    # = 283), the second too (600 > 283, 300 samples later: no T wave; SPKI = 1125 + (-525 >> 3)
    # = 1059, THR1 = 3 + (1056 >> 2) = 267, THR2 = 133), the third is noise below THR2, never a
    # beat. They leave one per sample: decided 719 and 720.
    det = both(clib, bumps(3000, (100, 2000), (400, 600), (500, 100)), np.zeros(3000, np.int64))
    np.testing.assert_array_equal(det.peak, [100, 400])
    np.testing.assert_array_equal(det.decided, [719, 720])
    # the 100 fiducial, 100 - 58 - 40 = 2, and a bump at 60 whose fiducial would be before the
    # start: max(0, 60 - 98) = 0
    det = both(clib, bumps(3000, (60, 2000)), np.zeros(3000, np.int64))
    np.testing.assert_array_equal(det.sample, [0])


@pytest.mark.parametrize(("n", "out"), [(720, 1), (721, 2), (722, 3)])
def test_a_beat_still_queued_after_the_last_sample_is_not_reported(clib, n, out):
    # Three QRS bumps (v 2000) at 100, 300 and 500, all classified by the learning back-search
    # at 719: decided 719, 720, 721 (one per sample). An input of n samples ends at n - 1, so
    # only the beats decided before n are out, in golden as in C.
    det = both(clib, bumps(n, (100, 2000), (300, 2000), (500, 2000)), np.zeros(n, np.int64))
    np.testing.assert_array_equal(det.decided, [719, 720, 721][:out])


def test_a_peak_below_thr1_is_noise_held_for_search_back(clib):
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 250)), np.zeros(3000, np.int64))
    # 250 < THR1 282: noise (NPKI = 2 + (248 >> 3) = 33, THR1 = 33 + (1092 >> 2) = 306, THR2 =
    # 153), held as 250 > 153; 1000 - 300 > 597, so the search-back takes it at its confirmation
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072])
    np.testing.assert_array_equal(det.searchback, [False, True])
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 120)), np.zeros(3000, np.int64))
    np.testing.assert_array_equal(det.peak, [LEARNED[1]])  # 120 < THR2 141: never a beat


@pytest.mark.parametrize(
    ("v", "searchback"), [(282, True), (283, False)], ids=["at-thr1-noise", "above-thr1-qrs"]
)
def test_thr1_compare_is_strict(clib, v, searchback):
    # After learning THR1 = 282, THR2 = 141, last = 300. v = THR1 = 282 at 1000 (700 after the
    # last QRS: no T wave) is noise, as the QRS rule is v > THR1; 282 > THR2 holds it, and
    # 1000 - 300 > 597 already, so the search-back takes it at its confirmation: max(1072,
    # 300 + 597 + 1 = 898) = 1072. v = 283 is a QRS, decided at the same sample.
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, v)))
    np.testing.assert_array_equal(det.peak, [LEARNED[1], 1000])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072])
    np.testing.assert_array_equal(det.searchback, [False, searchback])


@pytest.mark.parametrize(("v", "peaks"), [(141, [300]), (142, [300, 1000])], ids=["at", "above"])
def test_thr2_compare_is_strict_for_holding_a_noise_peak(clib, v, peaks):
    # A noise peak (v < THR1 282) at 1000 is held for the search-back only if v > THR2 = 141:
    # 141 is never a beat; 142 is held and searched back at its confirmation, 1072 (as above).
    # (No re-learning in 2000 samples: it is due at 720 + 1800 - 1 = 2519.)
    det = both(clib, bumps(2000, LEARN_BUMP, (1000, v)))
    np.testing.assert_array_equal(det.peak, peaks)
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072][: len(peaks)])
    np.testing.assert_array_equal(det.searchback, [False, True][: len(peaks)])


def test_search_back_accepts_the_largest_noise_peak_after_166_percent_of_rr(clib):
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
    det = both(clib, bumps(n, LEARN_BUMP, *peaks), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1500, 1700])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072, 1668, 2198])
    np.testing.assert_array_equal(det.searchback, [False, False, True, True])


def test_search_back_waits_for_the_miss_limit(clib):
    n = 4000
    # a held noise peak at 1200, then a QRS at 1400 confirmed at 1472, before 1668: the QRS
    # drops the held peak
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1200, 200), (1400, 1000)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1400])
    assert not det.searchback.any()


@pytest.mark.parametrize(
    ("second", "taken"), [(200, 1200), (201, 1300)], ids=["tie-keeps-first", "larger-replaces"]
)
def test_search_back_tie_keeps_the_first_held_peak(clib, second, taken):
    # QRS at 1000: SPKI 1109, THR1 278, THR2 139, RR 700, miss limit 667 (as above). Noise 200
    # at 1200 (no T wave: 200 >= 130): NPKI = 2 + (198 >> 3) = 26, THR1 = 26 + (1083 >> 2) =
    # 296, THR2 = 148; 200 > 139: held. Noise at 1300 (v < 296): NPKI = 26 + ((v - 26) >> 3) =
    # 47 for both v; v > THR2 148, but it replaces the held peak only if v > 200, strictly: a
    # tie keeps 1200, 201 takes its place. The search-back at 1000 + 667 + 1 = 1668 accepts the
    # held one (and drops nothing else: the other was confirmed at 1372 and not held).
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 1000), (1200, 200), (1300, second)))
    np.testing.assert_array_equal(det.peak, [300, 1000, taken])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072, 1668])
    np.testing.assert_array_equal(det.searchback, [False, False, True])


def test_refractory_a_larger_peak_within_200_ms_replaces_the_candidate(clib):
    n = 3000
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1050, 1200)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1050])  # one beat, at the larger peak
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1050, 900)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000])  # a smaller one is absorbed
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1073, 900)), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1073])  # after 72 samples: a new one


@pytest.mark.parametrize(
    ("second", "peaks", "decided"),
    [
        ((1050, 1000), [300, 1000], [719, 1072]),
        ((1071, 1200), [300, 1071], [719, 1143]),
        ((1072, 900), [300, 1000, 1072], [719, 1072, 1144]),
    ],
    ids=["equal-keeps-first", "larger-at-71", "smaller-at-72"],
)
def test_refractory_boundaries(clib, second, peaks, decided):
    # The candidate at 1000 is confirmed at sample 1072 (n - 1000 >= 72, not > 72). An equal
    # peak inside the window does not replace it (v > candidate, strict). A larger one at 1071
    # is seen at sample 1072 (step 2 reads i[n-1]) before the confirmation (step 3) and replaces
    # it: confirmed at 1071 + 72 = 1143. A peak at 1072 is seen at 1073, after the
    # confirmation: a new candidate, confirmed at 1144; 900 > THR1 278 and, 72 < 130 samples
    # after the QRS, its slope 0 is not below half the last slope 0: no T wave, a QRS. (Were
    # the first confirmed one sample late, at 1073, the peak at 1072 would be absorbed.)
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 1000), second))
    np.testing.assert_array_equal(det.peak, peaks)
    np.testing.assert_array_equal(det.decided, decided)


def test_a_plateau_peaks_at_its_first_sample(clib):
    # i = [.., 500, 1000, 1000, 500, ..]: the local maximum rule i[n-1] > i[n-2] and
    # i[n-1] >= i[n] marks 1000 (rises into it, not above the next) and not 1001
    i = bumps(3000, LEARN_BUMP)
    i[999:1003] = (500, 1000, 1000, 500)
    det = both(clib, i)
    np.testing.assert_array_equal(det.peak, [300, 1000])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072])


@pytest.mark.parametrize(
    ("spike_at", "peaks"),
    [(719, [300, 719]), (720, [300, 720, 1120])],
    ids=["last-learning-sample", "first-after"],
)
def test_learning_period_is_two_seconds(clib, spike_at, peaks):
    # Absolute samples, not qrs.LEARN: the length itself is the rule, L = 2 s = 720 samples.
    # A one-sample spike of 3000 at L - 1 = 719 is inside the learning window: SPKI = 3000 >> 1
    # = 1500, NPKI = ((1000 + 2000 + 1000 + 3000) // 720) >> 1 = 4, THR1 = 4 + (1496 >> 2) =
    # 378. At 719 the back-search takes the bump at 300 (2000 > 378): SPKI = 1500 + (500 >> 3)
    # = 1562, THR1 = 4 + (1558 >> 2) = 393, THR2 = 196. The spike, confirmed at 791, is a QRS
    # (419 after 300): SPKI = 1562 + ((3000 - 1562) >> 3) = 1741, THR1 = 4 + (1737 >> 2) = 438,
    # so a probe of 400 at 1119 is noise (held, 400 > 219, but the record ends at 1309, before
    # its search-back at 719 + ((419 + 7 * 360) >> 3) * 166 // 100 + 1 = 1329).
    # A spike at L = 720 is outside: THR1 282 after the back-search (SPKI 1125); the spike is a
    # QRS, SPKI = 1125 + ((min(3000, 2250) - 1125) >> 3) = 1265, THR1 = 2 + (1263 >> 2) = 317,
    # and the probe of 400 at 1120 is a QRS.
    i = bumps(spike_at + 590, LEARN_BUMP, (spike_at + 400, 400))
    i[spike_at] = 3000
    det = both(clib, i)
    np.testing.assert_array_equal(det.peak, peaks)
    assert not det.searchback.any()


@pytest.mark.parametrize(
    ("b_at", "fiducial"),
    [
        ({970: -60, 980: 60}, 980),  # the positive peak (60) reaches half the magnitude (60)
        ({970: -100, 980: 50}, 980),  # 2 x 50 = 100: exactly half, still the positive peak
        ({970: -100, 980: 49}, 970),  # 98 < 100: the largest magnitude, negative
        ({960: 50, 975: 50}, 960),  # a tie: the first maximum
        ({930: 90, 960: 50, 1001: 90}, 960),  # 930 < p - W = 942 and 1001 > p: outside
        ({942: 50, 960: 49}, 942),  # p - W is inside
        ({950: -30, 990: -30}, 950),  # no positive value: the first largest magnitude
    ],
    ids=["positive", "half", "below-half", "tie", "outside-the-window", "window-start", "neg"],
)
def test_fiducial_is_the_positive_band_pass_peak_unless_below_half_the_magnitude(
    clib, b_at, fiducial
):
    # the QRS at 1000, window k in [1000 - 58, 1000]: P = max max(b, 0), M = max |b|; the first
    # argmax of max(b, 0) if 2 P >= M, else the first argmax |b|; then - 40 (the lag)
    b = np.zeros(3000, np.int64)
    for k, v in b_at.items():
        b[k] = v
    det = both(clib, bumps(3000, LEARN_BUMP, (1000, 1000)), b)
    np.testing.assert_array_equal(det.sample, [LEARNED[0], fiducial - qrs.B_DELAY])


def test_what_enters_the_levels_is_clipped_to_twice_spki(clib):
    n = 6000
    # After the QRS at 1000 (SPKI 1109, THR1 278) an artifact at 1500 with v = 100000: a QRS,
    # but SPKI = 1109 + ((2218 - 1109) >> 3) = 1247 (unclipped it would be 13467 and THR1 ~3400,
    # above every later beat). THR1 = 2 + (1245 >> 2) = 313: the beats at 2000, 2500 (v 1000)
    # are found.
    peaks = (1000, 1000), (1500, 100_000), (2000, 1000), (2500, 1000)
    det = both(clib, bumps(n, LEARN_BUMP, *peaks), np.zeros(n))
    np.testing.assert_array_equal(det.peak, [300, 1000, 1500, 2000, 2500])
    assert not det.searchback.any()


def test_five_seconds_without_a_qrs_learn_the_thresholds_again(clib):
    n = 3500
    # an artifact in the learning period, v = 100000: SPKI 50000, NPKI (200000 // 720) >> 1 =
    # 138, THR1 = 138 + (49862 >> 2) = 12603; it is a QRS at 719 (accepted there: 4b counts from
    # 720). The beats every 300 samples from 1000 (v 1000) are noise below THR2. At 720 + 1800 -
    # 1 = 2519: SPKI = max(i[720..2519]) >> 1 = 500, NPKI = (6 bumps x 2000 // 1800) >> 1 = 3,
    # THR1 = 3 + (497 >> 2) = 127: the bump at 2500 (confirmed at 2572) and the next are QRS.
    peaks = [(p, 1000) for p in range(1000, n - 100, 300)]
    det = both(clib, bumps(n, (300, 100_000), *peaks), np.zeros(n, np.int64))
    np.testing.assert_array_equal(det.peak, [300, 2500, 2800, 3100])
    np.testing.assert_array_equal(det.decided, [719, 2572, 2872, 3172])
    assert qrs.RELEARN == 1800


def t_wave_case(clib: HostLib, gap: int, slope: int) -> qrs.Detections:
    """The learning bump, a QRS at 1000 with slope 100 (a step of |b| 100), then a peak above
    THR1 `gap` samples later whose slope is |slope| (a step down when negative), then a QRS at
    1400 (its slope |300 + slope - 100 - slope| = 200; no search-back can intervene: a T wave is
    noise and never held)."""
    n = 3000
    b = np.zeros(n, np.int64)
    b[990:] = 100  # |b[990] - b[989]| = 100 inside [1000 - 58, 1000]
    b[1000 + gap - 10 :] = 100 + slope
    b[1390:] = 300 + slope  # a steep QRS
    return both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1000 + gap, 1000), (1400, 1000)), b)


@pytest.mark.parametrize(
    ("gap", "slope", "peaks"),
    [
        (120, 49, [300, 1000, 1400]),  # 2 * 49 < 100: T wave, noise
        (120, 50, [300, 1000, 1120, 1400]),  # 2 * 50 = 100 is not below 100: a QRS
        (120, -50, [300, 1000, 1120, 1400]),  # the slope is a magnitude: a fall counts as much
        (129, 10, [300, 1000, 1400]),  # 129 < 130 (360 ms): inside the window
        (130, 10, [300, 1000, 1130, 1400]),  # at 360 ms: outside
    ],
    ids=["below-half", "half", "falling", "at-129", "at-130"],
)
def test_t_wave_within_360_ms_with_less_than_half_the_slope_is_noise(clib, gap, slope, peaks):
    # The QRS at 1000 has slope 100 (the learning bump's slope 0 makes it no T wave). The peak
    # at 1000 + gap (v 1000 > THR1 278) has slope |slope| from the step at 1000 + gap - 10,
    # inside its window [1000 + gap - 58, 1000 + gap]: a T wave iff gap < 130 and 2 |slope| <
    # 100, strictly.
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


def test_a_t_wave_is_not_held_for_search_back(clib):
    n = 3000
    b = np.zeros(n, np.int64)
    b[990:] = 100  # the QRS at 1000: slope 100
    b[1110:] = 149  # the peak at 1120: slope 49, 2 * 49 < 100 within 130 samples: a T wave
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1120, 1000)), b)
    # not held: no search-back at 1000 + 667 + 1 = 1668 takes it
    np.testing.assert_array_equal(det.peak, [300, 1000])
    # a noise peak past the T-wave window (1140, v 200 between THR2 139 and THR1 278) is held
    # and searched back at 1668: the search-back itself still works
    det = both(clib, bumps(n, LEARN_BUMP, (1000, 1000), (1140, 200)), b)
    np.testing.assert_array_equal(det.peak, [300, 1000, 1140])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 1072, 1668])


@pytest.mark.parametrize(
    ("ring", "irregular"),
    [
        # avg = (714 + 92) >> 3 = 100: 92 * 100 = 9200 = 100 * 92, exactly at the low limit;
        # 100 * 102 <= 116 * 100
        ([102] * 7 + [92], False),
        # avg = (714 + 91) >> 3 = 100: 9100 < 9200, below the low limit
        ([102] * 7 + [91], True),
        # avg = (686 + 116) >> 3 = 100: 100 * 116 = 11600 = 116 * 100, exactly at the high
        # limit; 100 * 98 >= 92 * 100
        ([98] * 7 + [116], False),
        # avg = (686 + 117) >> 3 = 100: 11700 > 11600, above the high limit
        ([98] * 7 + [117], True),
    ],
    ids=["at-low", "below-low", "at-high", "above-high"],
)
def test_irregular_rhythm_limits_92_and_116_percent_of_the_mean(ring, irregular):
    st = qrs._State(np.zeros(qrs.LEARN, np.int64))
    st.ring, st.measured = list(ring), qrs.RR_RING
    assert st.is_irregular() is irregular
    st.measured = qrs.RR_RING - 1  # fewer than 8 measured intervals: regular by definition
    assert st.is_irregular() is False


@pytest.mark.parametrize(("rr", "found"), [((300, 300), False), ((240, 360), True)])
def test_an_irregular_rhythm_halves_thr1(clib, rr, found):
    # QRS bumps (v 1000) after the learning bump: at 1000, then every rr[0], rr[1], rr[0], ...
    # (mean 300). After 8 intervals of that pattern the ring is all 300 (regular: THR1 = T) or
    # alternates 240 / 360 (240 < 92 % of 300: irregular, THR1 = T >> 1). The levels are the
    # same in both (every QRS is 1000, nothing else was seen): SPKI has fallen from 1125 to
    # ~1000 and NPKI is 2, so T ~ 2 + (998 >> 2) = 251 and THR2 = T >> 1 ~ 125. A peak of 200,
    # 150 samples after the 11th QRS (no T wave: b = 0, slope 0), is then noise when regular
    # (200 < T; held, but the next QRS comes before the miss limit, ~498, and drops it) and a
    # QRS when irregular (200 > T >> 1).
    qrs_at = [1000]
    for k in range(12):
        qrs_at.append(qrs_at[-1] + rr[k % 2])
    small = qrs_at[10] + 150
    n = qrs_at[-1] + 400
    det = both(clib, bumps(n, LEARN_BUMP, *[(p, 1000) for p in qrs_at], (small, 200)))
    assert set(qrs_at) <= set(det.peak.tolist())
    assert (small in det.peak.tolist()) is found
    assert not det.searchback.any()


@pytest.mark.parametrize(("noise", "found"), [(0, True), (150, False)], ids=["quiet", "noisy"])
def test_an_irregular_rhythm_halves_thr1_only_while_the_signal_is_quiet(clib, noise, found):
    # The irregular rhythm of the test above (240 / 360), with a noise peak of `noise` 120
    # samples after each of the first ten QRS (b = 0: no T wave; below THR1, 282 and more, so
    # noise; held for the search-back and dropped by the next QRS). Each moves NPKI by
    # (150 - NPKI) >> 3: from 2 to 108 after ten, while SPKI stays ~1000, so SPKI < 16 NPKI
    # (QUIET_RATIO): THR1 is not halved, T ~ 108 + (892 >> 2) = 331, and the peak of 200 after
    # the 11th QRS is noise; without the noise peaks it is a QRS (200 > T >> 1).
    qrs_at = [1000]
    for k in range(12):
        qrs_at.append(qrs_at[-1] + (240, 360)[k % 2])
    peaks = [(p, 1000) for p in qrs_at] + [(qrs_at[10] + 150, 200)]
    if noise:
        peaks += [(p + 120, noise) for p in qrs_at[:10]]
    det = both(clib, bumps(qrs_at[-1] + 400, LEARN_BUMP, *peaks))
    assert set(qrs_at) <= set(det.peak.tolist())
    assert (qrs_at[10] + 150 in det.peak.tolist()) is found
    assert len(det) == len(qrs_at) + 1 + found


@pytest.mark.parametrize(
    ("plateau", "searchback"), [(120, False), (150, True)], ids=["at", "below"]
)
def test_the_quiet_limit_is_spki_at_16_npki(clib, plateau, searchback):
    # The irregular rhythm above (240 / 360) ends with the QRS at 4600, accepted at 4672. Then
    # a plateau of 96 from 4800 (one noise peak: 96 < THR2 ~125, not held) and 5 s without a
    # QRS: the thresholds are learnt again at 4673 + 1800 - 1 = 6472 over i[4673..6472]:
    # SPKI = 96 >> 1 = 48, NPKI = (96 * plateau // 1800) >> 1: 120 samples give 11520 // 1800
    # = 6, NPKI 3, SPKI = 16 NPKI exactly: quiet, T = 3 + (45 >> 2) = 14, THR1 = THR2 = 7;
    # 150 samples give 14400 // 1800 = 8, NPKI 4, SPKI < 16 NPKI: THR1 = T = 4 + (44 >> 2) =
    # 15, THR2 = 7. A peak of 10 at 6600 is a QRS at its confirmation, 6672, when quiet, and
    # is held as noise (10 > THR2) and searched back at once (6672 > the miss limit) when not.
    qrs_at = [1000]
    for k in range(12):
        qrs_at.append(qrs_at[-1] + (240, 360)[k % 2])
    i = bumps(7000, LEARN_BUMP, *[(p, 1000) for p in qrs_at], (6600, 10))
    i[4800 : 4800 + plateau] = 96
    det = both(clib, i)
    np.testing.assert_array_equal(det.peak, [LEARNED[1], *qrs_at, 6600])
    np.testing.assert_array_equal(det.decided[-1], 6672)
    assert det.searchback[-1] == searchback and not det.searchback[:-1].any()


@pytest.mark.parametrize(
    ("x", "y", "found"),
    [(304, 276, False), (304, 275, True), (294, 348, False), (294, 349, True)],
    ids=["at-low", "below-low", "at-high", "above-high"],
)
def test_irregular_rhythm_limits_on_golden_and_c(clib, x, y, found):
    # The limits of the test above, through the whole detector in golden and C. QRS bumps
    # (v 1000) at 1000 and then every x samples, but the interval ending at the 11th QRS is y:
    # the ring then holds seven x and one y. x 304, y 276: A = (2128 + 276) >> 3 = 300, and
    # 100 * 276 = 27600 = 92 * 300, exactly at the low limit (regular); y 275: A = 2403 >> 3 =
    # 300, 27500 < 27600 (irregular). x 294, y 348: A = (2058 + 348) >> 3 = 300, 100 * 348 =
    # 34800 = 116 * 300, exactly at the high limit (regular); y 349: A = 300, 34900 > 34800
    # (irregular). As in the test below, a peak of 200 150 samples after the 11th QRS is noise
    # while regular (200 < T ~ 251) and a QRS while irregular (200 > T >> 1).
    rr = [x] * 9 + [y] + [x] * 2
    qrs_at = [1000]
    for r in rr:
        qrs_at.append(qrs_at[-1] + r)
    small = qrs_at[10] + 150
    det = both(
        clib, bumps(qrs_at[-1] + 400, LEARN_BUMP, *[(p, 1000) for p in qrs_at], (small, 200))
    )
    assert set(qrs_at) <= set(det.peak.tolist())
    assert (small in det.peak.tolist()) is found


def test_a_peak_confirmed_on_the_first_sample_after_learning_is_kept(clib):
    # A bump at 648 (v 1000) is confirmed 72 samples later, at 720 = L: the first sample after
    # the 2 s learning period (samples 0 .. 719), so the running rules classify it, not the
    # learning back-search at 719 (which takes the bump at 300, THR1 282 after it). 1000 > 282
    # and 348 samples after 300 (no T wave: b = 0): a QRS, decided at 720.
    det = both(clib, bumps(3000, LEARN_BUMP, (648, 1000)))
    np.testing.assert_array_equal(det.peak, [300, 648])
    np.testing.assert_array_equal(det.decided, [LEARNED[2], 720])
