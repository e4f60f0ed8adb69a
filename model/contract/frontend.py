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
a preprocessing that names them. `preprocess_beats` is the one entry point for a consumer that
holds whole records but wants some of their beats (a sample for power, a test mask, a
labelled prefix): it runs the patient state over every earlier beat of those records, so a
beat's inputs do not depend on which other beats were chosen.
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


def _selection(select: np.ndarray | None, n: int) -> np.ndarray:
    """An index array (in the caller's order) from None (all), a boolean mask or indices."""
    if select is None:
        return np.arange(n)
    sel = np.asarray(select)
    if sel.dtype == bool:
        if sel.shape != (n,):
            raise ValueError(f"a boolean selection needs {n} entries, got shape {sel.shape}")
        return np.flatnonzero(sel)
    sel = sel.astype(np.int64).reshape(-1)
    if len(sel) and (sel.min() < 0 or sel.max() >= n):
        raise ValueError(
            f"selected beat indices must lie in [0, {n}), not {sel.min()}..{sel.max()}"
        )
    return sel


def preprocess_beats(
    pre: Preprocess,
    windows: np.ndarray,
    rr: np.ndarray,
    record: np.ndarray | None = None,
    select: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Chip inputs (x (M, 1, L), rr (M, n_rr)) of the `select`ed beats (indices or a mask;
    None: all) of records held whole: `record` names each beat's patient (None: one patient),
    and a patient's beats are in time order (they need not be adjacent).

    Beat j's patient features are those of `preprocess_stream` over *every* beat of its record
    up to j, whichever beats are selected: the state the device's front end has when j arrives.
    Only the beats up to the last selected one of each record are run (the state is causal).
    A preprocessing without patient features is per beat: only the selected beats are run."""
    windows, rr = np.asarray(windows), np.asarray(rr)
    sel = _selection(select, len(windows))
    if not any(f in PATIENT_FEATURES for f in pre.rr_features):
        return preprocess(pre, windows[sel], rr[sel])
    record = np.zeros(len(windows), np.int64) if record is None else np.asarray(record)
    if record.shape != (len(windows),):
        raise ValueError(f"record needs one name per beat ({len(windows)}), got {record.shape}")
    names, code = np.unique(record, return_inverse=True)
    last = np.full(len(names), -1)
    np.maximum.at(last, code[sel], sel)  # each record runs up to its last selected beat
    x = np.zeros((len(sel), 1, pre.n_samples), np.int64)
    feats = np.zeros((len(sel), pre.n_rr), np.int64)
    upto = np.arange(len(windows))
    for k in np.unique(code[sel]):  # one patient at a time: its beats in their order
        run = np.flatnonzero((code == k) & (upto <= last[k]))
        xk, fk = preprocess_stream(pre, windows[run], rr[run])
        hit = code[sel] == k
        at = np.searchsorted(run, sel[hit])
        x[hit], feats[hit] = xk[at], fk[at]
    return x, feats


def uniform_inputs(
    pre: Preprocess, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`n` chip inputs drawn uniformly over the whole input and RR ranges: x (n, 1, n_samples)
    and rr (n, n_rr), int64. The stand-in where no real beats are at hand."""
    lo, hi = pre.input_range
    rlo, rhi = pre.rr_range
    x = rng.integers(lo, hi + 1, (n, 1, pre.n_samples))
    return x, rng.integers(rlo, rhi + 1, (n, pre.n_rr))
