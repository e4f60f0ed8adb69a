"""Constrained-random points of the artifact space: shapes, widths, T, neuron modes (IF, ssf,
IF prefix + ssf suffix), RR features with and without a layer that takes them, membranes at
or below the range analysis (saturating), and a hardware configuration (lanes 1..16, ROM or
load port). Every point is a valid artifact: the range analysis still proves `acc` and `const`
fit, exactly as for a trained model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hw.config import HwConfig
from model.contract.artifact import Artifact, derive_widths
from model.contract.spec import RR_FEATURES, signed_range
from model.random_artifact import random_artifact

MAX_LANES = 16


def random_point(rng: np.random.Generator, lanes: int | None = None) -> tuple[Artifact, HwConfig]:
    """One random (artifact, configuration); `lanes` fixes the lane count (else 1..16)."""
    n_conv = int(rng.integers(1, 3))
    n_samples = int(rng.integers(10, 24))
    convs, length = [], n_samples
    for _ in range(n_conv):
        k = int(rng.integers(1, min(6, length) + 1))
        s = int(rng.integers(1, 4))
        convs.append((int(rng.integers(1, 7)), k, s))
        length = (length - k) // s + 1
    hidden = tuple(int(rng.integers(2, 12)) for _ in range(int(rng.integers(0, 3))))
    n_rr = int(rng.integers(0, 4))
    rr_features = tuple(rng.choice(RR_FEATURES, n_rr, replace=False).tolist())
    T = int(rng.choice([1, 2, 3, 5, 8, 16]))
    wb = int(rng.integers(2, 9))
    mode = str(rng.choice(["if", "ssf", "mixed"]))
    art = random_artifact(
        rng,
        n_samples=n_samples,
        convs=tuple(convs),
        hidden=hidden,
        n_classes=int(rng.integers(2, 6)),
        rr_features=rr_features,
        T=T,
        weight_bits=wb,
        input_bits=int(rng.integers(3, 13)),
        threshold_range=(1, 30),
        neuron="ssf" if mode == "ssf" else "if",
    )
    spec, tensors = art.spec, dict(art.tensors)
    layers = list(spec.layers)
    if n_rr and rng.random() < 0.3:  # RR features in the front end that no layer takes
        i = next(i for i, la in enumerate(layers) if la.rr_inputs)
        del tensors[f"{layers[i].name}.rr_weight"]
        layers[i] = dataclasses.replace(layers[i], rr_inputs=0)
    first_ssf = int(rng.integers(1, len(layers))) if mode == "mixed" else len(layers)
    for i, la in enumerate(layers):
        if i >= first_ssf:
            th = 1 << (la.threshold.bit_length() - 1)
            la = dataclasses.replace(la, neuron="ssf", threshold=th, v_init=th // 2)
        la = dataclasses.replace(la, **derive_widths(la, spec.preprocess, T, tensors))
        if rng.random() < 0.5:  # narrower than the range analysis: the membrane saturates
            mb = max(la.threshold.bit_length() + 1, la.membrane_bits - int(rng.integers(1, 6)))
            hi = signed_range(mb)[1]
            la = dataclasses.replace(la, membrane_bits=mb, v_init=min(la.v_init, hi))
        layers[i] = la
    out = Artifact(
        dataclasses.replace(spec, layers=tuple(layers)), tensors, {"origin": "sim.accel.space"}
    )
    out.validate()
    lanes = int(rng.integers(1, MAX_LANES + 1)) if lanes is None else lanes
    return out, HwConfig(lanes=lanes, rom=bool(rng.random() < 0.3))
