"""Classification metrics, one function used by training, evaluation, the report and the tests.

For class k with confusion matrix M (rows = true class, columns = predicted)::

    Se_k  = M[k,k] / sum_j M[k,j]        sensitivity (recall)
    +P_k  = M[k,k] / sum_i M[i,k]        positive predictivity (precision)
    F1_k  = 2 Se_k +P_k / (Se_k + +P_k)
    accuracy = trace(M) / sum(M)

    macro_f1 = mean_k F1_k (every class);  macro_f1_nsv = mean over N, S, V only
    kappa    = (p_o - p_e) / (1 - p_e),  p_o = accuracy,  p_e = sum_k (row_k / n)(col_k / n)
               (Cohen 1960)
    j_kappa  = 0.5 kappa + 0.125 (Se_S + Se_V + +P_S + +P_V)
               (the j-index of Mar et al. 2011 with kappa, as in Mondéjar-Guerra et al. 2019)

A ratio with a zero denominator is reported as 0.0 (no beats of that class, or never predicted).
F beats called V count as errors (the strict 4-class confusion; no AAMI exemption).
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
    n = m.sum()
    p_o = _ratio(np.trace(m), n)
    p_e = float((m.sum(1) / n) @ (m.sum(0) / n)) if n else 0.0
    kappa = _ratio(p_o - p_e, 1.0 - p_e)
    out = {}
    if {"S", "V"} <= set(per_class):
        s, v = per_class["S"], per_class["V"]
        out["j_kappa"] = 0.5 * kappa + 0.125 * (s["se"] + v["se"] + s["ppv"] + v["ppv"])
        nsv = [per_class[k]["f1"] for k in ("N", "S", "V") if k in per_class]
        out["macro_f1_nsv"] = float(np.mean(nsv))
    return {
        "accuracy": p_o,
        "per_class": per_class,
        "macro_f1": float(np.mean([c["f1"] for c in per_class.values()])),
        "kappa": kappa,
        **out,
        "confusion": m.tolist(),
        "n": int(m.sum()),
    }


def per_record(
    y_true: np.ndarray, y_pred: np.ndarray, record: np.ndarray, classes: tuple[str, ...] | list[str]
) -> dict:
    """Per record (patient): beats, S and V beats, their Se, and false S / false V (beats of
    another class called S / V). Classes must include S and V."""
    s, v = list(classes).index("S"), list(classes).index("V")
    y_true, y_pred, record = np.asarray(y_true), np.asarray(y_pred), np.asarray(record)
    out = {}
    for r in sorted(set(record.tolist())):
        m = record == r
        yt, yp = y_true[m], y_pred[m]
        n_s, n_v = int((yt == s).sum()), int((yt == v).sum())
        out[str(r)] = {
            "n": int(m.sum()),
            "accuracy": _ratio((yt == yp).sum(), m.sum()),
            "n_s": n_s,
            "s_se": _ratio(((yt == s) & (yp == s)).sum(), n_s) if n_s else None,
            "false_s": int(((yt != s) & (yp == s)).sum()),
            "n_v": n_v,
            "v_se": _ratio(((yt == v) & (yp == v)).sum(), n_v) if n_v else None,
            "false_v": int(((yt != v) & (yp == v)).sum()),
        }
    return out


AF_RECORDS = ("201", "202", "203", "210", "219", "221", "222")  # atrial fibrillation / flutter


def record_table(records: dict, names=AF_RECORDS) -> str:
    """Markdown rows of `per_record` output for `names` (default the AF records of MIT-BIH)."""

    def pct(v):
        return "–" if v is None else f"{100 * v:.1f}"

    rows = [
        "| record | beats | accuracy | S | S Se | false S | V | V Se | false V |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        if name not in records:
            continue
        r = records[name]
        rows.append(
            f"| {name} | {r['n']} | {pct(r.get('accuracy'))} | {r['n_s']} | {pct(r['s_se'])} "
            f"| {r['false_s']} | {r['n_v']} | {pct(r['v_se'])} | {r['false_v']} |"
        )
    return "\n".join(rows)


def s_se_without(
    y_true: np.ndarray, y_pred: np.ndarray, record: np.ndarray, classes, drop: str
) -> float:
    """S sensitivity over the beats of every record but `drop` (e.g. 232, DS2's S-heavy one)."""
    s = list(classes).index("S")
    keep = (np.asarray(record) != drop) & (np.asarray(y_true) == s)
    return _ratio((np.asarray(y_pred)[keep] == s).sum(), keep.sum())
