"""Read one patient's record and cut it into labelled calibration beats and the rest.

The record is read the way the retraining reads a database (`model.retrain.discovery`:
`check_headers` for the lead and the rate, `data.records.read_lead` and the gap rule of
`data.gaps`: a lead-off gap drops only the beats near it, not the record;
`data.beats.extract_beats` with the base artifact's `Preprocess.beat_config`, classes the model
has no output for dropped),
so every beat is exactly what the chip's firmware front end would hand the chip. The labelled
part is the beats whose R peak lies in the first `minutes` of the record, or the first `beats`
kept beats; everything after it is the rest (what the evaluation scores).

Bad input is an `AdaptError` (or a `data.errors.DataError` from the reader) naming the remedy:
a record shorter than the requested minutes, fewer kept beats than requested, a lead the
record lacks, a sampling rate other than the chip's front end without ``resample=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.data.aami import CLASSES
from ecg_snn.data.gaps import beats_around_gaps
from ecg_snn.data.records import FALLBACK_LEADS, read_lead
from ecg_snn.model.adapt.errors import AdaptError
from ecg_snn.model.contract.frontend import preprocess_beats
from ecg_snn.model.contract.patient import rhythm_values
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.retrain.discovery import FLAT_MV, check_headers


@dataclass(frozen=True)
class RecordBeats:
    """The kept beats of one record in time order, as chip inputs.

    x (N, 1, n_samples) and rr (N, n_rr) int64 chip inputs (`model.contract.frontend`),
    y (N,) int64 index into the model's classes, seconds (N,) float R-peak time from the start
    of the record; `labelled` (N,) bool marks the calibration beats; `rhythm` (N,) the rhythm
    gate's measure (`model.contract.patient`). `gain_assumed`: the header gives gain 0
    (uncalibrated) and 200 ADC units per mV was assumed.
    """

    name: str
    lead: str
    fs: int
    duration_s: float
    x: np.ndarray
    rr: np.ndarray
    y: np.ndarray
    seconds: np.ndarray
    labelled: np.ndarray
    dropped: dict
    rhythm: np.ndarray
    gain_assumed: bool = False

    def part(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x, rr, y, rhythm) of the beats in `mask`."""
        return self.x[mask], self.rr[mask], self.y[mask], self.rhythm[mask]


def read_patient(
    directory: Path | str,
    name: str,
    pre: Preprocess,
    classes: tuple[str, ...],
    *,
    minutes: float | None = 5.0,
    beats: int | None = None,
    lead: str | None = None,
    annotator: str = "atr",
    resample: bool = False,
) -> RecordBeats:
    """Record `name` of `directory` as chip inputs, its first `minutes` (or `beats`) labelled.

    Raises `AdaptError` for a record shorter than `minutes`, fewer kept beats than `beats`, or
    a rate other than `pre.fs` (unless `resample`); `DataError` for a missing lead or file."""
    directory = Path(directory)
    if (minutes is None) == (beats is None):
        raise AdaptError("give either minutes or beats of labelled data, not both")
    if not (directory / f"{name}.hea").is_file():
        raise AdaptError(f"no record {name!r} in {directory} (no {name}.hea)")
    skipped = check_headers(directory, [name], lead, annotator)
    if name in skipped:
        raise AdaptError(f"record {name}: {skipped[name]}")
    fallback = () if lead else FALLBACK_LEADS
    rec, bad = read_lead(directory, name, lead or "MLII", fallback, annotator)
    if rec.fs != pre.fs and not resample:
        raise AdaptError(
            f"record {name} is sampled at {rec.fs} Hz but the chip's front end takes {pre.fs} Hz "
            f"(Preprocess.fs of the base artifact): the adapted model would calibrate on other "
            f"samples than the device delivers. Record at {pre.fs} Hz, or pass --resample if "
            f"the device's firmware resamples to {pre.fs} Hz"
        )
    duration = len(rec.signal) / rec.fs
    if minutes is not None and minutes <= 0:
        raise AdaptError(f"--minutes must be positive, not {minutes:g}")
    if minutes is not None and duration < 60 * minutes:
        raise AdaptError(
            f"record {name} lasts {duration / 60:.2f} minutes, shorter than the {minutes:g} "
            f"labelled minutes requested: pass --minutes below {duration / 60:.2f} or --beats"
        )
    config = pre.beat_config()
    cut, dropped = beats_around_gaps(rec, bad, config)
    model_index = np.array([classes.index(c) if c in classes else -1 for c in CLASSES])
    y = model_index[cut.label.astype(np.int64)]
    flat = np.ptp(cut.window, axis=1) < FLAT_MV * pre.gain
    keep = (y >= 0) & ~flat
    dropped = {
        **dropped,
        "class_not_in_model": int(np.count_nonzero(y < 0)),
        "flat_window": int(np.count_nonzero((y >= 0) & flat)),
    }
    # the patient features run over every cut beat in time order (the device's front end sees
    # the beats the model cannot classify too), then the usable ones are kept
    x, rr = preprocess_beats(pre, cut.window, cut.rr, None, keep)
    seconds = cut.sample[keep] / config.fs
    if beats is not None:
        if beats < 1 or keep.sum() <= beats:
            raise AdaptError(
                f"record {name} has {int(keep.sum())} usable beats; {beats} labelled beats "
                "requested (some must remain to classify): pass a smaller --beats"
            )
        labelled = np.arange(int(keep.sum())) < beats
    else:
        labelled = seconds < 60 * minutes
    return RecordBeats(
        name=name,
        lead=rec.lead,
        fs=rec.fs,
        duration_s=duration,
        x=x,
        rr=rr,
        y=y[keep],
        seconds=seconds,
        labelled=labelled,
        dropped=dropped,
        rhythm=rhythm_values(pre, cut.rr)[keep],
        gain_assumed=rec.gain_assumed,
    )
