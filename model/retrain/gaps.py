"""Records with invalid (NaN) stretches: keep the beats away from the gaps.

`data.records.read_record` refuses a lead with any invalid sample, which is right for MIT-BIH but
would throw away a whole Holter recording for one lead-off gap. Here each invalid run of a lead
read by `data.records.read_lead` is bridged by linear interpolation *only* so that the
resampler sees a finite signal, and every beat whose window (at the model's rate) comes within
`MARGIN_S` of an invalid sample is dropped and counted as ``nan_window``. The beats that remain
never saw a bridged sample, not even through the resampling filter (whose reach at these rates
is shorter than the margin), and their RR features come from the annotations, which a gap in
the signal does not change.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.data.beats import BeatConfig, Beats, extract_beats
from ecg_snn.data.records import Record, check_samples

MARGIN_S = 0.1  # seconds kept clear of an invalid sample on each side of a beat window


def bridge_gaps(record: Record, bad: np.ndarray) -> Record:
    """`record` with every invalid run (`bad`) linearly interpolated from its valid neighbours.

    Raises `DataError` (as `data.records.check_samples` words it) when fewer than two samples
    are valid or the valid ones are flat: nothing is left to bridge from."""
    signal = record.signal.astype(np.int64)
    good = np.flatnonzero(~bad)
    if len(good) < 2 or np.ptp(signal[good]) == 0:
        check_samples(record, bad)
    bridged = signal.copy()
    bridged[bad] = np.rint(np.interp(np.flatnonzero(bad), good, signal[good])).astype(np.int64)
    return dataclasses.replace(record, signal=bridged.astype(np.int32))


def near_gaps(bad: np.ndarray, fs: float, fs_out: int, margin_s: float = MARGIN_S) -> np.ndarray:
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
