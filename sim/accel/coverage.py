"""Did the stimulus reach the corners? Counts from the golden model, so a test can assert that
its vectors really saturate every layer's membrane and really produce decision ties.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from model.contract import golden
from model.contract.artifact import Artifact


@contextlib.contextmanager
def _counting_if_step(counts: dict[str, int]) -> Iterator[None]:
    # golden.run looks `if_step` up in its module at call time; wrapping it there counts the
    # clamps without a second copy of the integration loop that could drift from the original.
    original = golden.if_step

    def counting(v, acc, const, layer):
        lo, hi = layer.membrane_range
        raw = v + acc + const
        counts[layer.name] += int(((raw < lo) | (raw > hi)).sum())
        return original(v, acc, const, layer)

    golden.if_step = counting
    try:
        yield
    finally:
        golden.if_step = original


def saturations(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> dict[str, int]:
    """Per layer: how many (beat, neuron, step) membrane updates hit the saturation bounds."""
    counts = {layer.name: 0 for layer in artifact.spec.layers}
    with _counting_if_step(counts):
        golden.run(artifact, x[:, None, :], rr)
    return counts


def ties(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> int:
    """Beats whose largest output value is shared by two or more classes."""
    values = golden.run(artifact, x[:, None, :], rr).values
    return int(((values == values.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum())
