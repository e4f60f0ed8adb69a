"""`python -m ecg_snn.stream` and its scorer: hand-built annotation pairs with known TP/FN/FP, the
end-to-end confusion, and the command on small synthetic WFDB records (good and bad)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.stream import score
from ecg_snn.stream.__main__ import main
from tests.ecg_synth import beats_of, synthetic_ecg

FS = 360


def test_match_counts_a_hand_built_pair():
    ref = np.array([100, 500, 900, 1300])
    # 110 and 530 match (10 and 30 samples off), 1000 is 100 samples (278 ms) off: no match,
    # 1290 matches 1300, 1700 matches nothing
    test = np.array([110, 530, 1000, 1290, 1700])
    m = score.match(ref, test, FS)
    assert (m["tp"], m["fn"], m["fp"]) == (3, 1, 2)
    assert m["se"] == 0.75 and m["ppv"] == 0.6
    np.testing.assert_array_equal(m["pairs"], [0, 1, -1, 3])


def test_match_window_is_150_ms():
    assert score.window_samples(FS) == 54
    assert score.match(np.array([1000]), np.array([1054]), FS)["tp"] == 1
    m = score.match(np.array([1000]), np.array([1055]), FS)  # one sample more: no match
    assert (m["tp"], m["fn"], m["fp"]) == (0, 1, 1)


def test_scored_interval_and_flutter_episodes():
    pos = np.array([10, 200, 400, 600, 800])
    assert list(score.scored(pos, 1, 300)) == [400, 600, 800]
    ann_sample, ann_symbol = np.array([150, 500]), np.array(["[", "]"])
    mask = score.flutter_mask(pos, ann_sample, ann_symbol)
    assert list(mask) == [False, True, True, False, False]


def test_end_to_end_confusion_counts_misses_and_false_detections():
    ref_all = np.array([100, 500, 900, 1300, 1700])
    ref_test, labels = ref_all[1:], np.array([0, 2, 1, 0])  # beat 100 is not in the test set
    det = np.array([105, 505, 1290, 1500, 1702, 2500])
    cls = np.array([1, 0, 1, 2, 1, -1])  # 2500: an unclassified (last) false detection
    m = score.classes_end_to_end(ref_all, ref_test, labels, det, cls, FS, n_classes=3)
    expect = np.zeros((4, 4), int)
    expect[0, 0] = 1  # 500 -> N
    expect[2, 3] = 1  # 900 missed: a V beat with no detection
    expect[1, 1] = 1  # 1300 S -> S
    expect[0, 1] = 1  # 1700 N -> S
    expect[3, 2] = 1  # 1500 false detection called V
    np.testing.assert_array_equal(m, expect)
    metrics = score.end_to_end_metrics(m, ("N", "S", "V"))
    assert metrics["accuracy"] == 2 / 5
    assert metrics["per_class"]["V"] == {"se": 0.0, "ppv": 0.0, "f1": 0.0}
    assert metrics["per_class"]["S"]["ppv"] == 0.5


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    pre = Preprocess()
    base = random_artifact(
        np.random.default_rng(11),
        n_samples=pre.n_samples,
        convs=((4, 7, 2),),
        hidden=(8,),
        n_classes=4,
        rr_features=pre.rr_features,
        T=4,
        input_bits=pre.input_bits,
    )
    art = Artifact(
        spec=dataclasses.replace(base.spec, preprocess=pre), tensors=base.tensors, meta={}
    )
    art.validate()
    path = tmp_path_factory.mktemp("model") / "model.json"
    art.save(path)
    return path


def write_record(
    directory, name: str, seconds: float, bpm: float = 75, gap: tuple[int, int] | None = None
) -> np.ndarray:
    """A synthetic MLII record at 360 Hz with an .atr of its beats; returns the beat samples.
    `gap`: seconds [start, stop) written as WFDB's invalid sample (a lead-off gap)."""
    sig = synthetic_ecg(bpm, seconds)
    if gap:
        sig[gap[0] * FS : gap[1] * FS] = -32768  # format 16's invalid code
    wfdb.wrsamp(
        name,
        fs=FS,
        units=["mV"],
        sig_name=["MLII"],
        d_signal=sig[:, None].astype(np.int32),
        fmt=["16"],
        adc_gain=[200.0],
        baseline=[0],
        write_dir=str(directory),
    )
    beats = beats_of(bpm, seconds)
    wfdb.wrann(name, "atr", beats, symbol=["N"] * len(beats), fs=FS, write_dir=str(directory))
    return beats


