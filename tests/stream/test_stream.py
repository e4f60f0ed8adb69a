"""`python -m ecg_snn.stream` and its scorer: hand-built annotation pairs with known TP/FN/FP, the
end-to-end confusion, and the command on small synthetic WFDB records (good and bad)."""

from __future__ import annotations

import dataclasses
import json

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
    # every beat found but the first (at 1 s: decided within the 2 s of threshold learning)
    assert q["fp"] == 0 and q["fn"] == 1 and q["tp"] == len(beats) - 1
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
    windows, rr3, keep = cut(record, stream.sample, art, valid)
    x, rr = preprocess_stream(pre, windows, rr3)
    np.testing.assert_array_equal(stream.rr, rr)
    np.testing.assert_array_equal(stream.cls[keep], golden.run(art, x, rr).cls)
    assert (rr[0, 2:] == 0).all() and rr[1:, 2].any()  # an empty template first, then distances
