"""Artifacts made for verification, the one home of every test and bench variant: a random
stand-in with the real front end, and variants of an artifact that keep its hardware
configuration (so they load into the same build: `perturbed`, `relabelled`, `tied`) or narrow it
on purpose (so membranes saturate: `narrowed`, `narrowest`).

Every variant is re-validated: the range analysis of `model/contract/artifact.py` must still
prove that the currents fit the configuration's widths, exactly as for a trained model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.model.contract.artifact import Artifact, ArtifactError
from ecg_snn.model.contract.spec import (
    DEFAULT_PREPROCESS,
    Preprocess,
    signed_bits_for,
    signed_range,
)
from ecg_snn.model.random_artifact import random_artifact


def stand_in(rng: np.random.Generator, pre: Preprocess | None = None, **kw: object) -> Artifact:
    """A random artifact whose preprocessing is `pre` (default: the project's), so that real
    MIT-BIH beats are valid inputs. Shapes are small unless given (`random_artifact` keywords)."""
    pre = DEFAULT_PREPROCESS if pre is None else pre
    kw = {"convs": ((4, 7, 3), (6, 5, 2)), "hidden": (12,), "n_classes": 5, **kw}
    a = random_artifact(
        rng, n_samples=pre.n_samples, rr_features=pre.rr_features, input_bits=pre.input_bits, **kw
    )
    spec = dataclasses.replace(a.spec, preprocess=pre)
    out = Artifact(spec, a.tensors, {"origin": "model.variants.stand_in"})
    out.validate()
    return out


def replaced(
    artifact: Artifact,
    tensors: dict | None = None,
    layers: list | None = None,
    origin: str = "model.variants.replaced",
) -> Artifact:
    """`artifact` with some tensors and/or the layer specs replaced, validated."""
    spec = (
        artifact.spec
        if layers is None
        else dataclasses.replace(artifact.spec, layers=tuple(layers))
    )
    merged = {k: v.copy() for k, v in artifact.tensors.items()}
    merged.update(tensors or {})
    out = Artifact(spec, merged, {"origin": origin})
    out.validate()
    return out


def perturbed(artifact: Artifact, rng: np.random.Generator, tries: int = 20) -> Artifact:
    """A different model for the same silicon: every weight and bias re-drawn around the
    original (sign flips and noise), thresholds moved by up to 25 %. Retries with smaller
    changes until the range analysis accepts it."""
    spec = artifact.spec
    for attempt in range(tries):
        scale = 0.5**attempt
        tensors, layers = {}, []
        for layer in spec.layers:
            for key in ("weight", "bias", "rr_weight"):
                name = f"{layer.name}.{key}"
                if name not in artifact.tensors:
                    continue
                t = artifact.tensors[name].astype(np.int64)
                bits = layer.bias_bits if key == "bias" else layer.weight_bits
                lo, hi = signed_range(bits)
                flip = np.where(rng.random(t.shape) < 0.2 * scale, -1, 1)
                noise = rng.integers(-2, 3, t.shape) * (scale > 0.1)
                tensors[name] = np.clip(t * flip + noise, lo, hi)
            th = max(1, round(layer.threshold * (1 + rng.uniform(-0.25, 0.25) * scale)))
            th = min(th, layer.membrane_range[1])
            if layer.neuron == "ssf":  # the ssf fire step is a shift
                th = 1 << (th.bit_length() - 1)
            layers.append(dataclasses.replace(layer, threshold=th, v_init=th // 2))
        try:
            out = replaced(artifact, tensors, layers, "model.variants.perturbed")
        except ArtifactError:
            continue
        if out.spec.hardware_id() == spec.hardware_id():
            return out
    raise ArtifactError("could not perturb the artifact within its hardware configuration")


def tied(artifact: Artifact, pairs: tuple[tuple[int, int], ...] = ((0, 1),)) -> Artifact:
    """For each pair (a, b), output neuron b made identical to a (weights, bias, RR weights),
    so every decision between them is a tie and the lower index must win."""
    last = artifact.spec.layers[-1]
    tensors = {}
    for key in ("weight", "bias", "rr_weight"):
        name = f"{last.name}.{key}"
        if name in artifact.tensors:
            t = artifact.tensors[name].copy()
            for a, b in pairs:
                t[b] = t[a]
            tensors[name] = t
    return replaced(artifact, tensors, origin="model.variants.tied")


def relabelled(artifact: Artifact, seed: int) -> Artifact:
    """Other loadable values for the same hardware configuration: each layer's output channels
    permuted (rows of weight, bias and RR weight together, so every range the widths were
    derived from is kept) and new thresholds (x 0.5..1.5, v_init = threshold // 3)."""
    rng = np.random.default_rng(seed)
    tensors, layers = {}, []
    for layer in artifact.spec.layers:
        perm = rng.permutation(layer.out_channels)
        for field in ("weight", "bias", "rr_weight"):
            key = f"{layer.name}.{field}"
            if key in artifact.tensors:
                tensors[key] = artifact.tensors[key][perm]
        threshold = max(1, layer.threshold * int(rng.integers(50, 150)) // 100)
        if layer.neuron == "ssf":  # the ssf fire step is a shift
            threshold = 1 << (threshold.bit_length() - 1)
        layers.append(dataclasses.replace(layer, threshold=threshold, v_init=threshold // 3))
    out = replaced(artifact, tensors, layers, "model.variants.relabelled")
    if out.spec.hardware_id() != artifact.spec.hardware_id():
        raise ArtifactError("relabelling changed the hardware configuration")
    return out


def narrowed(artifact: Artifact, drop_bits: int = 4) -> Artifact:
    """Membranes `drop_bits` narrower than the range analysis asks for (a new hardware
    configuration), thresholds scaled to fit: membranes saturate in every layer."""
    layers = []
    for layer in artifact.spec.layers:
        bits = max(4, layer.membrane_bits - drop_bits)
        hi = signed_range(bits)[1]
        th = max(1, min(layer.threshold, hi // 2))
        layers.append(dataclasses.replace(layer, membrane_bits=bits, threshold=th, v_init=th // 2))
    return replaced(artifact, layers=layers, origin="model.variants.narrowed")


def narrowest(artifact: Artifact) -> Artifact:
    """Each membrane one bit wider than its threshold and v_init need (a new hardware
    configuration): the integration saturates often, at both ends."""
    layers = []
    for layer in artifact.spec.layers:
        bits = signed_bits_for(min(0, layer.v_init), max(layer.threshold, layer.v_init)) + 1
        layers.append(dataclasses.replace(layer, membrane_bits=min(bits, layer.membrane_bits)))
    return replaced(artifact, layers=layers, origin="model.variants.narrowest")
