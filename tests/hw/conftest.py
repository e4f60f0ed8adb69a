"""Fixtures for the hardware tests: random artifacts of several shapes and widths, beats
(`tests/artifacts.py`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.variants import relabelled
from tests.artifacts import make_artifact, random_beats, ssf_artifact


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
