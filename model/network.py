"""The trainable CNN: valid conv1d / dense layers with clamp-and-quantize (CQ) activations.

Only what the integer SNN (`model/contract/spec.py`) can run is allowed: valid (unpadded) strided
conv1d,
dense, batch-norm (folded away at conversion) and the CQ activation. No pooling is needed; a
strided convolution does the down-sampling. Anything else fails *before training* with an
`UnsupportedLayerError` naming the layer.

Input scaling (folded into the integer weights and thresholds by `model/quantize.py`)::

    x_f  = x  / 2**(input_bits - 1)     chip samples, signed input_bits   -> [-1, 1)
    rr_f = rr / 2**rr_bits              chip RR features, unsigned rr_bits -> [0, 1)

Default architecture (about 7.6 k weights)::

    conv0  1 -> 8,  k7 s2 (64 -> 29)  + BN + CQ
    conv1  8 -> 16, k5 s2 (29 -> 13)  + BN + CQ
    flatten, channel-major (16*13 = 208)
    dense2 208 -> 32, h = W a + W_rr rr_f + b   + BN + CQ     (RR features as constant current)
    dense3 32 -> n_classes                                     (output: no activation)

CQ activation, T levels, with a straight-through estimator (STE) for the rounding::

    act(z) = clamp(floor(z*T + 1/2) / T, 0, 1)

which is exactly the spike count / T of an IF neuron (threshold 1, v_init = 1/2, reset by
subtraction, `>=` compare) driven by the constant current z for T steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

SUPPORTED_KINDS = ("conv1d", "dense")


class UnsupportedLayerError(ValueError):
    """A layer the converter (and hence the chip) cannot run."""


@dataclass(frozen=True)
class LayerCfg:
    """One hidden or output layer. `out` is channels (conv1d) or neurons (dense)."""

    name: str
    kind: str
    out: int
    kernel: int = 1
    stride: int = 1


def shaped_layers(c0: int, k0: int, c1: int, k1: int, dense: int, stride: int = 2):
    """The shipped topology (two strided convolutions, a hidden dense layer, the output layer)
    at other widths and kernels: the shape axes of the co-design search (`make train ARGS=
    "--shape C0 K0 C1 K1 DENSE"`)."""
    return (
        LayerCfg("conv0", "conv1d", c0, k0, stride),
        LayerCfg("conv1", "conv1d", c1, k1, stride),
        LayerCfg("dense2", "dense", dense),
        LayerCfg("dense3", "dense", 0),  # out filled from n_classes
    )


@dataclass(frozen=True)
class ArchConfig:
    """The network shape. The last layer is the non-firing output layer (out = n_classes)."""

    n_samples: int = 64
    n_rr: int = 4
    n_classes: int = 4
    # training-only dropout on the flattened conv features: pushes the dense layer to use the
    # RR features (S beats look like N beats; only their timing differs). Identity at inference.
    dropout: float = 0.0
    # training-only: the probability that a beat's whole conv feature vector is dropped (the
    # rest scaled by 1/(1-p)), so the dense layer also learns to classify from RR alone
    morph_drop: float = 0.0
    # dense layers that take the RR features as a constant current, besides the first dense
    # layer (which always does when n_rr > 0). ("dense3",) gives the output layer its own RR
    # path: a premature-beat term the morphology features cannot override (docs/model.md)
    rr_also: tuple[str, ...] = ()
    # output rows that share another row's weights on the hidden units: (i, j) makes class i's
    # logit class j's plus its own bias and RR current, so the decision between i and j rests on
    # the RR features alone. ((1, 0),) ties S to N: morphology can separate N/S from V/F but
    # cannot override timing between N and S. The artifact simply holds the copied row.
    tie_out: tuple[tuple[int, int], ...] = ()
    # training-only reparametrisation W_rr = rr_gain · V (V is what the optimiser moves): rr_f
    # is ~0.5 for a normal ratio and a premature beat differs by ~0.1, so at gain 1 Adam's
    # ~lr-sized steps cannot grow an RR weight large enough to matter within the epochs; the
    # gain scales the RR path's effective learning rate. The converted weight is rr_gain · V.
    rr_gain: float = 1.0
    layers: tuple[LayerCfg, ...] = field(default_factory=lambda: shaped_layers(8, 7, 16, 5, 32))

    def resolved(self) -> tuple[LayerCfg, ...]:
        """The layers with the output layer's width set to n_classes."""
        *hidden, last = self.layers
        return (*hidden, LayerCfg(last.name, last.kind, self.n_classes))

    def validate(self) -> None:
        """Fail before training on anything the converter cannot turn into the integer SNN."""
        seen_dense = False
        length = self.n_samples
        for layer in self.layers:
            where = f"layer {layer.name!r}"
            if layer.kind not in SUPPORTED_KINDS:
                raise UnsupportedLayerError(
                    f"{where}: kind {layer.kind!r} is not supported by the converter; "
                    f"supported: {SUPPORTED_KINDS} (use a strided conv instead of pooling)"
                )
            if layer.kind == "conv1d":
                if seen_dense:
                    raise UnsupportedLayerError(f"{where}: a conv1d cannot follow a dense layer")
                if layer.kernel > length or layer.kernel < 1 or layer.stride < 1:
                    raise UnsupportedLayerError(
                        f"{where}: kernel {layer.kernel} / stride {layer.stride} do not fit "
                        f"an input of length {length}"
                    )
                length = (length - layer.kernel) // layer.stride + 1
            else:
                seen_dense = True
        last = self.layers[-1].name
        for i, j in self.tie_out:
            if not (0 <= i < self.n_classes and 0 <= j < self.n_classes) or i == j:
                raise UnsupportedLayerError(f"tie_out ({i}, {j}): not two distinct classes")
            if last not in self.rr_layers:
                raise UnsupportedLayerError(
                    f"tie_out needs the RR features on the output layer (rr_also=({last!r},))"
                )
        kinds = {lay.name: lay.kind for lay in self.layers}
        for name in self.rr_also:
            if kinds.get(name) != "dense":
                raise UnsupportedLayerError(
                    f"rr_also: {name!r} is not a dense layer of {list(kinds)}; RR enters dense "
                    "layers only"
                )
        if not seen_dense or self.layers[-1].kind != "dense":
            raise UnsupportedLayerError("the last layer must be a dense output layer")
        if self.layers[0].kind != "conv1d" and self.n_rr:
            # the first layer takes the samples as constant current; RR must enter a later
            # dense layer (the spec gives RR only to dense layers with spike inputs here)
            raise UnsupportedLayerError("the first layer must be a conv1d when RR is used")

    def shapes(self) -> list[tuple[int, int, int, int]]:
        """(in_channels, in_length, out_channels, out_length) per layer (dense: lengths 1)."""
        out, ch, length = [], 1, self.n_samples
        for layer in self.resolved():
            if layer.kind == "conv1d":
                new = (length - layer.kernel) // layer.stride + 1
                out.append((ch, length, layer.out, new))
                ch, length = layer.out, new
            else:
                out.append((ch * length, 1, layer.out, 1))
                ch, length = layer.out, 1
        return out

    @property
    def rr_layer(self) -> str:
        """The first layer that takes the RR features: the first dense layer."""
        return next(lay.name for lay in self.layers if lay.kind == "dense")

    @property
    def rr_layers(self) -> tuple[str, ...]:
        """Every layer that takes the RR features (none when n_rr == 0)."""
        if not self.n_rr:
            return ()
        return (self.rr_layer, *(n for n in self.rr_also if n != self.rr_layer))

    @property
    def out_rows(self) -> list[int] | None:
        """Row k of the output weight is row out_rows[k] of the trained one (None: untied)."""
        if not self.tie_out:
            return None
        rows = list(range(self.n_classes))
        for i, j in self.tie_out:
            rows[i] = j
        return rows

    def n_weights(self) -> int:
        total = 0
        for lay, (ci, _li, co, _lo) in zip(self.resolved(), self.shapes(), strict=True):
            total += (
                co * ci * lay.kernel + co + (co * self.n_rr if lay.name in self.rr_layers else 0)
            )
        return total


