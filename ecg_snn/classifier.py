"""Raw ECG in, R peaks and classes out, at the signal's own rate.

`classify` takes a NumPy array in physical units (or ADC units with their gain); the record is
brought to the front end's rate and gain inside (`data.resample`), the integer QRS detector,
front end and classifier run as on the chip (`stream.core.run_stream`), and the R peaks come back
as sample indices of the signal you passed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.chip import load_model
from ecg_snn.data.records import MIN_FS, SPAN_MV, Record, amplitude_hint, span
from ecg_snn.stream.core import Stream, load_record, run_stream

UNITS_PER_MV = {"V": 1e-3, "mV": 1.0, "uV": 1e3}


class UnitsWarning(UserWarning):
    """The signal's amplitude does not look like an ECG in the units given."""


@dataclass(frozen=True)
class Classification:
    """Every detected beat. `sample` (N,) R peaks in samples of the input at `fs`; `symbol`
    (N,) the AAMI class letter (`N`, `S`, `V`, `F`, ...; `?` for a beat the classifier could not
    see: the first and last beat, which have no RR, and beats next to a gap); `cls` (N,) the
    class index or -1, as the device reports it; `x`, `rr` the chip inputs of the classified
    beats (`classified` marks them), for `Chip.predict`, and `chip` the chip's own classes for
    them: `cls[classified]` is `chip` through the model's rhythm gate (`rhythm_gate`, 0: none),
    which turns an S into N in an irregular rhythm (`model.contract.patient`)."""

    sample: np.ndarray
    symbol: np.ndarray
    cls: np.ndarray
    classified: np.ndarray
    x: np.ndarray
    rr: np.ndarray
    chip: np.ndarray
    rhythm_gate: int
    fs: float
    classes: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        """Beats per class letter."""
        letters, n = np.unique(self.symbol, return_counts=True)
        return {str(k): int(v) for k, v in zip(letters, n, strict=True)}


def classify(
    signal: np.ndarray,
    fs: float,
    units: str = "mV",
    *,
    gain: float | None = None,
    lead: int = 0,
    model: str | Path | None = None,
) -> Classification:
    """Detect and classify every beat of `signal`.

    `signal`: (n,) one lead, or (n, leads) with `lead` the column to use. `units`: "mV", "uV",
    "V", or "adu" (ADC units, then `gain` = ADC units per mV, as WFDB's adc_gain). `fs`: the
    rate in Hz, any rate (resampled inside). `model`: an artifact path, default the shipped
    inter-patient model. Raises ValueError on a signal it cannot use."""
    x = np.asarray(signal)
    if x.ndim == 2 and x.shape[0] < x.shape[1] and x.shape[0] <= 16:
        raise ValueError(
            f"signal of shape {x.shape} looks like (leads, n): pass signal.T, shape (n, leads)"
        )
    if x.ndim == 2:
        if not 0 <= lead < x.shape[1]:
            raise ValueError(f"lead {lead} is not a column of a signal with {x.shape[1]} leads")
        x = x[:, lead]
    if x.ndim != 1 or not len(x):
        raise ValueError(f"signal must be (n,) or (n, leads) with n > 0, not {np.shape(signal)}")
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"signal must be numeric, not {x.dtype}")
    if not isinstance(fs, int | float | np.number) or not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive rate in Hz, not {fs!r}")
    if fs < MIN_FS:
        raise ValueError(f"fs is {fs} Hz; at least {MIN_FS} Hz (a QRS spans too few samples below)")
    artifact = load_model(model)
    adu, adc_gain = _to_adu(x, units, gain, artifact.spec.preprocess.gain)
    hint = units_hint(x, units, gain)
    if hint:
        warnings.warn(hint, UnitsWarning, stacklevel=2)
    valid = np.isfinite(x)
    record = Record("signal", float(fs), f"lead {lead}", adu, adc_gain, *_no_annotations())
    return _result(run_stream(artifact, record, valid), artifact.spec)