def test_stream_writes_annotations_and_a_report(tmp_path, model_path):
    beats = write_record(tmp_path, "syn", 60)
    out, report = tmp_path / "out", tmp_path / "report.json"
    rc = main(
        [
            str(tmp_path / "syn"),
            "--model",
            str(model_path),
            "--out",
            str(out),
            "--report",
            str(report),
        ]
    )
    assert rc == 0
    ann = wfdb.rdann(str(out / "syn"), "snn")
    assert set(ann.symbol) <= {"N", "S", "V", "F", "?"}
    assert ann.symbol[0] == "?" and ann.symbol[-1] == "?"  # no RR: not classified
    got = json.loads(report.read_text())
    assert got["detections"] == len(ann.sample)
    q = got["reference"]["qrs_whole"]
    # every beat found, the first (at 1 s, inside the 2 s of threshold learning) too
    assert q["fp"] == 0 and q["fn"] == 0 and q["tp"] == len(beats)
    e2e = got["reference"]["end_to_end"]
    assert 0 < e2e["n"] <= len(beats)


@pytest.mark.parametrize(
    ("seconds", "message"), [(3, "too short"), (None, "is missing")], ids=["short", "missing"]
)
def test_stream_bad_record_is_a_clear_error(tmp_path, model_path, capsys, seconds, message):
    if seconds:
        write_record(tmp_path, "syn", seconds)
    out = tmp_path / "out"
    rc = main([str(tmp_path / "syn"), "--model", str(model_path), "--out", str(out)])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_stream_runs_on_a_raw_recording_without_annotations(tmp_path, model_path):
    write_record(tmp_path, "raw", 30)
    (tmp_path / "raw.atr").unlink()
    report = tmp_path / "report.json"
    rc = main(
        [
            str(tmp_path / "raw"),
            "--model",
            str(model_path),
            "--out",
            str(tmp_path / "o"),
            "--report",
            str(report),
        ]
    )
    assert rc == 0
    got = json.loads(report.read_text())
    assert got["reference"] is None and got["detections"] > 20


def test_stream_skips_a_lead_off_gap(tmp_path, model_path):
    write_record(tmp_path, "gap", 60, gap=(20, 28))
    out, report = tmp_path / "out", tmp_path / "report.json"
    args = [str(tmp_path / "gap"), "--model", str(model_path), "--out", str(out)]
    assert main([*args, "--report", str(report)]) == 0
    ann = wfdb.rdann(str(out / "gap"), "snn")
    sample, symbol = np.asarray(ann.sample), np.asarray(ann.symbol)
    classified = sample[symbol != "?"]
    before, after = 20 * FS, 28 * FS
    # no classified window touches the gap; beats are found again after it
    pre = Preprocess()
    assert not ((classified + pre.after > before) & (classified - pre.before < after)).any()
    assert (sample > 30 * FS).sum() > 30


# -- records as a new user has them: any rate, any lead, gaps, short, odd annotations (issue 29)


def ecg_at(fs: float, seconds: float, bpm: float = 75, amplitude_mv: float = 1.0):
    """(ADC samples at 200 units per mV, R sample positions) of a synthetic ECG at `fs` Hz:
    a Gaussian QRS (sigma 10 ms) and T wave per beat, the first R at 0.6 s, small noise."""
    rng = np.random.default_rng(int(fs))
    n = int(seconds * fs)
    t = np.arange(n) / fs
    r_times = np.arange(0.6, seconds - 0.2, 60 / bpm)
    mv = 0.05 * np.sin(2 * np.pi * 0.3 * t) + 0.005 * rng.standard_normal(n)
    for r in r_times:
        mv += amplitude_mv * np.exp(-0.5 * ((t - r) / 0.010) ** 2)
        mv += 0.25 * amplitude_mv * np.exp(-0.5 * ((t - r - 0.25) / 0.040) ** 2)
    return np.rint(200 * mv).astype(np.int64), np.rint(r_times * fs).astype(np.int64)


