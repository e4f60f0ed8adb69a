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
- annotations: ``round(sample * up / down)``, rounding halves up, in exact integer arithmetic.

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
    if fs_out <= 0 or not gain_out > 0:
        raise DataError(f"target rate {fs_out} Hz and gain {gain_out} must both be positive")
    same_gain = math.isclose(record.adc_gain, gain_out, rel_tol=1e-9)
    if record.fs == fs_out and same_gain:
        return record
    ratio = resample_ratio(record.fs, fs_out)
    up, down = ratio.numerator, ratio.denominator
    scale = gain_out / record.adc_gain
    centred = record.signal.astype(np.float64) - record.baseline
    if up != down:
        centred = resample_poly(centred, up, down, padtype="line")
    baseline = round(record.baseline * scale)
    signal = np.rint(centred * scale) + baseline
    info = np.iinfo(np.int32)
    if signal.min() < info.min or signal.max() > info.max:
        raise DataError(
            f"record {record.name} does not fit int32 at gain {gain_out}: check the header's "
            f"gain and units ({record.units})"
        )
    ann_sample = (2 * record.ann_sample * up + down) // (2 * down)
    return dataclasses.replace(
        record,
        fs=int(fs_out),
        signal=signal.astype(np.int32),
        adc_gain=float(gain_out),
        ann_sample=ann_sample.astype(np.int64),
        baseline=baseline,
    )
