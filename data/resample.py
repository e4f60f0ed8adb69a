"""Bring a record to the pipeline's sampling rate and ADC gain.

The model and the hardware see MIT-BIH-like integers: 360 Hz, 200 ADC units per mV. Recordings
from other databases (128, 250, 257, 499.7, 500 Hz; other gains) are converted here:

- samples: polyphase resampling by the reduced fraction ``fs_out / fs`` (``up / down``) with
  ``scipy.signal.resample_poly`` (its default Kaiser anti-aliasing FIR), computed on the signal
  minus its ADC baseline so that the filter's edge padding does not create a step. Rates are
  exact fractions (`data.records.rate`, to 1/1000 Hz), so 499.7 Hz -> 360 Hz is 3600/4997; a
  ratio whose denominator would exceed `MAX_FACTOR` is replaced by its closest fraction with
  that bound (``Fraction.limit_denominator``: the output rate is then off by at most
  ``fs / (fs_out * MAX_FACTOR)`` of itself, 1.4e-4 for 500 Hz), to bound the filter's length;
- amplitude: scaled by ``gain_out / adc_gain`` and rounded to int32; the baseline is scaled the
  same way, so physical mV = (signal - baseline) / adc_gain is unchanged;
- annotations: ``round(sample * up / down)``, rounding halves up, in exact integer arithmetic;
  those outside the signal at the record's own rate stay outside (`rescale_inside`);
- gaps (invalid samples, `data.gaps`): each run of valid samples is resampled on its own and
  the invalid mask is carried to the new rate (`resample_lead`).

A record already at ``fs_out`` and ``gain_out`` is returned as is (the same object), so MIT-BIH
goes through bit-identical.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from ecg_snn.data.errors import DataError
from ecg_snn.data.records import Record, rate

MAX_FACTOR = 10_000  # largest resampling denominator (filter length grows with it)


def resample_ratio(fs: float, fs_out: int) -> Fraction:
    """``fs_out / fs`` as the fraction ``up / down`` the resampler uses (module docstring)."""
    ratio = Fraction(int(fs_out)) / rate(fs)
    return ratio if ratio.denominator <= MAX_FACTOR else ratio.limit_denominator(MAX_FACTOR)


def resample_record(record: Record, fs_out: int = 360, gain_out: float = 200.0) -> Record:
    """Return `record` at `fs_out` Hz and `gain_out` ADC units per mV (see module docstring)."""
    return resample_lead(record, None, fs_out, gain_out)[0]


def segments(bad: np.ndarray) -> list[tuple[int, int]]:
    """The runs ``[start, stop)`` of valid samples (``~bad``), in order."""
    edges = np.diff(np.concatenate([[0], (~np.asarray(bad, bool)).astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()
    return list(zip(starts, stops, strict=True))


def output_length(n: int, ratio: Fraction) -> int:
    """Samples at the output rate of `n` input samples: ``ceil(n * up / down)`` (as
    ``resample_poly``)."""
    return -(-n * ratio.numerator // ratio.denominator)


def _resample_segment(centred: np.ndarray, start: int, stop: int, ratio: Fraction) -> np.ndarray:
    """Input samples ``[start, stop)`` resampled on their own: the output samples ``m`` with
    ``start <= m * down / up < stop``, on the record's output grid.

    ``resample_poly``'s output j lies at input time ``j * down / up`` of its first input sample,
    so the segment is fed from ``s0 = down * floor(start / down)`` (a sample on the output grid);
    the ``start - s0`` samples before the segment are its first value held, as the filter's
    edge padding holds them at the ends of a record: no sample of a gap reaches the filter."""
    up, down = ratio.numerator, ratio.denominator
    s0 = (start // down) * down
    seg = centred[s0:stop].copy()
    seg[: start - s0] = centred[start]
    if stop - start < 2:  # resample_poly's line padding needs two samples
        y = np.full(output_length(len(seg), ratio), seg[-1])
    else:
        y = resample_poly(seg, up, down, padtype="line")
    m0 = s0 * up // down
    lo, hi = output_length(start, ratio), output_length(stop, ratio)
    return y[lo - m0 : hi - m0]


def rescale_inside(sample: np.ndarray, n_in: int, ratio: Fraction, n_out: int) -> np.ndarray:
    """Annotation samples scaled by `ratio` (``round(sample * up / down)``, halves up, exact
    integers); those outside ``[0, n_in)`` *at the input rate* are mapped outside ``[0, n_out)``
    (-1 or `n_out`), so an annotation one sample past the end never becomes a last beat when
    its image rounds down (callers count them as outside the signal)."""
    sample = np.asarray(sample, np.int64)
    up, down = ratio.numerator, ratio.denominator
    out = np.minimum((2 * sample * up + down) // (2 * down), n_out - 1)
    out = np.where(sample < 0, -1, out)
    return np.where(sample >= n_in, n_out, out).astype(np.int64)


def resample_lead(
    record: Record, bad: np.ndarray | None, fs_out: int = 360, gain_out: float = 200.0
) -> tuple[Record, np.ndarray]:
    """`record` at `fs_out` Hz and `gain_out` ADC units per mV, and its invalid-sample mask
    carried to the new rate (see module docstring and `data.gaps`).

    Each run of valid samples is resampled on its own (`_resample_segment`); an output sample
    whose time ``m * down / up`` falls in a gap is invalid (marked in the returned mask) and holds
    the last valid output (the value the QRS detector would hold). Without gaps (`bad` None or
    all False) the record is resampled in one piece; a record already at `fs_out` and
    `gain_out` is returned as is (the same object)."""
    if fs_out <= 0 or not gain_out > 0:
        raise DataError(f"target rate {fs_out} Hz and gain {gain_out} must both be positive")
    n = len(record.signal)
    bad = np.zeros(n, bool) if bad is None else np.asarray(bad, bool)
    if bad.shape != (n,):
        raise DataError(f"invalid-sample mask shape {bad.shape} != signal ({n},)")
    same_gain = math.isclose(record.adc_gain, gain_out, rel_tol=1e-9)
    if record.fs == fs_out and same_gain:
        return record, bad
    ratio = resample_ratio(record.fs, fs_out)
    scale = gain_out / record.adc_gain
    centred = record.signal.astype(np.float64) - record.baseline
    m = output_length(n, ratio)
    out = np.zeros(m, np.float64)
    bad_out = np.ones(m, bool)
    for start, stop in segments(bad):
        lo, hi = output_length(start, ratio), output_length(stop, ratio)
        same = ratio == 1  # a gain change only
        out[lo:hi] = centred[lo:hi] if same else _resample_segment(centred, start, stop, ratio)
        bad_out[lo:hi] = False
    good = np.flatnonzero(~bad_out)
    if len(good):  # hold the last valid output across a gap (the first one before it)
        held = np.maximum.accumulate(np.where(bad_out, -1, np.arange(m)))
        out = out[np.where(held >= 0, held, good[0])]
    baseline = round(record.baseline * scale)
    signal = np.rint(out * scale) + baseline
    info = np.iinfo(np.int32)
    if len(signal) and (signal.min() < info.min or signal.max() > info.max):
        raise DataError(
            f"record {record.name} does not fit int32 at gain {gain_out}: check the header's "
            f"gain and units ({record.units})"
        )
    resampled = dataclasses.replace(
        record,
        fs=int(fs_out),
        signal=signal.astype(np.int32),
        adc_gain=float(gain_out),
        ann_sample=rescale_inside(record.ann_sample, n, ratio, m),
        baseline=baseline,
    )
    return resampled, bad_out
