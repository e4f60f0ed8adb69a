"""Patient-wise splits: no record on both sides; split files; class minimums."""

import json

import numpy as np
import pytest

from ecg_snn.model.retrain.discovery import BeatTable
from ecg_snn.model.retrain.errors import RetrainError
from ecg_snn.model.retrain.split import check_counts, patient_split, read_split_file

CLASSES = ("N", "S", "V", "F")


def _table(n_records=8, per=50, seed=0):
    rng = np.random.default_rng(seed)
    n = n_records * per
    return BeatTable(
        window=np.zeros((n, 4), np.int32),
        rr=np.zeros((n, 3), np.int32),
        y=rng.integers(0, 4, n),
        symbol=np.full(n, "N"),
        record=np.repeat([f"p{i}" for i in range(n_records)], per),
        classes=CLASSES,
    )


@pytest.mark.parametrize("n_records", [2, 3, 8, 20], ids=lambda n: f"{n}rec")
def test_no_patient_on_both_sides(n_records):
    table = _table(n_records)
    split = patient_split(table, 0.2, seed=1)
    masks = split.masks(table)
    pairs = [("train", "test"), ("val", "test")]
    if n_records > 3:  # with < 3 training records validation is 10 % of their beats
        assert split.val_by == "patient"
        pairs.append(("train", "val"))
    else:
        assert split.val_by == "beat"
    for a, b in pairs:
        assert not set(table.record[masks[a]]) & set(table.record[masks[b]])
    assert not (masks["train"] & masks["val"]).any()
    assert masks["test"].any() and masks["train"].any() and masks["val"].any()
    assert patient_split(table, 0.2, seed=1) == split  # deterministic


def test_split_file_json(tmp_path):
    table = _table(4)
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"train": ["p0", "p1"], "val": ["p2"], "test": ["p3"]}))
    split = read_split_file(path, table)
    assert (split.train, split.val, split.test) == (("p0", "p1"), ("p2",), ("p3",))
    assert read_split_file(path, _table(6)).left_out == ("p4", "p5")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("p0 train\np0 test\n", "record p0 is in both train and test"),
        ("p0 train\np9 test\n", "names records not in the database: p9"),
        ("p0 train\np1 tset\n", r"s\.txt:2: expected '<record> train\|test\|val'"),
        ("p0 train\n", "needs at least one train and one test record"),
    ],
    ids=["twice", "unknown", "typo", "no-test"],
)
def test_bad_split_files(tmp_path, text, match):
    path = tmp_path / "s.txt"
    path.write_text(text)
    with pytest.raises(RetrainError, match=match):
        read_split_file(path, _table(4))


def test_check_counts_names_every_short_class():
    table = _table(4)
    table.y[:] = 0
    masks = patient_split(table, 0.25).masks(table)
    with pytest.raises(RetrainError, match=r"class S has 0 train beats.*class F has 0 test beats"):
        check_counts(table, masks, 20, 5)
    check_counts(table.take(table.y == 0), {k: m[table.y == 0] for k, m in masks.items()}, 0, 0)


def test_bad_test_fraction():
    with pytest.raises(RetrainError, match=r"--test-fraction is 1\.5"):
        patient_split(_table(4), 1.5)


def test_shipped_mitdb_inter_split_is_de_chazal():
    """model/retrain/mitdb_inter.json: DS1 (4 whole validation records) -> DS2."""
    from pathlib import Path

    from ecg_snn.data.splits import DS1, DS2

    path = Path(__file__).resolve().parents[3] / "model" / "retrain" / "mitdb_inter.json"
    split = json.loads(path.read_text())
    assert sorted(split["train"] + split["val"]) == sorted(DS1)
    assert split["test"] == list(DS2) and len(split["val"]) == 4
