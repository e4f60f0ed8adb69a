"""Every kind of bad input: a clear message and exit status 2, or a skip the report counts."""

import numpy as np
import pytest

from ecg_snn.data.errors import DataError
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.retrain.discovery import read_beats

CLASSES = ("N", "S", "V", "F")
RATES = [128, 250, 257, 500]


def _beats(db, **kwargs):
    return read_beats(db, Preprocess(), CLASSES, progress=False, **kwargs)


def test_empty_folder(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    status, _, err = run_cli("--db", str(tmp_path / "empty"))
    assert status == 2
    assert "holds no WFDB records" in err and "Traceback" not in err


def test_missing_folder(run_cli, tmp_path):
    status, _, err = run_cli("--db", str(tmp_path / "nope"))
    assert status == 2 and "does not exist" in err


@pytest.mark.parametrize("fs", RATES, ids=[f"{f}Hz" for f in RATES])
def test_no_annotation_files(write_db, run_cli, fs):
    db = write_db(fs=fs, n_records=2, beats=20, annotator="")
    status, _, err = run_cli("--db", str(db))
    assert status == 2
    assert "no annotation files in" in err and "r00.atr" in err


@pytest.mark.parametrize("fs", RATES, ids=[f"{f}Hz" for f in RATES])
def test_annotator_that_does_not_exist(write_db, run_cli, fs):
    db = write_db(fs=fs, n_records=2, beats=20)
    status, _, err = run_cli("--db", str(db), "--annotator", "qrs")
    assert status == 2
    assert "annotator 'qrs'" in err and "annotation files found: .atr" in err


def test_some_records_without_annotations_are_skipped(write_db, records, tmp_path):
    db = write_db(fs=250, n_records=3, beats=20)
    (db / "r01.atr").unlink()
    table = _beats(db)
    assert table.summary["records_skipped"] == {"r01": "no annotation file r01.atr"}
    assert set(table.record) == {"r00", "r02"}
    with pytest.raises(DataError, match=r"record r01: no annotation file r01\.atr .*--strict"):
        _beats(db, strict=True)


@pytest.mark.parametrize("fs", RATES, ids=[f"{f}Hz" for f in RATES])
def test_lead_that_does_not_exist(write_db, run_cli, fs):
    db = write_db(fs=fs, n_records=2, beats=20, leads=("II", "V1"))
    status, _, err = run_cli("--db", str(db), "--lead", "V5")
    assert status == 2
    assert "have no lead 'V5'" in err
    assert "r00: II, V1" in err and "every record has II, V1" in err and "--lead" in err


def test_default_lead_missing_lists_leads(write_db, run_cli):
    db = write_db(fs=250, n_records=1, beats=20, leads=("I", "aVR"))
    status, _, err = run_cli("--db", str(db))
    assert status == 2 and "r00: I, aVR" in err


def test_sampling_rate_too_low(records, run_cli, tmp_path):
    rng = np.random.default_rng(0)
    sig, r = records.synth(["N"] * 20, 80, rng)
    records.write(tmp_path / "low", "slow", sig, r, ["N"] * 20, 80)
    status, _, err = run_cli("--db", str(tmp_path / "low"))
    assert status == 2
    assert "record slow is sampled at 80 Hz" in err and "at least 100 Hz" in err


@pytest.mark.parametrize("fs", RATES, ids=[f"{f}Hz" for f in RATES])
def test_annotations_past_the_end_are_counted(records, tmp_path, fs):
    rng = np.random.default_rng(1)
    classes = ["N", "V"] * 15
    sig, r = records.synth(classes, fs, rng)
    r = np.concatenate([r, [len(sig) + 10, len(sig) + 500]])
    records.write(tmp_path / "db", "late", sig, r, ["N", "V"] * 15 + ["N", "N"], fs)
    table = _beats(tmp_path / "db")
    dropped = table.summary["beats_dropped"]["by_reason"]
    assert dropped["outside_signal"] == 2
    assert dropped["no_rr"] == 2  # the first and the last beat inside the signal
    assert len(table) == 28


def test_too_few_beats_of_a_class(write_db, run_cli):
    db = write_db(fs=250, n_records=4, beats=40, mix={"N": 0.5, "S": 0.25, "V": 0.25})
    status, _, err = run_cli("--db", str(db))
    assert status == 2
    assert "too few beats to train or evaluate" in err
    assert "class F has 0 train beats (need 20)" in err and "--mapping" in err


def test_a_single_record_cannot_be_split(write_db, run_cli):
    db = write_db(fs=250, n_records=1, beats=40)
    status, _, err = run_cli("--db", str(db))
    assert status == 2 and "needs at least 2 records" in err and "--split-file" in err


def test_q_beats_are_dropped_for_a_four_class_model(records, tmp_path):
    rng = np.random.default_rng(2)
    sig, r = records.synth(["N"] * 30, 250, rng)
    symbols = ["N", "/"] * 15  # '/' (paced) is class Q
    records.write(tmp_path / "db", "paced", sig, r, symbols, 250)
    table = _beats(tmp_path / "db")
    assert table.summary["beats_dropped"]["by_reason"]["class_not_in_model"] == 14
    assert table.counts() == {"N": 14, "S": 0, "V": 0, "F": 0}


@pytest.mark.parametrize("fs", RATES, ids=[f"{f}Hz" for f in RATES])
def test_nan_segment_drops_only_the_beats_near_it(records, tmp_path, fs):
    rng = np.random.default_rng(3)
    sig, r = records.synth(["N"] * 40, fs, rng)
    digital = np.rint(sig * 200).astype(np.int64)[:, None]
    gap = slice(int(r[20]) - fs, int(r[20]) + fs)  # 2 s of invalid samples around beat 20
    digital[gap] = -32768  # format 16's invalid-sample code (NaN)
    records.write(tmp_path / "db", "gap", sig, r, ["N"] * 40, fs, digital=digital)
    table = _beats(tmp_path / "db")
    dropped = table.summary["beats_dropped"]["by_reason"]
    pre = Preprocess()
    t = np.asarray(r)[1:-1] / fs  # beats with RR features, in seconds
    lo, hi = gap.start / fs - 0.1, gap.stop / fs + 0.1  # the gap and its margin
    expect = (t - pre.before / pre.fs < hi) & (t + pre.after / pre.fs > lo)
    assert abs(dropped["nan_window"] - int(expect.sum())) <= 1
    assert len(table) == 38 - dropped["nan_window"]
    assert table.summary["records_skipped"] == {}


def test_all_invalid_lead_skips_the_record(records, write_db):
    db = write_db(fs=250, n_records=2, beats=20)
    digital = np.full((5000, 1), -32768)
    records.write(db, "dead", np.zeros(5000), np.arange(300, 4800, 200), ["N"] * 23, 250,
                  digital=digital)  # fmt: skip
    table = _beats(db)
    assert "invalid (NaN) samples" in table.summary["records_skipped"]["dead"]
    with pytest.raises(DataError, match="invalid"):
        _beats(db, strict=True)


def test_flat_lead_skips_the_record(records, write_db):
    db = write_db(fs=250, n_records=2, beats=20)
    records.write(db, "off", np.zeros(5000), np.arange(300, 4800, 200), ["N"] * 23, 250)
    table = _beats(db)
    assert "flat" in table.summary["records_skipped"]["off"]


@pytest.mark.parametrize("fs", RATES, ids=[f"{f}Hz" for f in RATES])
def test_flat_segment_drops_its_beats(records, tmp_path, fs):
    rng = np.random.default_rng(4)
    sig, r = records.synth(["N"] * 40, fs, rng)
    lo, hi = int(r[20] - 2 * fs), int(r[20] + 2 * fs)  # 4 s with the electrode off
    sig[lo:hi] = 0.0
    records.write(tmp_path / "db", "seg", sig, r, ["N"] * 40, fs)
    table = _beats(tmp_path / "db")
    flat = table.summary["beats_dropped"]["by_reason"]["flat_window"]
    assert flat >= 2
    assert len(table) == 38 - flat


def test_bad_mapping_file(write_db, run_cli, tmp_path):
    db = write_db(fs=250, n_records=2, beats=20)
    mapping = tmp_path / "map.json"
    mapping.write_text('{"N": "X"}')
    status, _, err = run_cli("--db", str(db), "--mapping", str(mapping))
    assert status == 2 and "the class must be one of" in err


def test_missing_base_artifact(write_db, run_cli, tmp_path):
    status, _, err = run_cli("--db", str(tmp_path), "--base", str(tmp_path / "none.json"))
    assert status == 2 and "no such artifact" in err
