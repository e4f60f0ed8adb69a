"""Valid WFDB layouts are read at the right time base and scale, or refused by name.

Each test writes its own small record with wfdb (`wrsamp`, `wrann`, `MultiRecord.wrheader`) and
checks what `data.records.read_record` and `data.beats.extract_beats` make of it: beats cut at
the annotated R peaks (the synthetic peaks sit exactly there) at the right amplitude.
"""

import json
import shutil
from fractions import Fraction

import numpy as np
import pytest
import wfdb

from ecg_snn.data.__main__ import main as data_main
from ecg_snn.data.beats import BeatConfig, extract_beats
from ecg_snn.data.database import list_records
from ecg_snn.data.dataset import build_dataset
from ecg_snn.data.errors import DataError
from ecg_snn.data.records import read_record
from ecg_snn.data.resample import resample_ratio

PEAK_MV = 1.0


def peaks(n: int, r: np.ndarray, fs: float) -> np.ndarray:
    """A lead in mV: Gaussian R waves of PEAK_MV (sd 8 ms) at `r`, on a slow 0.1 mV wave."""
    t = np.arange(n)
    x = 0.1 * np.sin(2 * np.pi * 0.3 * t / fs)
    for p in r:
        x += PEAK_MV * np.exp(-0.5 * ((t - p) / (0.008 * fs)) ** 2)
    return x


def write(directory, name, fs, seconds=12, gain=200.0, units="mV", fmt="16", baseline=0,
          leads=("MLII",), ann_fs=None, comments=None):  # fmt: skip
    """Record `name` with beats every 0.8 s; annotations at `ann_fs` (default: the record's)."""
    directory.mkdir(parents=True, exist_ok=True)
    n = int(seconds * fs)
    r = np.arange(int(fs), n - int(fs), int(0.8 * fs))
    mv = peaks(n, r, fs)
    d = np.rint(mv * gain * {"mV": 1, "uV": 1e3, "V": 1e-3}.get(units, 1)).astype(np.int64)
    wfdb.wrsamp(name, fs=fs, units=[units] * len(leads), sig_name=list(leads),
                d_signal=np.stack([d + baseline] * len(leads), 1), fmt=[fmt] * len(leads),
                adc_gain=[gain] * len(leads), baseline=[baseline] * len(leads),
                comments=comments or [], write_dir=str(directory))  # fmt: skip
    scale = 1 if ann_fs is None else ann_fs / fs
    wfdb.wrann(name, "atr", np.rint(r * scale).astype(np.int64), symbol=["N"] * len(r),
               fs=ann_fs, write_dir=str(directory))  # fmt: skip
    return r


def at_360(r, fs):
    """Where `extract_beats` must put R peaks written at `fs`, at the default 360 Hz."""
    ratio = resample_ratio(fs, 360)
    return (2 * np.asarray(r) * ratio.numerator + ratio.denominator) // (2 * ratio.denominator)


def assert_beats_on_peaks(record, r, fs):
    """Every kept beat is centred on its R peak at 1 mV (at 200 ADC units per mV)."""
    beats, dropped = extract_beats(record)
    assert dropped["outside_signal"] == 0 and len(beats) == len(r) - 2
    assert beats.sample.tolist() == at_360(r, fs)[1:-1].tolist()
    before = BeatConfig().before
    baseline = round(record.baseline * 200 / record.adc_gain)  # as data.resample scales it
    peak = (beats.window[:, before].astype(float) - baseline) / 200  # mV; the slow wave adds
    np.testing.assert_allclose(peak, PEAK_MV, atol=0.12)  # at most 0.1 mV
    assert np.abs(beats.window.argmax(axis=1) - before).max() <= 1
    return beats


# 1. Annotation files with their own sampling frequency
def test_annotation_fs_is_rescaled_to_the_record(tmp_path):
    r = write(tmp_path, "qrs4x", 250, ann_fs=1000)  # a detector's output at 4x the frame rate
    record = read_record(tmp_path, "qrs4x")
    assert record.fs == 250 and record.ann_fs == 1000
    assert record.ann_sample.tolist() == r.tolist()
    assert_beats_on_peaks(record, r, 250)


