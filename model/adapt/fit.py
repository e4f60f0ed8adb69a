"""Calibrate the output layer of an artifact to one patient's labelled beats, in integers.

Why the output layer: it never fires, so its final membranes (the values the decision takes
the argmax of) are affine in what it receives (`model.contract.golden`; IF and ssf alike)::

    V_k = v_init + sum_j W[k, j] c_j + T (b_k + sum_r W_rr[k, r] rr_r)

with c the spike counts into the layer over the inference (`GoldenResult.last_in`) and rr the
chip's RR features (only if the layer has RR inputs). One golden run of the base model on the
labelled beats gives c exactly; every candidate change of W, W_rr or b then moves V by an exact
integer amount (up to the membrane's saturation, which the final golden run includes). Nothing
upstream changes, so the weight image differs from the base's in these few integers only.

Two modes here, cheapest first (`LINEAR_MODES`; the third, ``finetune``, is
`model.adapt.finetune`):

- ``bias``: the K output biases (per-class offsets); at most K integers change;
- ``last``: the output layer's weights, RR weights and biases of the adapted classes.

The float change is fitted by L-BFGS (scipy) on a class-weighted cross-entropy of the softmax
of s·V, s the temperature that fits the base model to the labelled beats, with a ridge penalty
on the change of each logit contribution (dimensionless: parameter change x s x the RMS of its
input). Class weights are n_c^-alpha (alpha 0.5: half-way between the beat counts and balanced
classes). Only the rows of classes with at least `min_beats` labelled beats change; the others
stay as the base has them. The change is rounded to integers and clipped to the layer's widths
(`LayerSpec.weight_range`, `bias_range`); if the new integers break the range analysis
(`Artifact.validate`: acc_bits, const_bits) the change is halved until they fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, ArtifactError

LINEAR_MODES = ("bias", "last")
MODES = (*LINEAR_MODES, "finetune")  # every candidate kind, cheapest first (all by default)
ALPHA = 0.5


@dataclass(frozen=True)
class Inputs:
    """What the output layer of the base model sees on a set of beats.

    values (N, K) int64 base output membranes; counts (N, M) int64 spike counts into the output
    layer; rr (N, R) int64 RR features (R = 0 unless the output layer takes RR inputs); T."""

    values: np.ndarray
    counts: np.ndarray
    rr: np.ndarray
    T: int

    @property
    def design(self) -> np.ndarray:
        """(N, M + R + 1) float: the input of each parameter [W | W_rr | b] of one class."""
        n = len(self.values)
        return np.hstack([self.counts, self.T * self.rr, np.full((n, 1), self.T)]).astype(float)


def output_inputs(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> Inputs:
    """Run the base model once (golden) and keep what its output layer sees."""
    last = artifact.spec.layers[-1]
    if len(artifact.spec.layers) < 2:
        raise ArtifactError("adaptation needs a model with a hidden layer before the output")
    g = golden.run(artifact, x, rr)
    rr_in = rr if last.rr_inputs else np.zeros((len(x), 0), np.int64)
    return Inputs(
        g.values, g.last_in.astype(np.int64), np.asarray(rr_in, np.int64), artifact.spec.T
    )


def class_weights(y: np.ndarray, n_classes: int, alpha: float = ALPHA) -> np.ndarray:
    """Per-beat weights n_c^-alpha, normalised to mean 1 (0 for no beats)."""
    n = np.bincount(y, minlength=n_classes).astype(float)
    w = np.where(n > 0, np.maximum(n, 1) ** -alpha, 0.0)[y]
    return w / w.mean() if len(w) else w


def _softmax_ce(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = np.exp(logp)
    onehot = np.eye(z.shape[1])[y]
    loss = float(-(w * logp[np.arange(len(y)), y]).mean())
    return loss, w[:, None] * (p - onehot) / len(y)


def temperature(values: np.ndarray, y: np.ndarray) -> float:
    """s > 0 minimising the cross-entropy of softmax(s·V) on the labelled beats (base model)."""
    scale = max(float(np.abs(values).std()), 1.0)
    w = np.ones(len(y))

    def f(log_s: float) -> float:
        return _softmax_ce(values * np.exp(log_s) / scale, y, w)[0]

    res = minimize_scalar(f, bounds=(-8.0, 4.0), method="bounded")
    return float(np.exp(res.x) / scale)


def fit_change(
    inputs: Inputs,
    y: np.ndarray,
    rows: np.ndarray,
    mode: str,
    ridge: float,
    alpha: float = ALPHA,
) -> np.ndarray:
    """The float change (K, M + R + 1) of [W | W_rr | b] for the adapted `rows` (bool, K)."""
    if mode not in LINEAR_MODES:
        raise ValueError(f"mode must be one of {LINEAR_MODES}, not {mode!r}")
    k = inputs.values.shape[1]
    a = inputs.design
    s = temperature(inputs.values.astype(float), y)
    w = class_weights(y, k, alpha)
    free = np.zeros((k, a.shape[1]), bool)
    free[rows, -1] = True
    if mode == "last":
        free[rows, :] = True
    rms = np.sqrt((a**2).mean(axis=0)) + 1e-9  # typical size of each parameter's input
    penalty = (s * rms) ** 2  # logit change per unit change of each parameter, squared
    base = inputs.values.astype(float)

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = np.zeros(free.shape)
        d[free] = theta
        z = s * (base + a @ d.T)
        loss, g = _softmax_ce(z, y, w)
        grad = s * (g.T @ a)
        loss += ridge * float((penalty * d**2).sum())
        grad += 2 * ridge * penalty * d
        return loss, grad[free]

    res = minimize(f, np.zeros(int(free.sum())), jac=True, method="L-BFGS-B")
    d = np.zeros(free.shape)
    d[free] = res.x
    return d


def apply_change(base: Artifact, change: np.ndarray) -> Artifact:
    """The base artifact with the rounded change added to its output layer, within its widths.

    Rounds, clips to `weight_range` / `bias_range`, and halves the change until the range
    analysis of `Artifact.validate` accepts the integers. Same spec: same hardware id."""
    last = base.spec.layers[-1]
    m, r = last.in_channels, last.rr_inputs
    while True:
        d = np.rint(change).astype(np.int64)
        if not d.any():
            break
        tensors = dict(base.tensors)
        parts = {"weight": d[:, :m], "bias": d[:, -1]}
        if r:
            parts["rr_weight"] = d[:, m : m + r]
        for field, delta in parts.items():
            key = f"{last.name}.{field}"
            lo, hi = last.bias_range if field == "bias" else last.weight_range
            tensors[key] = np.clip(base.tensors[key] + delta, lo, hi)
        out = Artifact(spec=base.spec, tensors=tensors, meta=dict(base.meta))
        try:
            out.validate()
            return out
        except ArtifactError:
            change = change / 2
    return Artifact(spec=base.spec, tensors=dict(base.tensors), meta=dict(base.meta))
