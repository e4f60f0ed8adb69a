"""Fixtures for the firmware tests: artifacts of many shapes, one compiled host library per
artifact (built once per session), and chip inputs that include the corners."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from ecg_snn.firmware.build import build_library
from ecg_snn.firmware.host import HostLib
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.model.variants import narrowest, relabelled, tied


def _variants() -> dict[str, Callable[[], Artifact]]:
    def rng(seed: int) -> np.random.Generator:
        return np.random.default_rng(seed)

    return {
        "default": lambda: random_artifact(rng(1)),
        "one-conv-two-hidden": lambda: random_artifact(
            rng(2), convs=((5, 4, 3),), hidden=(12, 8), T=6
        ),
        "no-rr": lambda: random_artifact(rng(3), rr_features=(), n_classes=3),
        "all-rr-features": lambda: random_artifact(
            rng(4), rr_features=("prev_ratio", "next_ratio", "prev", "next", "local")
        ),
        "wide": lambda: random_artifact(rng(5), weight_bits=12, input_bits=16, T=3),
        "deep-long": lambda: random_artifact(
            rng(6),
            n_samples=40,
            convs=((5, 7, 1), (6, 5, 2), (4, 3, 3)),
            hidden=(9, 7),
            T=12,
            threshold_range=(2, 30),
        ),
        "one-step-two-classes": lambda: random_artifact(rng(7), T=1, n_classes=2, hidden=()),
        "saturating": lambda: narrowest(random_artifact(rng(8), threshold_range=(2, 12))),
        "ties": lambda: tied(random_artifact(rng(9), n_classes=5), ((0, 1), (2, 3))),
    }


VARIANTS = _variants()


@pytest.fixture(params=list(VARIANTS), ids=list(VARIANTS))
def variant(request) -> Artifact:
    """Each artifact shape the C code must handle, in turn."""
    return VARIANTS[request.param]()


@pytest.fixture
def make_variant() -> Callable[[str], Artifact]:
    return lambda name: VARIANTS[name]()


@pytest.fixture
def make_retrained() -> Callable[[Artifact, int], Artifact]:
    return relabelled


@pytest.fixture
def make_inputs() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    return chip_inputs


@pytest.fixture(scope="session")
def default_pre_artifact() -> Artifact:
    """A random model with the default preprocessing (the cached MIT-BIH dataset's window, 12-bit
    samples, four RR features): real beats fit it, trained or not."""
    pre = Preprocess()
    base = random_artifact(
        np.random.default_rng(11),
        n_samples=pre.n_samples,
        convs=((6, 7, 2), (6, 5, 2)),
        hidden=(16,),
        n_classes=5,
        rr_features=pre.rr_features,
        T=8,
        input_bits=pre.input_bits,
        threshold_range=(2, 12),
    )
    spec = dataclasses.replace(base.spec, preprocess=pre)
    out = Artifact(spec=spec, tensors=base.tensors, meta=base.meta)
    out.validate()
    return out


@pytest.fixture(scope="session")
def host_lib(tmp_path_factory) -> Callable[[Artifact], HostLib]:
    """Compile (once per artifact and session) and load the host library for an artifact."""
    cache: dict[str, HostLib] = {}

    def get(artifact: Artifact) -> HostLib:
        key = artifact.checksum()
        if key not in cache:
            out = tmp_path_factory.mktemp(f"fw-{key[:10]}")
            cache[key] = HostLib(build_library(artifact, out))
        return cache[key]

    return get


def chip_inputs(spec: ModelSpec, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n beats of chip inputs: uniform random, plus rows at the corners of the input ranges
    (all minimum, all maximum, alternating, zero) and of the RR range (0 and the maximum)."""
    pre = spec.preprocess
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (pre.input_bits - 1)), (1 << (pre.input_bits - 1)) - 1
    rr_max = (1 << pre.rr_bits) - 1
    x = rng.integers(lo, hi + 1, (n, 1, pre.n_samples))
    # a quieter half: small signals drive fewer spikes, the regime real beats are in
    x[n // 2 :] //= rng.integers(1, 64, (n - n // 2, 1, 1))
    rr = rng.integers(0, rr_max + 1, (n, spec.n_rr))
    corners = [np.full(pre.n_samples, v) for v in (lo, hi, 0, -1)]
    corners.append(np.where(np.arange(pre.n_samples) % 2, hi, lo))
    for i, row in enumerate(corners):
        x[i, 0] = row
        rr[i] = (0, rr_max, rr_max, 0)[i % 4] if spec.n_rr else rr[i]
    return x, rr