def write_any(
    directory,
    name: str,
    fs: float,
    seconds: float,
    *,
    leads: tuple[str, ...] = ("MLII",),
    gap_s: tuple[float, float] | None = None,
    ann: str = "beats",
    bpm: float = 75,
) -> np.ndarray:
    """A WFDB record at `fs` (format 16, 200 adu/mV) with one lead per name in `leads` (the
    same ECG), its invalid code over `gap_s`, and an `.atr` that holds: `beats` the R peaks,
    `rhythm` only a rhythm annotation (the beats go to `.qrs`), `empty` nothing, `past` beats
    only past the end, `none` no file. Returns the R peaks (samples at `fs`)."""
    sig, r = ecg_at(fs, seconds, bpm)
    if gap_s:
        sig[int(gap_s[0] * fs) : int(gap_s[1] * fs)] = -32768  # format 16's invalid code
    wfdb.wrsamp(
        name,
        fs=fs,
        units=["mV"] * len(leads),
        sig_name=list(leads),
        d_signal=np.repeat(sig[:, None], len(leads), axis=1).astype(np.int32),
        fmt=["16"] * len(leads),
        adc_gain=[200.0] * len(leads),
        baseline=[0] * len(leads),
        write_dir=str(directory),
    )
    kw = {"fs": fs, "write_dir": str(directory)}
    if ann == "beats":
        wfdb.wrann(name, "atr", r, symbol=["N"] * len(r), **kw)
    elif ann == "rhythm":
        wfdb.wrann(name, "atr", np.array([0]), symbol=["+"], aux_note=["(AFIB"], **kw)
        wfdb.wrann(name, "qrs", r, symbol=["N"] * len(r), **kw)
    elif ann == "empty":
        (directory / f"{name}.atr").write_bytes(b"\x00\x00")  # WFDB's end-of-file marker only
    elif ann == "past":
        n = len(sig)
        wfdb.wrann(name, "atr", np.array([n, n + 50]), symbol=["N", "N"], **kw)
    return r


def stream_cli(tmp_path, name, model_path, *extra):
    """Run `python -m ecg_snn.stream` on tmp_path/name; (exit status, report dict or None)."""
    out, report = tmp_path / "out", tmp_path / f"{name}.json"
    args = [str(tmp_path / name), "--model", str(model_path), "--out", str(out)]
    rc = main([*args, "--report", str(report), *extra])
    return rc, json.loads(report.read_text()) if report.exists() else None


def matched(truth: np.ndarray, found: np.ndarray, fs: float) -> int:
    """Reference beats with a detection within 150 ms."""
    return score.match(truth, found, fs)["tp"]


@pytest.mark.parametrize("fs", [128, 200, 250, 257, 500, 1000])
def test_stream_at_any_rate_writes_the_snn_at_the_records_rate(tmp_path, model_path, fs):
    r = write_any(tmp_path, "rec", fs, 40)
    rc, report = stream_cli(tmp_path, "rec", model_path)
    assert rc == 0
    assert report["fs"] == fs and report["snn_fs"] == fs and report["detector_fs"] == 360
    ann = wfdb.rdann(str(tmp_path / "out" / "rec"), "snn")
    assert ann.fs == fs
    n = wfdb.rdheader(str(tmp_path / "rec")).sig_len
    assert ann.sample.min() >= 0 and ann.sample.max() < n
    # every beat found, the first one too, at the record's own sample numbers (within 150 ms)
    assert matched(r, ann.sample, fs) == len(r) == len(ann.sample)
    assert np.abs(ann.sample - r).max() <= max(2, round(0.01 * fs))


@pytest.mark.parametrize("fs", [250, 360])
def test_stream_carries_a_gap_through_the_resampler(tmp_path, model_path, fs):
    r = write_any(tmp_path, "gap", fs, 60, gap_s=(20, 28))
    rc, report = stream_cli(tmp_path, "gap", model_path)
    assert rc == 0
    assert report["invalid_samples"] == 8 * fs
    ann = wfdb.rdann(str(tmp_path / "out" / "gap"), "snn")
    sample, symbol = np.asarray(ann.sample), np.asarray(ann.symbol)
    pre = Preprocess()
    before, after = pre.before * fs / 360, pre.after * fs / 360
    classified = sample[symbol != "?"]
    # no classified window comes near the gap; every beat away from it is found again
    assert not ((classified + after > 20 * fs) & (classified - before < 28 * fs)).any()
    away = r[(r < 19 * fs) | (r > 29 * fs)]
    assert matched(away, sample, fs) == len(away)
    assert (classified > 30 * fs).sum() > 25


