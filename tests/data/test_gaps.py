"""The one gap rule (`data.gaps`, `data.resample.resample_lead`) and the annotation edge of the
readers, each on a small WFDB record or signal written here: segments resampled on their own,
the mask carried, beats near a gap skipped (retrain and adapt alike), annotations past the end,
empty annotation sets, format 61, odd names, gain 0, a blank RECORDS file."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import wfdb
from scipy.signal import resample_poly

from ecg_snn.data.beats import BeatConfig, extract_beats
from ecg_snn.data.database import list_records
from ecg_snn.data.errors import DataError
from ecg_snn.data.gaps import beats_around_gaps, near_gaps
from ecg_snn.data.records import Record, read_lead
from ecg_snn.data.resample import resample_lead, resample_record


def ecg(fs: float, seconds: float, bpm: float = 75) -> tuple[np.ndarray, np.ndarray]:
    """(ADC samples at 200 per mV, R positions) of a Gaussian-QRS ECG at `fs`."""
    n = int(seconds * fs)
    t = np.arange(n) / fs
    r = np.arange(0.6, seconds - 0.3, 60 / bpm)
    mv = 0.05 * np.sin(2 * np.pi * 0.3 * t)
    for x in r:
        mv += np.exp(-0.5 * ((t - x) / 0.010) ** 2)
    return np.rint(200 * mv).astype(np.int32), np.rint(r * fs).astype(np.int64)


def record(signal: np.ndarray, fs: float, ann: np.ndarray | None = None) -> Record:
    ann = np.zeros(0, np.int64) if ann is None else np.asarray(ann, np.int64)
    return Record("r", fs, "MLII", signal, 200.0, ann, np.full(len(ann), "N"))


def write(directory, name, signal, fs, ann=None, ann_fs=None, fmt="16"):
    wfdb.wrsamp(
        name, fs=fs, units=["mV"], sig_name=["MLII"], d_signal=signal[:, None].astype(np.int32),
        fmt=[fmt], adc_gain=[200.0], baseline=[0], write_dir=str(directory),
    )  # fmt: skip
    if ann is not None:
        sym = ["N"] * len(ann)
        wfdb.wrann(name, "atr", np.asarray(ann), symbol=sym, fs=ann_fs, write_dir=str(directory))


@pytest.mark.parametrize("fs", [128, 250, 257, 1000])
def test_segments_are_resampled_on_their_own(fs):
    """What the gap holds never reaches a valid output sample; the whole-record filter (what a
    bridged resampling does) would carry it: the check can fail."""
    sig, _ = ecg(fs, 20)
    bad = np.zeros(len(sig), bool)
    bad[int(8 * fs) : int(11 * fs)] = True
    wild = sig.copy()
    wild[bad] = 30000  # the invalid stretch holds anything
    a, bad_a = resample_lead(record(sig, fs), bad, 360)
    b, bad_b = resample_lead(record(wild, fs), bad, 360)
    np.testing.assert_array_equal(bad_a, bad_b)
    np.testing.assert_array_equal(a.signal[~bad_a], b.signal[~bad_b])
    whole_a = resample_poly(sig.astype(float), 360, fs)
    whole_b = resample_poly(wild.astype(float), 360, fs)
    assert np.abs(whole_a - whole_b)[~bad_a[: len(whole_a)]].max() > 100


@pytest.mark.parametrize("fs", [128, 250, 257, 500])
def test_the_mask_is_carried_to_the_new_rate(fs):
    sig, _ = ecg(fs, 30)
    bad = np.zeros(len(sig), bool)
    lo, hi = 10 * fs, 13 * fs
    bad[lo:hi] = True
    out, bad_out = resample_lead(record(sig, fs), bad, 360)
    m = np.arange(len(out.signal))
    in_gap = (m * fs >= lo * 360) & (m * fs < hi * 360)  # m / 360 s inside [lo, hi) / fs s
    np.testing.assert_array_equal(bad_out, in_gap)
    assert len(out.signal) == -(-len(sig) * 360 // fs)


def test_without_gaps_the_segment_path_is_the_whole_record_resampler():
    sig, _ = ecg(250, 20)
    out, bad = resample_lead(record(sig, 250), None, 360)
    expect = np.rint(resample_poly(sig.astype(float), 36, 25, padtype="line")).astype(np.int32)
    np.testing.assert_array_equal(out.signal, expect)
    assert not bad.any()
    rec = record(sig, 360)
    assert resample_record(rec) is rec  # MIT-BIH: the same object, bit-identical


@pytest.mark.parametrize("fs", [128, 200, 250, 257, 500, 1000])
def test_an_annotation_one_sample_past_the_end_stays_outside(fs):
    sig, r = ecg(fs, 10)
    # a length whose end rounds down at 360 Hz: round(n * 360 / fs) < ceil(n * 360 / fs), so
    # rescaling the sample number alone would put an annotation at n inside the signal
    n = next(k for k in range(len(sig), len(sig) - 40, -1) if 0 < (k * 360) % fs < fs / 2)
    sig = sig[:n]
    n_out = -(-n * 360 // fs)
    assert (2 * n * 360 + fs) // (2 * fs) == n_out - 1  # the phantom the old rule made
    ann = np.concatenate([r[r < n - fs], [n - 1, n, n + 3]])
    out = resample_record(record(sig, fs, ann))
    assert len(out.signal) == n_out
    assert out.ann_sample[-3] < n_out  # the last sample maps inside
    np.testing.assert_array_equal(out.ann_sample[-2:], [n_out, n_out])
    _, dropped = extract_beats(record(sig, fs, ann))
    assert dropped["outside_signal"] == 2


def test_annotations_at_their_own_rate_past_the_end_stay_outside(tmp_path):
    sig, r = ecg(250, 10)
    n = len(sig)
    # annotated at 1000 Hz: n * 4 is exactly the end, n * 4 - 1 the last 1 ms of the last sample
    write(tmp_path, "a", sig, 250, ann=np.array([*(r * 4), n * 4 - 1, n * 4]), ann_fs=1000)
    rec, _ = read_lead(tmp_path, "a")
    assert rec.ann_sample[-2] == n - 1 and rec.ann_sample[-1] == n


@pytest.mark.parametrize("kind", ["rhythm", "past", "none"])
def test_no_beat_inside_the_signal_gives_no_beats_not_a_crash(kind):
    sig, _ = ecg(250, 10)
    n = len(sig)
    if kind == "rhythm":
        rec = dataclasses.replace(
            record(sig, 250), ann_sample=np.array([0]), ann_symbol=np.array(["+"])
        )
    else:
        rec = record(sig, 250, np.array([n, n + 10]) if kind == "past" else None)
    beats, dropped = extract_beats(rec)
    assert len(beats) == 0 and beats.window.shape == (0, BeatConfig().width)
    assert dropped["outside_signal"] == (2 if kind == "past" else 0)


@pytest.mark.parametrize("fs", [250, 360])
def test_beats_near_a_gap_are_dropped_and_the_rest_kept(fs):
    sig, r = ecg(fs, 60)
    bad = np.zeros(len(sig), bool)
    bad[20 * fs : 28 * fs] = True
    sig[bad] = -32768
    config = BeatConfig()
    beats, dropped = beats_around_gaps(record(sig, fs, r), bad, config)
    at_360 = np.rint(r * 360 / fs).astype(int)
    gap = (20 * 360 - config.after - 36, 28 * 360 + config.before + 36)  # 0.1 s margin
    far = at_360[(at_360 < gap[0]) | (at_360 > gap[1])][1:-1]  # first/last: no RR
    assert set(far) <= set(beats.sample.tolist())
    assert not ((beats.sample > gap[0] + 2) & (beats.sample < gap[1] - 2)).any()
    assert dropped["nan_window"] > 0
    near = near_gaps(bad, fs, 0.1)
    assert near.sum() == bad.sum() + 2 * int(np.ceil(0.1 * fs))


def test_a_lead_that_is_all_gap_is_refused():
    sig, _ = ecg(250, 10)
    with pytest.raises(DataError, match="invalid"):
        beats_around_gaps(record(sig, 250), np.ones(len(sig), bool), BeatConfig())


def test_format_61_reads_as_format_16(tmp_path):
    sig, r = ecg(250, 10)
    write(tmp_path, "le", sig, 250, ann=r)
    write(tmp_path, "be", sig, 250, ann=r)
    dat = tmp_path / "be.dat"
    np.fromfile(dat, "<i2").astype(">i2").tofile(dat)
    hea = tmp_path / "be.hea"
    head, line = hea.read_text().splitlines()[:2]
    fields = line.split()
    hea.write_text("\n".join([head, " ".join([fields[0], "61", *fields[2:]])]) + "\n")
    a, _ = read_lead(tmp_path, "le")
    b, _ = read_lead(tmp_path, "be")
    np.testing.assert_array_equal(a.signal, b.signal)
    np.testing.assert_array_equal(b.signal, sig)


def test_a_non_ascii_record_name_is_refused_by_name(tmp_path):
    sig, _ = ecg(250, 10)
    write(tmp_path, "rc0", sig, 250)
    for ext in ("hea", "dat"):
        (tmp_path / f"rc0.{ext}").rename(tmp_path / f"réc0.{ext}")
    with pytest.raises(DataError, match="'réc0' is not a valid WFDB record name"):
        read_lead(tmp_path, "réc0", annotator=None)


@pytest.mark.parametrize(("field", "assumed"), [("0(0)/mV", True), ("400(0)/mV", False)])
def test_gain_zero_is_read_as_200_and_flagged(tmp_path, field, assumed):
    sig, _ = ecg(250, 10)
    write(tmp_path, "g", sig, 250)
    hea = tmp_path / "g.hea"
    hea.write_text(hea.read_text().replace("200.0(0)/mV", field).replace("200(0)/mV", field))
    rec, _ = read_lead(tmp_path, "g", annotator=None)
    assert rec.gain_assumed is assumed
    assert rec.adc_gain == (200.0 if assumed else 400.0)


def test_a_blank_records_file_falls_back_to_the_headers(tmp_path):
    sig, _ = ecg(250, 10)
    write(tmp_path, "x1", sig, 250)
    write(tmp_path, "x2", sig, 250)
    (tmp_path / "RECORDS").write_text("\n  \n")
    assert list_records(tmp_path) == ["x1", "x2"]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "RECORDS").write_text("")
    with pytest.raises(DataError, match="RECORDS file lists none"):
        list_records(empty)
