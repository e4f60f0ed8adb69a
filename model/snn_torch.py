"""The SNN in torch: the integer path (int64, bit-exact with `model.contract.golden`) and the float
path.

Both run the same IF dynamics (docs/arithmetic.md §2) over T steps, vectorised over beats::

    C      = bias + W * x (input layer) + W_rr @ rr (RR layer)         once per inference
    V      = v_init
    for t in 0..T-1, layer by layer:
        V  = sat(V + W * s_prev + C)       sat: signed membrane_bits clamp (integer path only)
        s  = V >= threshold;  V -= threshold * s                     (firing layers)
    class = argmax V_out  (lowest index wins a tie: torch.argmax returns the first maximum)

The integer path reads an `Artifact` and computes in int64 (conv1d and matmul on int64 tensors are
exact). The float path reads the converted `FloatLayer`s (threshold 1, float64, no saturation)
and the float inputs x_f, rr_f: it is the `snn_float` of the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.convert import FloatLayer


@dataclass
class SimLayer:
    kind: str
    stride: int
    weight: torch.Tensor
    bias: torch.Tensor
    rr_weight: torch.Tensor | None
    threshold: float | int
    v_init: float | int
    fires: bool
    source: str
    sat: tuple[int, int] | None  # membrane clamp, None for the float path
    fanout: torch.Tensor  # structural synapses per presynaptic neuron (for synops)
    in_channels: int
    out_length: int


@dataclass
class SimResult:
    cls: np.ndarray  # (N,)
    values: np.ndarray  # (N, n_classes) final output membranes
    spikes: np.ndarray  # (N, n_layers) spikes per layer
    synops: np.ndarray  # (N,)


def _fanout(kind: str, weight_shape: tuple[int, ...], stride: int, in_len: int) -> torch.Tensor:
    """Synapses per presynaptic neuron, channel-major (matches `golden.structural_fanout`)."""
    if kind == "dense":
        return torch.full((weight_shape[1],), weight_shape[0], dtype=torch.int64)
    out_ch, in_ch, k = weight_shape
    out_len = (in_len - k) // stride + 1
    per_pos = torch.zeros(in_len, dtype=torch.int64)
    for p in range(out_len):
        per_pos[p * stride : p * stride + k] += out_ch
    return per_pos.repeat(in_ch)


def _current(layer: SimLayer, h: torch.Tensor) -> torch.Tensor:
    """W applied to a (N, C, L) or (N, n) input, flattened channel-major to (N, n_out)."""
    if layer.kind == "conv1d":
        return F.conv1d(h, layer.weight, stride=layer.stride).flatten(1)
    return h.flatten(1) @ layer.weight.T


def simulate(layers: list[SimLayer], T: int, x: torch.Tensor, rr: torch.Tensor) -> SimResult:
    """Run the IF network for T steps on x (N, 1, L) and rr (N, n_rr) of the layers' dtype."""
    n = len(x)
    consts = []
    for layer in layers:
        c = layer.bias.repeat_interleave(layer.out_length).expand(n, -1)
        if layer.source == "input":
            c = c + _current(layer, x)
        if layer.rr_weight is not None:
            c = c + rr @ layer.rr_weight.T
        consts.append(c)
    v = [torch.full_like(c, layer.v_init) for c, layer in zip(consts, layers, strict=True)]
    spikes = torch.zeros((n, len(layers)), dtype=torch.int64)
    synops = torch.zeros(n, dtype=torch.int64)
    for _t in range(T):
        s_prev = None
        for i, layer in enumerate(layers):
            if s_prev is None:
                drive = consts[i]
            else:
                synops += s_prev.to(torch.int64) @ layer.fanout
                inp = s_prev.to(x.dtype)
                if layer.kind == "conv1d":
                    inp = inp.reshape(n, layer.in_channels, -1)
                drive = _current(layer, inp) + consts[i]
            v[i] = v[i] + drive
            if layer.sat is not None:
                v[i] = v[i].clamp(*layer.sat)
            if layer.fires:
                s = v[i] >= layer.threshold
                v[i] = v[i] - layer.threshold * s.to(v[i].dtype)
                spikes[:, i] += s.sum(1)
                s_prev = s
    out = v[-1]
    return SimResult(
        cls=torch.argmax(out, dim=1).numpy(),
        values=out.numpy(),
        spikes=spikes.numpy(),
        synops=synops.numpy(),
    )


