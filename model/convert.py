"""CNN -> float SNN conversion: CMB (BN folding with epsilon), CN (current normalisation), TRE.

Wu, Yi, Huang, "A Little Energy Goes a Long Way", Front. Neurosci. 16:759900 (2022).

CMB, for a layer `z = W a + b` followed by eval-mode batch-norm (γ, β, running μ, σ², ε)::

    W' = γ / sqrt(σ² + ε) · W          b' = γ / sqrt(σ² + ε) · (b − μ) + β

ε is kept: dropping it costs accuracy (the paper's point, and it would break exact equality with
torch's eval-mode BN, which a test checks).

CN, with λ_n the max (or a percentile) of layer n's activation on training data, λ_input = 1::

    W_n ← λ_{n−1} / λ_n · W_n          b_n ← b_n / λ_n          V_th = 1

so every hidden neuron fires at most about once per step. With CQ training the activations are
clamped to [0, 1] and quantized to T levels, so λ = 1 for every layer (mode "cq") and CN is the
identity; any other λ would move the quantization levels the network was trained on. The general
rule stays for nets trained without CQ. The output layer's λ is 1: argmax ignores a positive scale.

TRE: every firing neuron starts at v_init = η · V_th (η = 0.5), which turns the IF spike count
for a constant current z into round-half-up(z·T), the CQ activation. The integer v_init is
`round(η · threshold)` once the threshold is an integer (`model/quantize.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from ecg_snn.model.network import ConvNet, check_convertible

LAMBDA_MODES = ("cq", "max", "percentile")


@dataclass
class FloatLayer:
    """One converted layer, float64, threshold 1 (the spec's layer, before quantization)."""

    name: str
    kind: str  # "conv1d" | "dense"
    source: str  # "input" | "spikes"
    in_channels: int
    in_length: int
    out_channels: int
    out_length: int
    kernel: int
    stride: int
    weight: np.ndarray  # (out, in, k) or (out, in)
    bias: np.ndarray  # (out,)
    rr_weight: np.ndarray | None  # (out, n_rr): acts on rr_f = rr / 2**rr_bits
    fires: bool
    v_init: float = 0.5  # in units of the threshold (1.0)


def fold_bn(
    weight: torch.Tensor, bias: torch.Tensor, bn: nn.BatchNorm1d
) -> tuple[torch.Tensor, torch.Tensor]:
    """CMB: fold eval-mode BN into the preceding weight (first axis = output channel) and bias."""
    g = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = weight * g.reshape(-1, *([1] * (weight.dim() - 1)))
    return w, g * (bias - bn.running_mean) + bn.bias


@torch.no_grad()
def layer_lambdas(
    net: ConvNet,
    x: torch.Tensor,
    rr: torch.Tensor,
    mode: str = "cq",
    percentile: float = 99.99,
) -> list[float]:
    """λ per hidden layer from its activations on (a sample of) training data.

    "cq": 1 for every layer; "max": the maximum; "percentile": that percentile of all the
    layer's activations. A layer that never activates gets λ = 1 (nothing to normalise).
    """
    if mode not in LAMBDA_MODES:
        raise ValueError(f"lambda mode {mode!r}; choose one of {LAMBDA_MODES}")
    n_hidden = len(net.arch.layers) - 1
    if mode == "cq":
        return [1.0] * n_hidden
    net.eval()
    net(x, rr)
    out = []
    for a in net.acts:
        flat = a.flatten().double()
        lam = float(flat.max()) if mode == "max" else float(torch.quantile(flat, percentile / 100))
        out.append(lam if lam > 0 else 1.0)
    return out


@torch.no_grad()
def convert(net: ConvNet, lambdas: list[float] | None = None, eta: float = 0.5) -> list[FloatLayer]:
    """The trained CNN as a float SNN: BN folded (CMB), currents normalised (CN), v_init = η."""
    check_convertible(net)
    arch = net.arch
    layers = arch.resolved()
    lambdas = [1.0] * (len(layers) - 1) if lambdas is None else list(lambdas)
    if len(lambdas) != len(layers) - 1:
        raise ValueError(f"need {len(layers) - 1} lambdas (one per hidden layer), got {lambdas}")
    lam = [*lambdas, 1.0]
    out: list[FloatLayer] = []
    for i, (lay, (ci, li, co, lo)) in enumerate(zip(layers, arch.shapes(), strict=True)):
        body = net.body[lay.name]
        w, b = body.weight.detach().clone(), body.bias.detach().clone()
        if i == len(layers) - 1 and arch.out_rows is not None:  # tied output rows (ArchConfig)
            w = w[arch.out_rows]
        rr_w = net.rr[lay.name].weight.detach() * arch.rr_gain if lay.name in net.rr else None
        fires = i < len(layers) - 1
        if fires:
            bn = net.norm[lay.name]
            if rr_w is not None:
                g = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                rr_w = rr_w * g[:, None]
            w, b = fold_bn(w, b, bn)
        lam_in = lam[i - 1] if i else 1.0
        w, b = w * (lam_in / lam[i]), b / lam[i]
        if rr_w is not None:
            rr_w = rr_w / lam[i]  # RR inputs are analog (λ = 1), like the samples
        out.append(
            FloatLayer(
                name=lay.name,
                kind=lay.kind,
                source="input" if i == 0 else "spikes",
                in_channels=ci,
                in_length=li,
                out_channels=co,
                out_length=lo,
                kernel=lay.kernel,
                stride=lay.stride,
                weight=w.double().numpy(),
                bias=b.double().numpy(),
                rr_weight=None if rr_w is None else rr_w.double().numpy(),
                fires=fires,
                v_init=eta if fires else 0.0,
            )
        )
    return out


def with_eta(layers: list[FloatLayer], eta: float) -> list[FloatLayer]:
    """The same layers with another TRE η (for sweeps)."""
    return [replace(lay, v_init=eta if lay.fires else 0.0) for lay in layers]
