"""Fixtures for the hardware tests: random artifacts of several shapes and widths, beats."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.model.variants import relabelled

# Shapes and widths the generator must handle (thresholds low enough that every layer spikes).
SHAPES: dict[str, dict] = {
    "small": dict(threshold_range=(1, 20)),
    "odd": dict(
        threshold_range=(1, 10),
        convs=((3, 3, 1), (5, 4, 3)),
        hidden=(7, 5),
        weight_bits=5,
        input_bits=7,
        n_classes=3,
    ),
    "norr": dict(
        threshold_range=(1, 30),
        convs=((2, 4, 2),),
        hidden=(6,),
        rr_features=(),
        T=3,
        weight_bits=4,
    ),
    # T = 1, no hidden dense layer: the output layer itself takes the RR features.
    "tiny": dict(
        threshold_range=(1, 8),
        n_samples=8,
        convs=((2, 3, 1),),
        hidden=(),
        T=1,
        n_classes=2,
        rr_features=("prev",),
        weight_bits=3,
        input_bits=4,
    ),
}
# The default model's shape: conv 1->8 k7 s2 on 64, conv 8->16 k5 s2, dense 208(+4 RR)
# -> 32, dense 32 -> 4, T = 8, 8-bit weights, 12-bit samples, 10-bit RR.
DEFAULT_SHAPE = dict(
    n_samples=64,
    convs=((8, 7, 2), (16, 5, 2)),
    hidden=(32,),
    rr_features=("prev_ratio", "next_ratio", "prev", "local"),
    T=8,
    weight_bits=8,
    input_bits=12,
)


def make_artifact(name: str, seed: int = 0) -> Artifact:
    if name == "default":
        return default_shaped(seed)
    return random_artifact(np.random.default_rng(seed), **SHAPES[name])


def default_shaped(seed: int = 0) -> Artifact:
    """A random artifact of the default model's shape with the real front end (256-sample
    windows at 360 Hz, downsampled by 4), so real beats fit it too."""
    a = random_artifact(np.random.default_rng(seed), **DEFAULT_SHAPE)
    pre = Preprocess(input_bits=12, rr_features=DEFAULT_SHAPE["rr_features"])
    assert pre.n_samples == a.spec.preprocess.n_samples
    a = Artifact(spec=dataclasses.replace(a.spec, preprocess=pre), tensors=a.tensors, meta=a.meta)
    a.validate()
    return a


def random_beats(artifact: Artifact, rng: np.random.Generator, n: int) -> tuple:
    """n beats: the first silent, the second sparse, the rest random over the full range."""
    pre = artifact.spec.preprocess
    lo, hi = -(1 << (pre.input_bits - 1)), (1 << (pre.input_bits - 1)) - 1
    x = rng.integers(lo, hi + 1, (n, 1, pre.n_samples))
    rr = rng.integers(0, 1 << pre.rr_bits, (n, artifact.spec.n_rr))
    x[0], rr[0] = 0, 0
    if n > 1:
        x[1, 0, rng.random(pre.n_samples) < 0.7] = 0
        x[1, 0, :2] = (lo, hi)  # the extremes of the input range
    return x, rr


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


def ssf_artifact(name: str, seed: int = 0, n_ssf: int | None = None) -> Artifact:
    """A random artifact of shape `name` whose last `n_ssf` layers are sum-then-fire (all of
    them when None): power-of-two thresholds (the largest power of two not above the drawn
    one), `v_init = threshold / 2`, widths re-derived (an ssf acc spans T steps)."""
    from ecg_snn.model.contract.artifact import derive_widths

    kwargs = dict(DEFAULT_SHAPE) if name == "default" else dict(SHAPES[name])
    if n_ssf is None:
        a = random_artifact(np.random.default_rng(seed), neuron="ssf", **kwargs)
        if name == "default":
            a = _real_front_end(a)
        return a
    a = make_artifact(name, seed)
    spec = a.spec
    layers = list(spec.layers)
    for i in range(len(layers) - n_ssf, len(layers)):
        la = layers[i]
        th = 1 << (la.threshold.bit_length() - 1)
        la = dataclasses.replace(la, neuron="ssf", threshold=th, v_init=th // 2)
        layers[i] = dataclasses.replace(la, **derive_widths(la, spec.preprocess, spec.T, a.tensors))
    out = Artifact(
        spec=dataclasses.replace(spec, layers=tuple(layers)),
        tensors=a.tensors,
        meta={"origin": "ssf_artifact"},
    )
    out.validate()
    return out


def _real_front_end(a: Artifact) -> Artifact:
    pre = Preprocess(input_bits=12, rr_features=DEFAULT_SHAPE["rr_features"])
    assert pre.n_samples == a.spec.preprocess.n_samples
    a = Artifact(spec=dataclasses.replace(a.spec, preprocess=pre), tensors=a.tensors, meta=a.meta)
    a.validate()
    return a


@pytest.fixture
def ssf_factory() -> Callable[..., Artifact]:
    return ssf_artifact
