"""Float SNN (threshold 1) -> integer artifact: signed b-bit weights, integer bias and threshold.

Per layer one integer threshold θ: the integer that represents activation 1.0 in that layer's
scale. With in_scale = 2**(input_bits-1) for the layer that reads the samples (1 otherwise) and
rr_scale = 2**rr_bits for the layer that reads the RR features::

    θ     = floor(qmax · min(in_scale / max|W|, rr_scale / max|W_rr|))     qmax = 2**(b-1) - 1
    W_q   = rnd(W · θ / in_scale)          |W_q| <= qmax by the choice of θ
    Wrr_q = rnd(W_rr · θ / rr_scale)
    b_q   = rnd(b · θ)
    v_init = rnd(η · θ)  (firing layers; TRE)     rnd(u) = floor(u + 1/2)  (round half up)

so that the integer current divided by θ equals the float current z of the converted layer:
W_q·x/θ ≈ W·x/in_scale = W·x_f. The largest weight of each layer uses the full b-bit range
(per-layer scale). The output layer gets the same rule; its θ only scales the final membranes,
which the argmax ignores, and its v_init is 0.

Widths: bias_bits from the bias range, acc/const/membrane bits from
`model.contract.artifact.derive_widths`
(range analysis: no overflow for any input). A model whose bias, acc or const widths exceed
`MAX_STATE_BITS` cannot be built and raises `QuantizeError` naming the layer.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ecg_snn.model.contract.artifact import Artifact, ModelSpec, derive_widths
from ecg_snn.model.contract.spec import MAX_STATE_BITS, LayerSpec, Preprocess, signed_bits_for
from ecg_snn.model.convert import FloatLayer

MIN_WEIGHT_BITS, MAX_WEIGHT_BITS = 2, 16


class QuantizeError(ValueError):
    """The float model cannot be represented with the requested integer widths."""


def rnd(u: np.ndarray | float) -> np.ndarray:
    """Round half up, the one rounding rule of the flow: floor(u + 1/2)."""
    return np.floor(np.asarray(u, dtype=np.float64) + 0.5).astype(np.int64)


def input_scales(layer: FloatLayer, pre: Preprocess) -> tuple[float, float]:
    """(in_scale, rr_scale): the integer inputs are in_scale (resp. rr_scale) times the floats
    the CNN sees; 1 for spike inputs (a spike is 1 in both worlds)."""
    in_scale = pre.input_scale if layer.source == "input" else 1.0
    return in_scale, pre.rr_scale


def layer_threshold(
    max_w: float, max_rr: float, weight_bits: int, in_scale: float, rr_scale: float, name: str = ""
) -> int:
    """θ = floor(qmax · min(in_scale / max|W|, rr_scale / max|W_rr|)), at least 1."""
    qmax = (1 << (weight_bits - 1)) - 1
    bound = math.inf
    if max_w > 0:
        bound = min(bound, qmax * in_scale / max_w)
    if max_rr > 0:
        bound = min(bound, qmax * rr_scale / max_rr)
    if bound == math.inf:
        return 1 << 10  # an all-zero layer: any threshold is exact
    theta = math.floor(bound)
    if theta < 1:
        raise QuantizeError(
            f"layer {name!r}: weights up to {max(max_w, max_rr):.3g} cannot be represented with "
            f"{weight_bits}-bit weights and an integer threshold >= 1"
        )
    return theta


def quantize_layer(
    layer: FloatLayer, pre: Preprocess, weight_bits: int
) -> tuple[int, dict[str, np.ndarray]]:
    """θ and the integer tensors of one layer."""
    in_scale, rr_scale = input_scales(layer, pre)
    max_w = float(np.abs(layer.weight).max(initial=0.0))
    max_rr = 0.0 if layer.rr_weight is None else float(np.abs(layer.rr_weight).max(initial=0.0))
    theta = layer_threshold(max_w, max_rr, weight_bits, in_scale, rr_scale, layer.name)
    tensors = {
        f"{layer.name}.weight": rnd(layer.weight * theta / in_scale),
        f"{layer.name}.bias": rnd(layer.bias * theta),
    }
    if layer.rr_weight is not None:
        tensors[f"{layer.name}.rr_weight"] = rnd(layer.rr_weight * theta / rr_scale)
    return theta, tensors


def quantize(
    layers: list[FloatLayer],
    pre: Preprocess,
    T: int,
    classes: tuple[str, ...],
    weight_bits: int = 8,
    meta: dict | None = None,
) -> Artifact:
    """The integer artifact of a converted float SNN (validated, not yet saved)."""
    if not MIN_WEIGHT_BITS <= weight_bits <= MAX_WEIGHT_BITS:
        raise QuantizeError(
            f"weight_bits {weight_bits} outside {MIN_WEIGHT_BITS}..{MAX_WEIGHT_BITS}"
        )
    tensors: dict[str, np.ndarray] = {}
    specs: list[LayerSpec] = []
    for layer in layers:
        theta, own = quantize_layer(layer, pre, weight_bits)
        tensors.update(own)
        bias = own[f"{layer.name}.bias"]
        bias_bits = max(2, signed_bits_for(int(bias.min()), int(bias.max())))
        spec = LayerSpec(
            name=layer.name,
            kind=layer.kind,
            source=layer.source,
            in_channels=layer.in_channels,
            in_length=layer.in_length,
            out_channels=layer.out_channels,
            out_length=layer.out_length,
            kernel=layer.kernel,
            stride=layer.stride,
            rr_inputs=0 if layer.rr_weight is None else layer.rr_weight.shape[1],
            weight_bits=weight_bits,
            bias_bits=min(bias_bits, MAX_STATE_BITS),
            threshold=theta,
            v_init=int(rnd(layer.v_init * theta)) if layer.fires else 0,
            fires=layer.fires,
        )
        widths = derive_widths(spec, pre, T, tensors)
        check_widths(layer.name, {"bias_bits": bias_bits, **widths})
        specs.append(dataclasses.replace(spec, **widths))
    model = ModelSpec(T=T, classes=tuple(classes), preprocess=pre, layers=tuple(specs))
    artifact = Artifact(spec=model, tensors=tensors, meta=dict(meta or {}))
    artifact.validate()
    return artifact


def check_widths(name: str, widths: dict[str, int]) -> None:
    """Refuse widths beyond what the spec allows (the golden model's exactness bound)."""
    for field, bits in widths.items():
        if bits > MAX_STATE_BITS:
            raise QuantizeError(
                f"layer {name!r}: {field} would be {bits} bits, more than the spec allows "
                f"({MAX_STATE_BITS}); use fewer weight bits or smaller inputs"
            )


def dequantize(artifact: Artifact) -> list[FloatLayer]:
    """The float layers (threshold 1) whose quantization is `artifact`, the inverse of the
    equations above without their rounding:

        W = W_q · in_scale / θ,   W_rr = Wrr_q · rr_scale / θ,   b = b_q / θ,   v_init = v_q / θ

    The clamp-and-quantize CNN of these layers is what an all-ssf artifact computes exactly."""
    pre = artifact.spec.preprocess
    out = []
    for lay in artifact.spec.layers:
        theta = float(lay.threshold)
        in_scale = pre.input_scale if lay.source == "input" else 1.0
        rr = artifact.rr_weight(lay)
        out.append(
            FloatLayer(
                name=lay.name,
                kind=lay.kind,
                source=lay.source,
                in_channels=lay.in_channels,
                in_length=lay.in_length,
                out_channels=lay.out_channels,
                out_length=lay.out_length,
                kernel=lay.kernel,
                stride=lay.stride,
                weight=artifact.weight(lay).astype(np.float64) * in_scale / theta,
                bias=artifact.bias(lay).astype(np.float64) / theta,
                rr_weight=None if rr is None else rr.astype(np.float64) * pre.rr_scale / theta,
                fires=lay.fires,
                v_init=lay.v_init / theta if lay.fires else 0.0,
            )
        )
    return out


def pow2_floor(theta: int) -> int:
    """The largest power of two <= theta (theta >= 1)."""
    return 1 << (int(theta).bit_length() - 1)


def first_ssf_index(layers: list[FloatLayer] | tuple, ssf_from: int | str | None) -> int:
    """Index of the first ssf layer: an index, a layer name, or None (no ssf layer)."""
    if ssf_from is None:
        return len(layers)
    if isinstance(ssf_from, str):
        names = [lay.name for lay in layers]
        if ssf_from not in names:
            raise ValueError(f"--ssf-from {ssf_from!r}: no such layer; layers: {names}")
        return names.index(ssf_from)
    if not 0 <= ssf_from < len(layers):
        raise ValueError(f"ssf_from {ssf_from} outside 0..{len(layers) - 1}")
    return int(ssf_from)


def quantize_neurons(
    layers: list[FloatLayer],
    pre,
    T: int,
    classes: tuple[str, ...],
    weight_bits: int = 8,
    ssf_from: int | str | None = 0,
    meta: dict | None = None,
) -> Artifact:
    """The integer artifact of a converted float SNN with layers `ssf_from..` in ssf mode
    (0: all ssf; None: the plain IF artifact of `model.quantize.quantize`)."""
    base = quantize(layers, pre, T, classes, weight_bits, meta)
    first = first_ssf_index(layers, ssf_from)
    tensors = dict(base.tensors)
    specs = list(base.spec.layers)
    for i in range(first, len(layers)):
        layer, spec = layers[i], specs[i]
        theta = pow2_floor(spec.threshold)
        in_scale, rr_scale = input_scales(layer, pre)
        tensors[f"{layer.name}.weight"] = rnd(layer.weight * theta / in_scale)
        tensors[f"{layer.name}.bias"] = bias = rnd(layer.bias * theta)
        if layer.rr_weight is not None:
            tensors[f"{layer.name}.rr_weight"] = rnd(layer.rr_weight * theta / rr_scale)
        bias_bits = max(2, signed_bits_for(int(bias.min()), int(bias.max())))
        spec = dataclasses.replace(
            spec,
            neuron="ssf",
            threshold=theta,
            v_init=int(rnd(layer.v_init * theta)) if layer.fires else 0,
            bias_bits=min(bias_bits, MAX_STATE_BITS),
        )
        widths = derive_widths(spec, pre, T, tensors)
        check_widths(layer.name, {"bias_bits": bias_bits, **widths})
        specs[i] = dataclasses.replace(spec, **widths)
    model = dataclasses.replace(base.spec, layers=tuple(specs))
    artifact = Artifact(spec=model, tensors=tensors, meta=dict(meta or {}))
    artifact.meta["neuron"] = {lay.name: lay.neuron for lay in specs}
    artifact.validate()
    return artifact
