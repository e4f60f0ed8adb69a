"""Adapt a base artifact to one patient's labelled beats, safely.

`calibrate(base, x, rr, y)`:

1. Classes with at least `min_beats` labelled beats are *adapted*; the others keep the base's
   integers (a class the cardiologist saw too rarely cannot be calibrated). Fewer than
   `min_classes` adapted classes, or a class named in `classes` with too few beats, is an
   `AdaptError`.
2. The labelled beats are split in time order, per class: every `holdout`-th beat of each class
   (the 4th, 8th, ...) is *held back*, the rest fit the change (`model.adapt.fit`).
3. Candidates, cheapest first: each mode of `modes` (``bias``, then ``last``) at each ridge of
   `ridges`; then ``finetune`` (`model.adapt.finetune`), one more candidate, if the
   fine-tuner can model the base (else listed in `modes_skipped`). Each is
   run through the golden model on the held-back beats and scored by its
   class-weighted errors (the weights of the fit, n_c^-alpha).
4. The best candidate (fewest weighted errors, then fewest changed integers) is kept only if
   it makes *fewer* weighted errors than the base model on the held-back beats; otherwise the
   base's integers are kept and the summary says so (`kept_base`).

Errors are counted on the classes the device reports: the chip's, through the artifact's rhythm
gate (`model.contract.patient.gate`, on the labelled beats' `rhythm`). The gate is an
inter-patient prior (an S call in an irregular rhythm is not trusted); a patient's own labelled
beats may show it wrong for them (frequent atrial ectopy reads as an irregular rhythm). So when
the base has a gate, every candidate is also tried with the gate off, and so is the base's
integers with the gate off (mode ``gate_off``, no integer changed): the held-back check decides.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from ecg_snn.model.adapt.errors import AdaptError
from ecg_snn.model.adapt.finetune import finetune_candidate, unavailable
from ecg_snn.model.adapt.fit import (
    ALPHA,
    MODES,
    apply_change,
    class_weights,
    fit_change,
    output_inputs,
)
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, changed_integers
from ecg_snn.model.splits import Beats

RIDGES = (1.0, 0.1, 0.01, 0.001)


@dataclass(frozen=True)
class Settings:
    """The knobs of `calibrate` (the CLI's options)."""

    min_beats: int = 5
    min_classes: int = 1
    holdout: int = 4
    modes: tuple[str, ...] = MODES
    ridges: tuple[float, ...] = RIDGES
    alpha: float = ALPHA
    classes: tuple[str, ...] | None = None  # None: every class with >= min_beats beats


@dataclass
class Calibration:
    artifact: Artifact
    summary: dict = field(default_factory=dict)


def adapted_classes(y: np.ndarray, classes: tuple[str, ...], settings: Settings) -> np.ndarray:
    """Boolean (K,) mask of the classes to adapt; `AdaptError` if too few beats for it."""
    counts = np.bincount(y, minlength=len(classes))
    have = ", ".join(f"{c} {n}" for c, n in zip(classes, counts, strict=True))
    if settings.classes is not None:
        unknown = [c for c in settings.classes if c not in classes]
        if unknown:
            raise AdaptError(f"unknown classes {unknown}; the model's classes are {classes}")
        short = [c for c in settings.classes if counts[classes.index(c)] < settings.min_beats]
        if short:
            raise AdaptError(
                f"too few labelled beats of class {', '.join(short)} to adapt it (labelled: "
                f"{have}; at least {settings.min_beats} needed): label more minutes, lower "
                f"--min-beats, or leave {', '.join(short)} out of --classes"
            )
        return np.array([c in settings.classes for c in classes])
    rows = counts >= settings.min_beats
    if rows.sum() < settings.min_classes:
        raise AdaptError(
            f"too few labelled beats to adapt: labelled {have}; adaptation needs at least "
            f"{settings.min_beats} beats (--min-beats) of at least {settings.min_classes} "
            "classes (--min-classes), so it learns to tell them apart: label more minutes "
            "(--minutes) or beats (--beats)"
        )
    return rows


def holdout_mask(y: np.ndarray, every: int) -> np.ndarray:
    """Every `every`-th beat of each class in time order (positions every-1, 2*every-1 ...)."""
    held = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        held[idx[every - 1 :: every]] = True
    return held


def _beats(x: np.ndarray, rr: np.ndarray, y: np.ndarray, mask: np.ndarray) -> Beats:
    return Beats(x[mask], rr[mask], y[mask], np.full(int(mask.sum()), "patient"))


def weighted_errors(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    return float((w * (pred != y)).sum())


def without_gate(art: Artifact) -> Artifact:
    """The same integers with the rhythm gate off."""
    return dataclasses.replace(art, spec=dataclasses.replace(art.spec, rhythm_gate=0))


def calibrate(
    base: Artifact,
    x: np.ndarray,
    rr: np.ndarray,
    y: np.ndarray,
    rhythm: np.ndarray,
    settings: Settings = Settings(),
) -> Calibration:
    """The adapted artifact (or the base, if adaptation does not help) and a summary dict;
    `rhythm` is the labelled beats' rhythm gate measure."""
    start = time.perf_counter()
    classes = base.spec.classes
    rows = adapted_classes(y, classes, settings)
    held = holdout_mask(y, settings.holdout)
    fit = ~held
    inputs = output_inputs(base, x[fit], rr[fit])
    w_held = class_weights(y[held], len(classes), settings.alpha)

    def reported(art: Artifact) -> np.ndarray:
        chip = golden.run(art, x[held], rr[held]).cls
        return art.spec.reported(chip, rhythm[held])

    base_pred = reported(base)
    base_errors = weighted_errors(y[held], base_pred, w_held)
    candidates = []

    def score(mode: str, ridge: float | None, art: Artifact) -> None:
        changed = changed_integers(art, base)
        for variant in (art, without_gate(art)) if art.spec.rhythm_gate else (art,):
            pred = reported(variant)
            candidates.append(
                {
                    "mode": mode,
                    "ridge": ridge,
                    "rhythm_gate": variant.spec.rhythm_gate,
                    "held_back_weighted_errors": weighted_errors(y[held], pred, w_held),
                    "held_back_errors": int((pred != y[held]).sum()),
                    "integers_changed": int(sum(changed.values())),
                    "artifact": variant,
                }
            )

    skipped = {}
    if base.spec.rhythm_gate:
        score("gate_off", None, without_gate(base))
    for mode in settings.modes:
        if mode == "finetune" and (why := unavailable(base)):
            skipped[mode] = why
            continue
        if mode == "finetune":
            tuned = finetune_candidate(base, _beats(x, rr, y, fit), _beats(x, rr, y, held))
            score(mode, None, tuned)
            continue
        for ridge in settings.ridges:
            change = fit_change(inputs, y[fit], rows, mode, ridge, settings.alpha)
            score(mode, ridge, apply_change(base, change))
    # fewest weighted errors, then fewest changed integers, then the base's gate kept
    best = min(
        candidates,
        key=lambda c: (
            c["held_back_weighted_errors"],
            c["integers_changed"],
            c["rhythm_gate"] != base.spec.rhythm_gate,
        ),
    )
    kept_base = not best["held_back_weighted_errors"] < base_errors
    chosen = base if kept_base else best["artifact"]
    counts = np.bincount(y, minlength=len(classes))
    summary = {
        "labelled_beats": len(y),
        "labelled_per_class": dict(zip(classes, counts.tolist(), strict=True)),
        "adapted_classes": [c for c, r in zip(classes, rows, strict=True) if r],
        "fit_beats": int(fit.sum()),
        "held_back_beats": int(held.sum()),
        "held_back_per_class": dict(
            zip(classes, np.bincount(y[held], minlength=len(classes)).tolist(), strict=True)
        ),
        "base_held_back_weighted_errors": base_errors,
        "base_held_back_errors": int((base_pred != y[held]).sum()),
        "candidates": [{k: v for k, v in c.items() if k != "artifact"} for c in candidates],
        "modes_skipped": skipped,
        "chosen": None
        if kept_base
        else {"mode": best["mode"], "ridge": best["ridge"], "rhythm_gate": best["rhythm_gate"]},
        "kept_base": kept_base,
        "rhythm_gate": chosen.spec.rhythm_gate,
        "integers_changed": 0 if kept_base else best["integers_changed"],
        "changed_per_tensor": changed_integers(chosen, base),
        "settings": dataclasses.asdict(settings),
        "seconds": round(time.perf_counter() - start, 2),
    }
    return Calibration(chosen, summary)
