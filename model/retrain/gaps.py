"""Records with invalid (NaN) stretches: keep the beats away from the gaps.

`data.records.read_record` refuses a lead with any invalid sample, which is right for MIT-BIH but
would throw away a whole Holter recording for one lead-off gap. Here such a record is read again
directly with wfdb, each invalid run is bridged by linear interpolation *only* so that the
resampler sees a finite signal, and every beat whose window (at the model's rate) comes within
`MARGIN_S` of an invalid sample is dropped and counted as ``nan_window``. The beats that remain
never saw a bridged sample, not even through the resampling filter (whose reach at these rates
is shorter than the margin), and their RR features come from the annotations, which a gap in
the signal does not change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import wfdb
from wfdb.io._signal import INVALID_SAMPLE_VALUE

from data.beats import BeatConfig, Beats, extract_beats
from data.records import Record, pick_lead

MARGIN_S = 0.1  # seconds kept clear of an invalid sample on each side of a beat window


def read_with_gaps(
    directory: Path, name: str, lead: str, fallback: tuple[str, ...], annotator: str
) -> tuple[Record, np.ndarray] | None:
    """(record with its invalid runs bridged, mask of the invalid samples), or None when the
    lead has no invalid sample or nothing else (then the record's problem is something else)."""
    base = str(Path(directory) / name)
    try:
        header = wfdb.rdheader(base)
        where = pick_lead(header.sig_name, lead, fallback)
        if where is None:
            return None
        rec = wfdb.rdrecord(base, physical=False, channels=[where])
        ann = wfdb.rdann(base, annotator)
    except Exception:  # the caller reports the original, more specific error
        return None
    signal = np.asarray(rec.d_signal[:, 0]).astype(np.int64)
    code = INVALID_SAMPLE_VALUE.get(header.fmt[where])
    bad = signal == code if code is not None else np.zeros(len(signal), bool)
    good = np.flatnonzero(~bad)
    if not bad.any() or len(good) < 2 or np.ptp(signal[good]) == 0:
        return None
    bridged = signal.copy()
    bridged[bad] = np.rint(np.interp(np.flatnonzero(bad), good, signal[good])).astype(np.int64)
    record = Record(
        name=name,
        fs=int(header.fs),
        lead=header.sig_name[where],
        signal=bridged.astype(np.int32),
        adc_gain=float(header.adc_gain[where]),
        ann_sample=np.asarray(ann.sample, dtype=np.int64),
        ann_symbol=np.asarray(ann.symbol, dtype="<U1"),
        baseline=int(header.baseline[where]),
    )
    return record, bad


def near_gaps(bad: np.ndarray, fs: int, fs_out: int, margin_s: float = MARGIN_S) -> np.ndarray:
    """Boolean mask at `fs_out` of the samples within `margin_s` of an invalid sample at `fs`."""
    ratio = fs_out / fs
    length = int(np.ceil(len(bad) * ratio)) + 1
    margin = int(np.ceil(margin_s * fs_out))
    edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # runs [start, end)
    delta = np.zeros(length + 1, np.int64)
    np.add.at(delta, np.clip(np.floor(starts * ratio).astype(int) - margin, 0, length), 1)
    np.add.at(delta, np.clip(np.ceil(ends * ratio).astype(int) + margin, 0, length), -1)
    return np.cumsum(delta)[:length] > 0


def beats_around_gaps(
    record: Record, bad: np.ndarray, config: BeatConfig, mapping: dict[str, str]
) -> tuple[Beats, dict[str, int]]:
    """`extract_beats` on a bridged record, minus (and counting) the beats near invalid samples."""
    beats, dropped = extract_beats(record, config, mapping)
    touched = near_gaps(bad, record.fs, config.fs)
    prefix = np.concatenate([[0], np.cumsum(touched)])
    lo = np.clip(beats.sample - config.before, 0, len(touched))
    hi = np.clip(beats.sample + config.after, 0, len(touched))
    hit = prefix[hi] - prefix[lo] > 0
    dropped["nan_window"] = int(hit.sum())
    keep = ~hit
    kept = Beats(
        beats.window[keep], beats.rr[keep], beats.label[keep], beats.symbol[keep],
        beats.sample[keep],
    )  # fmt: skip
    return kept, dropped
