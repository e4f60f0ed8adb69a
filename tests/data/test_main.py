"""``python -m ecg_snn.data``: the report, and a clean exit on bad input."""

import json

import numpy as np

from ecg_snn.data.__main__ import main


def test_report_for_mitdb(mitdb_dir, mitdb_dataset, tmp_path, capsys):
    report = tmp_path / "data.json"
    assert main(["--dir", str(mitdb_dir), "--quiet", "--report", str(report)]) == 0
    got = json.loads(report.read_text())
    assert got["records"] == 48 and got["cache"] == "hit"
    assert set(got["beats_per_class"]) == {"DS1", "DS2", "intra_train", "intra_test"}
    assert got["annotations_per_class"]["all"]["Q"] == 8043
    assert got["dropped"]["total"] == 96 and got["leads"]["104"] == "V5"
    assert got["config"]["before"] == 96 and got["seconds"] >= 0
    assert "48 records" in capsys.readouterr().out


def test_bad_input_exits_nonzero_without_traceback(tmp_path, capsys):
    assert main(["--dir", str(tmp_path / "nope"), "--quiet", "--report", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: database directory") and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_report_for_a_user_database(write_record, tmp_path, capsys):
    directory = write_record("u1", np.arange(2000) % 97, [200, 500, 800, 1100], "NNVN", fs=250)
    report = tmp_path / "data.json"
    args = ["--dir", str(directory), "--quiet", "--report", str(report), "--jobs", "1"]
    assert main([*args, "--cache-dir", str(tmp_path / "cache")]) == 0
    got = json.loads(report.read_text())
    assert got["beats_per_class"]["DS1"] is None
    assert got["beats_per_class"]["intra_train"]["V"] + got["beats_per_class"]["intra_test"]["V"]
