"""Read one WFDB record: one lead as integer ADC samples plus its annotations.

The hardware consumes integers, so samples stay digital (``physical=False``): for MIT-BIH these
are the 11-bit values of format 212, 200 ADC units per mV around an ADC zero of 1024. Everything
that would make the samples or labels meaningless is a `DataError` here, before any beat is cut:
missing or truncated files, no usable lead, invalid (NaN) samples, a flat lead, and sampling
rates too low for QRS morphology.

Annotations that lie outside the signal are *not* an error here; `data.beats` skips and counts
them, because a trailing annotation at or past the last sample is a benign quirk of some
databases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb
from wfdb.io._signal import INVALID_SAMPLE_VALUE

from data.errors import DataError

MIN_FS = 100  # Hz; below this a QRS complex (~80-100 ms) spans too few samples to classify

# Lead preference when the requested lead is missing. The limb lead II family comes first; after
# it the lateral precordial leads, whose QRS looks most like lead II (MIT-BIH 102 and 104 have
# V5/V2 and must use V5), then the rest.
FALLBACK_LEADS: tuple[str, ...] = ("MLII", "II", "ML2", "V5", "V4", "V6", "V3", "V2", "V1")

# Bytes per sample of the common WFDB storage formats, to detect truncated signal files.
_BYTES_PER_SAMPLE = {"8": 1, "16": 2, "61": 2, "80": 1, "160": 2, "212": 1.5, "24": 3, "32": 4}


@dataclass(frozen=True)
class Record:
    """One lead of one record with its annotations.

    `signal` holds int32 ADC samples; physical mV = (signal - baseline) / adc_gain.
    `ann_sample` (int64) and `ann_symbol` (str) are all annotations of the annotator, beats and
    non-beats alike, in file order.
    """

    name: str
    fs: int
    lead: str
    signal: np.ndarray
    adc_gain: float
    ann_sample: np.ndarray
    ann_symbol: np.ndarray
    baseline: int = 0


def pick_lead(available: Sequence[str], lead: str, fallback_leads: Sequence[str]) -> int | None:
    """Index of the requested lead if present, else of the first fallback present (any case)."""
    names = [n.strip().upper() for n in available]
    for want in (lead, *fallback_leads):
        if want.strip().upper() in names:
            return names.index(want.strip().upper())
    return None


def read_record(
    directory: Path | str,
    name: str,
    lead: str = "MLII",
    fallback_leads: Sequence[str] = FALLBACK_LEADS,
    annotator: str | None = "atr",
) -> Record:
    """Read record `name` from `directory`, choosing one lead by name (see `pick_lead`).
    `annotator=None` reads no annotations (a raw recording: the arrays are empty)."""
    directory = Path(directory)
    base = directory / name
    if not directory.is_dir():
        raise DataError(f"record directory {directory} does not exist")
    header = _read_header(base)
    where = pick_lead(header.sig_name, lead, fallback_leads)
    if where is None:
        raise DataError(
            f"record {name} has no lead {lead!r} nor any fallback {tuple(fallback_leads)}; "
            f"its leads are {list(header.sig_name)}: pass lead= one of them"
        )
    _check_fs(name, header.fs)
    _check_signal_files(directory, name, header)
    try:
        rec = wfdb.rdrecord(str(base), physical=False, channels=[where])
    except Exception as e:  # wfdb reports corrupt files with assorted numpy/IO errors
        raise DataError(
            f"cannot read the signals of record {name} in {directory} "
            f"({type(e).__name__}: {e}); the .dat file may be corrupt: restore it"
        ) from e
    signal = np.asarray(rec.d_signal[:, 0])
    chosen = header.sig_name[where]
    _check_samples(name, chosen, signal, header.fmt[where])
    if annotator is None:
        ann_sample, ann_symbol = np.zeros(0, np.int64), np.zeros(0, "<U1")
    else:
        ann_sample, ann_symbol = _read_annotations(base, name, annotator)
    gain = float(header.adc_gain[where])
    if not gain > 0:
        raise DataError(f"record {name} lead {chosen} has ADC gain {gain}; it must be positive")
    return Record(
        name=name,
        fs=int(header.fs),
        lead=chosen,
        signal=signal.astype(np.int32),
        adc_gain=gain,
        ann_sample=ann_sample,
        ann_symbol=ann_symbol,
        baseline=int(header.baseline[where]),
    )


def _read_header(base: Path) -> wfdb.Record:
    hea = base.with_name(base.name + ".hea")
    if not hea.is_file():
        raise DataError(f"header file {hea} is missing: restore it or check the record name")
    try:
        return wfdb.rdheader(str(base))
    except Exception as e:
        raise DataError(f"cannot parse header {hea} ({type(e).__name__}: {e})") from e


def _check_fs(name: str, fs: float) -> None:
    if fs is None or fs < MIN_FS:
        raise DataError(
            f"record {name} is sampled at {fs} Hz; at least {MIN_FS} Hz is needed to resolve QRS "
            "complexes"
        )
    if not math.isclose(fs, round(fs)):
        raise DataError(
            f"record {name} is sampled at {fs} Hz; only whole-number rates can be resampled"
        )


def _check_signal_files(directory: Path, name: str, header: wfdb.Record) -> None:
    """Every signal file exists and is long enough for the header's sample count."""
    per_file: dict[str, float] = {}
    for file_name, fmt in zip(header.file_name, header.fmt, strict=True):
        per_file[file_name] = per_file.get(file_name, 0) + _BYTES_PER_SAMPLE.get(fmt, 0)
    offsets = header.byte_offset or [0] * len(header.file_name)
    for file_name, offset in zip(header.file_name, offsets, strict=True):
        path = directory / file_name
        if not path.is_file():
            raise DataError(f"signal file {path} of record {name} is missing: restore it")
        if header.sig_len and per_file[file_name]:
            need = math.ceil(header.sig_len * per_file[file_name]) + (offset or 0)
            have = path.stat().st_size
            if have < need:
                raise DataError(
                    f"signal file {path} is truncated: {have} bytes, the header needs {need}; "
                    "restore or re-download it"
                )


def _check_samples(name: str, lead: str, signal: np.ndarray, fmt: str) -> None:
    if len(signal) == 0:
        raise DataError(f"record {name} lead {lead} has no samples")
    invalid = INVALID_SAMPLE_VALUE.get(fmt)
    bad = np.flatnonzero(signal == invalid) if invalid is not None else np.empty(0, np.int64)
    if len(bad):
        raise DataError(
            f"record {name} lead {lead} has {len(bad)} invalid (NaN) samples, the first at sample "
            f"{bad[0]}; remove the gap from the recording or use another lead"
        )
    if signal.min() == signal.max():
        raise DataError(
            f"record {name} lead {lead} is flat (every sample is {signal[0]}); "
            "the electrode was probably disconnected: use another lead or drop the record"
        )


def _read_annotations(base: Path, name: str, annotator: str) -> tuple[np.ndarray, np.ndarray]:
    path = base.with_name(f"{base.name}.{annotator}")
    if not path.is_file():
        raise DataError(
            f"annotation file {path} is missing: restore it or pass annotator= the right extension"
        )
    try:
        ann = wfdb.rdann(str(base), annotator)
    except Exception as e:
        raise DataError(
            f"cannot read annotation file {path} ({type(e).__name__}: {e}); it may be corrupt"
        ) from e
    return np.asarray(ann.sample, dtype=np.int64), np.asarray(ann.symbol, dtype="<U1")
