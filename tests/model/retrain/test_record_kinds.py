"""Issue 29's record kinds as `make retrain` meets them, each written here: a header gain of 0
(said, not silently assumed), a record whose annotation file has no beat inside the signal (no
traceback: the record simply gives no beats), and the refusal wording for a missing lead."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from ecg_snn.data.errors import DataError
from ecg_snn.model.retrain.discovery import check_headers


def test_gain_zero_is_reported_to_the_user(write_db, run_cli, tmp_path):
    db = write_db(fs=250, n_records=4, beats=40)
    hea = db / "r01.hea"
    hea.write_text(hea.read_text().replace("200.0(0)/mV", "0(0)/mV").replace("200(0)/mV", "0/mV"))
    status, _, err = run_cli("--db", str(db), "--epochs", "0", "--name", "g0",
                             "--min-train-beats", "1", "--min-test-beats", "0")  # fmt: skip
    assert status == 0, err
    assert "give lead gain 0 (uncalibrated: r01); 200 ADC units per mV was assumed" in err


def test_a_record_with_no_beat_inside_the_signal_is_no_traceback(write_db, run_cli):
    db = write_db(fs=250, n_records=4, beats=40)
    n = wfdb.rdheader(str(db / "r03")).sig_len
    (db / "r03.atr").unlink()
    wfdb.wrann("r03", "atr", np.array([n, n + 7]), symbol=["N", "N"], write_dir=str(db))
    status, _, err = run_cli("--db", str(db), "--epochs", "0", "--name", "past",
                             "--min-train-beats", "1", "--min-test-beats", "0")  # fmt: skip
    assert "Traceback" not in err
    assert status == 0, err


def test_a_missing_lead_family_is_worded_plainly(write_db):
    db = write_db(fs=250, n_records=1, beats=10, leads=("ECG", "ECG1"))
    with pytest.raises(DataError, match="have none of the leads MLII, II"):
        check_headers(db, ["r00"], None, "atr")
