"""The trainable CNN of a base artifact, and fine-tuning it on new beats.

`arch_from_spec` rebuilds the `model.network.ArchConfig` whose conversion gives the base
artifact's shapes, so the retrained model has the same hardware configuration by construction.

`net_from_artifact` turns the base artifact's integers back into that CNN, so fine-tuning starts
from exactly the shipped model (no float checkpoint needed). Per layer, with θ its threshold and
in_scale = 2**(input_bits-1) for the layer that reads the samples (1 for spike inputs),
rr_scale = 2**rr_bits (the inverse of `model.quantize`)::

    W = W_q · in_scale / θ      W_rr = W_rr_q · rr_scale / θ      b = b_q / θ

and batch-norm is the identity (γ = 1, β = 0, μ = 0, σ² = 1 − ε, so the CMB folding of
`model.convert` gives back W and b). The CQ activation with TRE η = 1/2 is the IF neuron, so
this CNN computes what the base SNN computes (up to the timing of spikes in deeper layers).

`finetune` trains it with the recipe of `model.train.train_cnn` (AdamW, one-cycle schedule,
class-weighted cross-entropy, amplitude augmentation, best validation epoch kept) but with the
batch-norm statistics frozen (eval mode) and a smaller learning rate: with a few hundred beats
batch statistics are noisy, and frozen statistics keep epoch 0 equal to the base model. Each
epoch ends with an atomically written checkpoint; ``resume=True`` continues from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from model.artifact import Artifact, ModelSpec
from model.metrics import classification_metrics
from model.network import ArchConfig, ConvNet, LayerCfg, UnsupportedLayerError
from model.retrain.errors import RetrainError
from model.splits import SplitData
from model.train import (
    class_weights,
    load_checkpoint,
    predict,
    save_checkpoint,
    setup_torch,
    tensors,
)


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int = 10
    batch: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    class_power: float = 0.5
    augment: bool = True
    seed: int = 0
    select: str = "macro_f1"


def arch_from_spec(spec: ModelSpec) -> ArchConfig:
    """The CNN architecture whose conversion has the shapes of `spec` (or `RetrainError`)."""
    dense = [i for i, lay in enumerate(spec.layers) if lay.kind == "dense"]
    rr_at = [i for i, lay in enumerate(spec.layers) if lay.rr_inputs]
    if spec.n_rr and rr_at != dense[:1]:
        raise RetrainError(
            "the base artifact feeds the RR features to layers "
            f"{[spec.layers[i].name for i in rr_at]}; the trainable network can only feed them "
            "to the first dense layer: retrain this architecture with model/train.py instead"
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


@torch.no_grad()
def net_from_artifact(artifact: Artifact) -> ConvNet:
    """The CNN that computes what `artifact` computes (see the module docstring)."""
    spec = artifact.spec
    pre = spec.preprocess
    net = ConvNet(arch_from_spec(spec), spec.T)
    for layer in spec.layers:
        theta = float(layer.threshold)
        in_scale = float(1 << (pre.input_bits - 1)) if layer.source == "input" else 1.0
        body = net.body[layer.name]
        w = artifact.weight(layer).astype(np.float64) * in_scale / theta
        body.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
        body.bias.copy_(torch.as_tensor(artifact.bias(layer) / theta, dtype=torch.float32))
        rr_w = artifact.rr_weight(layer)
        if rr_w is not None and net.rr is not None:
            rr = rr_w.astype(np.float64) * float(1 << pre.rr_bits) / theta
            net.rr.weight.copy_(torch.as_tensor(rr, dtype=torch.float32))
        if layer.name in net.norm:
            bn = net.norm[layer.name]
            bn.weight.fill_(1.0)
            bn.bias.fill_(0.0)
            bn.running_mean.fill_(0.0)
            bn.running_var.fill_(1.0 - bn.eps)
    net.eval()
    return net


def _train_mode(net: ConvNet) -> None:
    """Train mode with the batch-norm statistics frozen (see the module docstring)."""
    net.train()
    for bn in net.norm.values():
        bn.eval()


def finetune(
    net: ConvNet,
    data: SplitData,
    pre,
    cfg: FinetuneConfig,
    checkpoint: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    tag: str = "",
) -> tuple[ConvNet, list[dict]]:
    """Fine-tune `net` in place; return it at its best validation epoch, and the history.

    `tag` joins the checkpoint's identity (e.g. the base artifact's checksum), so a checkpoint
    of another base or database is refused rather than resumed."""
    setup_torch(cfg.seed)
    x, rr, y = tensors(data.train, pre)
    xv, rrv, _ = tensors(data.val, pre)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * ((len(y) + cfg.batch - 1) // cfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(steps, 1))
    weights = class_weights(data.train.y, len(data.classes), cfg.class_power)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    gen = torch.Generator().manual_seed(cfg.seed)
    identity = {
        "finetune": dataclasses.asdict(cfg),
        "arch": repr(net.arch),
        "split": data.split,
        "n": len(y),
        "tag": tag,
    }
    m0 = classification_metrics(data.val.y, predict(net, xv, rrv).argmax(1), data.classes)
    start, history = (
        0,
        [{"epoch": -1, "val_accuracy": m0["accuracy"], "val_macro_f1": m0["macro_f1"]}],
    )
    best = {"score": m0[cfg.select], "epoch": -1, "state": _copy(net)}
    if resume and checkpoint is not None and checkpoint.exists():
        state = load_checkpoint(checkpoint, identity)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        torch.set_rng_state(state["rng"])
        start, history, best = state["epoch"] + 1, state["history"], state["best"]
        if progress:
            tqdm.write(f"resuming after epoch {start} from {checkpoint}")
    for epoch in range(start, cfg.epochs):
        _train_mode(net)
        order = torch.randperm(len(y), generator=gen)
        total = 0.0
        bar = tqdm(
            range(0, len(y), cfg.batch),
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            unit="batch",
            disable=not progress,
            leave=False,
        )
        for i in bar:
            idx = order[i : i + cfg.batch]
            xb = x[idx]
            if cfg.augment:
                scale = 0.8 + 0.4 * torch.rand((len(idx), 1, 1), generator=gen)
                xb = torch.clamp(xb * scale, -1.0, 1.0 - 2.0 ** (1 - pre.input_bits))
            loss = loss_fn(net(xb, rr[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        m = classification_metrics(data.val.y, predict(net, xv, rrv).argmax(1), data.classes)
        history.append(
            {
                "epoch": epoch,
                "loss": total / max(len(y), 1),
                "val_accuracy": m["accuracy"],
                "val_macro_f1": m["macro_f1"],
            }
        )
        if m[cfg.select] > best["score"]:
            best = {"score": m[cfg.select], "epoch": epoch, "state": _copy(net)}
        if progress:
            tqdm.write(
                f"epoch {epoch + 1}: loss {history[-1]['loss']:.4f}  val acc "
                f"{m['accuracy']:.4f}  macro F1 {m['macro_f1']:.4f}"
            )
        if checkpoint is not None:
            save_checkpoint(checkpoint, {
                "identity": identity, "epoch": epoch, "model": net.state_dict(),
                "opt": opt.state_dict(), "sched": sched.state_dict(), "gen": gen.get_state(),
                "rng": torch.get_rng_state(), "history": history, "best": best,
            })  # fmt: skip
    net.load_state_dict(best["state"])
    net.eval()
    return net, history


def _copy(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}
