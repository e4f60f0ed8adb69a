"""Classification metrics, one function used by training, evaluation, the report and the tests.

For class k with confusion matrix M (rows = true class, columns = predicted)::

    Se_k  = M[k,k] / sum_j M[k,j]        sensitivity (recall)
    +P_k  = M[k,k] / sum_i M[i,k]        positive predictivity (precision)
    F1_k  = 2 Se_k +P_k / (Se_k + +P_k)
    accuracy = trace(M) / sum(M)

A ratio with a zero denominator is reported as 0.0 (no beats of that class, or never predicted).
"""

from __future__ import annotations

import numpy as np


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) int64 counts, rows true, columns predicted."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"labels {y_true.shape} and predictions {y_pred.shape} differ in shape")
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes**2).reshape(
        n_classes, n_classes
    )


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, classes: tuple[str, ...] | list[str]
) -> dict:
    """accuracy, per_class {se, ppv, f1}, macro_f1 and the confusion matrix (as lists)."""
    m = confusion(y_true, y_pred, len(classes))
    per_class = {}
    for k, name in enumerate(classes):
        se = _ratio(m[k, k], m[k].sum())
        ppv = _ratio(m[k, k], m[:, k].sum())
        per_class[name] = {"se": se, "ppv": ppv, "f1": _ratio(2 * se * ppv, se + ppv)}
    return {
        "accuracy": _ratio(np.trace(m), m.sum()),
        "per_class": per_class,
        "macro_f1": float(np.mean([c["f1"] for c in per_class.values()])),
        "confusion": m.tolist(),
        "n": int(m.sum()),
    }
