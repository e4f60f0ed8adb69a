"""Synthetic ECG for the detector tests: known beat times, any rate (helpers, not tests)."""

from __future__ import annotations

from collections.abc import Sequence

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


# (QRS amplitude mV, QRS width s, P amplitude mV, previous-RR factor)
MORPHOLOGY = {
    "N": (1.0, 0.012, 0.15, 1.0),
    "S": (1.0, 0.012, -0.15, 0.6),
    "V": (-1.3, 0.045, 0.0, 0.62),
    "F": (0.35, 0.028, 0.08, 0.85),
}


def beat_sequence(
    classes: Sequence[str],
    fs: int,
    rng: np.random.Generator,
    rr: float = 0.8,
    morphology: dict[str, tuple[float, float, float, float]] = MORPHOLOGY,
    pause_after: str = "V",
) -> tuple[np.ndarray, np.ndarray]:
    """(signal in mV, R sample positions) for a beat sequence at `fs` Hz, 1 s lead-in and
    lead-out: per beat a Gaussian QRS, P and T wave of its class's `morphology`, the RR scaled
    by the class's factor and a compensatory pause after a `pause_after` beat."""
    times, t = [], 1.0
    for i, cls in enumerate(classes):
        factor = morphology[cls][3]
        if i and classes[i - 1] == pause_after and cls == "N":
            factor = 1.35  # compensatory pause after a PVC
        t += rr * factor * (1 + 0.03 * rng.standard_normal()) if i else 0.0
        times.append(t)
    n = int((times[-1] + 1.0) * fs)
    x = np.arange(n) / fs
    sig = 0.05 * np.sin(2 * np.pi * 0.3 * x) + 0.01 * rng.standard_normal(n)
    for cls, tr in zip(classes, times, strict=True):
        amp, width, p_amp, _ = morphology[cls]
        sel = slice(max(0, int((tr - 0.4) * fs)), min(n, int((tr + 0.6) * fs)))
        u = x[sel] - tr
        sig[sel] += amp * np.exp(-0.5 * (u / width) ** 2)
        sig[sel] += p_amp * np.exp(-0.5 * ((u + 0.16) / 0.025) ** 2)
        sig[sel] += (0.3 if amp > 0 else -0.4) * np.exp(-0.5 * ((u - 0.28) / 0.05) ** 2)
    return sig, np.rint(np.asarray(times) * fs).astype(np.int64)
