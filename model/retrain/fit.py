"""Quantize a converted float SNN into the *base* hardware configuration (same shapes and widths).

`model.quantize.quantize` derives the widths from the integers; a retrained model must instead
fit the widths the chip was built with. Per layer, with the base layer's `weight_bits`, the
threshold the default rule would pick is (`model.quantize.layer_threshold`)::

    θ0 = floor(qmax · min(in_scale / max|W|, rr_scale / max|W_rr|))

and the integers are W_q = rnd(W·θ/in_scale), W_rr_q = rnd(W_rr·θ/rr_scale), b_q = rnd(b·θ),
v_init = rnd(θ/2) (firing layers), exactly as in `model.quantize`. If at θ0 the biases exceed
`bias_bits`, the worst-case spike current exceeds `acc_bits`, the constant current exceeds
`const_bits`, or θ0 exceeds the membrane range, the layer is *rescaled deliberately*: θ is
lowered to the largest value at which everything fits (binary search; the fit only gets easier
as θ falls). Scaling θ and every integer of a layer by the same factor leaves the layer's
function unchanged up to rounding, so the cost is resolution: the report lists, per layer, θ0,
the θ used and the bits of weight resolution given up (log2 θ0/θ). Nothing is clipped; a layer
that does not fit even at θ = 1 is a `RetrainError`.

The membrane saturates by definition (docs/arithmetic.md), so the base `membrane_bits` is always
legal; when the range analysis says it could saturate for the new integers, the report says so
(the golden model and the RTL saturate identically, so results stay bit-exact).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ecg_snn.model.contract.artifact import (
    Artifact,
    ModelSpec,
    acc_bounds,
    const_bounds,
    derive_widths,
)
from ecg_snn.model.contract.spec import LayerSpec, signed_bits_for
from ecg_snn.model.convert import FloatLayer
from ecg_snn.model.quantize import input_scales, layer_threshold, rnd
from ecg_snn.model.retrain.errors import RetrainError


def layer_tensors(layer: FloatLayer, pre, theta: int) -> dict[str, np.ndarray]:
    """The integer tensors of `layer` at threshold `theta` (the `model.quantize` rules)."""
    in_scale, rr_scale = input_scales(layer, pre)
    out = {
        f"{layer.name}.weight": rnd(layer.weight * theta / in_scale),
        f"{layer.name}.bias": rnd(layer.bias * theta),
    }
    if layer.rr_weight is not None:
        out[f"{layer.name}.rr_weight"] = rnd(layer.rr_weight * theta / rr_scale)
    return out


def overflows(spec: LayerSpec, pre, tensors: dict[str, np.ndarray], T: int = 1) -> list[str]:
    """The base widths that `tensors` (at `spec.threshold`) would exceed; empty if it fits."""
    bad = []
    _, hi = spec.membrane_range
    if not 1 <= spec.threshold <= hi:
        bad.append("membrane_bits (threshold)")
    w_lo, w_hi = spec.weight_range
    for key in (f"{spec.name}.weight", f"{spec.name}.rr_weight"):
        t = tensors.get(key)
        if t is not None and t.size and (t.min() < w_lo or t.max() > w_hi):
            bad.append("weight_bits")
    b = tensors[f"{spec.name}.bias"]
    if signed_bits_for(int(b.min()), int(b.max())) > spec.bias_bits:
        bad.append("bias_bits")
    if signed_bits_for(*acc_bounds(spec, tensors[f"{spec.name}.weight"], T)) > spec.acc_bits:
        bad.append("acc_bits")
    if signed_bits_for(*const_bounds(spec, pre, tensors)) > spec.const_bits:
        bad.append("const_bits")
    return bad


def _at(base: LayerSpec, layer: FloatLayer, theta: int) -> LayerSpec:
    v_init = int(rnd(layer.v_init * theta)) if layer.fires else 0
    return dataclasses.replace(base, threshold=theta, v_init=v_init)


def fit_layer(
    layer: FloatLayer, base: LayerSpec, pre, T: int
) -> tuple[LayerSpec, dict[str, np.ndarray], dict]:
    """The layer's spec and integers within `base`'s widths, and a note for the report."""
    in_scale, rr_scale = input_scales(layer, pre)
    max_w = float(np.abs(layer.weight).max(initial=0.0))
    max_rr = 0.0 if layer.rr_weight is None else float(np.abs(layer.rr_weight).max(initial=0.0))
    theta0 = layer_threshold(max_w, max_rr, base.weight_bits, in_scale, rr_scale, layer.name)
    ssf = base.neuron == "ssf"
    if ssf:  # an ssf threshold is a power of two (model.ssf): search over the exponent
        theta0 = 1 << (theta0.bit_length() - 1)

    def attempt(theta: int) -> tuple[LayerSpec, dict[str, np.ndarray], list[str]]:
        theta = 1 << (theta.bit_length() - 1) if ssf else theta
        spec = _at(base, layer, theta)
        tensors = layer_tensors(layer, pre, theta)
        return spec, tensors, overflows(spec, pre, tensors, T)

    spec, tensors, limited_by = attempt(theta0)
    theta = theta0
    if limited_by:
        if attempt(1)[2]:
            raise RetrainError(
                f"layer {layer.name!r}: the retrained weights do not fit the base hardware "
                f"({', '.join(attempt(1)[2])}) even at threshold 1; retrain with more weight "
                "decay, or build hardware for the new widths with `make train`"
            )
        lo, hi = 1, theta0  # attempt(lo) fits, attempt(hi) does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if not attempt(mid)[2] else (lo, mid)
        theta = 1 << (lo.bit_length() - 1) if ssf else lo
        spec, tensors, _ = attempt(theta)
    membrane = derive_widths(spec, pre, T, tensors)["membrane_bits"]
    note = {
        "layer": layer.name,
        "threshold": theta,
        "natural_threshold": theta0,
        "rescaled": theta != theta0,
        "limited_by": limited_by,
        "resolution_bits_lost": round(math.log2(theta0 / theta), 2),
        "may_saturate": membrane > base.membrane_bits,
    }
    return spec, tensors, note


def fit_to_base(
    layers: list[FloatLayer], base: ModelSpec, meta: dict | None = None
) -> tuple[Artifact, list[dict]]:
    """The retrained integer artifact for exactly `base`'s hardware configuration."""
    if [lay.name for lay in layers] != [lay.name for lay in base.layers]:
        raise RetrainError("the converted network's layers differ from the base artifact's")
    specs, tensors, notes = [], {}, []
    for layer, base_layer in zip(layers, base.layers, strict=True):
        spec, own, note = fit_layer(layer, base_layer, base.preprocess, base.T)
        specs.append(spec)
        tensors.update(own)
        notes.append(note)
    spec = dataclasses.replace(base, layers=tuple(specs))
    if spec.hardware_config() != base.hardware_config():
        raise RetrainError("internal error: the retrained spec changed the hardware configuration")
    artifact = Artifact(spec=spec, tensors=tensors, meta=dict(meta or {}))
    artifact.validate()
    return artifact, notes
