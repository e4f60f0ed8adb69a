"""Synthetic ECG for the detector tests: known beat times, any rate (helpers, not tests)."""

from __future__ import annotations

import numpy as np

FS = 360


def synthetic_ecg(bpm: float, seconds: float, seed: int = 0, amplitude: int = 200) -> np.ndarray:
    """ADC samples around 1024: a Gaussian QRS (sigma 10 ms) and T wave (sigma 40 ms, 30 % of the
    QRS, 250 ms later, or 40 % of the RR when shorter) per beat of `beats_of`, a little noise
    and baseline wander."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    t = np.arange(n)
    rr = 60 * FS / bpm
    sig = 20 * np.sin(2 * np.pi * 0.3 * t / FS) + rng.normal(0, 2, n)
    for r in np.arange(FS, n, rr):
        sig += amplitude * np.exp(-0.5 * ((t - r) / (0.010 * FS)) ** 2)
        t_at = r + min(0.25 * FS, 0.4 * rr)
        sig += 0.3 * amplitude * np.exp(-0.5 * ((t - t_at) / (0.040 * FS)) ** 2)
    return np.round(1024 + sig).astype(np.int64)


def beats_of(bpm: float, seconds: float) -> np.ndarray:
    """The R peak samples of `synthetic_ecg(bpm, seconds)`."""
    return np.arange(FS, int(seconds * FS), 60 * FS / bpm).round().astype(np.int64)
