"""Training for the retraining flow, on top of `model.train` and `model.snn_finetune`.

Fine-tuning (the default) trains *the shipped SNN itself*. `float_layers_from_artifact` turns the
base artifact's integers back into converted float layers (the inverse of `model.quantize`; per
layer θ is its threshold, in_scale = 2**(input_bits-1) for the layer that reads the samples and 1
for spike inputs, rr_scale = 2**rr_bits)::

    W = W_q · in_scale / θ      W_rr = W_rr_q · rr_scale / θ      b = b_q / θ      η = v_init / θ

and `model.snn_finetune.SNNNet` trains them with the recipe of `model.train.train_cnn`: its
forward pass is the fake-quantized IF network over T steps, so before the first step it computes
exactly what the shipped chip computes, and training moves it towards the engineer's beats.

From scratch (`train_from_scratch`) repeats the base model's recipe as its ``meta`` records it
(`Recipe`, written by `model/pipeline.py`: training configuration, dropout, λ mode, η, SNN
fine-tuning epochs): the CQ CNN with batch-norm (`train_cnn`), conversion (`model.convert`),
then the same SNN-aware fine-tuning. Both write atomic per-epoch checkpoints and resume from
them (`train_cnn`).

`arch_from_spec` rebuilds the `model.network.ArchConfig` of a base spec (or says why it cannot),
so the retrained model has the base's shapes by construction.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from torch import nn

from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.convert import FloatLayer, convert, layer_lambdas
from ecg_snn.model.network import ArchConfig, LayerCfg, UnsupportedLayerError
from ecg_snn.model.quantize import dequantize
from ecg_snn.model.retrain.errors import RetrainError
from ecg_snn.model.snn_finetune import SNNNet
from ecg_snn.model.splits import SplitData
from ecg_snn.model.train import TrainConfig, tensors, train_cnn

SNN_LR = 1e-3  # fine-tuning the shipped SNN on new data (few beats: a larger step than below)
PIPELINE_SNN_LR = 3e-4  # model/pipeline.py's SNN fine-tuning rate after CNN training
SCRATCH_CNN_EPOCHS, SCRATCH_SNN_EPOCHS = 12, 3  # when the base's meta records no recipe


def arch_from_spec(spec: ModelSpec) -> ArchConfig:
    """The CNN architecture whose conversion has the shapes of `spec` (or `RetrainError`)."""
    modes = {lay.neuron for lay in spec.layers}
    if len(modes) != 1:
        raise RetrainError(
            f"the base artifact mixes neuron modes {sorted(modes)}; the SNN fine-tuner "
            "(model/snn_finetune.py) models all-IF or all-ssf networks: retrain with `make train`"
        )
    dense = [lay.name for lay in spec.layers if lay.kind == "dense"]
    rr_at = [lay.name for lay in spec.layers if lay.rr_inputs]
    if spec.n_rr and (not rr_at or rr_at[0] != dense[0]):
        raise RetrainError(
            "the base artifact feeds the RR features to layers "
            f"{rr_at}; the trainable network feeds them to the first dense layer and optionally "
            "to later dense layers: retrain this architecture with `make train` instead"
        )
    layers = tuple(
        LayerCfg(lay.name, lay.kind, lay.out_channels, lay.kernel, lay.stride)
        for lay in spec.layers
    )
    arch = ArchConfig(
        n_samples=spec.preprocess.n_samples,
        n_rr=spec.n_rr,
        n_classes=len(spec.classes),
        layers=layers,
        rr_also=tuple(rr_at[1:]),
    )
    try:
        arch.validate()
    except UnsupportedLayerError as e:
        raise RetrainError(f"the base artifact's layers cannot be trained: {e}") from None
    if [tuple(s) for s in arch.shapes()] != [
        (lay.in_channels, lay.in_length, lay.out_channels, lay.out_length) for lay in spec.layers
    ]:
        raise RetrainError("the base artifact's layer shapes do not match a trainable network")
    return arch


def neuron_of(spec: ModelSpec) -> str:
    """ "if" or "ssf": the one neuron mode of the spec (`arch_from_spec` refuses a mix)."""
    return spec.layers[0].neuron


def weight_bits_of(spec: ModelSpec) -> int:
    """The one weight width of the spec (`SNNNet` fake-quantizes every layer alike)."""
    bits = {lay.weight_bits for lay in spec.layers}
    if len(bits) != 1:
        raise RetrainError(
            f"the base artifact mixes weight widths {sorted(bits)}; SNN fine-tuning needs one"
        )
    return bits.pop()


def float_layers_from_artifact(artifact: Artifact) -> list[FloatLayer]:
    """The converted float layers that quantize back to `artifact` (module docstring)."""
    arch_from_spec(artifact.spec)  # refuses what the fine-tuner cannot model
    return dequantize(artifact)


def snn_finetune(
    layers: list[FloatLayer],
    spec: ModelSpec,
    data: SplitData,
    cfg: TrainConfig,
    checkpoint: Path | None,
    resume: bool,
    progress: bool,
) -> tuple[SNNNet, list[dict]]:
    """SNN-aware fine-tuning of converted `layers` (`model.snn_finetune`) with `cfg`."""
    snn = SNNNet(layers, spec.preprocess, spec.T, weight_bits_of(spec), neuron_of(spec))
    if cfg.epochs == 0:
        return snn, []
    net, history = train_cnn(
        data, spec.preprocess, cfg, arch_from_spec(spec), checkpoint, resume, progress, net=snn
    )
    return net, history


def finetune_base(
    base: Artifact,
    data: SplitData,
    cfg: TrainConfig,
    checkpoint: Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> tuple[SNNNet, list[dict]]:
    """Fine-tune the shipped SNN on `data` (module docstring)."""
    layers = float_layers_from_artifact(base)
    return snn_finetune(layers, base.spec, data, cfg, checkpoint, resume, progress)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How the base model was trained, so `--from-scratch` can repeat it.

    Read from the artifact's ``meta`` (`model/pipeline.py` records the training configuration,
    λ mode, η and SNN fine-tuning epochs). What the meta does not record (dropout, the SNN
    fine-tuning rate) comes from `model.pipeline.DEFAULTS` for the recorded split, i.e. what
    `make train` does today; `notes` lists every such fallback for the report."""

    train: TrainConfig
    snn_epochs: int = SCRATCH_SNN_EPOCHS
    snn_lr: float = PIPELINE_SNN_LR
    dropout: float = 0.0
    lambda_mode: str = "cq"
    eta: float = 0.5
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, base: Artifact) -> Recipe:
        """The recipe of `base` (see the class docstring)."""
        from ecg_snn.model.pipeline import DEFAULTS

        meta = base.meta or {}
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        recorded = {k: v for k, v in (meta.get("train_config") or {}).items() if k in known}
        train = TrainConfig(**{"epochs": SCRATCH_CNN_EPOCHS, **recorded, "T": base.spec.T})
        split_defaults = DEFAULTS.get(str(meta.get("split")), {})
        notes = []
        if "dropout" in meta:
            dropout = float(meta["dropout"])
        else:
            dropout = float(split_defaults.get("dropout", 0.0))
            notes.append(f"dropout {dropout} (not recorded in the artifact)")
        if "snn_finetune_lr" in meta:
            snn_lr = float(meta["snn_finetune_lr"])
        else:
            snn_lr = PIPELINE_SNN_LR
            notes.append(f"SNN fine-tuning rate {snn_lr} (not recorded in the artifact)")
        if not recorded:
            notes.append("training configuration not recorded: model.train defaults")
        return cls(
            train=train,
            snn_epochs=int(meta.get("snn_finetune_epochs", SCRATCH_SNN_EPOCHS)),
            snn_lr=snn_lr,
            dropout=dropout,
            lambda_mode=str(meta.get("lambda_mode", "cq")),
            eta=float(meta.get("eta", 0.5)),
            notes=tuple(notes),
        )


