"""Fixtures for the hardware tests: random artifacts of several shapes and widths, beats
(`tests/artifacts.py`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.variants import relabelled
from tests.artifacts import make_artifact, random_beats, ssf_artifact


def answers_depend_on_samples(artifact: Artifact, n: int = 200, min_share: float = 0.1) -> bool:
    """Whether a test model's answers change with its samples: over `n` random beats with the
    RR features held fixed, every class is the answer for at least `min_share` of them. A
    model that gives one class whatever the samples (its output driven by its biases and RR
    weights alone) cannot show a corrupted sample word in a test that compares results."""
    from ecg_snn.model.contract import golden

    x, rr = random_beats(artifact, np.random.default_rng(1), n)
    cls = golden.run(artifact, x, np.repeat(rr[2:3], n, axis=0)).cls
    return bool(np.bincount(cls, minlength=len(artifact.spec.classes)).min() >= min_share * n)


@pytest.fixture
def depends_on_samples() -> Callable[..., bool]:
    return answers_depend_on_samples


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240)


@pytest.fixture
def artifact_factory() -> Callable[..., Artifact]:
    return make_artifact


@pytest.fixture
def sibling_factory() -> Callable[..., Artifact]:
    return relabelled


@pytest.fixture
def beats_factory() -> Callable[..., tuple]:
    return random_beats


@pytest.fixture
def ssf_factory() -> Callable[..., Artifact]:
    return ssf_artifact
