"""Artifacts made for verification: a random stand-in with the real front end, and variants of
an artifact that keep its hardware configuration (so they load into the same build). The
artifacts built to saturate and fill registers are in `sim/accel/limits.py`.

Every variant is re-validated: the range analysis of `model/contract/artifact.py` must still prove
that
the currents fit the configuration's widths, exactly as for a trained model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from model.contract.artifact import Artifact, ArtifactError, ModelSpec
from model.contract.spec import Preprocess, signed_range
from model.random_artifact import random_artifact


def stand_in(rng: np.random.Generator, pre: Preprocess | None = None, **kw: object) -> Artifact:
    """A random artifact whose preprocessing is `pre` (default: the project's), so that real
    MIT-BIH beats are valid inputs. Shapes are small unless given (`random_artifact` keywords)."""
    pre = Preprocess() if pre is None else pre
    kw = {"convs": ((4, 7, 3), (6, 5, 2)), "hidden": (12,), "n_classes": 5, **kw}
    a = random_artifact(
        rng, n_samples=pre.n_samples, rr_features=pre.rr_features, input_bits=pre.input_bits, **kw
    )
    spec = dataclasses.replace(a.spec, preprocess=pre)
    out = Artifact(spec, a.tensors, {"origin": "sim.accel.artifacts.stand_in"})
    out.validate()
    return out


def _with(artifact: Artifact, tensors: dict, layers: list, origin: str) -> Artifact:
    spec = dataclasses.replace(artifact.spec, layers=tuple(layers))
    out = Artifact(spec, tensors, {"origin": origin})
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
            layers.append(dataclasses.replace(layer, threshold=th, v_init=th // 2))
        try:
            out = _with(artifact, tensors, layers, "sim.accel.artifacts.perturbed")
        except ArtifactError:
            continue
        if out.spec.hardware_id() == spec.hardware_id():
            return out
    raise ArtifactError("could not perturb the artifact within its hardware configuration")


def tied(artifact: Artifact, a: int = 0, b: int = 1) -> Artifact:
    """Output neurons `a` and `b` made identical, so every decision is a tie between them and
    the lowest index must win."""
    last = artifact.spec.layers[-1]
    tensors = {k: v.copy() for k, v in artifact.tensors.items()}
    for key in ("weight", "bias", "rr_weight"):
        name = f"{last.name}.{key}"
        if name in tensors:
            tensors[name][b] = tensors[name][a]
    return _with(artifact, tensors, list(artifact.spec.layers), "sim.accel.artifacts.tied")


def same_silicon(a: ModelSpec, b: ModelSpec) -> bool:
    return a.hardware_config() == b.hardware_config()
