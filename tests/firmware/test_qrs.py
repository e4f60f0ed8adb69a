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
