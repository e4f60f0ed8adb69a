"""Every kind of bad input is a DataError whose message says what is wrong."""

import hashlib
import shutil

import numpy as np
import pytest

from ecg_snn.data.beats import extract_beats
from ecg_snn.data.database import list_records, read_database
from ecg_snn.data.dataset import build_dataset
from ecg_snn.data.errors import DataError
from ecg_snn.data.locate import verify_checksums
from ecg_snn.data.records import read_record

R = [200, 500, 800, 1100, 1400, 1700]


@pytest.fixture
def good(write_record, tmp_path):
    """A valid two-lead record 'rec' (V1, MLII) in tmp_path/db."""
    signal = np.stack([np.arange(2000) % 97, np.arange(2000) % 89], axis=1)
    return write_record("rec", signal, R, "N" * 6, leads=("V1", "MLII"), directory=tmp_path / "db")


def test_good_record_reads(good):
    record = read_record(good, "rec")
    assert record.lead == "MLII" and record.fs == 360 and record.signal.dtype == np.int32
    assert record.signal[:3].tolist() == [0, 1, 2]  # the 2nd signal, as integers


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match=r"directory .*nope does not exist"):
        read_record(tmp_path / "nope", "rec")
    with pytest.raises(DataError, match=r"directory .*nope does not exist"):
        list_records(tmp_path / "nope")
    with pytest.raises(DataError, match=r"directory .*nope does not exist"):
        build_dataset(tmp_path / "nope", cache_dir=None, progress=False)


def test_directory_without_records(tmp_path):
    with pytest.raises(DataError, match="holds no WFDB records"):
        list_records(tmp_path)


@pytest.mark.parametrize(
    ("suffix", "match"),
    [
        (".hea", r"header file .*rec\.hea is missing"),
        (".dat", r"signal file .*rec\.dat of record rec is missing"),
        (".atr", r"annotation file .*rec\.atr is missing"),
    ],
    ids=["hea", "dat", "atr"],
)
def test_missing_file(good, suffix, match):
    (good / f"rec{suffix}").unlink()
    with pytest.raises(DataError, match=match):
        read_record(good, "rec")


def test_truncated_dat(good):
    dat = good / "rec.dat"
    dat.write_bytes(dat.read_bytes()[:1000])
    with pytest.raises(
        DataError, match=r"rec\.dat is truncated: 1000 bytes, the header needs 8000"
    ):
        read_record(good, "rec")


def test_corrupt_annotation_file(good):
    (good / "rec.atr").write_bytes(b"\xff" * 7)
    with pytest.raises(DataError, match=r"cannot read annotation file .*rec\.atr"):
        read_record(good, "rec")


def test_corrupt_header(good):
    (good / "rec.hea").write_text("rec two 360 abc\n")
    with pytest.raises(DataError, match=r"cannot parse header .*rec\.hea"):
        read_record(good, "rec")


def sums_for(directory):
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}"
        for p in sorted(directory.glob("rec.*"))
    ]
    (directory / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def test_checksum_mismatch(good):
    sums_for(good)
    assert verify_checksums(good) is True
    data = bytearray((good / "rec.dat").read_bytes())
    data[10] ^= 0xFF
    (good / "rec.dat").write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"rec\.dat does not match its SHA256SUMS entry"):
        verify_checksums(good)
    with pytest.raises(DataError, match="does not match its SHA256SUMS"):
        build_dataset(good, cache_dir=None, progress=False, jobs=1)


def test_checksum_listed_file_missing(good):
    sums_for(good)
    (good / "rec.atr").unlink()
    with pytest.raises(DataError, match=r"rec\.atr is listed in SHA256SUMS but missing"):
        verify_checksums(good)


def test_malformed_sums_file(good):
    (good / "SHA256SUMS").write_text("not a checksum line\n")
    with pytest.raises(DataError, match="line 1 is not"):
        verify_checksums(good)


def test_no_sums_file_means_nothing_to_verify(good):
    assert verify_checksums(good) is False


def test_unknown_annotation_symbols_are_counted(write_record, tmp_path):
    # documented choice: skipped and counted, not fatal (see data.aami)
    directory = write_record("rec", np.arange(2000) % 97, R, "NNZNNN")
    record = read_record(directory, "rec")
    assert record.ann_symbol.tolist() == list("NNZNNN")
    beats, dropped = extract_beats(record)
    assert dropped["unknown_symbol"] == 1 and len(beats) == 3


def test_annotations_past_the_end_are_counted(write_record, tmp_path):
    # documented choice: skipped and counted, not fatal (see data.beats)
    directory = write_record("rec", np.arange(2000) % 97, [*R, 2000, 2400], "N" * 8)
    beats, dropped = extract_beats(read_record(directory, "rec"))
    assert dropped["outside_signal"] == 2 and len(beats) == 4


def test_record_without_the_requested_lead(write_record):
    directory = write_record("rec", np.stack([np.arange(2000) % 97] * 2, 1), R, "N" * 6,
                             leads=("ECG1", "ECG2"))  # fmt: skip
    with pytest.raises(DataError, match=r"no lead 'MLII' .*its leads are \['ECG1', 'ECG2'\]"):
        read_record(directory, "rec")
    assert read_record(directory, "rec", lead="ecg2").lead == "ECG2"  # case-insensitive


@pytest.mark.parametrize("fmt", ["16", "212"], ids=["fmt16", "fmt212"])
def test_invalid_samples(write_record, fmt):
    invalid = {"16": -32768, "212": -2048}[fmt]
    signal = np.arange(2000) % 97
    signal[[700, 701]] = invalid
    directory = write_record("rec", signal, R, "N" * 6, fmt=fmt)
    with pytest.raises(DataError, match="2 invalid \\(NaN\\) samples, the first at sample 700"):
        read_record(directory, "rec")


def test_flat_signal(write_record):
    directory = write_record("rec", np.full(2000, 5), R, "N" * 6)
    with pytest.raises(DataError, match="lead MLII is flat"):
        read_record(directory, "rec")


@pytest.mark.parametrize("fs", [50, 99], ids=["50Hz", "99Hz"])
def test_unsupported_sampling_rate(write_record, fs):
    directory = write_record("rec", np.arange(2000) % 97, R, "N" * 6, fs=fs)
    with pytest.raises(DataError, match=f"sampled at {fs} Hz; at least 100 Hz"):
        read_record(directory, "rec")


def test_read_database_discovers_records(good, write_record):
    write_record("other", np.arange(2000) % 97, R, "N" * 6, directory=good)
    assert [r.name for r in read_database(good)] == ["other", "rec"]
    (good / "RECORDS").write_text("rec\n")
    assert [r.name for r in read_database(good)] == ["rec"]


def test_bad_record_in_a_database_names_it(good, tmp_path):
    shutil.copy(good / "rec.hea", good / "copy.hea")
    with pytest.raises(DataError, match=r"copy\.atr is missing"):
        list(read_database(good))
