"""Beat-by-beat scoring as ANSI/AAMI EC57 does it, with wfdb's matcher.

QRS detection: a detection matches a reference beat within 150 ms
(`wfdb.processing.compare_annotations`: |difference| <= 54 samples at 360 Hz); matched
reference beats are true positives (TP), unmatched reference beats false negatives (FN),
unmatched detections false positives (FP)::

    Se = TP / (TP + FN)        +P = TP / (TP + FP)

EC57 leaves the first 5 minutes of each MIT-BIH record unscored (a learning period for the
device under test; `bxb`'s default start): `EC57_START_S`. `scored_interval` can also cut the
annotated ventricular flutter episodes (between WFDB `[` and `]` annotations), where MIT-BIH
marks flutter waves, not beats.

End to end (`classes_end_to_end`): every reference beat of the classifier's test set gets the
class of the detection matched to it, or "missed"; every detection matched to no reference beat
is a false positive of the class it was given. The confusion matrix has one more row and column,
`-` (no beat), so missed beats count against Se of their class and false detections against +P
of theirs: `model.metrics.classification_metrics` then reads it as usual.
"""

from __future__ import annotations

import numpy as np
from wfdb.processing import compare_annotations

from ecg_snn.data.aami import Kind, classify, load_mapping
from ecg_snn.model.metrics import classification_metrics

WINDOW_S = 0.150  # EC57's match window
EC57_START_S = 300  # EC57: the first 5 minutes are not scored
NO_BEAT = "-"


def window_samples(fs: int) -> int:
    return round(WINDOW_S * fs)


def reference_beats(sample: np.ndarray, symbol: np.ndarray, n: int | None = None) -> np.ndarray:
    """Positions of the annotations that are QRS complexes (every WFDB beat label, classed or
    not; `data.aami`), sorted; with `n` (the signal's length) only those inside ``[0, n)``."""
    kind, _ = classify(np.asarray(symbol), load_mapping(None))
    beat = (kind == Kind.BEAT) | (kind == Kind.UNMAPPED_BEAT)
    sample = np.asarray(sample)
    if n is not None:
        beat &= (sample >= 0) & (sample < n)
    return np.sort(sample[beat])


def flutter_mask(positions: np.ndarray, ann_sample: np.ndarray, ann_symbol: np.ndarray):
    """True for positions inside an annotated ventricular flutter episode (`[` .. `]`)."""
    inside = np.zeros(len(positions), bool)
    start = None
    for s, sym in zip(ann_sample, ann_symbol, strict=True):
        if sym == "[":
            start = s
        elif sym == "]" and start is not None:
            inside |= (positions >= start) & (positions <= s)
            start = None
    if start is not None:
        inside |= positions >= start
    return inside


def match(ref: np.ndarray, test: np.ndarray, fs: int) -> dict:
    """TP, FN, FP, Se, +P of detections `test` against reference beats `ref` (sample indices),
    and `pairs`: for each reference beat the index of its matched detection, or -1."""
    ref = np.asarray(ref, np.int64)
    test = np.asarray(test, np.int64)
    if len(ref) == 0 or len(test) == 0:  # compare_annotations needs both non-empty
        pairs = np.full(len(ref), -1)
    else:
        # wfdb matches when |difference| < window_width: + 1 makes 150 ms itself a match
        c = compare_annotations(ref, test, window_samples(fs) + 1)
        pairs = np.asarray(c.matching_sample_nums, np.int64)
    tp = int(np.count_nonzero(pairs >= 0))
    return counts(tp, len(ref) - tp, len(test) - tp) | {"pairs": pairs}


def counts(tp: int, fn: int, fp: int) -> dict:
    """The count dictionary with Se and +P (0.0 where the denominator is 0)."""
    return {
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "se": tp / (tp + fn) if tp + fn else 0.0,
        "ppv": tp / (tp + fp) if tp + fp else 0.0,
    }


def scored(positions: np.ndarray, fs: int, start_s: float, skip: np.ndarray | None = None):
    """The positions at or after `start_s`, less those marked in `skip`."""
    keep = np.asarray(positions) >= round(start_s * fs)
    if skip is not None:
        keep &= ~skip
    return np.asarray(positions)[keep]


def classes_end_to_end(
    ref_all: np.ndarray,
    ref_sample: np.ndarray,
    ref_label: np.ndarray,
    det_sample: np.ndarray,
    det_cls: np.ndarray,
    fs: int,
    n_classes: int,
) -> np.ndarray:
    """(n_classes + 1)^2 confusion counts, rows true, columns predicted, index n_classes = `-`.

    `ref_all`: every reference QRS (matching is against all of them, so a detection of a beat
    the classifier's test set leaves out, e.g. the first beat, is not a false detection);
    `ref_sample`, `ref_label`: the test-set beats and their class indices; `det_cls`: the class
    of each detection, -1 for unclassified (counted as a miss, or as an unclassed false
    detection: neither row nor column of a class)."""
    none = n_classes
    m = np.zeros((n_classes + 1, n_classes + 1), np.int64)
    pairs = match(ref_all, det_sample, fs)["pairs"]
    where = np.searchsorted(ref_all, ref_sample)
    if len(ref_sample) and not np.array_equal(
        ref_all[np.minimum(where, len(ref_all) - 1)], ref_sample
    ):
        raise ValueError("every test-set beat must be one of the reference beats")
    for label, j in zip(ref_label, pairs[where], strict=True):
        got = det_cls[j] if j >= 0 else -1
        m[label, got if got >= 0 else none] += 1
    matched = np.zeros(len(det_sample), bool)
    matched[pairs[pairs >= 0]] = True
    false_cls = det_cls[~matched]
    for c in false_cls[false_cls >= 0]:
        m[none, c] += 1
    return m


def end_to_end_metrics(m: np.ndarray, classes: tuple[str, ...]) -> dict:
    """`classification_metrics` of an end-to-end confusion (the `-` class included)."""
    n = len(m)
    true = np.repeat(np.arange(n), m.sum(axis=1))
    pred = np.concatenate([np.repeat(np.arange(n), row) for row in m])
    out = classification_metrics(true, pred, (*classes, NO_BEAT))
    out["per_class"].pop(NO_BEAT)
    out["macro_f1"] = float(np.mean([c["f1"] for c in out["per_class"].values()]))
    return out
