"""`make evaluate`: the field's scores (scikit-learn), the outputs, the look log, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.model import evaluate as ev
from ecg_snn.model import looks
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.shipped import shipped
from ecg_snn.model.splits import Beats
from tests.ecg_synth import beat_sequence
from tests.model.retrain.conftest import CLASS_SYMBOL, write_wfdb

CLASSES = ("N", "S", "V", "F")


def test_scores_by_hand():
    """6 beats: true N N N S S V, predicted N N S S N V (4 right).
    S: Se 1/2, +P 1/2; V: Se 1, +P 1. p_o = 4/6; p_e = (3*3 + 2*2 + 1*1) / 36 = 14/36;
    kappa = (24 - 14) / (36 - 14) = 10/22; jkappa = kappa/2 + (1/2 + 1 + 1/2 + 1)/8."""
    s = ev.scores(np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 1, 1, 0, 2]), CLASSES)
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["per_class"]["S"]["se"] == pytest.approx(0.5)
    assert s["per_class"]["S"]["ppv"] == pytest.approx(0.5)
    assert s["per_class"]["V"] == {"se": 1.0, "ppv": 1.0, "f1": 1.0, "n": 1}
    assert s["per_class"]["F"] == {"se": 0.0, "ppv": 0.0, "f1": 0.0, "n": 0}  # zero_division=0
    assert s["kappa"] == pytest.approx(10 / 22)
    assert s["j_kappa"] == pytest.approx(5 / 22 + 3 / 8)
    assert s["confusion"][0] == [2, 1, 0, 0] and s["confusion"][1] == [1, 1, 0, 0]


def test_scores_agree_with_the_training_metrics():
    """sklearn's figures and `model.metrics` (what train.json reports) are the same numbers."""
    rng = np.random.default_rng(3)
    y, pred = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    s, m = ev.scores(y, pred, CLASSES), classification_metrics(y, pred, CLASSES)
    assert s["confusion"] == m["confusion"]
    for key in ("accuracy", "kappa", "j_kappa"):
        assert s[key] == pytest.approx(m[key])
    for c in CLASSES:
        assert s["per_class"][c]["se"] == pytest.approx(m["per_class"][c]["se"])
        assert s["per_class"][c]["ppv"] == pytest.approx(m["per_class"][c]["ppv"])


def test_one_class_everywhere_has_kappa_zero_not_nan():
    s = ev.scores(np.zeros(5, int), np.zeros(5, int), CLASSES)
    assert s["accuracy"] == 1.0 and s["kappa"] == 0.0


def write_small_db(directory: Path, n_records: int = 3, beats: int = 40) -> Path:
    """A WFDB database of synthetic N, S, V, F beats at 250 Hz (`tests.ecg_synth`)."""
    rng = np.random.default_rng(0)
    for k in range(n_records):
        classes = list(rng.choice(list(CLASSES), beats, p=[0.55, 0.15, 0.2, 0.1]))
        sig, r = beat_sequence(classes, 250, rng)
        write_wfdb(directory, f"p{k}", sig, r, [CLASS_SYMBOL[c] for c in classes], 250)
    return directory


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    return write_small_db(tmp_path_factory.mktemp("db") / "mydb")


def test_a_wfdb_database_is_scored_and_not_logged(small_db, tmp_path):
    before = looks.log_path().read_text()
    r = ev.evaluate(db=small_db, out=tmp_path / "out")
    assert r["look"] is None and r["part"] is None and looks.log_path().read_text() == before
    s = r["scores"]
    assert s["n"] == sum(c["n"] for c in s["per_class"].values()) == np.sum(s["confusion"])
    assert 100 < s["n"] <= 3 * 40 and set(r["per_record"]) == {"p0", "p1", "p2"}
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert files == {"evaluate.json", "evaluate.md", "confusion.png", "per_record.png"}
    on_disk = json.loads((tmp_path / "out" / "evaluate.json").read_text())
    assert on_disk["model_sha256"] == r["model_sha256"] and on_disk["scores"] == s
    assert "| p1 |" in (tmp_path / "out" / "evaluate.md").read_text()


