"""The retraining reads every valid WFDB layout at the right time base and scale, or refuses it
clearly; its report says what it did (rates, units, saturation, patients, the verify command).

Each test writes its own small database (`records` / `write_db` from conftest.py, plus wfdb
directly for the special layouts); the per-kind checks of the reader are in
tests/data/test_wfdb_layouts.py.
"""

import json

import numpy as np
import pytest
import wfdb

from ecg_snn.data.errors import DataError
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.retrain.discovery import read_beats
from ecg_snn.model.retrain.errors import RetrainError
from ecg_snn.model.retrain.split import patient_split, read_patient_map, read_split_file

CLASSES = ("N", "S", "V", "F")


def _beats(db, **kwargs):
    return read_beats(db, Preprocess(), CLASSES, progress=False, **kwargs)


def _record(records, directory, name, fs=250, seed=0, n=40, **kwargs):
    rng = np.random.default_rng(seed)
    classes = list(rng.choice(["N", "N", "S", "V", "F"], n))
    sig, r = records.synth(classes, fs, rng)
    symbols = [records.symbol[c] for c in classes]
    records.write(directory, name, sig, r, symbols, fs, **kwargs)
    return sig, r, symbols


# 1. Annotation fs: the beats are those of the same annotations at the record's rate
def test_annotations_at_four_times_the_rate_give_the_same_beats(records, tmp_path):
    _, r, symbols = _record(records, tmp_path / "plain", "rec")
    _record(records, tmp_path / "fine", "rec")
    wfdb.wrann("rec", "atr", r * 4, symbol=symbols, fs=1000, write_dir=str(tmp_path / "fine"))
    plain, fine = _beats(tmp_path / "plain"), _beats(tmp_path / "fine")
    assert len(fine) == len(plain) == 38
    assert np.array_equal(fine.window, plain.window) and np.array_equal(fine.y, plain.y)
    assert fine.summary["annotation_rates_hz"] == [1000]
    assert fine.summary["beats_dropped"]["by_reason"]["outside_signal"] == 0


