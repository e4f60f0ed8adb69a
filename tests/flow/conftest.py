"""Fixtures for the implementation-flow tests (`tests/artifacts.py`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecg_snn.model.contract.artifact import Artifact
from tests.artifacts import make_artifact, ssf_artifact


@pytest.fixture
def artifact_factory() -> Callable[..., Artifact]:
    return make_artifact


@pytest.fixture
def ssf_factory() -> Callable[..., Artifact]:
    return ssf_artifact