def test_stream_picks_a_named_lead_of_a_multi_lead_record(tmp_path, model_path, capsys):
    write_any(tmp_path, "holter", 200, 30, leads=("ECG", "ECG1"))
    rc, _ = stream_cli(tmp_path, "holter", model_path)
    assert rc == 2
    err = capsys.readouterr().err
    assert "'ECG', 'ECG1'" in err and "LEAD=" in err and "Traceback" not in err
    rc, report = stream_cli(tmp_path, "holter", model_path, "--lead", "ECG1")
    assert rc == 0 and report["lead"] == "ECG1"


def test_make_stream_forwards_lead_and_args():
    import subprocess

    from ecg_snn.stream.__main__ import ROOT

    cmd = ["make", "-n", "-C", str(ROOT), "stream", "RECORD=x/r", "LEAD=ECG1", "ARGS=--jobs 1"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert '-m ecg_snn.stream "x/r" --lead "ECG1"' in out and "--jobs 1" in out
    for target in ("retrain DB=d", "adapt RECORD=r"):
        cmd = ["make", "-n", "-C", str(ROOT), *target.split(), "LEAD=ECG1"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        assert '--lead "ECG1"' in out, target


def test_stream_short_record_says_ec57_is_not_applicable(tmp_path, model_path, capsys):
    r = write_any(tmp_path, "short", 250, 60)
    rc, report = stream_cli(tmp_path, "short", model_path)
    assert rc == 0
    assert "EC57: n/a (shorter than 5:00)" in capsys.readouterr().out
    ref = report["reference"]
    assert ref["qrs_ec57"] is None
    assert ref["qrs_whole"]["tp"] == len(r) and ref["qrs_whole"]["fp"] == 0


@pytest.mark.parametrize("ann", ["rhythm", "empty", "past"])
def test_stream_with_no_reference_beat_inside_the_signal(tmp_path, model_path, ann, capsys):
    write_any(tmp_path, "af", 250, 30, ann=ann)
    rc, report = stream_cli(tmp_path, "af", model_path)
    assert rc == 0, capsys.readouterr().err
    assert report["reference"] is None and report["detections"] > 30
    assert (tmp_path / "out" / "af.snn").exists()


def test_stream_scores_against_another_annotator(tmp_path, model_path):
    r = write_any(tmp_path, "af", 250, 30, ann="rhythm")
    rc, report = stream_cli(tmp_path, "af", model_path, "--annotator", "qrs")
    assert rc == 0 and report["reference"]["qrs_whole"]["tp"] == len(r)


def to_format_61(directory, name: str) -> None:
    """Rewrite a format-16 record as format 61 (16-bit big-endian; wfdb cannot write it)."""
    dat = directory / f"{name}.dat"
    np.fromfile(dat, "<i2").astype(">i2").tofile(dat)
    hea = directory / f"{name}.hea"
    lines = hea.read_text().splitlines()
    lines[1:] = [" ".join([f[0], "61", *f[2:]]) for f in (line.split() for line in lines[1:])]
    hea.write_text("\n".join(lines) + "\n")


def test_stream_reads_format_61(tmp_path, model_path):
    r = write_any(tmp_path, "be", 250, 30)
    to_format_61(tmp_path, "be")
    assert wfdb.rdheader(str(tmp_path / "be")).fmt == ["61"]
    rc, report = stream_cli(tmp_path, "be", model_path)
    assert rc == 0 and report["reference"]["qrs_whole"]["tp"] == len(r)


def test_stream_refuses_a_non_ascii_record_name(tmp_path, model_path, capsys):
    write_any(tmp_path, "rc0", 250, 30)
    for ext in ("hea", "dat", "atr"):
        (tmp_path / f"rc0.{ext}").rename(tmp_path / f"réc0.{ext}")
    rc, report = stream_cli(tmp_path, "réc0", model_path)
    assert rc == 2 and report is None
    assert "is not a valid WFDB record name" in capsys.readouterr().err


def test_stream_says_when_the_gain_was_assumed(tmp_path, model_path, capsys):
    write_any(tmp_path, "g0", 250, 30)
    hea = tmp_path / "g0.hea"
    hea.write_text(hea.read_text().replace("200.0(0)/mV", "0(0)/mV").replace("200(0)/mV", "0/mV"))
    rc, report = stream_cli(tmp_path, "g0", model_path)
    assert rc == 0 and report["gain_assumed"] is True and report["adc_gain_per_mv"] == 200
    assert "no gain (0: uncalibrated); 200 ADC units per mV was assumed" in capsys.readouterr().err
    write_any(tmp_path, "g200", 250, 30)  # a calibrated header: nothing assumed
    assert stream_cli(tmp_path, "g200", model_path)[1]["gain_assumed"] is False


def test_stream_with_patient_features_matches_the_contract_in_time_order(tmp_path):
    """An artifact with the v3 patient features streams a record as one patient: its chip
    inputs are `preprocess_stream` of the cut beats in time order."""
    from ecg_snn.data.records import read_record
    from ecg_snn.model.contract import golden
    from ecg_snn.model.contract.frontend import preprocess_stream
    from ecg_snn.stream.core import cut, run_stream

    features = ("prev_ratio", "local", "tmpl_dist", "tmpl_qrs", "irreg")
    pre = Preprocess(rr_features=features)
    base = random_artifact(
        np.random.default_rng(13), n_samples=pre.n_samples, convs=((4, 7, 2),), hidden=(8,),
        n_classes=4, rr_features=features, T=4, input_bits=pre.input_bits,
    )  # fmt: skip
    art = Artifact(spec=dataclasses.replace(base.spec, preprocess=pre), tensors=base.tensors)
    art.validate()
    write_record(tmp_path, "rec", 40)
    record = read_record(tmp_path, "rec")
    stream = run_stream(art, record)
    valid = np.ones(len(record.signal), bool)
    windows, rr3, keep = cut(record, stream.sample, art, valid, stream.detections.decided)
    x, rr = preprocess_stream(pre, windows, rr3)
    np.testing.assert_array_equal(stream.rr, rr)
    np.testing.assert_array_equal(stream.cls[keep], golden.run(art, x, rr).cls)
    assert (rr[0, 2:] == 0).all() and rr[1:, 2].any()  # an empty template first, then distances


def test_a_lead_asked_for_is_used_or_refused_never_replaced(tmp_path, model_path, capsys):
    """`--lead V9` on a record with MLII and V1 is a one-line error naming the leads; with no
    --lead the default MLII is used."""
    x, _ = ecg_at(360, 20)
    wfdb.wrsamp("two", fs=360, units=["mV", "mV"], sig_name=["MLII", "V1"],
                d_signal=np.stack([x, x], axis=1).astype(np.int32), fmt=["16", "16"],
                adc_gain=[200, 200], baseline=[0, 0], write_dir=str(tmp_path))  # fmt: skip
    rc, _ = stream_cli(tmp_path, "two", model_path, "--lead", "V9")
    assert rc == 2
    err = capsys.readouterr().err
    assert "has no lead 'V9'" in err and "MLII" in err and "V1" in err
    rc, report = stream_cli(tmp_path, "two", model_path)
    assert rc == 0 and report["lead"] == "MLII"


def test_stream_scoring_a_ds2_record_logs_a_look(tmp_path, model_path, capsys):
    """A record named as a DS2 record, scored against its labels, is a look at the test set:
    one row in the look log; the same record under another name adds none."""
    from ecg_snn.model import looks

    write_any(tmp_path, "100", 250, 60)
    write_any(tmp_path, "other", 250, 60)
    before = len(looks.rows(looks.log_path().read_text()))
    rc, _ = stream_cli(tmp_path, "other", model_path)
    assert rc == 0 and len(looks.rows(looks.log_path().read_text())) == before
    rc, _ = stream_cli(tmp_path, "100", model_path)
    rows = looks.rows(looks.log_path().read_text())
    assert rc == 0 and len(rows) == before + 1 and "record 100 (a DS2 record)" in rows[-1]
    assert "DS2 look" in capsys.readouterr().out


def test_a_record_by_path_never_replaces_the_mitbih_records_outputs(tmp_path):
    """`make stream RECORD=/some/dir/100` is not MIT-BIH 100: its outputs are keyed by its
    folder (and another model's by the model), the MIT-BIH name's are not keyed."""
    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.stream.__main__ import DEFAULT_MODEL, output_key

    art = load_artifact(DEFAULT_MODEL)
    assert output_key("100", Path(DEFAULT_MODEL), art) == ""
    a, b = (
        output_key(str(tmp_path / "a" / "100"), Path(DEFAULT_MODEL), art),
        output_key(str(tmp_path / "b" / "100"), Path(DEFAULT_MODEL), art),
    )
    assert a.startswith("src") and b.startswith("src") and a != b
    other = tmp_path / "m.json"
    other.write_bytes(Path(DEFAULT_MODEL).read_bytes())
    assert output_key("100", other, art) == f"model{art.checksum()[:8]}"