def train_from_scratch(
    base: Artifact,
    data: SplitData,
    recipe: Recipe,
    checkpoints: Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> tuple[SNNNet, list[dict]]:
    """The base model's recipe on `data`, in its shapes: CNN, convert (λ, η), SNN fine-tune."""
    spec = base.spec
    cnn_ckpt = None if checkpoints is None else checkpoints / "cnn.pt"
    snn_ckpt = None if checkpoints is None else checkpoints / "snn.pt"
    arch = dataclasses.replace(arch_from_spec(spec), dropout=recipe.dropout)
    cfg = recipe.train
    net, history = train_cnn(data, spec.preprocess, cfg, arch, cnn_ckpt, resume, progress)
    x, rr, _ = tensors(data.train, spec.preprocess)
    lambdas = layer_lambdas(net, x[:20000], rr[:20000], recipe.lambda_mode)
    layers = convert(net, lambdas, recipe.eta)
    ft = dataclasses.replace(cfg, epochs=recipe.snn_epochs, lr=recipe.snn_lr, augment=True)
    snn, ft_history = snn_finetune(layers, spec, data, ft, snn_ckpt, resume, progress)
    return snn, history + [{**h, "stage": "snn"} for h in ft_history]


def float_twin(snn: SNNNet) -> nn.Module:
    """The float CQ network with the same (unquantized) weights: the report's ``cnn_float``."""
    twin = SNNNet(snn.to_float_layers(), snn.pre, snn.T, None, snn.neuron)
    twin.mode = "cq"
    return twin
