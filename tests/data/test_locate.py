"""Finding MIT-BIH and the download fallback."""

from pathlib import Path

import pytest

from ecg_snn.data.errors import DataError
from ecg_snn.data.locate import find_mitdb


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    monkeypatch.delenv("MITDB_DIR", raising=False)
    monkeypatch.setattr(data.locate, "candidate_dirs", lambda: [tmp_path / "a", tmp_path / "b"])
    return tmp_path


def test_env_var_wins(tmp_path, monkeypatch):
    (tmp_path / "100.hea").write_text("")
    monkeypatch.setenv("MITDB_DIR", str(tmp_path))
    assert find_mitdb(download=False) == tmp_path


def test_bad_env_var_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MITDB_DIR", str(tmp_path / "missing"))
    with pytest.raises(DataError, match=r"\$MITDB_DIR is .*missing.*does not exist"):
        find_mitdb()


def test_default_places_in_order(nowhere):
    (nowhere / "b").mkdir()
    (nowhere / "b" / "100.hea").write_text("")
    assert find_mitdb(download=False) == nowhere / "b"


def test_not_found_without_download(nowhere):
    with pytest.raises(DataError, match="MIT-BIH not found"):
        find_mitdb(download=False)


def test_download_failure_is_explained(nowhere, monkeypatch):
    def offline(db, target):
        raise ConnectionError("no network")

    monkeypatch.setattr("wfdb.dl_database", offline)
    with pytest.raises(DataError, match=r"downloading MIT-BIH .* failed .*no network"):
        find_mitdb()


def test_checksums_are_verified_once_per_process(mitdb_dir, monkeypatch):
    data.locate.verify_checksums(mitdb_dir)
    monkeypatch.setattr(data.locate, "file_sha256", lambda path: pytest.fail("rehashed"))
    assert data.locate.verify_checksums(mitdb_dir) is True


def test_failed_download_leaves_nothing_behind(nowhere, monkeypatch):
    def half(db, target):
        (Path(target) / "100.hea").write_text("100 2 360 650000\n")  # then the network drops
        raise ConnectionError("reset by peer")

    monkeypatch.setattr("wfdb.dl_database", half)
    with pytest.raises(DataError, match="nothing was kept"):
        find_mitdb()
    assert list(nowhere.iterdir()) == []  # no data/mitdb, no partial folder


def test_download_is_renamed_into_place_when_complete(nowhere, monkeypatch):
    from ecg_snn.data.splits import ALL_RECORDS

    def complete(db, target):
        for r in ALL_RECORDS:
            for ext in ("hea", "dat", "atr"):
                (Path(target) / f"{r}.{ext}").write_text("")

    monkeypatch.setattr("wfdb.dl_database", complete)
    assert find_mitdb() == nowhere / "a"
    assert sorted(p.name for p in nowhere.iterdir()) == ["a"]
