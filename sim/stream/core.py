"""Raw ECG in, class out: detector -> front end -> classifier on one record.

1. The record's lead (`data.records.read_record`) at the front end's rate and gain
   (`data.resample.resample_record`; MIT-BIH passes bit-identical).
2. The integer QRS detector (`model/contract/qrs.py`) finds the beats: fiducial R positions.
3. RR intervals from the detections alone (`data.beats.rr_features`, the rule the training data
   used): beat i needs beat i+1 for `next`, so it is classified once the next beat is detected.
   The first and last detection (no RR) and beats whose window leaves the record are written
   unclassified (`?`).
4. The integer front end (`model/contract/frontend.py`) and the golden SNN
   (`model/contract/golden.py`) classify each beat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from data.beats import rr_features
from data.errors import DataError
from data.locate import find_mitdb
from data.records import Record, read_record
from data.resample import resample_record
from model.contract import golden, qrs
from model.contract.artifact import Artifact
from model.contract.frontend import preprocess

UNCLASSIFIED = "?"  # WFDB's "beat not classified" label


@dataclass
class Stream:
    """Every detected beat of one record. `sample` (N,) fiducial R positions at `fs`;
    `cls` (N,) class index or -1 when unclassified; `symbol` (N,) the class letter or `?`;
    `x`, `rr` the chip inputs of the classified beats (`classified` (N,) bool marks them);
    `seconds` the host time per stage."""

    record: Record
    detections: qrs.Detections
    sample: np.ndarray
    cls: np.ndarray
    symbol: np.ndarray
    classified: np.ndarray
    x: np.ndarray
    rr: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Seconds of signal."""
        return len(self.record.signal) / self.record.fs


def load_record(which: str, lead: str = "MLII") -> Record:
    """A record by MIT-BIH name (`100`) or WFDB path (`path/to/rec`, without extension); its
    reference beats (`.atr`) when it has them, else none (a raw recording)."""
    path = Path(which)
    if path.parent != Path() or path.with_suffix(".hea").exists():
        directory, name = path.parent, path.name
    else:
        try:
            directory, name = find_mitdb(download=False), which
        except DataError as e:
            raise DataError(f"record {which!r}: {e}") from e
    annotator = "atr" if (Path(directory) / f"{name}.atr").exists() else None
    return read_record(directory, name, lead=lead, annotator=annotator)


def cut(record: Record, sample: np.ndarray, artifact: Artifact) -> tuple[np.ndarray, np.ndarray]:
    """Windows (M, window) and RR (M, 3) of the beats that have both; and which beats (N,)."""
    pre = artifact.spec.preprocess
    rr = rr_features(sample, pre.local_rr_beats)
    keep = (rr[:, 0] >= 0) & (rr[:, 1] >= 0)
    keep &= (sample - pre.before >= 0) & (sample + pre.after <= len(record.signal))
    offsets = np.arange(-pre.before, pre.after)
    windows = record.signal[sample[keep, None] + offsets[None, :]].astype(np.int64)
    return windows.reshape(-1, pre.window), rr[keep], keep


def run_stream(artifact: Artifact, record: Record) -> Stream:
    """Detect, cut, preprocess and classify every beat of `record` (see module docstring).
    Raises `qrs.QrsError` for a record the detector cannot run on."""
    pre = artifact.spec.preprocess
    seconds = {}
    t = time.perf_counter()
    record = resample_record(record, pre.fs, pre.gain)
    seconds["resample"] = time.perf_counter() - t
    t = time.perf_counter()
    det = qrs.detect(record.signal, record.fs)
    seconds["detect"] = time.perf_counter() - t
    t = time.perf_counter()
    windows, rr3, keep = cut(record, det.sample, artifact)
    x, rr = preprocess(pre, windows, rr3)
    seconds["frontend"] = time.perf_counter() - t
    t = time.perf_counter()
    cls = np.full(len(det), -1, np.int64)
    if len(x):
        cls[keep] = golden.run(artifact, x, rr).cls
    seconds["classify"] = time.perf_counter() - t
    names = np.array([*artifact.spec.classes, UNCLASSIFIED])
    return Stream(
        record=record,
        detections=det,
        sample=det.sample,
        cls=cls,
        symbol=names[cls],  # -1 picks the last: `?`
        classified=keep,
        x=x,
        rr=rr,
        seconds=seconds,
    )
