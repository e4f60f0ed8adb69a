"""Lead-off gaps: one rule for every reader of a record (retrain, adapt, stream).

A gap is a run of invalid samples (WFDB's invalid code, NaN in a multi-segment record), as
`data.records.read_lead` marks them in its mask `bad`. The rule:

1. *mark* the gap: `read_lead` returns the mask beside the signal;
2. *resample the segments*: every run of valid samples is resampled on its own
   (`data.resample.resample_lead`), so the anti-aliasing filter never reaches into a gap;
3. *carry the mask*: an output sample whose time falls in a gap is invalid at the new rate;
4. *skip the beats near the gap*: a beat whose window ``[r - before, r + after)`` comes within
   `MARGIN_S` of an invalid sample is not used (dropped as ``nan_window`` when cutting training
   beats; written unclassified by the stream, which counts only the invalid samples seen by
   the time the beat leaves the chip: `model/contract/beat_window.py`). RR features still
   come from the annotations (or detections) on both sides, which a gap in the signal does
   not move.

MARGIN_S covers a filter's settling after the jump from the held value at the gap's end (the
QRS detector's band pass reaches 178 ms back, but its fiducial is searched in the 161 ms
window before a peak; the front end's window itself is what matters for the classifier).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ecg_snn.data.beats import BeatConfig, Beats, extract_beats
from ecg_snn.data.errors import DataError
from ecg_snn.data.records import Record, check_samples
from ecg_snn.data.resample import resample_lead

MARGIN_S = 0.1  # seconds kept clear of an invalid sample on each side of a beat window


def check_usable(record: Record, bad: np.ndarray) -> None:
    """Refuse a lead with fewer than two valid samples or flat over its valid ones (as
    `data.records.check_samples` words it); gaps themselves are not an error."""
    good = np.flatnonzero(~bad)
    if len(good) < 2 or np.ptp(record.signal[good]) == 0:
        check_samples(record, bad)
        raise DataError(f"record {record.name} lead {record.lead} has fewer than 2 valid samples")


def near_gaps(bad: np.ndarray, fs: float, margin_s: float = MARGIN_S) -> np.ndarray:
    """Samples (at `fs`) within `margin_s` of an invalid sample of `bad` (same rate)."""
    bad = np.asarray(bad, bool)
    margin = int(np.ceil(margin_s * fs))
    if not bad.any():
        return bad.copy()
    prefix = np.concatenate([[0], np.cumsum(bad)])
    k = np.arange(len(bad))
    lo, hi = np.clip(k - margin, 0, len(bad)), np.clip(k + margin + 1, 0, len(bad))
    return prefix[hi] - prefix[lo] > 0


def windows_touching(sample: np.ndarray, before: int, after: int, near: np.ndarray) -> np.ndarray:
    """For each beat at `sample`: does ``[sample - before, sample + after)`` hold a sample
    marked in `near` (indices outside the signal are not marked)?"""
    prefix = np.concatenate([[0], np.cumsum(near)])
    lo = np.clip(np.asarray(sample) - before, 0, len(near))
    hi = np.clip(np.asarray(sample) + after, 0, len(near))
    return prefix[hi] - prefix[lo] > 0


def beats_around_gaps(
    record: Record, bad: np.ndarray, config: BeatConfig, mapping: Mapping[str, str] | None = None
) -> tuple[Beats, dict[str, int]]:
    """`extract_beats` with the gap rule (module docstring): the record resampled segment by
    segment, the beats near an invalid sample dropped and counted as ``nan_window``."""
    check_usable(record, bad)
    record, bad = resample_lead(record, bad, config.fs, config.gain)
    beats, dropped = extract_beats(record, config, mapping)
    hit = windows_touching(beats.sample, config.before, config.after, near_gaps(bad, config.fs))
    dropped["nan_window"] = int(hit.sum())
    keep = ~hit
    kept = Beats(
        beats.window[keep], beats.rr[keep], beats.label[keep], beats.symbol[keep],
        beats.sample[keep],
    )  # fmt: skip
    return kept, dropped
