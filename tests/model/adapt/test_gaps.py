"""The gap rule of `data.gaps` in adapt and retrain: a lead-off stretch in a 250 Hz record drops
the beats near it, not the record (adapt used to refuse the record, retrain to skip it when it
needed resampling)."""

from __future__ import annotations

import numpy as np

from ecg_snn.model.adapt.beats import read_patient
from ecg_snn.model.retrain.discovery import read_beats


def lead_off(folder, name: str, fs: int, start_s: float, stop_s: float) -> int:
    """Overwrite [start_s, stop_s) of a format-16 record with WFDB's invalid code."""
    dat = folder / f"{name}.dat"
    x = np.fromfile(dat, "<i2")
    x[int(start_s * fs) : int(stop_s * fs)] = -32768
    x.tofile(dat)
    return int(stop_s * fs) - int(start_s * fs)


def test_adapt_keeps_a_record_with_a_gap_and_drops_the_beats_near_it(write_record, base):
    db = write_record(fs=250)
    pre, classes = base.spec.preprocess, base.spec.classes
    whole = read_patient(db, "p1", pre, classes, minutes=1, resample=True)
    lead_off(db, "p1", 250, 100, 106)
    gapped = read_patient(db, "p1", pre, classes, minutes=1, resample=True)
    assert gapped.dropped["nan_window"] > 0
    lost = len(whole.y) - len(gapped.y)
    assert lost == gapped.dropped["nan_window"]
    assert 6 <= lost <= 11  # ~6 s of beats at 0.8 s, with the 0.1 s margins and window
    near = (gapped.seconds > 100 - 0.8) & (gapped.seconds < 106 + 0.8)
    assert not near.any()


def test_retrain_keeps_a_record_with_a_gap_at_another_rate(write_record, base):
    db = write_record(fs=250)
    lead_off(db, "p1", 250, 100, 106)
    table = read_beats(db, base.spec.preprocess, base.spec.classes, progress=False)
    assert table.summary["records_used"] == 1 and not table.summary["records_skipped"]
    assert 6 <= table.summary["beats_dropped"]["by_reason"]["nan_window"] <= 11
    assert len(table.y) > 200
