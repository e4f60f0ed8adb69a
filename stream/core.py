"""Raw ECG in, class out: detector -> front end -> classifier on one record.

1. The record's lead (`data.records.read_lead`) at the front end's rate and gain, with the gap
   rule of `data.gaps`: each run of valid samples resampled on its own, the invalid-sample mask
   carried to 360 Hz (`data.resample.resample_lead`; MIT-BIH passes bit-identical).
2. The integer QRS detector (`model/contract/qrs.py`) finds the beats: fiducial R positions.
3. RR intervals from the detections alone (`data.beats.rr_features`, the rule the training data
   used): beat i needs beat i+1 for `next`, so it is classified once the next beat is detected.
   The first and last detection (no RR) and beats whose window leaves the record, has left
   the front end's ring of raw samples when the next beat is decided, or comes within
   `data.gaps.MARGIN_S` of an invalid sample seen by then (a lead-off gap) are written
   unclassified: the rules of `model/contract/beat_window.py`, which the chip's front end
   (`hw/beat_frontend.py`) implements.
4. The integer front end (`model/contract/frontend.py`) and the golden SNN
   (`model/contract/golden.py`) classify each beat; the artifact's rhythm gate
   (`model/contract/patient.py`) may then turn an S into N.
5. The detections are also given at the record's own rate (`source_sample`, nearest sample:
   ``round(sample * fs / 360)``), where the `.snn` annotation file counts them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_snn.data.beats import rr_features
from ecg_snn.data.errors import DataError
from ecg_snn.data.gaps import check_usable
from ecg_snn.data.locate import find_mitdb
from ecg_snn.data.records import FALLBACK_LEADS, Record, read_lead, rescale_samples
from ecg_snn.data.resample import resample_lead
from ecg_snn.model.contract import golden, qrs
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.beat_window import classifiable
from ecg_snn.model.contract.frontend import preprocess_stream
from ecg_snn.model.contract.patient import rhythm_values

UNCLASSIFIED = "?"  # WFDB's "beat not classified" label


@dataclass
class Stream:
    """Every detected beat of one record. `sample` (N,) fiducial R positions at `fs`;
    `cls` (N,) class index or -1 when unclassified; `symbol` (N,) the class letter or `?`;
    `x`, `rr` the chip inputs of the classified beats (`classified` (N,) bool marks them) and
    `chip` the accelerator's classes for them (`cls` is after the rhythm gate);
    `seconds` the host time per stage. `record` is the lead at the detector's rate, `valid`
    (its length) its valid samples; `source` the record as read, `source_valid` its valid
    samples, `source_sample` (N,) the detections at its rate (`source.fs`)."""

    record: Record
    source: Record
    valid: np.ndarray
    source_valid: np.ndarray
    source_sample: np.ndarray
    detections: qrs.Detections
    sample: np.ndarray
    cls: np.ndarray
    symbol: np.ndarray
    classified: np.ndarray
    x: np.ndarray
    rr: np.ndarray
    chip: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Seconds of signal."""
        return len(self.record.signal) / self.record.fs


def load_record(
    which: str, lead: str | None = None, annotator: str = "atr"
) -> tuple[Record, np.ndarray]:
    """A record by MIT-BIH name (`100`) or WFDB path (`path/to/rec`, without extension), with
    its reference beats (`.<annotator>`, default `.atr`) when it has them, else none (a raw
    recording); and the mask (N,) of its valid samples (invalid ones, e.g. a lead-off gap, stay
    in the signal). `lead` None: MLII, else the first of `FALLBACK_LEADS` the record has; a
    lead asked for by name or index is that lead or a `DataError`, never another one."""
    path = Path(which)
    if path.parent != Path() or path.with_suffix(".hea").exists():
        directory, name = path.parent, path.name
    else:
        try:
            directory, name = find_mitdb(download=False), which
        except DataError as e:
            raise DataError(f"record {which!r}: {e}") from e
    has = (Path(directory) / f"{name}.{annotator}").exists()
    fallback = FALLBACK_LEADS if lead is None else ()
    record, bad = read_lead(directory, name, lead or "MLII", fallback, (has and annotator) or None)
    check_usable(record, bad)
    return record, ~bad


def cut(
    record: Record,
    sample: np.ndarray,
    artifact: Artifact,
    valid: np.ndarray,
    decided: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows (M, window) and RR (M, 3) of the beats the chip classifies
    (`model.contract.beat_window.classifiable`: both neighbours, the window inside the record
    and inside the front end's ring of WINDOW_RING samples when the next beat is decided
    (`decided`), no invalid sample the chip has seen within `data.gaps.MARGIN_S` of the window
    or between the neighbours); and which beats (N,) those are."""
    pre = artifact.spec.preprocess
    rr = rr_features(sample, pre.local_rr_beats)
    keep = classifiable(sample, decided, valid, pre)
    keep &= (rr[:, 0] >= 0) & (rr[:, 1] >= 0)  # implied by the rules; kept as the check
    offsets = np.arange(-pre.before, pre.after)
    windows = record.signal[sample[keep, None] + offsets[None, :]].astype(np.int64)
    return windows.reshape(-1, pre.window), rr[keep], keep


def run_stream(artifact: Artifact, record: Record, valid: np.ndarray | None = None) -> Stream:
    """Detect, cut, preprocess and classify every beat of `record` (see module docstring);
    `valid` (N,) marks usable samples (default all), at the record's rate. Raises
    `qrs.QrsError` for a record the detector cannot run on, `DataError` for a bad mask."""
    pre = artifact.spec.preprocess
    source = record
    valid = np.ones(len(record.signal), bool) if valid is None else np.asarray(valid, bool)
    source_valid = valid
    seconds = {}
    t = time.perf_counter()
    record, bad = resample_lead(record, ~valid, pre.fs, pre.gain)  # the gap rule, data.gaps
    valid = ~bad
    seconds["resample"] = time.perf_counter() - t
    t = time.perf_counter()
    det = qrs.detect(record.signal, record.fs, valid)
    seconds["detect"] = time.perf_counter() - t
    t = time.perf_counter()
    windows, rr3, keep = cut(record, det.sample, artifact, valid, det.decided)
    x, rr = preprocess_stream(pre, windows, rr3)  # one record = one patient, in time order
    seconds["frontend"] = time.perf_counter() - t
    t = time.perf_counter()
    cls = np.full(len(det), -1, np.int64)
    chip = np.zeros(0, np.int64)
    if len(x):  # the chip's class, then the host's rhythm gate (model/contract/patient.py)
        chip = golden.run(artifact, x, rr).cls
        spec = artifact.spec
        cls[keep] = spec.reported(chip, rhythm_values(pre, rr3))
    seconds["classify"] = time.perf_counter() - t
    names = np.array([*artifact.spec.classes, UNCLASSIFIED])
    n_source = len(source.signal)
    return Stream(
        record=record,
        source=source,
        valid=valid,
        source_valid=source_valid,
        source_sample=rescale_samples(det.sample, record.fs, source.fs, n_source),
        detections=det,
        sample=det.sample,
        cls=cls,
        symbol=names[cls],  # -1 picks the last: `?`
        classified=keep,
        x=x,
        rr=rr,
        chip=chip,
        seconds=seconds,
    )
