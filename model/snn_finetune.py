"""SNN-aware fine-tuning of the converted network: the forward pass *is* the quantized SNN.

The CQ CNN reproduces an IF neuron exactly only for a constant input current. Layers fed by
spikes see a current that varies from step to step, and the integer weights differ from the float
ones, so the converted SNN can disagree with the CNN on a few beats. After conversion (BN folded,
threshold 1) this module fine-tunes the folded weights with

- forward: fake-quantized weights (exactly the integers `model/quantize.py` will produce, divided
  by the layer's θ) and the IF dynamics over T steps (v_init = η, reset by subtraction, `>=`);
  the output is the rate of every layer, r_l = spikes_l / T, and the logits W r + b;
- backward: the straight-through CQ surrogate on the mean current z_l = W_l r_{l-1} + b_l,
  d r_l / d z_l = 1[0 <= z_l <= 1], and identity for the weight rounding.

So the network being optimised is the SNN that ships; the conversion error left is float32 vs
integer rounding at spike ties. Each weight update changes the float weights; the fake
quantizer re-derives θ from them every step (θ itself gets no gradient):

    θ = floor(qmax · min(in_scale / max|W|, rr_scale / max|W_rr|))
    W_fq = rnd(W θ / in_scale) · in_scale / θ     (likewise W_rr, and b_fq = rnd(b θ) / θ)

For a sum-then-fire artifact (`neuron="ssf"`, every layer ssf) the shipped network *is* the CQ
CNN with these fake-quantized weights at θ = 2^floor(log2 θ) (`model/ssf.py`): the forward is
then the CQ activation (mode "cq") on that power-of-two grid, and no IF dynamics are simulated.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.convert import FloatLayer
from ecg_snn.model.quantize import layer_threshold


def _round_ste(u: torch.Tensor) -> torch.Tensor:
    """floor(u + 1/2) forward, identity backward."""
    return u + (torch.floor(u + 0.5) - u).detach()


class SNNNet(nn.Module):
    """Folded network with trainable float weights; forward = the (fake-)quantized IF SNN."""

    def __init__(
        self,
        layers: list[FloatLayer],
        pre: Preprocess,
        T: int,
        weight_bits: int | None = 8,
        neuron: str = "if",
        out_rows: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.template = [dataclasses.replace(lay) for lay in layers]
        self.pre, self.T, self.weight_bits = pre, T, weight_bits
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.tensor(lay.weight, dtype=torch.float32)) for lay in layers]
        )
        self.biases = nn.ParameterList(
            [nn.Parameter(torch.tensor(lay.bias, dtype=torch.float32)) for lay in layers]
        )
        # one RR weight per layer that takes the RR features, keyed by the layer index
        self.rr_weights = nn.ParameterDict(
            {
                str(i): nn.Parameter(torch.tensor(lay.rr_weight, dtype=torch.float32))
                for i, lay in enumerate(layers)
                if lay.rr_weight is not None
            }
        )
        # tied output rows (model.network.ArchConfig.tie_out): the output weight is read
        # through this row index, so fine-tuning keeps the tie
        self.out_rows = out_rows
        self.acts: list[torch.Tensor] = []
        if neuron not in ("if", "ssf"):
            raise ValueError(f"neuron must be 'if' or 'ssf', not {neuron!r}")
        self.neuron = neuron
        # "snn": the IF dynamics (the shipped IF model); "cq": the CQ CNN with these weights
        # (rate = CQ(mean current)): the float CNN the SNN is compared with, and for
        # neuron="ssf" the shipped model itself
        self.mode = "cq" if neuron == "ssf" else "snn"

    def _weight(self, i: int) -> torch.Tensor:
        w = self.weights[i]
        if self.out_rows is not None and i == len(self.template) - 1:
            w = w[self.out_rows]
        return w

    def quantized(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Layer i's weight, bias and RR weight as the integer model sees them (÷ θ)."""
        lay, w, b = self.template[i], self._weight(i), self.biases[i]
        rr = self.rr_weights.get(str(i))
        if self.weight_bits is None:
            return w, b, rr
        in_scale = self.pre.input_scale if lay.source == "input" else 1.0
        rr_scale = self.pre.rr_scale
        max_rr = 0.0 if rr is None else float(rr.detach().abs().max())
        theta = layer_threshold(
            float(w.detach().abs().max()), max_rr, self.weight_bits, in_scale, rr_scale, lay.name
        )
        if self.neuron == "ssf":  # the power-of-two threshold of model.quantize.quantize_neurons
            theta = 1 << (int(theta).bit_length() - 1)
        wq = _round_ste(w * (theta / in_scale)) * (in_scale / theta)
        bq = _round_ste(b * theta) / theta
        rq = None if rr is None else _round_ste(rr * (theta / rr_scale)) * (rr_scale / theta)
        return wq, bq, rq

    def _apply(self, i: int, w: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        lay = self.template[i]
        if lay.kind == "conv1d":
            if h.dim() == 2:
                h = h.reshape(len(h), lay.in_channels, lay.in_length)
            return F.conv1d(h, w, stride=lay.stride).flatten(1)
        return h.flatten(1) @ w.T

    def forward(self, x: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
        """Logits W_out r + b_out (= the output membrane / T, minus a class-independent v_init)."""
        self.acts = []
        n, T = len(x), self.T
        spikes = None  # (N*T, n_in) spike trains of the previous layer, step-major per beat
        rate = None
        for i, lay in enumerate(self.template):
            w, b, rq = self.quantized(i)
            const = b.repeat_interleave(lay.out_length)
            if rq is not None:
                const = const + rr @ rq.T
            if lay.source == "input":
                z = self._apply(i, w, x) + const  # constant current, every step
                drive = z.unsqueeze(1).expand(n, T, -1)
            elif self.mode == "cq":
                z = self._apply(i, w, rate) + const
            else:
                z = self._apply(i, w, rate) + const  # mean current (for the gradient)
                with torch.no_grad():
                    per_beat = const if const.dim() == 2 else const.expand(n, -1)
                    drive = self._apply(i, w, spikes).reshape(n, T, -1) + per_beat.unsqueeze(1)
            if not lay.fires:
                return z
            surrogate = torch.clamp(z, 0.0, 1.0)
            if self.mode == "cq":
                rate = surrogate + (torch.floor(surrogate * T + 0.5) / T - surrogate).detach()
                spikes = None
                self.acts.append(rate)
                continue
            with torch.no_grad():
                v = torch.full_like(z, lay.v_init)
                trains = []
                for t in range(T):
                    v = v + drive[:, t]
                    s = (v >= 1.0).to(v.dtype)
                    v = v - s
                    trains.append(s)
                trains = torch.stack(trains, dim=1)  # (N, T, n_out)
                counts = trains.sum(1) / T
            rate = surrogate + (counts - surrogate).detach()
            spikes = trains.reshape(n * T, -1)
            self.acts.append(rate)
        raise AssertionError("the last layer must be the non-firing output layer")

    def to_float_layers(self) -> list[FloatLayer]:
        """The fine-tuned float weights as converted layers (quantize them with the same bits)."""
        out = []
        for i, lay in enumerate(self.template):
            rr = self.rr_weights.get(str(i))
            out.append(
                dataclasses.replace(
                    lay,
                    weight=self._weight(i).detach().double().numpy().copy(),
                    bias=self.biases[i].detach().double().numpy().copy(),
                    rr_weight=None if rr is None else rr.detach().double().numpy().copy(),
                )
            )
        return out


FINETUNE_LR = 3e-4  # the SNN fine-tune moves the converted weights gently: 1/10 of the CNN rate


def fine_tune(
    layers: list[FloatLayer],
    data,
    pre: Preprocess,
    cfg,
    weight_bits: int | None,
    neuron: str,
    out_rows: list[int] | None = None,
    epochs: int = 3,
    checkpoint: Path | None = None,
    resume: bool = False,
    progress: bool = False,
) -> tuple[SNNNet, list[dict]]:
    """The converted `layers` fine-tuned for `epochs` with the CNN's recipe `cfg` (a
    `model.train.TrainConfig`: its T, seed, loss weights and augmentation) at `FINETUNE_LR`, on
    `data` (a `model.splits.SplitData`): the step every trained model takes before quantization,
    the shipped pipeline's and each cross-validation fold's alike. 0 epochs: converted only."""
    from ecg_snn.model.train import train_cnn  # the training loop imports the network

    snn = SNNNet(layers, pre, cfg.T, weight_bits, neuron=neuron, out_rows=out_rows)
    if not epochs:
        return snn, []
    ft_cfg = dataclasses.replace(cfg, epochs=epochs, lr=FINETUNE_LR, augment=True)
    return train_cnn(
        data, pre, ft_cfg, checkpoint=checkpoint, resume=resume, progress=progress, net=snn
    )


def float_layers_from_checkpoint(artifact: Artifact, checkpoint: str | Path) -> list[FloatLayer]:
    """The fine-tuned float network (what the pipeline quantizes) from an `SNNNet` checkpoint
    of `model.train.train_cnn` (its best state), shaped by the IF artifact's layer specs."""
    state = torch.load(Path(checkpoint), weights_only=False)
    weights = state["best"]["state"] if isinstance(state.get("best"), dict) else state["model"]
    out = []
    for i, spec in enumerate(artifact.spec.layers):
        rr = weights.get(f"rr_weights.{i}", weights.get("rr_weight")) if spec.rr_inputs else None
        out.append(
            FloatLayer(
                name=spec.name,
                kind=spec.kind,
                source=spec.source,
                in_channels=spec.in_channels,
                in_length=spec.in_length,
                out_channels=spec.out_channels,
                out_length=spec.out_length,
                kernel=spec.kernel,
                stride=spec.stride,
                weight=weights[f"weights.{i}"].double().numpy().copy(),
                bias=weights[f"biases.{i}"].double().numpy().copy(),
                rr_weight=None if rr is None else rr.double().numpy().copy(),
                fires=spec.fires,
                v_init=0.5 if spec.fires else 0.0,
            )
        )
    return out
