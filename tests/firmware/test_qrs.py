"""The C QRS detector (firmware/src/snn_qrs.c) against the golden one (model/contract/qrs.py):
the same beats (fiducial, peak, decision sample, search-back flag) and the same band-pass and
integrator on every sample, on real records and on synthetic edge cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ecg_snn.model.contract import qrs
from tests.ecg_synth import beats_of, synthetic_ecg

FS = qrs.FS


def assert_same(lib, samples: np.ndarray, valid: np.ndarray | None = None):
    c = lib.qrs(samples, valid, trace=True)
    f = qrs.filters(samples, valid)
    g = qrs.decide(f["i"], f["b"])
    np.testing.assert_array_equal(c["b"], f["b"])
    np.testing.assert_array_equal(c["i"], f["i"])
    for key in ("sample", "peak", "decided", "searchback"):
        np.testing.assert_array_equal(c[key], getattr(g, key), err_msg=key)
    return g


@pytest.fixture(scope="module")
def lib(default_pre_artifact, host_lib):
    return host_lib(default_pre_artifact)


@pytest.mark.parametrize("record", ["100", "208"])
def test_c_equals_golden_on_real_records(record, lib, mitdb_dir):
    from ecg_snn.data.records import read_record

    signal = read_record(mitdb_dir, record).signal
    g = assert_same(lib, signal[: 10 * 60 * FS])
    assert len(g) > 500  # ten minutes of a real record: hundreds of beats


@pytest.mark.parametrize("bpm", [30, 72, 250])
def test_c_equals_golden_at_extreme_rates_and_finds_every_beat(bpm, lib):
    seconds = 60
    g = assert_same(lib, synthetic_ecg(bpm, seconds))
    # every beat from the end of learning to the last second found within 10 samples, once
    lo, hi = qrs.LEARN, seconds * FS - FS // 2  # no beat within 10 samples of either
    truth = beats_of(bpm, seconds)
    truth = truth[(truth > lo) & (truth < hi)]
    found = g.sample[(g.sample > lo - 10) & (g.sample < hi + 10)]
    nearest = np.abs(found[:, None] - truth[None, :]).min(axis=0)
    assert (nearest <= 10).all(), f"missed beats at {truth[nearest > 10]}"
    assert len(found) == len(truth)


def test_flat_line_detects_nothing(lib):
    g = assert_same(lib, np.full(30 * FS, 1024))
    assert len(g) == 0


def test_clipping_saturates_identically(lib):
    ecg = synthetic_ecg(80, 30, amplitude=400)
    clipped = (ecg - 1124) * 400  # far beyond 16 bits at both ends: the input saturates
    assert clipped.max() > 32767 and clipped.min() < -32768
    g = assert_same(lib, clipped)
    assert len(g) > 20


def test_lead_off_gap_of_invalid_samples(lib):
    ecg = synthetic_ecg(75, 60)
    valid = np.ones(len(ecg), bool)
    valid[20 * FS : 28 * FS] = False
    ecg[~valid] = -32768  # what WFDB reads for an invalid sample; must not reach the filters
    g = assert_same(lib, ecg, valid)
    in_gap = (g.sample > 20 * FS + qrs.B_DELAY) & (g.sample < 28 * FS)
    assert not in_gap.any()
    assert (g.sample > 30 * FS).sum() > 30  # detection resumes after the gap


def test_noise_bursts(lib):
    rng = np.random.default_rng(3)
    ecg = synthetic_ecg(70, 60)
    for start in (15, 35):
        ecg[start * FS : (start + 3) * FS] += rng.integers(-600, 600, 3 * FS)
    assert_same(lib, ecg)


def test_random_input_over_the_whole_16_bit_range(lib):
    rng = np.random.default_rng(4)
    x = rng.integers(-(1 << 17), 1 << 17, 20 * FS)
    valid = rng.random(len(x)) > 0.05
    assert_same(lib, x, valid)


def test_the_comparison_can_fail(lib):
    """A check that cannot fail proves nothing: a one-sample shift must be caught."""
    ecg = synthetic_ecg(72, 20)
    c = lib.qrs(ecg[1:])
    g = qrs.detect(ecg)
    assert not np.array_equal(c["sample"], g.sample)


def test_c_front_end_from_c_detections_equals_the_golden_stream(
    default_pre_artifact, lib, mitdb_dir
):
    """Samples -> C detector -> C R-peak tracker (RR) -> C front end gives the chip inputs the
    golden stream (stream/core.py) gives, beat for beat, on ten minutes of a real record."""
    from ecg_snn.data.records import read_record
    from ecg_snn.stream.core import run_stream

    record = read_record(mitdb_dir, "208")
    record = dataclasses.replace(record, signal=record.signal[: 10 * 60 * FS])
    gold = run_stream(default_pre_artifact, record)
    pre = default_pre_artifact.spec.preprocess
    r = lib.qrs(record.signal)["sample"]
    # the tracker's row after pushing peak k+1 holds beat k's intervals (its next is known)
    rr3 = lib.rr_track(r)[1:]
    beat = np.arange(len(r) - 1)
    ok = (rr3[:, 0] >= 0) & (r[beat] >= pre.before) & (r[beat] + pre.after <= len(record.signal))
    windows = record.signal[r[beat][ok, None] + np.arange(-pre.before, pre.after)]
    x, rr = lib.frontend(windows, rr3[ok])
    np.testing.assert_array_equal(r, gold.sample)
    np.testing.assert_array_equal(x, gold.x)
    np.testing.assert_array_equal(rr, gold.rr)
    assert len(x) > 500


@pytest.mark.parametrize("start", [(1 << 32) - 20 * FS, (1 << 32) - 1, 12345])
def test_sample_counter_wrap_changes_nothing_but_the_positions(lib, start):
    """The contract (qrs.py, "The sample counter"): C started at counter `start` reports the
    golden positions + start mod 2^32 and decides exactly the same, across the wrap."""
    ecg = synthetic_ecg(75, 60)
    g = qrs.detect(ecg)
    wrapped = g.on_counter(start)
    c = lib.qrs(ecg, start=start)
    for key in ("sample", "peak", "decided", "searchback"):
        np.testing.assert_array_equal(c[key], getattr(wrapped, key), err_msg=key)
    assert len(c["sample"]) == len(beats_of(75, 60))  # every beat, the first one too
    if start == (1 << 32) - 20 * FS:
        assert c["sample"][0] > (1 << 31) > c["sample"][-1]  # the counter wrapped in the run
    # the positions differ from an unwrapped run: the check can fail
    assert not np.array_equal(c["sample"], g.sample)


def test_on_counter_by_hand():
    det = qrs.Detections(np.array([3, 7]), np.array([5, 9]), np.array([80, 90]), np.zeros(2, bool))
    got = det.on_counter((1 << 32) - 5)
    np.testing.assert_array_equal(got.sample, [(1 << 32) - 2, 2])
    np.testing.assert_array_equal(got.peak, [0, 4])
    np.testing.assert_array_equal(got.decided, [80, 90])


def electrode_pop(signal: np.ndarray, at: int, height: int) -> np.ndarray:
    """`signal` with a 20 ms (7-sample) spike of `height` ADC units at sample `at`."""
    out = signal.copy()
    out[at : at + 7] += height
    return out


def test_after_a_10x_artifact_the_detector_finds_the_next_beats(lib):
    """An electrode pop 10x the R wave between two beats (20 s in): golden and C alike find
    every later beat (before the clipped levels, they found none of them)."""
    bpm, seconds = 72, 60
    ecg = synthetic_ecg(bpm, seconds, amplitude=200)
    truth = beats_of(bpm, seconds)
    at = int(truth[truth > 20 * FS][0]) + FS // 3  # between two beats
    g = assert_same(lib, electrode_pop(ecg, at, 2000))
    later = truth[truth > at + FS // 2]
    nearest = np.abs(g.sample[:, None] - later[None, :]).min(axis=0)
    assert (nearest <= 10).all(), f"missed {int((nearest > 10).sum())} of {len(later)}"


def test_after_a_10x_artifact_on_a_real_record(lib, mitdb_dir):
    from ecg_snn.data.records import read_record
    from ecg_snn.stream import score

    rec = read_record(mitdb_dir, "100")
    signal = rec.signal[: 5 * 60 * FS]
    ref = score.reference_beats(rec.ann_sample, rec.ann_symbol, len(signal))
    at = int(ref[ref > 60 * FS][0]) + FS // 3
    r_amplitude = int(np.median(signal[ref] - np.median(signal)))
    g = assert_same(lib, electrode_pop(signal, at, 10 * r_amplitude))
    later = ref[ref > at + FS // 2]
    m = score.match(later, g.sample[g.sample > at + FS // 2], FS)
    assert m["se"] > 0.99 and m["ppv"] > 0.99, m


def test_an_artifact_during_learning_is_unlearnt_after_5_s_without_beats(lib):
    """A 10x pop inside the 2 s learning period sets SPKI from it; with no QRS for RELEARN
    samples (5 s) the thresholds are learnt again and the beats are found from then on, golden
    and C alike. Without step 4b none would be (the check can fail: see the count)."""
    bpm, seconds = 72, 60
    truth = beats_of(bpm, seconds)
    g = assert_same(lib, electrode_pop(synthetic_ecg(bpm, seconds), FS // 2 + FS // 3, 2000))
    from_ = qrs.LEARN + qrs.RELEARN + FS  # re-learnt by then, with a beat of margin
    later = truth[truth > from_]
    nearest = np.abs(g.sample[:, None] - later[None, :]).min(axis=0)
    assert (nearest <= 10).all(), f"missed {int((nearest > 10).sum())} of {len(later)}"
    assert len(g.sample) >= len(later)
