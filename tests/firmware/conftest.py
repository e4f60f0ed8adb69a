"""Fixtures for the firmware tests: artifacts of many shapes, one compiled host library per
artifact (built once per session), and chip inputs that include the corners."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from firmware.build import build_library
from firmware.host import HostLib
from model.contract.artifact import Artifact, ModelSpec
from model.contract.spec import Preprocess, signed_bits_for
from model.random_artifact import random_artifact


def with_tensors(artifact: Artifact, **replace) -> Artifact:
    tensors = {k: v.copy() for k, v in artifact.tensors.items()}
    tensors.update(replace)
    out = Artifact(spec=artifact.spec, tensors=tensors, meta=dict(artifact.meta))
    out.validate()
    return out


def with_layers(artifact: Artifact, layers) -> Artifact:
    spec = dataclasses.replace(artifact.spec, layers=tuple(layers))
    out = Artifact(spec=spec, tensors=artifact.tensors, meta=dict(artifact.meta))
    out.validate()
    return out


def narrow_membranes(artifact: Artifact) -> Artifact:
    """Each membrane one bit wider than its threshold needs: the integration saturates often,
    at both ends, so the C saturation is exercised, not just present."""
    layers = []
    for layer in artifact.spec.layers:
        bits = signed_bits_for(min(0, layer.v_init), max(layer.threshold, layer.v_init)) + 1
        layers.append(dataclasses.replace(layer, membrane_bits=min(bits, layer.membrane_bits)))
    return with_layers(artifact, layers)


def with_ties(artifact: Artifact) -> Artifact:
    """Output classes 1 = 0 and 3 = 2 (same weights and bias): their values tie on every beat,
    so the decision must pick the lower index."""
    last = artifact.spec.layers[-1]
    replace = {}
    for field in ("weight", "bias", "rr_weight"):
        t = artifact.tensors.get(f"{last.name}.{field}")
        if t is not None:
            t = t.copy()
            t[1], t[3] = t[0], t[2]
            replace[f"{last.name}.{field}"] = t
    return with_tensors(artifact, **replace)


def retrained(artifact: Artifact, seed: int) -> Artifact:
    """Other loadable values for the same hardware configuration: each layer's output channels
    permuted (rows of weight, bias and RR weight together, so every range the widths were
    derived from is kept) and new thresholds."""
    rng = np.random.default_rng(seed)
    tensors, layers = dict(artifact.tensors), []
    for layer in artifact.spec.layers:
        perm = rng.permutation(layer.out_channels)
        for field in ("weight", "bias", "rr_weight"):
            key = f"{layer.name}.{field}"
            if key in tensors:
                tensors[key] = tensors[key][perm]
        threshold = max(1, layer.threshold * int(rng.integers(50, 150)) // 100)
        layers.append(dataclasses.replace(layer, threshold=threshold, v_init=threshold // 3))
    spec = dataclasses.replace(artifact.spec, layers=tuple(layers))
    out = Artifact(spec=spec, tensors=tensors, meta={"origin": "retrained"})
    out.validate()
    assert spec.hardware_id() == artifact.spec.hardware_id()
    return out


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
        "saturating": lambda: narrow_membranes(random_artifact(rng(8), threshold_range=(2, 12))),
        "ties": lambda: with_ties(random_artifact(rng(9), n_classes=5)),
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
    return retrained


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