def classify_record(
    record: str | Path, lead: str | None = None, *, model: str | Path | None = None
) -> Classification:
    """`classify` on a WFDB record (`path/to/rec` without extension, or an MIT-BIH name);
    `lead` by name or index (default: MLII or the usual fallbacks; a named lead the record
    lacks is a `DataError`)."""
    rec, valid = load_record(str(record), lead=lead)
    hint = amplitude_hint(rec)
    if hint:
        warnings.warn(f"ecg_snn.classify_record: {hint}", UnitsWarning, stacklevel=2)
    artifact = load_model(model)
    return _result(run_stream(artifact, rec, valid), artifact.spec)


def units_hint(x: np.ndarray, units: str, gain: float | None = None) -> str | None:
    """One line when the signal's span in mV (0.5th to 99.5th percentile of the finite
    samples, so a few spikes do not count) is outside `SPAN_MV` and reading the same numbers
    in another unit would put it inside; else None (an ECG-sized or a flat signal)."""
    raw = span(np.asarray(x, dtype=np.float64))
    if raw is None:
        return None
    per_mv = gain if units == "adu" else UNITS_PER_MV[units]
    mv = raw / per_mv
    if mv == 0 or SPAN_MV[0] <= mv <= SPAN_MV[1]:
        return None
    fits = [u for u, k in UNITS_PER_MV.items() if SPAN_MV[0] <= raw / k <= SPAN_MV[1]]
    if not fits:
        return None
    return (
        f"ecg_snn.classify: the signal spans {mv:.3g} mV read as units={units!r}, an ECG "
        f"about 0.5 to 5 mV; is it in {fits[0]}? (pass units={fits[0]!r})"
    )


def _to_adu(x: np.ndarray, units: str, gain: float | None, default_gain: float):
    """Integer ADC samples and their gain (ADC units per mV); non-finite samples become 0 (and
    are marked invalid by the caller)."""
    finite = np.where(np.isfinite(x), x, 0)
    if units == "adu":
        if gain is None or gain <= 0:
            raise ValueError('units="adu" needs gain (ADC units per mV, WFDB adc_gain) > 0')
        return np.rint(finite).astype(np.int32), float(gain)
    if units not in UNITS_PER_MV:
        raise ValueError(f"units must be one of {[*UNITS_PER_MV, 'adu']}, not {units!r}")
    mv = finite / UNITS_PER_MV[units]
    return np.rint(mv * default_gain).astype(np.int32), float(default_gain)


def _no_annotations() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, str)


def _result(stream: Stream, spec) -> Classification:
    """The stream's beats, their R peaks at the input's own rate (`spec`: the model's)."""
    return Classification(
        sample=stream.source_sample,
        symbol=stream.symbol,
        cls=stream.cls,
        classified=stream.classified,
        x=stream.x,
        rr=stream.rr,
        chip=stream.chip,
        rhythm_gate=spec.rhythm_gate,
        fs=float(stream.source.fs),
        classes=tuple(spec.classes),
    )


def plot(signal: np.ndarray, beats: Classification, path: str | Path | None = None, ax=None):
    """The signal with each beat's class letter at its R peak (matplotlib); saved as PNG when
    `path` is given. Returns the axes."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y = np.asarray(signal, dtype=float)
    y = y if y.ndim == 1 else y[:, 0]
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 3))
    t = np.arange(len(y)) / beats.fs
    ax.plot(t, y, lw=0.6, color="0.3")
    inside = (beats.sample >= 0) & (beats.sample < len(y))
    for s, letter in zip(beats.sample[inside], beats.symbol[inside], strict=True):
        ax.annotate(letter, (s / beats.fs, y[s]), ha="center", va="bottom",
                    color="tab:red" if letter not in ("N", "?") else "tab:blue")  # fmt: skip
    ax.set_xlabel("s")
    if path is not None:
        ax.figure.savefig(path, dpi=120, bbox_inches="tight")
    return ax
