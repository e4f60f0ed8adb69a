"""A class-stratified sample of beats, and the weights that turn its means into population means.

Allocation: with K classes present and n beats wanted, every class gets min(available, n // K)
beats; what is left goes to the classes with beats to spare, in proportion to what they have
left. Rare classes (S, F, Q in DS2) are therefore seen often enough to report their energy, and
`weights` (DS2 prevalence / sample share, per beat) restores the population mean.
"""

from __future__ import annotations

import numpy as np


def stratified(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a class-stratified sample of `n` beats (all beats if n >= len(labels))."""
    labels = np.asarray(labels)
    if n >= len(labels):
        return np.arange(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    take = np.minimum(counts, n // len(classes))
    left = n - take.sum()
    spare = counts - take
    while left > 0 and spare.sum() > 0:
        extra = np.floor(left * spare / spare.sum()).astype(int)
        if extra.sum() == 0:
            extra[np.argmax(spare)] = 1
        extra = np.minimum(extra, spare)
        take += extra
        spare -= extra
        left -= extra.sum()
    picks = [
        rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
        for c, k in zip(classes, take, strict=True)
    ]
    return np.sort(np.concatenate(picks))


def weights(sample_labels: np.ndarray, population_labels: np.ndarray) -> np.ndarray:
    """Per-beat weights, summing to 1, that make a weighted sample mean a population mean."""
    sample_labels = np.asarray(sample_labels)
    pop_classes, pop_counts = np.unique(population_labels, return_counts=True)
    prevalence = dict(
        zip(pop_classes.tolist(), (pop_counts / pop_counts.sum()).tolist(), strict=True)
    )
    w = np.zeros(len(sample_labels))
    for c in np.unique(sample_labels):
        mask = sample_labels == c
        w[mask] = prevalence.get(c.item(), 0.0) / mask.sum()
    return w / w.sum()