def int_layers(artifact: Artifact) -> list[SimLayer]:
    """The artifact's layers as int64 simulation layers (saturating membranes)."""
    out = []
    for spec in artifact.spec.layers:
        rr_w = artifact.rr_weight(spec)
        out.append(
            SimLayer(
                kind=spec.kind,
                stride=spec.stride,
                weight=torch.as_tensor(artifact.weight(spec), dtype=torch.int64),
                bias=torch.as_tensor(artifact.bias(spec), dtype=torch.int64),
                rr_weight=None if rr_w is None else torch.as_tensor(rr_w, dtype=torch.int64),
                threshold=spec.threshold,
                v_init=spec.v_init,
                fires=spec.fires,
                source=spec.source,
                sat=spec.membrane_range,
                fanout=_fanout(spec.kind, spec.weight_shape, spec.stride, spec.in_length),
                in_channels=spec.in_channels,
                out_length=spec.out_length,
            )
        )
    return out


def float_layers(layers: list[FloatLayer]) -> list[SimLayer]:
    """Converted float layers (threshold 1, v_init = η) as float64 simulation layers."""
    return [
        SimLayer(
            kind=lay.kind,
            stride=lay.stride,
            weight=torch.as_tensor(lay.weight, dtype=torch.float64),
            bias=torch.as_tensor(lay.bias, dtype=torch.float64),
            rr_weight=None
            if lay.rr_weight is None
            else torch.as_tensor(lay.rr_weight, dtype=torch.float64),
            threshold=1.0,
            v_init=lay.v_init,
            fires=lay.fires,
            source=lay.source,
            sat=None,
            fanout=_fanout(lay.kind, lay.weight.shape, lay.stride, lay.in_length),
            in_channels=lay.in_channels,
            out_length=lay.out_length,
        )
        for lay in layers
    ]


@torch.no_grad()
def run_int(artifact: Artifact, x: np.ndarray, rr: np.ndarray, batch: int = 8192) -> SimResult:
    """The integer SNN on chip inputs x (N, 1, L) and rr (N, n_rr): must equal
    `model.contract.golden.run`."""
    layers = int_layers(artifact)
    xt = torch.as_tensor(np.asarray(x), dtype=torch.int64)
    rt = torch.as_tensor(np.asarray(rr), dtype=torch.int64).reshape(len(xt), -1)
    return _batched(layers, artifact.spec.T, xt, rt, batch)


@torch.no_grad()
def run_float(
    layers: list[FloatLayer], T: int, x_f: np.ndarray, rr_f: np.ndarray, batch: int = 8192
) -> SimResult:
    """The float SNN (converted weights, threshold 1) on the scaled inputs x_f, rr_f."""
    xt = torch.as_tensor(np.asarray(x_f), dtype=torch.float64)
    rt = torch.as_tensor(np.asarray(rr_f), dtype=torch.float64).reshape(len(xt), -1)
    return _batched(float_layers(layers), T, xt, rt, batch)


def _batched(layers: list[SimLayer], T: int, x: torch.Tensor, rr: torch.Tensor, batch: int):
    parts = [
        simulate(layers, T, x[i : i + batch], rr[i : i + batch]) for i in range(0, len(x), batch)
    ]
    if not parts:
        raise ValueError("no beats to simulate")
    return SimResult(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in SimResult.__dataclass_fields__)
    )