# 2. Multi-frequency records: the lead at its own rate, never the frame rate
@pytest.mark.parametrize(
    ("frame_fs", "spf", "ann_fs"), [(125, 4, None), (1, 500, 500)], ids=["125x4", "1x500"]
)
def test_multi_frequency_lead_is_read_at_its_own_rate(tmp_path, frame_fs, spf, ann_fs):
    """A 500 Hz ECG in a 125 Hz frame (annotations in frames, WFDB's default) or in a 1 Hz
    frame (annotations at 500 Hz, stored in the file), next to a one-sample-per-frame signal."""
    n = 12 * 500 // spf  # frames
    r = np.arange(500, n * spf - 500, 400)
    ecg = np.rint(peaks(n * spf, r, 500) * 200).astype(np.int64)
    wfdb.wrsamp("mf", fs=frame_fs, units=["mV", "mV"], sig_name=["II", "RESP"],
                e_d_signal=[ecg, np.arange(n) % 50], samps_per_frame=[spf, 1],
                fmt=["16", "16"], adc_gain=[200, 200], baseline=[0, 0],
                write_dir=str(tmp_path))  # fmt: skip
    ann = r // spf if ann_fs is None else r
    wfdb.wrann("mf", "atr", ann, symbol=["N"] * len(r), fs=ann_fs, write_dir=str(tmp_path))
    record = read_record(tmp_path, "mf")
    assert record.fs == 500 and len(record.signal) == n * spf
    assert record.ann_fs == (ann_fs or frame_fs) and record.ann_sample.tolist() == r.tolist()
    assert_beats_on_peaks(record, r, 500)


# 3. Fractional sampling rates
@pytest.mark.parametrize("fs", [499.7, 128.5], ids=["499.7Hz", "128.5Hz"])
def test_fractional_rate_is_resampled_rationally(tmp_path, fs):
    r = write(tmp_path, "frac", fs)
    record = read_record(tmp_path, "frac")
    assert record.fs == fs
    assert_beats_on_peaks(record, r, fs)
    assert resample_ratio(499.7, 360) == Fraction(3600, 4997)


# 4. Units: µV, mV and V are converted to mV; anything else is refused by name
@pytest.mark.parametrize(
    ("units", "gain"), [("uV", 1.0), ("mV", 200.0), ("V", 200_000.0)], ids=["uV", "mV", "V"]
)
def test_units_are_converted_to_millivolts(tmp_path, units, gain):
    r = write(tmp_path, "u", 360, gain=gain, units=units, fmt="32")
    record = read_record(tmp_path, "u")
    assert record.units == units
    assert record.adc_gain == pytest.approx({"uV": 1000.0, "mV": 200.0, "V": 200.0}[units])
    assert_beats_on_peaks(record, r, 360)


def test_unknown_units_are_refused_by_name(tmp_path):
    write(tmp_path, "bp", 250, units="mmHg")
    with pytest.raises(DataError, match=r"record bp lead MLII is in units 'mmHg', not a voltage"):
        read_record(tmp_path, "bp")


# Every storage format wfdb.wrsamp writes (16, 212, 80, 24, 32 and the FLAC formats 508, 516,
# 524), at the right scale; gains and baselines chosen to use each format's range
@pytest.mark.parametrize(
    ("fmt", "gain", "baseline"),
    [("16", 200, 0), ("212", 200, 1024), ("80", 100, -20), ("24", 5000, 7), ("32", 1e5, -3),
     ("508", 100, 0), ("516", 200, -7), ("524", 5000, 3)],
    ids=lambda v: str(v),
)  # fmt: skip
def test_every_storage_format_reads_at_the_right_scale(tmp_path, fmt, gain, baseline):
    r = write(tmp_path, f"f{fmt}", 360, gain=gain, fmt=fmt, baseline=baseline)
    record = read_record(tmp_path, f"f{fmt}")
    expected = peaks(len(record.signal), r, 360)
    physical = (record.signal - record.baseline) / record.adc_gain
    np.testing.assert_allclose(physical, expected, atol=0.6 / gain)
    assert_beats_on_peaks(record, r, 360)


# 5. RECORDS entries with folders
def test_records_in_subfolders(tmp_path):
    db = tmp_path / "ptb"
    r = write(db / "patient001", "s0010_re", 250)
    write(db / "patient002", "s0014lre", 250)
    (db / "patient002" / "RECORDS").write_text("s0014lre\n")
    (db / "RECORDS").write_text("patient001/s0010_re\npatient002/\n")
    assert list_records(db) == ["patient001/s0010_re", "patient002/s0014lre"]
    assert_beats_on_peaks(read_record(db, "patient001/s0010_re"), r, 250)
    ds = build_dataset(db, cache_dir=tmp_path / "cache", progress=False, jobs=1)
    assert sorted(set(ds.record.tolist())) == ["patient001/s0010_re", "patient002/s0014lre"]
    again = build_dataset(db, cache_dir=tmp_path / "cache", progress=False, jobs=1)
    assert again.info["cache"] == "hit" and again.record.tolist() == ds.record.tolist()


