"""Read one WFDB record: one lead as integer ADC samples plus its annotations, at the lead's own
time base and with its gain in ADC units per mV.

The hardware consumes integers, so samples stay digital (``physical=False``): for MIT-BIH these
are the 11-bit values of format 212, 200 ADC units per mV around an ADC zero of 1024. What the
header says is honoured, through wfdb's own readers:

- *time base*: the lead is read at its own rate, ``fs x samples per frame`` (wfdb's
  ``rdrecord(smooth_frames=False)``), so a 500 Hz lead in a 125 Hz frame stays 500 Hz; any
  positive rate is accepted, fractional ones too (``data.resample`` is rational);
- *annotations*: ``rdann`` gives the annotation file's own ``fs`` (a detector may write at a
  finer resolution than the signal; without one WFDB counts in frames); sample numbers are
  rescaled from it to the lead's rate (`rescale_samples`) before any beat is cut;
- *units*: ``adc_gain`` is per physical unit; nV, µV (uV), mV and V are converted to ADC units per
  mV (`UNITS_PER_MV`), any other unit is refused by name;
- *layouts*: record names may have folders (``patient001/s0010_re``: the signal files are next
  to the header); multi-segment records are joined by ``rdrecord`` and read physically (their
  segments may differ in gain), then stored at `MULTI_SEGMENT_GAIN` ADC units per mV;
- *unnamed signals* are called ``signal K (unnamed)``; a lead may be chosen by index (``"0"``).

Everything that would make the samples or labels meaningless is a `DataError` here, before any
beat is cut: missing or truncated files, no usable lead, unknown units, invalid (NaN) samples, a
flat lead, and sampling rates too low for QRS morphology. `read_lead` returns the invalid
samples instead of refusing them, for callers that keep the beats away from gaps
(`model.retrain.gaps`).

Annotations that lie outside the signal are *not* an error here; `data.beats` skips and counts
them, because a trailing annotation at or past the last sample is a benign quirk of some
databases.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import wfdb
from wfdb.io._signal import INVALID_SAMPLE_VALUE

from ecg_snn.data.errors import DataError

MIN_FS = 100  # Hz; below this a QRS complex (~80-100 ms) spans too few samples to classify

# Lead preference when the requested lead is missing. The limb lead II family comes first; after
# it the lateral precordial leads, whose QRS looks most like lead II (MIT-BIH 102 and 104 have
# V5/V2 and must use V5), then the rest.
FALLBACK_LEADS: tuple[str, ...] = ("MLII", "II", "ML2", "V5", "V4", "V6", "V3", "V2", "V1")

# Physical units of an ECG lead, as written in WFDB headers (any case), in units per mV.
UNITS_PER_MV: dict[str, float] = {"nv": 1e6, "uv": 1e3, "µv": 1e3, "μv": 1e3, "mv": 1.0, "v": 1e-3}

# WFDB's default gain for an uncalibrated signal (gain 0 or absent in the header): wfdb reads it
# as this many ADC units per physical unit, and so do we, but say so (`Record.gain_assumed`).
DEFAULT_GAIN = 200.0

# A WFDB record name: ASCII letters, digits, `_` and `-` (wfdb silently drops other characters
# and then looks for another record's files). Folders in front of it are paths, not checked.
RECORD_NAME = re.compile(r"[-A-Za-z0-9_]+")

# Multi-segment records are read physically and stored at this many ADC units per mV (1 µV).
MULTI_SEGMENT_GAIN = 1000.0

# A rate is taken to 1/RATE_DENOMINATOR Hz when it becomes a fraction (headers write decimals).
RATE_DENOMINATOR = 1000

# Bytes per sample of the WFDB storage formats, to detect truncated signal files (the FLAC
# formats 508/516/524 are compressed and not checked).
_BYTES_PER_SAMPLE = {
    "8": 1, "16": 2, "61": 2, "80": 1, "160": 2, "212": 1.5, "24": 3, "32": 4,
    "310": 4 / 3, "311": 4 / 3,
}  # fmt: skip


@dataclass(frozen=True)
class Record:
    """One lead of one record with its annotations.

    `signal` holds int32 ADC samples at `fs` Hz (the lead's own rate, possibly fractional);
    physical mV = (signal - baseline) / adc_gain. `ann_sample` (int64, in samples of `signal`)
    and `ann_symbol` (str) are all annotations of the annotator, beats and non-beats alike, in
    file order; `ann_fs` is the rate the annotation file counted in before rescaling. `units` is
    the header's unit of the lead (`adc_gain` is already converted to ADC units per mV).
    `gain_assumed` is True when the header gives gain 0 or none (WFDB: uncalibrated) and
    `DEFAULT_GAIN` per unit was assumed; callers report it.
    """

    name: str
    fs: float
    lead: str
    signal: np.ndarray
    adc_gain: float
    ann_sample: np.ndarray
    ann_symbol: np.ndarray
    baseline: int = 0
    units: str = "mV"
    ann_fs: float | None = None
    gain_assumed: bool = False


# An ECG lead spans about 0.5 to 5 mV between its 0.5th and 99.5th percentiles (QRS peak to
# trough plus wander); a span outside SPAN_MV that a factor of 1000 would bring inside it is
# almost surely a unit mix-up (µV read as mV: 1000x too tall; V as mV: 1000x too small).
SPAN_MV = (0.2, 20.0)


def span(values: np.ndarray) -> float | None:
    """The 0.5th-to-99.5th percentile span of the finite `values` (so a few spikes do not
    count); None when there are none."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None
    lo, hi = np.percentile(finite, [0.5, 99.5])
    return float(hi - lo)


def amplitude_hint(record: Record) -> str | None:
    """One line when the record's span in mV, by its header's gain, is off by a unit (outside
    `SPAN_MV`, and 1000x more or less would be inside); else None."""
    s = span(record.signal.astype(np.float64))
    if not s:
        return None
    mv = s / record.adc_gain
    if SPAN_MV[0] <= mv <= SPAN_MV[1]:
        return None
    if not any(SPAN_MV[0] <= mv * k <= SPAN_MV[1] for k in (1e3, 1e-3)):
        return None
    return (
        f"record {record.name} lead {record.lead} spans {mv:.3g} mV by its header's gain "
        f"({record.adc_gain:g} ADC units per {record.units}), an ECG about 0.5 to 5 mV: is the "
        "header's gain or unit field right?"
    )


def rate(fs: float) -> Fraction:
    """A sampling rate as an exact fraction (to 1/`RATE_DENOMINATOR` Hz)."""
    return Fraction(fs).limit_denominator(RATE_DENOMINATOR)


def plain_rate(fs: float) -> float | int:
    """`fs` as an int when it is whole (360, not 360.0), for messages and reports."""
    r = rate(fs)
    return int(r) if r.denominator == 1 else float(r)


def rescale_samples(
    sample: np.ndarray, fs_from: float, fs_to: float, n_to: int | None = None
) -> np.ndarray:
    """Sample numbers at `fs_from` as the nearest sample numbers at `fs_to` (halves round up),
    in exact integer arithmetic: ``round(sample * fs_to / fs_from)``.

    With `n_to` (the signal's length at `fs_to`), what lies outside the signal is decided
    first, at the exact time ``sample / fs_from``: those annotations become -1 (before) or
    `n_to` (at or past the end), the others are clipped to ``n_to - 1``; so an annotation one
    sample past the end never becomes a last beat when its image rounds down."""
    sample = np.asarray(sample, np.int64)
    ratio = rate(fs_to) / rate(fs_from)
    num, den = ratio.numerator, ratio.denominator
    out = sample if ratio == 1 else (2 * sample * num + den) // (2 * den)
    if n_to is None:
        return out
    past = sample * num >= n_to * den  # sample / fs_from >= n_to / fs_to, exactly
    out = np.where(sample < 0, -1, np.minimum(out, n_to - 1))
    return np.where(past, n_to, out).astype(np.int64)


def signal_label(names: Sequence[str | None], index: int) -> str:
    """How a signal is named in messages: its name, or ``signal K (unnamed)``."""
    name = names[index] if index < len(names) else None
    return name.strip() if name and name.strip() else f"signal {index} (unnamed)"


def pick_lead(
    available: Sequence[str | None], lead: str, fallback_leads: Sequence[str]
) -> int | None:
    """Index of the requested lead if present (by name, any case; or by index, ``"0"``, when no
    signal has that name), else of the first fallback present (by name)."""
    names = [(n or "").strip().upper() for n in available]
    want = str(lead).strip()
    if want.upper() in names and want:
        return names.index(want.upper())
    if want.isdigit() and int(want) < len(names):
        return int(want)
    for other in fallback_leads:
        if other.strip().upper() in names:
            return names.index(other.strip().upper())
    return None


def read_header(directory: Path | str, name: str) -> wfdb.Record | wfdb.MultiRecord:
    """The record's header (a `wfdb.MultiRecord` for a multi-segment record)."""
    base = Path(directory) / name
    if not RECORD_NAME.fullmatch(base.name):
        raise DataError(
            f"{base.name!r} is not a valid WFDB record name (ASCII letters, digits, _ and - "
            "only; wfdb would drop the other characters): rename the record's files and header"
        )
    hea = base.with_name(base.name + ".hea")
    if not hea.is_file():
        raise DataError(f"header file {hea} is missing: restore it or check the record name")
    try:
        return wfdb.rdheader(str(base))
    except Exception as e:  # wfdb raises assorted errors for a broken header
        raise DataError(f"cannot parse header {hea} ({type(e).__name__}: {e})") from e


def signal_header(directory: Path | str, name: str, header=None) -> wfdb.Record:
    """The header that describes a record's signals: the record's own, or for a multi-segment
    record its layout header (variable layout) or first non-empty segment (fixed layout)."""
    header = header if header is not None else read_header(directory, name)
    if not isinstance(header, wfdb.MultiRecord):
        return header
    segments = [s for s in header.seg_name if s != "~"]
    if not segments:
        raise DataError(f"multi-segment record {name} has only empty segments")
    return read_header((Path(directory) / name).parent, segments[0])


def signal_names(signals: wfdb.Record) -> list[str | None]:
    """Signal names from the header describing the signals (None for an unnamed signal)."""
    return list(signals.sig_name or [None] * (signals.n_sig or 0))


def record_files(directory: Path | str, name: str, annotator: str) -> list[Path]:
    """Every file a record is read from: header, signal files (of every segment) and the
    annotation file; files a broken header does not let us name are left out (reading the
    record reports them)."""
    base = Path(directory) / name
    files = [base.with_name(f"{base.name}.hea"), base.with_name(f"{base.name}.{annotator}")]
    try:
        header = wfdb.rdheader(str(base))
        if isinstance(header, wfdb.MultiRecord):
            for segment in header.seg_name:
                if segment != "~":
                    files.append(base.parent / f"{segment}.hea")
                    seg = wfdb.rdheader(str(base.parent / segment))
                    files += [base.parent / f for f in seg.file_name or [] if f]
        else:
            files += [base.parent / f for f in header.file_name or [] if f]
    except Exception:  # read_record reports a broken header with a proper message
        pass
    return sorted(set(files))


def lead_fs(header, where: int, signals=None) -> float:
    """The sampling rate of signal `where`: the frame rate of `header` x the samples per frame
    of `signals` (the header describing the signals, default `header` itself)."""
    signals = signals if signals is not None else header
    spf = (signals.samps_per_frame or [1] * (signals.n_sig or 0))[where] or 1
    return float(header.fs) * int(spf) if header.fs else 0.0


def gain_per_mv(name: str, lead: str, units: str | None, adc_gain: float) -> float:
    """ADC units per mV from the header's gain per `units` (see `UNITS_PER_MV`)."""
    unit = (units or "mV").strip()
    per_mv = UNITS_PER_MV.get(unit.lower())
    if per_mv is None:
        raise DataError(
            f"record {name} lead {lead} is in units {unit!r}, not a voltage; an ECG lead must be "
            f"in nV, uV (µV), mV or V: fix the units field of the header or pick another lead"
        )
    if not adc_gain > 0:
        raise DataError(f"record {name} lead {lead} has ADC gain {adc_gain}; it must be positive")
    return float(adc_gain) * per_mv


def read_lead(
    directory: Path | str,
    name: str,
    lead: str = "MLII",
    fallback_leads: Sequence[str] = FALLBACK_LEADS,
    annotator: str | None = "atr",
) -> tuple[Record, np.ndarray]:
    """(record, boolean mask of its invalid samples); invalid samples are left in the signal
    (their format's invalid code, or 0 for a multi-segment record). See `read_record`;
    `annotator=None` reads no annotations (a raw recording: the arrays are empty)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"record directory {directory} does not exist")
    base = directory / name
    header = read_header(directory, name)
    signals = signal_header(directory, name, header)
    names = signal_names(signals)
    where = pick_lead(names, lead, fallback_leads)
    if where is None:
        listed = [signal_label(names, i) for i in range(len(names))]
        raise DataError(
            f"record {name} has no lead {lead!r} nor any fallback {tuple(fallback_leads)}; "
            f"its leads are {listed}: choose one of them (--lead, lead=: a name, or an index "
            "such as 0; LEAD= with make)"
        )
    chosen = signal_label(names, where)
    check_fs(name, lead_fs(header, where, signals))  # before reading any sample
    if isinstance(header, wfdb.MultiRecord):
        record, bad = _read_multi_segment(base, name, header, where, chosen)
    else:
        record, bad = _read_single_segment(base, name, header, where, chosen)
    if annotator is None:
        empty = (np.zeros(0, np.int64), np.zeros(0, "<U1"))
        return dataclasses.replace(record, ann_sample=empty[0], ann_symbol=empty[1]), bad
    ann_sample, ann_symbol, ann_fs = _read_annotations(base, name, annotator)
    from_fs = ann_fs if ann_fs else float(header.fs)  # WFDB counts in frames by default
    record = dataclasses.replace(
        record,
        ann_sample=rescale_samples(ann_sample, from_fs, record.fs, len(record.signal)),
        ann_symbol=ann_symbol,
        ann_fs=plain_rate(from_fs),
    )
    return record, bad


def read_record(
    directory: Path | str,
    name: str,
    lead: str = "MLII",
    fallback_leads: Sequence[str] = FALLBACK_LEADS,
    annotator: str | None = "atr",
) -> Record:
    """Read record `name` from `directory`, choosing one lead by name (see `pick_lead`).

    `name` may contain folders (``patient001/s0010_re``). Raises `DataError` for anything that
    makes the lead unusable (see the module docstring), including any invalid sample."""
    record, bad = read_lead(directory, name, lead, fallback_leads, annotator)
    check_samples(record, bad)
    return record


def _read_single_segment(base: Path, name: str, header, where: int, chosen: str):
    _check_signal_files(base.parent, name, header)
    try:
        if all((k or 1) == 1 for k in header.samps_per_frame or [1]):
            # one sample per frame: the default read (wfdb 4.3.1's smooth_frames=False path
            # fails on format 61, the big-endian 16-bit format, where the default one works)
            rec = wfdb.rdrecord(str(base), physical=False, channels=[where])
            signal = np.asarray(rec.d_signal[:, 0], dtype=np.int64)
        else:
            rec = wfdb.rdrecord(str(base), physical=False, channels=[where], smooth_frames=False)
            signal = np.asarray(rec.e_d_signal[0], dtype=np.int64)
    except Exception as e:  # wfdb reports corrupt files with assorted numpy/IO errors
        raise DataError(
            f"cannot read the signals of record {name} in {base.parent} "
            f"({type(e).__name__}: {e}); the signal file may be corrupt: restore it"
        ) from e
    gain = gain_per_mv(name, chosen, header.units[where], header.adc_gain[where])
    invalid = INVALID_SAMPLE_VALUE.get(header.fmt[where])
    bad = signal == invalid if invalid is not None else np.zeros(len(signal), bool)
    record = Record(
        name=name,
        fs=plain_rate(lead_fs(header, where)),
        lead=chosen,
        signal=signal.astype(np.int32),
        adc_gain=gain,
        ann_sample=np.zeros(0, np.int64),
        ann_symbol=np.zeros(0, "<U1"),
        baseline=int(header.baseline[where]),
        units=str(header.units[where]),
        gain_assumed=gain_is_default(base, where),
    )
    return record, bad


def gain_is_default(base: Path, where: int) -> bool:
    """True when signal `where` of the header at `base` gives gain 0 or no gain (WFDB's
    "uncalibrated", which wfdb silently reads as `DEFAULT_GAIN`): the header text itself."""
    hea = base.with_name(base.name + ".hea")
    lines = [
        line.split()
        for line in hea.read_text(errors="replace").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    fields = lines[1 + where] if len(lines) > 1 + where else []
    if len(fields) < 3:
        return True
    gain = re.match(r"[-+0-9.eE]+", fields[2])
    try:
        return gain is None or float(gain.group()) == 0
    except ValueError:
        return True


def _read_multi_segment(base: Path, name: str, header, where: int, chosen: str):
    """Join the segments with wfdb (physically: segments may have other gains), NaN = invalid."""
    try:
        rec = wfdb.rdrecord(str(base), physical=True, channels=[where], smooth_frames=False)
        physical = np.asarray(rec.e_p_signal[0], dtype=np.float64)
        units = (rec.units or ["mV"])[0]
        fs = lead_fs(rec, 0)
    except DataError:
        raise
    except Exception as e:
        raise DataError(
            f"cannot read multi-segment record {name} in {base.parent} ({type(e).__name__}: "
            f"{e}); check that every segment listed in {name}.hea and its files are present"
        ) from e
    per_mv = gain_per_mv(name, chosen, units, 1.0)  # physical units per mV
    bad = ~np.isfinite(physical)
    millivolts = np.where(bad, 0.0, physical) / per_mv
    signal = np.rint(millivolts * MULTI_SEGMENT_GAIN)
    info = np.iinfo(np.int32)
    if len(signal) and (signal.min() < info.min or signal.max() > info.max):
        raise DataError(f"record {name} lead {chosen} exceeds ±2 kV: check the header's units")
    record = Record(
        name=name,
        fs=plain_rate(fs),
        lead=chosen,
        signal=signal.astype(np.int32),
        adc_gain=MULTI_SEGMENT_GAIN,
        ann_sample=np.zeros(0, np.int64),
        ann_symbol=np.zeros(0, "<U1"),
        units=str(units),
    )
    return record, bad


def check_fs(name: str, fs: float) -> None:
    """Refuse a lead sampled below `MIN_FS`."""
    if not fs or fs < MIN_FS:
        raise DataError(
            f"record {name} is sampled at {plain_rate(fs) if fs else fs} Hz; at least {MIN_FS} "
            "Hz is needed to resolve QRS complexes"
        )


def _check_signal_files(folder: Path, name: str, header: wfdb.Record) -> None:
    """Every signal file exists and is long enough for the header's sample count."""
    per_file: dict[str, float] = {}
    spf = header.samps_per_frame or [1] * len(header.file_name)
    for file_name, fmt, k in zip(header.file_name, header.fmt, spf, strict=True):
        per_file[file_name] = per_file.get(file_name, 0) + _BYTES_PER_SAMPLE.get(fmt, 0) * (k or 1)
    offsets = header.byte_offset or [0] * len(header.file_name)
    for file_name, offset in zip(header.file_name, offsets, strict=True):
        path = folder / file_name
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


def check_samples(record: Record, bad: np.ndarray) -> None:
    """Refuse a lead without samples, with invalid samples (`bad`) or flat all along."""
    name, lead, signal = record.name, record.lead, record.signal
    if len(signal) == 0:
        raise DataError(f"record {name} lead {lead} has no samples")
    where = np.flatnonzero(bad)
    if len(where):
        raise DataError(
            f"record {name} lead {lead} has {len(where)} invalid (NaN) samples, the first at "
            f"sample {where[0]}; remove the gap from the recording or use another lead"
        )
    if signal.min() == signal.max():
        raise DataError(
            f"record {name} lead {lead} is flat (every sample is {signal[0]}); "
            "the electrode was probably disconnected: use another lead or drop the record"
        )


def _read_annotations(
    base: Path, name: str, annotator: str
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(sample, symbol, the annotation file's own fs or None)."""
    path = base.with_name(f"{base.name}.{annotator}")
    if not path.is_file():
        raise DataError(
            f"annotation file {path} is missing: restore it or choose the "
            "annotation file extension (--annotator, annotator=)"
        )
    try:
        ann = wfdb.rdann(str(base), annotator)
    except Exception as e:
        raise DataError(
            f"cannot read annotation file {path} ({type(e).__name__}: {e}); it may be corrupt"
        ) from e
    fs = float(ann.fs) if ann.fs else None
    return np.asarray(ann.sample, dtype=np.int64), np.asarray(ann.symbol, dtype="<U1"), fs
