"""Tiny random artifacts and beats, and a Bench whose synthesis and energy are mocked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.explore.grid import Point
from ecg_snn.explore.measure import Bench, Sample
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.model.splits import Beats


def tiny_artifact(point: Point) -> Artifact:
    return random_artifact(
        np.random.default_rng(point.T * 100 + point.weight_bits),
        T=point.T,
        weight_bits=point.weight_bits,
        neuron=point.mode,
    )


def tiny_beats(artifact: Artifact, n: int = 24, seed: int = 1) -> Beats:
    pre = artifact.spec.preprocess
    rng = np.random.default_rng(seed)
    half = 1 << (pre.input_bits - 1)
    x = rng.integers(-half, half, (n, 1, pre.n_samples))
    rr = rng.integers(0, 1 << pre.rr_bits, (n, artifact.spec.n_rr))
    y = rng.integers(0, len(artifact.spec.classes), n)
    return Beats(x, rr, y, np.array(["r"] * n))


class Calls:
    """Counts the mocked slow stages; `fail` makes energy raise for these (mode, T)."""

    def __init__(self) -> None:
        self.synth = 0
        self.energy = 0
        self.fail: set[tuple[str, int]] = set()

    def synthesize(self, artifact: Artifact, lanes: int, cache_dir: Path) -> dict:
        self.synth += 1
        return {"cells": 1000 * lanes, "flip_flops": 10 * lanes, "memory_bits": 99}

    def energy_fn(self, artifact, lanes, x, rr, labels, weights, tech, work) -> dict:
        self.energy += 1
        key = (artifact.spec.layers[0].neuron, artifact.spec.T)
        if key in self.fail:
            raise RuntimeError(f"mock failure at {key}")
        nj = 1.0 + artifact.spec.T * (2.0 if key[0] == "if" else 1.0)
        spikes = np.arange(len(x)) + 1
        return {
            "nj_per_inference": nj,
            "dense_qnn_nj": 3.0,
            "per_beat": {"spikes": spikes.tolist(), "nj": (0.5 + 0.1 * spikes).tolist()},
        }


def make_bench(calls: Calls, tmp: Path) -> Bench:
    art = tiny_artifact(Point("if", 4, 6, 8))
    beats = tiny_beats(art)
    sample = Sample(beats.x[:8], beats.rr[:8], beats.y[:8], np.full(8, 1 / 8))
    return Bench(
        {"inter": beats, "intra": tiny_beats(art, seed=2)},
        "inter",
        sample,
        "22nm",
        tmp / "synth",
        tmp / "work",
        synthesize=calls.synthesize,
        energy=calls.energy_fn,
    )


@pytest.fixture
def calls() -> Calls:
    return Calls()
