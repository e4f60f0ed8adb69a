"""The torch integer path for artifacts with sum-then-fire layers (bit-exact with
`model.contract.golden`).

`model.snn_torch.run_int` runs IF layers only; this runs an IF prefix (the same step dynamics)
and then the ssf suffix once, on the spike counts c_in ∈ 0..T (docs/arithmetic.md)::

    acc = W * c_in                      (int64, exact)
    V   = sat(v_init + acc + T * C)     (one saturation)
    c   = clip(V >> k, 0, T)            threshold = 2^k (floor division)

Synaptic operations of an ssf layer: one per non-zero input count and structural synapse,
`(c_in > 0) @ fanout`; its spikes are the sum of its counts (0 for the output layer).
An all-IF artifact gives exactly `run_int`'s result.
"""

from __future__ import annotations

import numpy as np
import torch

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.snn_torch import SimLayer, SimResult, _current, int_layers


def _const(layer: SimLayer, x: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
    """C = bias (+ W * x for the input layer) (+ W_rr @ rr), shape (N, n_out)."""
    c = layer.bias.repeat_interleave(layer.out_length).expand(len(x), -1)
    if layer.source == "input":
        c = c + _current(layer, x)
    if layer.rr_weight is not None:
        c = c + rr @ layer.rr_weight.T
    return c


def _drive(layer: SimLayer, inp: torch.Tensor) -> torch.Tensor:
    """W applied to a flat (N, n_in) spike or count vector."""
    if layer.kind == "conv1d":
        inp = inp.reshape(len(inp), layer.in_channels, -1)
    return _current(layer, inp)


def simulate_mixed(
    layers: list[SimLayer], neurons: list[str], T: int, x: torch.Tensor, rr: torch.Tensor
) -> SimResult:
    """IF prefix for T steps, then the ssf suffix once; int64 tensors."""
    n = len(x)
    n_if = sum(mode == "if" for mode in neurons)
    consts = [_const(layer, x, rr) for layer in layers]
    v = [torch.full_like(c, layer.v_init) for c, layer in zip(consts, layers, strict=True)]
    spikes = torch.zeros((n, len(layers)), dtype=torch.int64)
    synops = torch.zeros(n, dtype=torch.int64)
    counts = None
    for _t in range(T if n_if else 0):
        s_prev = None
        for i, layer in enumerate(layers[:n_if]):
            drive = consts[i]
            if s_prev is not None:
                synops += s_prev.to(torch.int64) @ layer.fanout
                drive = drive + _drive(layer, s_prev.to(torch.int64))
            v[i] = (v[i] + drive).clamp(*layer.sat)
            s_prev = torch.zeros_like(v[i], dtype=torch.bool)
            if layer.fires:
                s_prev = v[i] >= layer.threshold
                v[i] = v[i] - layer.threshold * s_prev.to(torch.int64)
                spikes[:, i] += s_prev.sum(1)
        step = s_prev.to(torch.int64)
        counts = step if counts is None else counts + step
    for i in range(n_if, len(layers)):
        layer = layers[i]
        acc = 0
        if counts is not None:
            synops += (counts > 0).to(torch.int64) @ layer.fanout
            acc = _drive(layer, counts)
        v[i] = (layer.v_init + acc + T * consts[i]).clamp(*layer.sat)
        counts = torch.zeros_like(v[i])
        if layer.fires:
            counts = torch.div(v[i], layer.threshold, rounding_mode="floor").clamp(0, T)
        spikes[:, i] = counts.sum(1)
    out = v[-1]
    return SimResult(
        cls=torch.argmax(out, dim=1).numpy(),
        values=out.numpy(),
        spikes=spikes.numpy(),
        synops=synops.numpy(),
    )


@torch.no_grad()
def run_int_mixed(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> SimResult:
    """The integer SNN (IF and/or ssf layers) on chip inputs: must equal
    `model.contract.golden.run`."""
    xt = torch.as_tensor(np.asarray(x), dtype=torch.int64)
    rt = torch.as_tensor(np.asarray(rr), dtype=torch.int64).reshape(len(xt), -1)
    neurons = [lay.neuron for lay in artifact.spec.layers]
    return simulate_mixed(int_layers(artifact), neurons, artifact.spec.T, xt, rt)
