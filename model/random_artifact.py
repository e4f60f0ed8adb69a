"""Small random artifacts of any supported shape: test vectors for every consumer of the spec.

The RTL generator, the golden model and the firmware must accept any artifact within the
supported layer types, not just the trained default, so tests draw shapes and widths at random.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.model.contract.artifact import Artifact, ModelSpec, derive_widths
from ecg_snn.model.contract.spec import LayerSpec, Preprocess


def dense_layer(**fields: object) -> LayerSpec:
    """A small hand-built spike-driven dense layer for unit tests and proofs: 4 -> 4 neurons,
    6-bit weights and biases, 10-bit acc, const and membrane, threshold 1; any field overridden
    by keyword. Not validated here (a test may want an invalid one)."""
    base = dict(
        name="l",
        kind="dense",
        source="spikes",
        in_channels=4,
        in_length=1,
        out_channels=4,
        out_length=1,
        weight_bits=6,
        bias_bits=6,
        acc_bits=10,
        const_bits=10,
        membrane_bits=10,
        threshold=1,
        v_init=0,
    )
    return LayerSpec(**{**base, **fields})


def random_artifact(
    rng: np.random.Generator,
    *,
    n_samples: int = 16,
    convs: tuple[tuple[int, int, int], ...] = ((4, 5, 2), (6, 3, 2)),
    hidden: tuple[int, ...] = (10,),
    n_classes: int = 4,
    rr_features: tuple[str, ...] = ("prev_ratio", "local"),
    T: int = 4,
    weight_bits: int = 6,
    input_bits: int = 8,
    threshold_range: tuple[int, int] = (20, 200),
    neuron: str = "if",
    rr_dense: tuple[int, ...] = (0,),
) -> Artifact:
    """A random, valid artifact: conv layers given as (out_channels, kernel, stride), then dense
    hidden layers, then the output layer; every layer in the `neuron` mode ("if" or "ssf"). The
    dense layers numbered in `rr_dense` (0: the first dense layer, the output layer last) take
    the RR features (the shipped model: its hidden dense layer and its output layer)."""
    downsample = 2
    pre = Preprocess(
        before=n_samples * downsample // 2,
        after=n_samples * downsample - n_samples * downsample // 2,
        downsample=downsample,
        input_bits=input_bits,
        rr_features=rr_features,
    )
    layers: list[LayerSpec] = []
    channels, length = 1, n_samples
    for i, (out_ch, kernel, stride) in enumerate(convs):
        out_len = (length - kernel) // stride + 1
        layers.append(
            LayerSpec(
                name=f"conv{i}",
                kind="conv1d",
                source="input" if i == 0 else "spikes",
                in_channels=channels,
                in_length=length,
                out_channels=out_ch,
                out_length=out_len,
                kernel=kernel,
                stride=stride,
            )
        )
        channels, length = out_ch, out_len
    n_in = channels * length
    sizes = (*hidden, n_classes)
    for j, n_out in enumerate(sizes):
        last = j == len(sizes) - 1
        layers.append(
            LayerSpec(
                name=f"dense{len(layers)}",
                kind="dense",
                source="input" if not layers else "spikes",
                in_channels=n_in,
                in_length=1,
                out_channels=n_out,
                out_length=1,
                rr_inputs=len(rr_features) if j in rr_dense and rr_features else 0,
                fires=not last,
            )
        )
        n_in = n_out
    lim = (1 << (weight_bits - 1)) - 1
    tensors: dict[str, np.ndarray] = {}
    final: list[LayerSpec] = []
    for layer in layers:
        shape = layer.weight_shape
        tensors[f"{layer.name}.weight"] = rng.integers(-lim, lim + 1, shape, dtype=np.int64)
        tensors[f"{layer.name}.bias"] = rng.integers(-lim, lim + 1, layer.out_channels)
        if layer.rr_inputs:
            tensors[f"{layer.name}.rr_weight"] = rng.integers(
                -lim, lim + 1, (layer.out_channels, layer.rr_inputs)
            )
        lo, hi = threshold_range
        scale = 1 << (input_bits - 1) if layer.source == "input" else 1
        threshold = int(rng.integers(lo, hi + 1)) * scale
        if neuron == "ssf":  # the ssf fire step is a shift
            threshold = 1 << (threshold.bit_length() - 1)
        layer = dataclasses.replace(
            layer,
            weight_bits=weight_bits,
            bias_bits=weight_bits,
            threshold=threshold,
            v_init=threshold // 2,
            neuron=neuron,
        )
        layer = dataclasses.replace(layer, **derive_widths(layer, pre, T, tensors))
        final.append(layer)
    spec = ModelSpec(
        T=T,
        classes=tuple("NSVFQ"[:n_classes])
        if n_classes <= 5
        else tuple(f"c{i}" for i in range(n_classes)),
        preprocess=pre,
        layers=tuple(final),
    )
    artifact = Artifact(spec=spec, tensors=tensors, meta={"origin": "random_artifact"})
    artifact.validate()
    return artifact
