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


def kappa(confusion_matrix: np.ndarray | list) -> float:
    """Cohen's κ of a confusion matrix (Cohen 1960): (p_o − p_e) / (1 − p_e), with p_o the
    observed agreement trace/n and p_e the chance agreement Σ_k row_k·col_k / n²."""
    m = np.asarray(confusion_matrix, dtype=np.float64)
    n = m.sum()
    if not n:
        return 0.0
    p_o = np.trace(m) / n
    p_e = float((m.sum(axis=0) * m.sum(axis=1)).sum()) / n**2
    return _ratio(p_o - p_e, 1.0 - p_e)


def j_kappa(metrics: dict) -> float:
    """The jκ index of Mondéjar-Guerra et al. 2019 for AAMI N/S/V/F results:
    0.5·κ + 0.125·(Se_S + Se_V + +P_S + +P_V), from `classification_metrics` output."""
    pc = metrics["per_class"]
    return 0.5 * kappa(metrics["confusion"]) + 0.125 * (
        pc["S"]["se"] + pc["V"]["se"] + pc["S"]["ppv"] + pc["V"]["ppv"]
    )
