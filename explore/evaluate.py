"""Score one point: train it on DS1 by-patient folds and pool the integer model's OOF predictions.

The machinery is `model.cv`'s (the selection protocol of every inter-patient choice,
docs/model.md): `make_folds` deals the 22 DS1 records into `folds` groups of whole patients,
`run_fold` trains the point's CNN (`space.recipe`: the shipped recipe at the point's shape) on the
others, `artifact_of` converts and quantizes it at the point's T, weight bits and neuron, and the
golden model (`model.contract.golden`, what the chip computes) predicts the held-out patients.
The out-of-fold (OOF) predictions of all 22 patients are pooled into one confusion matrix:

    jκ = κ_j of de Mazomenos et al. (model.metrics), Se_c = TP_c / (TP_c + FN_c),
    +P_c = TP_c / (TP_c + FP_c), both per class; plain argmax (no output offsets: the v3
    decision, docs/model.md)

    spike rate = mean spikes per inference / (firing neurons x T)

A ssf neuron's count c is c spikes. The hardware of the point is measured on fold 0's artifact
and on beats of fold 0's held-out patients (`hw_sample`), which that network never saw in
training; they are DS1 beats like every other figure of the search.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ecg_snn.explore.ds1 import check_ds1, load_ds1
from ecg_snn.explore.space import Point, recipe
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS, V3_FEATURES, Preprocess
from ecg_snn.model.splits import Beats

CLASS_FIELDS = ("N", "S", "V", "F")


def preprocess_of(point: Point) -> Preprocess:
    """The front end of a point: the shipped one, with the patient features for v3."""
    if point.frontend == "v3":
        return dataclasses.replace(DEFAULT_PREPROCESS, rr_features=V3_FEATURES)
    return DEFAULT_PREPROCESS


@dataclass
class Scored:
    """The CV figures of one (point, seed) and what the hardware stage needs."""

    metrics: dict  # jκ, κ, accuracy, per-class Se/+P, spikes, spike rate, folds, seconds
    artifact: Artifact  # fold 0's integer model
    held_out: Beats  # fold 0's validation beats (DS1)


def firing_slots(artifact: Artifact) -> int:
    """Spike slots of one inference: firing neurons x T (the spike rate's denominator)."""
    return int(sum(lay.n_out for lay in artifact.spec.layers if lay.fires)) * artifact.spec.T


def summarize(y: np.ndarray, pred: np.ndarray, classes: tuple[str, ...]) -> dict:
    """jκ, κ, accuracy and per-class Se / +P of pooled predictions."""
    from ecg_snn.model.metrics import classification_metrics

    m = classification_metrics(y, pred, classes)
    per = {c: {"se": m["per_class"][c]["se"], "ppv": m["per_class"][c]["ppv"]} for c in classes}
    return {
        "j_kappa": float(m["j_kappa"]),
        "kappa": float(m["kappa"]),
        "accuracy": float(m["accuracy"]),
        "per_class": per,
        "confusion": np.asarray(m["confusion"]).tolist(),
    }


def cross_validate_point(
    point: Point,
    epochs: int,
    folds: int,
    seed: int,
    load: Callable[[Preprocess], tuple[Beats, tuple[str, ...]]] = load_ds1,
    log: Callable[[str], None] = print,
) -> Scored:
    """Pooled OOF figures of `point` trained with `seed` (module docstring)."""
    from ecg_snn.model.contract import golden
    from ecg_snn.model.cv import artifact_of, make_folds, run_fold
    from ecg_snn.model.train import setup_torch

    t0 = time.perf_counter()
    pre = preprocess_of(point)
    beats, classes = load(pre)
    check_ds1(beats.record)  # whatever `load` is, nothing but DS1 goes further
    r = recipe(point, epochs, seed)
    setup_torch(seed)
    groups = make_folds(beats.record, beats.y, folds, classes)
    pred = np.zeros(len(beats), np.int64)
    spikes = np.zeros(len(beats))
    first: tuple[Artifact, Beats] | None = None
    slots = 0
    for k, recs in enumerate(groups):
        t1 = time.perf_counter()
        mask, _, layers = run_fold(beats, recs, r, pre, classes)
        art = artifact_of(layers, pre, point.T, classes, point.weight_bits, point.neuron)
        res = golden.run(art, beats.x[mask], beats.rr[mask])
        pred[mask], spikes[mask] = res.cls, res.spikes.sum(1)
        slots = firing_slots(art)
        if first is None:
            first = (art, beats.take(mask))
        log(f"    fold {k + 1}/{folds}: {time.perf_counter() - t1:.0f} s")
    m = summarize(beats.y, pred, classes)
    m |= {
        "spikes_per_inference": float(spikes.mean()),
        "spike_rate": float(spikes.mean() / slots),
        "folds": groups,
        "epochs": epochs,
        "seed": seed,
        "n_beats": len(beats),
        "cv_seconds": round(time.perf_counter() - t0, 1),
    }
    assert first is not None
    return Scored(m, first[0], first[1])