class _CQRound(torch.autograd.Function):
    """floor(y*T + 1/2)/T forward, identity backward (straight-through)."""

    @staticmethod
    def forward(ctx, y: torch.Tensor, T: int) -> torch.Tensor:
        return torch.floor(y * T + 0.5) / T

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


class CQAct(nn.Module):
    """act(z) = clamp(floor(z*T + 1/2)/T, 0, 1); gradient 1 inside [0, 1], 0 outside."""

    def __init__(self, T: int) -> None:
        super().__init__()
        if T < 1:
            raise ValueError(f"T must be >= 1, not {T}")
        self.T = T

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return _CQRound.apply(torch.clamp(z, 0.0, 1.0), self.T)

    def extra_repr(self) -> str:
        return f"T={self.T}"


class ConvNet(nn.Module):
    """The CNN as trained (with batch-norm). `forward` returns the output-layer logits; the
    hidden activations of the last call are kept in `self.acts` (for sparsity and CN)."""

    def __init__(self, arch: ArchConfig, T: int) -> None:
        super().__init__()
        arch.validate()
        self.arch = arch
        self.T = T
        self.body = nn.ModuleDict()
        self.norm = nn.ModuleDict()
        layers = arch.resolved()
        for lay, (ci, _li, co, _lo) in zip(layers, arch.shapes(), strict=True):
            last = lay is layers[-1]
            if lay.kind == "conv1d":
                self.body[lay.name] = nn.Conv1d(ci, co, lay.kernel, lay.stride)
            else:
                self.body[lay.name] = nn.Linear(ci, co)
            if not last:
                self.norm[lay.name] = nn.BatchNorm1d(co)
        outs = {lay.name: lay.out for lay in layers}
        # one bias-free RR current per RR layer, keyed by layer name
        self.rr = nn.ModuleDict(
            {name: nn.Linear(arch.n_rr, outs[name], bias=False) for name in arch.rr_layers}
        )
        self.act = CQAct(T)
        self.drop = nn.Dropout(arch.dropout) if arch.dropout else None
        self.acts: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
        """x (N, 1, n_samples) and rr (N, n_rr), both already scaled to floats."""
        self.acts = []
        layers = self.arch.resolved()
        h = x
        for lay in layers:
            if lay.kind == "dense":
                h = h.flatten(1)  # channel-major, the neuron order of the spec
                if self.drop is not None and lay.name == self.arch.rr_layer:
                    h = self.drop(h)
                if self.training and self.arch.morph_drop and lay.name == self.arch.rr_layer:
                    p = self.arch.morph_drop
                    keep = (torch.rand((h.shape[0], 1)) >= p).to(h.dtype)
                    h = h * keep / (1.0 - p)
            if lay is layers[-1] and self.arch.tie_out:
                body = self.body[lay.name]
                h = nn.functional.linear(h, body.weight[self.arch.out_rows], body.bias)
            else:
                h = self.body[lay.name](h)
            if lay.name in self.rr:
                h = h + self.rr[lay.name](rr * self.arch.rr_gain)
            if lay is not layers[-1]:
                h = self.act(self.norm[lay.name](h))
                self.acts.append(h)
        return h


ALLOWED_MODULES = (nn.Conv1d, nn.Linear, nn.BatchNorm1d, CQAct, nn.ModuleDict, nn.Dropout)


def check_convertible(module: nn.Module) -> None:
    """Refuse, naming it, any submodule the converter has no rule for (e.g. MaxPool1d)."""
    for name, sub in module.named_modules():
        if name and not isinstance(sub, ALLOWED_MODULES):
            raise UnsupportedLayerError(
                f"layer {name!r}: {type(sub).__name__} is not supported by the converter; "
                f"supported: Conv1d (valid), Linear, BatchNorm1d, CQAct, Dropout (training only)"
            )
        if isinstance(sub, nn.Conv1d) and (
            sub.padding != (0,) or sub.dilation != (1,) or sub.groups != 1
        ):
            raise UnsupportedLayerError(
                f"layer {name!r}: only valid conv1d (no padding, dilation or groups) is supported"
            )
