"""The dataset cache: hits, rebuilds on any change of input, and crash-safe writes."""

import hashlib

import numpy as np
import pytest

from ecg_snn.data.beats import BeatConfig
from ecg_snn.data.dataset import build_dataset, load_dataset
from ecg_snn.data.errors import DataError

R = [200, 500, 800, 1100, 1400, 1700]


@pytest.fixture
def db(write_record, tmp_path):
    directory = tmp_path / "db"
    for name, symbols in (("a", "NNVNNN"), ("b", "NANNFN")):
        write_record(name, np.arange(2000) % 97, R, symbols, directory=directory)
    return directory


def build(db, cache_dir, **kwargs):
    return build_dataset(db, cache_dir=cache_dir, progress=False, jobs=1, **kwargs)


def cache_files(cache_dir):
    return sorted(p.name for p in cache_dir.iterdir()) if cache_dir.exists() else []


def test_hit_returns_the_same_arrays(db, tmp_path):
    first = build(db, tmp_path / "cache")
    second = load_dataset(db, cache_dir=tmp_path / "cache", progress=False, jobs=1)
    assert (first.info["cache"], second.info["cache"]) == ("built", "hit")
    for name in ("window", "rr", "label", "symbol", "record", "sample"):
        a, b = getattr(first, name), getattr(second, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert second.leads == {"a": "MLII", "b": "MLII"}
    assert second.dropped == first.dropped and second.annotations == first.annotations


def test_parallel_build_matches_serial(db, tmp_path):
    serial = build_dataset(db, cache_dir=None, progress=False, jobs=1)
    parallel = build_dataset(db, cache_dir=None, progress=False, jobs=2)
    assert np.array_equal(serial.window, parallel.window)
    assert serial.record.tolist() == parallel.record.tolist()


def test_rebuild_on_config_change(db, tmp_path):
    build(db, tmp_path / "cache")
    other = build(db, tmp_path / "cache", config=BeatConfig(before=90, after=166))
    assert other.info["cache"] == "built" and other.window.shape[1] == 256
    assert build(db, tmp_path / "cache").info["cache"] == "hit"  # both configs stay cached


def test_rebuild_on_data_change(db, write_record, tmp_path):
    assert len(build(db, tmp_path / "cache")) == 8
    write_record("b", np.arange(2000) % 97, [*R, 1900], "N" * 7, directory=db)
    changed = build(db, tmp_path / "cache")
    assert changed.info["cache"] == "built" and len(changed) == 9


def test_rebuild_on_checksum_file_change(db, tmp_path):
    def write_sums():
        lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in db.glob("?.*")]
        (db / "SHA256SUMS").write_text("\n".join(sorted(lines)) + "\n")

    write_sums()
    assert build(db, tmp_path / "cache").info["cache"] == "built"
    assert build(db, tmp_path / "cache").info["cache"] == "hit"
    (db / "a.atr").write_bytes((db / "b.atr").read_bytes())
    write_sums()
    assert build(db, tmp_path / "cache").info["cache"] == "built"


def test_rebuild_on_mapping_and_record_change(db, tmp_path):
    build(db, tmp_path / "cache")
    assert build(db, tmp_path / "cache", records=["a"]).info["cache"] == "built"
    assert build(db, tmp_path / "cache", mapping={"N": "N"}).info["cache"] == "built"


def test_crash_while_writing_arrays_leaves_nothing(db, tmp_path, monkeypatch):
    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip file")
        raise KeyboardInterrupt

    monkeypatch.setattr(data.cache.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        build(db, tmp_path / "cache")
    assert cache_files(tmp_path / "cache") == []  # no final file, no temporary left behind
    monkeypatch.undo()
    assert build(db, tmp_path / "cache").info["cache"] == "built"


def test_crash_before_the_manifest_is_never_a_hit(db, tmp_path, monkeypatch):
    def crash(path, obj):
        raise OSError("disk full")

    monkeypatch.setattr(data.cache, "write_json_atomic", crash)
    with pytest.raises(OSError, match="disk full"):
        build(db, tmp_path / "cache")
    assert [p.endswith(".npz") for p in cache_files(tmp_path / "cache")] == [True]
    monkeypatch.undo()
    assert build(db, tmp_path / "cache").info["cache"] == "built"
    assert build(db, tmp_path / "cache").info["cache"] == "hit"


def test_corrupt_arrays_are_rebuilt(db, tmp_path):
    build(db, tmp_path / "cache")
    (npz,) = (tmp_path / "cache").glob("*.npz")
    npz.write_bytes(npz.read_bytes()[:100])
    assert build(db, tmp_path / "cache").info["cache"] == "built"


def test_rebuild_flag_and_cache_off(db, tmp_path):
    build(db, tmp_path / "cache")
    assert build(db, tmp_path / "cache", rebuild=True).info["cache"] == "built"
    assert build(db, None).info["cache"] == "off"
    with pytest.raises(DataError, match="load_dataset needs a cache_dir"):
        load_dataset(db, cache_dir=None)


def test_subset_and_parts_of_a_non_mitdb_database(db, tmp_path):
    ds = build(db, None)
    only_b = ds.subset(ds.record == "b")
    assert only_b.records == ["b"] and set(only_b.record.tolist()) == {"b"}
    assert len(ds.subset(np.array([0, 2]))) == 2
    train, test = ds.part("intra_train"), ds.part("intra_test")
    assert len(train) + len(test) == len(ds)
    with pytest.raises(DataError, match="has none of the DS1 records"):
        ds.part("DS1")
    with pytest.raises(DataError, match="unknown dataset part 'DS3'"):
        ds.part("DS3")