def fake_part(monkeypatch, small_db):
    """MIT-BIH parts replaced by the small database's beats (no MIT-BIH needed)."""
    from ecg_snn.model.contract.artifact import load_artifact

    beats = ev.database_beats(load_artifact(shipped("inter")), small_db, None, "atr")
    seen = []

    def mitbih_beats(artifact, split, part):
        seen.append(part)
        return Beats(beats.x, beats.rr, beats.y, beats.record, beats.rhythm)

    monkeypatch.setattr(ev, "mitbih_beats", mitbih_beats)
    return seen


def test_scoring_the_test_part_logs_a_look_and_ds1_does_not(monkeypatch, small_db, tmp_path):
    seen = fake_part(monkeypatch, small_db)
    before = looks.rows(looks.log_path().read_text())
    ev.evaluate(part="DS1", out=tmp_path / "ds1")
    assert looks.rows(looks.log_path().read_text()) == before
    r = ev.evaluate(out=tmp_path / "ds2")  # the default part of inter: DS2
    assert seen == ["DS1", "DS2"]
    after = looks.rows(looks.log_path().read_text())
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert "DS2: " in after[-1] and f"DS2 look {len(after)} logged" in r["look"]


def test_main_prints_the_figures_and_the_look(monkeypatch, small_db, tmp_path, capsys):
    fake_part(monkeypatch, small_db)
    assert ev.main(["--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "jκ" in out and "DS2 look" in out and "logged in" in out
    last = looks.rows(looks.log_path().read_text())[-1]
    assert "--split inter" in last  # the full command, not only what argv held


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--db", "no/such/folder"], "--db no/such/folder: not a folder"),
        (["--lead", "II"], "--lead (LEAD=) chooses the lead of --db"),
        (["--model", "no_such.json"], "no_such.json"),
        (["--part", "DS1", "--db", "."], "a MIT-BIH part or a database"),
    ],
    ids=["no-db", "lead-without-db", "no-model", "part-and-db"],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ev.main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evaluate: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_database_without_beats_of_the_models_classes_is_one_line(tmp_path, capsys):
    rng = np.random.default_rng(1)
    sig, r = beat_sequence(["N"] * 30, 250, rng)
    write_wfdb(tmp_path / "qdb", "q0", sig, r, ["Q"] * 30, 250)  # Q: no output in inter
    assert ev.main(["--db", str(tmp_path / "qdb"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.split("\n")  # the records' progress bar, then the error
    assert err[-2].startswith("evaluate: error: ") and "class_not_in_model 28" in err[-2]
    assert not err[-1] and not any(line.startswith("Traceback") for line in err)


def test_the_front_door_names_it():
    import ecg_snn
    from ecg_snn import cli

    assert ecg_snn.evaluate is ev.evaluate and "evaluate" in ecg_snn.__all__
    assert cli.COMMANDS["evaluate"][0] == "ecg_snn.model.evaluate:main"


def test_a_part_of_another_split_is_refused(tmp_path, capsys):
    """DS1 holds intra_test beats: scoring it for the intra split would be an unlogged look."""
    assert ev.main(["--split", "intra", "--part", "DS1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "part DS1 is not a part of the intra split" in err and err.count("\n") == 1


def test_a_database_of_ds2_records_is_a_logged_look(tmp_path):
    """A folder holding a record named as a DS2 record (MIT-BIH or a copy of it) is the test
    set: its score is logged; the same beats under another name are not."""
    rng = np.random.default_rng(2)
    classes = list(rng.choice(list(CLASSES), 40, p=[0.55, 0.15, 0.2, 0.1]))
    sig, r = beat_sequence(classes, 250, rng)
    write_wfdb(tmp_path / "copy", "100", sig, r, [CLASS_SYMBOL[c] for c in classes], 250)
    before = looks.rows(looks.log_path().read_text())
    rep = ev.evaluate(db=tmp_path / "copy", out=tmp_path / "o")
    after = looks.rows(looks.log_path().read_text())
    assert rep["part"] == "DS2" and len(after) == len(before) + 1 and rep["look"]
    assert ev.test_records_part(np.array(["p0", "p1"])) is None