# 2. Multi-frequency: the report names the lead's own rate
def test_multi_frequency_record_reports_the_lead_rate(records, tmp_path):
    rng = np.random.default_rng(1)
    classes = ["N", "V"] * 20
    sig, r = records.synth(classes, 500, rng)
    n = len(sig) // 4
    ecg = np.rint(sig[: 4 * n] * 200).astype(np.int64)
    wfdb.wrsamp("mf", fs=125, units=["mV", "mV"], sig_name=["II", "RESP"],
                e_d_signal=[ecg, np.arange(n) % 50], samps_per_frame=[4, 1], fmt=["16", "16"],
                adc_gain=[200, 200], baseline=[0, 0], write_dir=str(tmp_path))  # fmt: skip
    keep = r < 4 * n
    wfdb.wrann("mf", "atr", r[keep] // 4, symbol=["N", "V"] * 20, write_dir=str(tmp_path))
    table = _beats(tmp_path)
    assert table.summary["sampling_rates_hz"] == [500]
    assert table.summary["per_record"]["mf"]["seconds"] == pytest.approx(n / 125, abs=0.1)
    assert len(table) == 38 and table.counts()["V"] == 19


# 4. Units: a record that says mV but holds µV saturates the chip's inputs: the report warns
def test_saturation_is_reported(records, tmp_path):
    _record(records, tmp_path, "ok", seed=2)
    sig, r, symbols = _record(records, tmp_path, "loud", seed=3)
    digital = np.rint(sig * 200_000).astype(np.int64)[:, None]  # µV counts, header says mV
    records.write(tmp_path, "loud", sig, r, symbols, 250, digital=np.clip(digital, -32767, 32767))
    table = _beats(tmp_path)
    sat = table.summary["saturated_inputs"]
    assert list(sat["records"]) == ["loud"] and sat["records"]["loud"] > 0.1
    from ecg_snn.model.retrain.report import _saturation

    assert "of the chip's input samples are saturated" in _saturation(sat)[0]
    assert _saturation({**sat, "fraction": 0.0, "records": {}}) == []


def test_units_a_record_does_not_have_are_refused_before_reading(write_db, run_cli):
    db = write_db(fs=250, n_records=2, beats=20)
    hea = db / "r01.hea"
    hea.write_text(hea.read_text().replace("/mV", "/mmHg"))
    status, _, err = run_cli("--db", str(db))
    assert status == 2 and "record r01 lead MLII is in units 'mmHg'" in err


# 5. + 6. RECORDS with folders, and a multi-segment record among them
def test_folders_and_multi_segment_records(records, tmp_path):
    db = tmp_path / "db"
    _record(records, db / "p1", "s1", seed=4)
    sig, r, symbols = _record(records, tmp_path / "whole", "s2", seed=5)
    n = len(sig) // 2
    (db / "p2").mkdir()
    for k, gain in enumerate((200.0, 400.0)):
        d = np.rint(sig[k * n : (k + 1) * n] * gain).astype(np.int64)[:, None]
        wfdb.wrsamp(f"s2_{k}", fs=250, units=["mV"], sig_name=["MLII"], d_signal=d, fmt=["16"],
                    adc_gain=[gain], baseline=[0], write_dir=str(db / "p2"))  # fmt: skip
    multi = wfdb.MultiRecord(record_name="s2", fs=250, n_sig=1, sig_len=2 * n,
                             seg_name=["s2_0", "s2_1"], seg_len=[n, n])  # fmt: skip
    multi.n_seg = 2
    multi.wrheader(write_dir=str(db / "p2"))
    wfdb.wrann("s2", "atr", r, symbol=symbols, write_dir=str(db / "p2"))
    (db / "RECORDS").write_text("p1/s1\np2/s2\n")
    table = _beats(db)
    assert table.summary["records_skipped"] == {}
    assert sorted(set(table.record)) == ["p1/s1", "p2/s2"]
    whole = _beats(tmp_path / "whole")
    # the same beats; ±1 ADC unit where the second segment's finer gain rounds differently
    np.testing.assert_allclose(table.window[table.record == "p2/s2"], whole.window, atol=1)


# 7. Unnamed signals: listed as such, chosen by index
def test_unnamed_signals(write_db, run_cli):
    db = write_db(fs=250, n_records=2, beats=20, leads=("a", "b"))
    for hea in db.glob("*.hea"):
        lines = hea.read_text().splitlines()
        hea.write_text("\n".join([lines[0]] + [" ".join(x.split()[:-1]) for x in lines[1:]]))
    status, _, err = run_cli("--db", str(db))
    assert status == 2 and "Traceback" not in err
    assert "r00: signal 0 (unnamed), signal 1 (unnamed)" in err and "by index" in err
    table = _beats(db, lead="1")
    assert set(table.summary["leads"].values()) == {"signal 1 (unnamed)"} and len(table) == 36


# 8. A duplicate annotation: dropped and counted, with or without an invalid-sample gap
@pytest.mark.parametrize("gap", [False, True], ids=["plain", "with-gap"])
def test_duplicate_annotation_same_outcome_everywhere(records, tmp_path, gap):
    rng = np.random.default_rng(6)
    sig, r = records.synth(["N"] * 40, 250, rng)
    digital = np.rint(sig * 200).astype(np.int64)[:, None]
    if gap:
        digital[int(r[30]) - 250 : int(r[30]) + 250] = -32768
    r2 = np.sort(np.r_[r, r[10]])
    records.write(tmp_path, "dup", sig, r2, ["N"] * 41, 250, digital=digital)
    _record(records, tmp_path, "other", seed=7)
    table = _beats(tmp_path)
    per = table.summary["per_record"]["dup"]["dropped"]
    assert table.summary["records_skipped"] == {}
    assert per["duplicate"] == 1 and (per["nan_window"] > 0) == gap
    assert per["no_rr"] == 2 and (table.record == "dup").sum() == 38 - per["nan_window"]


# 9. Every beat dropped: say how many and why
def test_every_beat_dropped_says_why(records, tmp_path):
    for k in range(2):
        sig, r, symbols = _record(records, tmp_path, f"r{k}", seed=k)
        records.write(tmp_path, f"r{k}", sig * 0.005, r, symbols, 250)  # 5 µV "beats"
    with pytest.raises(DataError) as e:
        _beats(tmp_path)
    text = str(e.value)
    assert "2 record(s) read, all 80 annotated beats dropped (no_rr 4, flat_window 76)" in text
    assert "check the gain and units" in text and "only 0 usable record" not in text


# 10. Records of one patient stay on one side
def test_evident_copies_stay_on_one_side(records, tmp_path):
    sig, r, symbols = _record(records, tmp_path, "a", seed=8)
    noisy = sig + 0.05 * np.random.default_rng(9).standard_normal(len(sig))
    records.write(tmp_path, "a_noisy", noisy, r, symbols, 250)  # same annotations, new signal
    for k in range(4):
        _record(records, tmp_path, f"p{k}", seed=10 + k)
    table = _beats(tmp_path)
    links = table.summary["same_source"]
    assert [link["records"] for link in links] == [["a", "a_noisy"]]
    assert "identical annotations" in links[0]["why"]
    for seed in range(6):
        split = patient_split(table, 0.3, seed=seed, min_test=0)
        sides = [s for s in ("train", "val", "test") if {"a", "a_noisy"} & set(getattr(split, s))]
        assert len(sides) == 1 and split.unit == "record"
        assert split.together[0][0] == ("a", "a_noisy")
    split_file = tmp_path / "split.txt"
    split_file.write_text("a train\np0 train\np1 train\na_noisy test\n")
    split = read_split_file(split_file, table)
    assert "puts one patient on two sides (test/train)" in split.warnings[0]
    patients = tmp_path / "patients.txt"
    patients.write_text("p0 alice\np1 alice\n")
    mapping = read_patient_map(patients, table)
    split = patient_split(table, 0.3, seed=0, min_test=0, patients=mapping)
    assert split.unit == "patient" and len(split.together) == 2
    for group in (("a", "a_noisy"), ("p0", "p1")):
        assert len([s for s in (split.train, split.val, split.test) if set(group) & set(s)]) == 1
    split_file.write_text("p0 train\np1 test\n")
    with pytest.raises(RetrainError, match=r"puts one patient on two sides.*patient alice"):
        read_split_file(split_file, table, patients=mapping)
    patients.write_text("p0 alice\nnobody bob\n")
    with pytest.raises(RetrainError, match="names records not in the database: nobody"):
        read_patient_map(patients, table)


def test_header_note_naming_the_source_record(records, tmp_path):
    _record(records, tmp_path, "201", seed=11)
    sig, _, _ = _record(records, tmp_path, "202", seed=12)
    wfdb.wrsamp("202", fs=250, units=["mV"], sig_name=["MLII"],
                d_signal=np.rint(sig * 200).astype(np.int64)[:, None], fmt=["16"],
                adc_gain=[200], baseline=[0], write_dir=str(tmp_path),
                comments=["68 M", "This record was taken from the same analog tape as record "
                          "201."])  # fmt: skip
    _record(records, tmp_path, "100", seed=13)
    wfdb.wrsamp("100", fs=250, units=["mV"], sig_name=["MLII"],
                d_signal=np.rint(sig * 200).astype(np.int64)[:, None] + 1, fmt=["16"],
                adc_gain=[200], baseline=[0], write_dir=str(tmp_path),
                comments=["69 M 1085 1629 x1 201"])  # fmt: skip
    links = _beats(tmp_path).summary["same_source"]
    assert [link["records"] for link in links] == [["201", "202"]]
    assert "the header of 202 names 201" in links[0]["why"]


# 10. + 11. The report: split wording and the verify command with the engineer's own beats
def test_report_split_wording_and_verify_command(write_db, run_cli, tmp_path):
    db = write_db(fs=250, n_records=4, beats=40)
    status, _, err = run_cli("--db", str(db), "--epochs", "0", "--name", "w",
                             "--min-train-beats", "1", "--min-test-beats", "0")  # fmt: skip
    assert status == 0, err
    md = (tmp_path / "reports" / "w" / "report.md").read_text()
    report = json.loads((tmp_path / "reports" / "w" / "report.json").read_text())
    assert "By record (no patient map" in md and "By patient" not in md
    assert f"make sim MODEL={report['artifact']} VECTORS={report['test_beats']}" in md
    assert report["split"]["unit"] == "record" and report["data"]["units"] == ["mV"]
    patients = tmp_path / "p.json"
    patients.write_text(json.dumps({"r00": "x", "r01": "x"}))
    status, _, err = run_cli("--db", str(db), "--epochs", "0", "--name", "w2",
                             "--patients", str(patients), "--min-train-beats", "1",
                             "--min-test-beats", "0")  # fmt: skip
    assert status == 0, err
    md = (tmp_path / "reports" / "w2" / "report.md").read_text()
    assert f"By patient (patient map `{patients}`)" in md and "kept on one side: r00 + r01" in md


def test_saturation_warning_reaches_the_user(write_db, records, run_cli, tmp_path):
    db = write_db(fs=250, n_records=4, beats=40)
    sig, r, symbols = _record(records, db, "r03", seed=14)
    loud = np.clip(np.rint(sig * 200_000), -32767, 32767).astype(np.int64)[:, None]
    records.write(db, "r03", sig, r, symbols, 250, digital=loud)  # µV counts, header says mV
    status, _, err = run_cli("--db", str(db), "--epochs", "0", "--name", "loud",
                             "--min-train-beats", "1", "--min-test-beats", "0")  # fmt: skip
    assert status == 0, err
    assert "retrain: warning:" in err and "(records above 2 %: r03)" in err
    md = (tmp_path / "reports" / "loud" / "report.md").read_text()
    assert "of the chip's input samples are saturated** (more than 2 % in: r03" in md