# 6. Multi-segment records: joined by wfdb, each segment at its own gain
def test_multi_segment_record(tmp_path):
    fs, n = 250, 2500
    r = np.arange(250, 2 * n - 250, 200)
    mv = peaks(2 * n, r, fs)
    for k, gain in enumerate((200.0, 1000.0)):  # the second segment at another gain
        d = np.rint(mv[k * n : (k + 1) * n] * gain).astype(np.int64)[:, None]
        wfdb.wrsamp(f"ms_{k}", fs=fs, units=["mV"], sig_name=["MLII"], d_signal=d, fmt=["16"],
                    adc_gain=[gain], baseline=[0], write_dir=str(tmp_path))  # fmt: skip
    multi = wfdb.MultiRecord(record_name="ms", fs=fs, n_sig=1, sig_len=2 * n,
                             seg_name=["ms_0", "ms_1"], seg_len=[n, n])  # fmt: skip
    multi.n_seg = 2
    multi.wrheader(write_dir=str(tmp_path))
    wfdb.wrann("ms", "atr", r, symbol=["N"] * len(r), write_dir=str(tmp_path))
    assert list_records(tmp_path) == ["ms"]  # the segment headers are not records
    record = read_record(tmp_path, "ms")
    assert record.lead == "MLII" and len(record.signal) == 2 * n
    assert_beats_on_peaks(record, r, fs)
    (tmp_path / "ms_1.dat").unlink()
    with pytest.raises(DataError, match="cannot read multi-segment record ms"):
        read_record(tmp_path, "ms")


# 7. Signals without names
def test_unnamed_signals_are_listed_and_chosen_by_index(tmp_path):
    r = write(tmp_path, "anon", 250, leads=("a", "b"))
    hea = tmp_path / "anon.hea"
    lines = hea.read_text().splitlines()
    hea.write_text("\n".join([lines[0]] + [" ".join(x.split()[:-1]) for x in lines[1:]]) + "\n")
    assert wfdb.rdheader(str(tmp_path / "anon")).sig_name in (None, [None, None])
    with pytest.raises(DataError, match=r"its leads are \['signal 0 \(unnamed\)', 'signal 1 "):
        read_record(tmp_path, "anon")
    record = read_record(tmp_path, "anon", lead="1")
    assert record.lead == "signal 1 (unnamed)"
    assert_beats_on_peaks(record, r, 250)


# 8. One beat annotated twice
def test_duplicate_annotation_is_dropped_and_counted(tmp_path):
    r = write(tmp_path, "dup", 360)
    wfdb.wrann("dup", "atr", np.sort(np.r_[r, r[3]]), symbol=["N"] * (len(r) + 1),
               write_dir=str(tmp_path))  # fmt: skip
    beats, dropped = extract_beats(read_record(tmp_path, "dup"))
    assert dropped["duplicate"] == 1 and len(beats) == len(r) - 2


# 12. An incomplete MIT-BIH copy
def test_incomplete_mitdb_lists_the_missing_records(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mitdb", "100", 360)
    monkeypatch.setenv("MITDB_DIR", str(tmp_path / "mitdb"))
    report = tmp_path / "data.json"
    assert data_main(["--quiet", "--report", str(report), "--cache-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "incomplete: 47 of the 48 records are missing" in err and "(101, 102, 103," in err
    assert "Traceback" not in err and not report.exists()
    # as --dir it builds (another database may use such names) but says what is missing
    args = ["--dir", str(tmp_path / "mitdb"), "--quiet", "--report", str(report), "--jobs", "1"]
    assert data_main([*args, "--cache-dir", str(tmp_path / "cache")]) == 0
    assert "47 are missing (101, 102," in capsys.readouterr().err
    assert "DS1 and DS2 are incomplete" in json.loads(report.read_text())["warnings"][0]


def test_data_cli_has_the_options_its_errors_name(tmp_path, capsys):
    write(tmp_path / "db", "x", 250, leads=("I", "III"))
    args = ["--dir", str(tmp_path / "db"), "--quiet", "--report", str(tmp_path / "r.json"),
            "--jobs", "1", "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    assert data_main(args) == 1
    assert "(--lead, lead=" in capsys.readouterr().err
    assert data_main([*args, "--lead", "I"]) == 0
    shutil.copy(tmp_path / "db" / "x.atr", tmp_path / "db" / "x.qrs")
    (tmp_path / "db" / "x.atr").unlink()
    assert data_main([*args, "--lead", "I"]) == 1
    assert "(--annotator, annotator=)" in capsys.readouterr().err
    assert data_main([*args, "--lead", "I", "--annotator", "qrs"]) == 0
