"""The real MIT-BIH dataset against the published figures (REFERENCES.md section 3)."""

import numpy as np
import pytest
import wfdb

from ecg_snn.data.aami import class_counts
from ecg_snn.data.beats import DROP_REASONS
from ecg_snn.data.records import read_record
from ecg_snn.data.report import make_report
from ecg_snn.data.splits import DS1, DS2, PACED

PUBLISHED = {
    "DS1": {"N": 45866, "S": 944, "V": 3788, "F": 415, "Q": 8},
    "DS2": {"N": 44259, "S": 1837, "V": 3221, "F": 388, "Q": 7},
    "all": {"N": 90631, "S": 2781, "V": 7236, "F": 803, "Q": 8043},
}


@pytest.mark.parametrize("group", ["DS1", "DS2", "all"])
def test_annotation_counts_match_the_published_table(mitdb_dataset, group):
    report = make_report(mitdb_dataset, 0.0)
    assert report["annotations_per_class"][group] == PUBLISHED[group]


def test_every_dropped_beat_is_accounted_for(mitdb_dataset):
    ds = mitdb_dataset
    dropped = {k: sum(d[k] for d in ds.dropped.values()) for k in DROP_REASONS}
    print("dropped:", dropped, "kept:", len(ds))
    assert len(ds) + sum(dropped.values()) == 109494
    assert dropped["no_rr"] == 2 * 48  # first and last beat of each record
    assert dropped["unknown_symbol"] == dropped["unmapped_beat"] == 0


def test_shapes_and_types(mitdb_dataset):
    ds = mitdb_dataset
    n = len(ds)
    assert ds.window.shape == (n, 256) and ds.window.dtype == np.int32
    assert ds.rr.shape == (n, 3) and ds.rr.dtype == np.int32 and ds.rr.min() > 0
    assert ds.label.dtype == np.int8 and ds.symbol.dtype == np.dtype("<U1")
    assert ds.record.dtype == np.dtype("<U8") and ds.sample.dtype == np.int64
    assert len(ds.records) == 48 and ds.window.min() >= 0 and ds.window.max() < 2048  # 11 bit


def test_leads_follow_the_headers(mitdb_dir, mitdb_dataset):
    for name in ("102", "104"):
        assert wfdb.rdheader(str(mitdb_dir / name)).sig_name == ["V5", "V2"]
    assert wfdb.rdheader(str(mitdb_dir / "114")).sig_name == ["V5", "MLII"]
    others = {r: lead for r, lead in mitdb_dataset.leads.items() if r not in ("102", "104")}
    assert mitdb_dataset.leads["102"] == mitdb_dataset.leads["104"] == "V5"
    assert set(others.values()) == {"MLII"}


def test_record_114_reads_its_second_signal(mitdb_dir):
    record = read_record(mitdb_dir, "114")
    raw = wfdb.rdrecord(str(mitdb_dir / "114"), physical=False, sampto=1000)
    assert record.lead == "MLII"
    assert np.array_equal(record.signal[:1000], raw.d_signal[:, 1])


def test_parts(mitdb_dataset):
    ds = mitdb_dataset
    ds1, ds2 = ds.part("DS1"), ds.part("DS2")
    assert set(ds1.record.tolist()) == set(DS1) and set(ds2.record.tolist()) == set(DS2)
    assert not set(ds1.record.tolist()) & set(ds2.record.tolist())
    assert not (set(ds1.record.tolist()) | set(ds2.record.tolist())) & set(PACED)
    assert sorted(ds1.leads) == sorted(DS1) and sorted(ds1.annotations) == sorted(DS1)
    train, test = ds.part("intra_train"), ds.part("intra_test")
    assert len(train) + len(test) == len(ds)
    n_train, n_test = class_counts(train.label), class_counts(test.label)
    for c in n_train:
        assert n_test[c] == round((n_train[c] + n_test[c]) * 0.2)
    print("intra test per class:", n_test)


def test_the_rr_features_of_record_100(mitdb_dir, mitdb_dataset):
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    beats = np.array([s for s, y in zip(ann.sample, ann.symbol, strict=True) if y != "+"])
    ds = mitdb_dataset.subset(mitdb_dataset.record == "100")
    assert ds.sample.tolist() == beats[1:-1].tolist()
    assert ds.rr[:, 0].tolist() == np.diff(beats)[:-1].tolist()
    assert ds.rr[:, 1].tolist() == np.diff(beats)[1:].tolist()
    i = 20  # index in `beats` of a beat with ten previous intervals
    assert ds.rr[i - 1, 2] == (beats[i] - beats[i - 10]) // 10
