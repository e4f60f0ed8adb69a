"""Integer beat front end: what the firmware does before the chip's input starts.

Every operation is integer and matches `firmware/` exactly. `>>` is an arithmetic shift (floor
division by a power of two, also for negative numbers) and `//` is floor division; C code must
use the floor helpers, not `/`, which truncates towards zero.

Samples, for a raw window `w[0 .. before+after)` of ADC units (at `fs`, `gain` units per mV)::

    d[i]  = sum(w[downsample*i + j] for j in range(downsample))      i = 0 .. n_samples-1
    base  = sum(d) // n_samples                                         (floor)
    x[i]  = sat_signed((d[i] - base) >> input_shift, input_bits)

RR features, from `rr = (prev, next, local)` in samples at `fs` (local = the mean of the previous
`local_rr_beats` intervals, see `data/beats.py`), each saturated to `[0, 2**rr_bits - 1]`::

    prev_ratio = (prev << ratio_shift) // max(local, 1)
    next_ratio = (next << ratio_shift) // max(local, 1)
    prev, next, local = value >> rr_shift

The patient-relative features (`tmpl_dist`, `tmpl_qrs`, `irreg`) need the patient's earlier
beats: `preprocess_stream` computes them (`model/contract/patient.py`); `preprocess_rr` refuses
a preprocessing that names them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.model.contract.patient import PATIENT_FEATURES, patient_features
from ecg_snn.model.contract.spec import Preprocess, saturate


def preprocess_samples(pre: Preprocess, windows: np.ndarray) -> np.ndarray:
    """Raw windows (N, window) -> chip samples (N, 1, n_samples), int64."""
    w = np.asarray(windows, dtype=np.int64)
    if w.ndim != 2 or w.shape[1] != pre.window:
        raise ValueError(f"expected windows of shape (N, {pre.window}), got {w.shape}")
    d = w.reshape(len(w), pre.n_samples, pre.downsample).sum(axis=2)
    base = d.sum(axis=1, keepdims=True) // pre.n_samples
    x = saturate((d - base) >> pre.input_shift, *pre.input_range)
    return x[:, None, :]


def preprocess_rr(pre: Preprocess, rr: np.ndarray) -> np.ndarray:
    """RR intervals (N, 3) [prev, next, local] in samples -> chip RR features (N, n_rr), int64."""
    rr = np.asarray(rr, dtype=np.int64)
    if rr.ndim != 2 or rr.shape[1] != 3:
        raise ValueError(f"expected RR intervals of shape (N, 3), got {rr.shape}")
    if (rr < 0).any():
        raise ValueError("RR intervals must be non-negative")
    stateful = [f for f in pre.rr_features if f in PATIENT_FEATURES]
    if stateful:
        raise ValueError(f"{stateful} need the patient's earlier beats: use preprocess_stream")
    prev, nxt, local = rr[:, 0], rr[:, 1], rr[:, 2]
    denominator = np.maximum(local, 1)
    features = {
        "prev_ratio": (prev << pre.ratio_shift) // denominator,
        "next_ratio": (nxt << pre.ratio_shift) // denominator,
        "prev": prev >> pre.rr_shift,
        "next": nxt >> pre.rr_shift,
        "local": local >> pre.rr_shift,
    }
    cols = [features[name] for name in pre.rr_features]
    out = np.stack(cols, axis=1) if cols else np.zeros((len(rr), 0), dtype=np.int64)
    return saturate(out, *pre.rr_range)


def preprocess(
    pre: Preprocess, windows: np.ndarray, rr: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Both halves of the front end: (samples (N, 1, L), RR features (N, n_rr))."""
    return preprocess_samples(pre, windows), preprocess_rr(pre, rr)


def preprocess_stream(
    pre: Preprocess, windows: np.ndarray, rr: np.ndarray, record: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`preprocess` for beats in time order within each record (`record` names the patient of
    each beat; None: one patient), with the patient-relative features of `model.contract.patient`
    in their places among `pre.rr_features`."""
    x = preprocess_samples(pre, windows)
    plain = tuple(f for f in pre.rr_features if f not in PATIENT_FEATURES)
    base = preprocess_rr(dataclasses.replace(pre, rr_features=plain), rr)
    if len(plain) == pre.n_rr:
        return x, base
    patient = patient_features(pre, x, rr, record)
    cols = [
        base[:, plain.index(f)] if f in plain else patient[:, PATIENT_FEATURES.index(f)]
        for f in pre.rr_features
    ]
    return x, np.stack(cols, axis=1).astype(np.int64)


def uniform_inputs(
    pre: Preprocess, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`n` chip inputs drawn uniformly over the whole input and RR ranges: x (n, 1, n_samples)
    and rr (n, n_rr), int64. The stand-in where no real beats are at hand."""
    lo, hi = pre.input_range
    rlo, rhi = pre.rr_range
    x = rng.integers(lo, hi + 1, (n, 1, pre.n_samples))
    return x, rng.integers(rlo, rhi + 1, (n, pre.n_rr))
