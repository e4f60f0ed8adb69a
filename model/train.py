"""Train the CQ CNN: seeded, deterministic on CPU, checkpointed atomically, resumable.

`python -m ecg_snn.model` (`model/pipeline.py`) runs train -> convert -> quantize -> evaluate and
writes
the artifact and `build/reports/train.json`; this module is its training step.

Loss, for a batch of B beats with logits o, labels y and hidden CQ activations a_l::

    L = sum_i w_{y_i} CE(o_i, y_i) / sum_i w_{y_i}  +  act_l1 · mean_l mean(a_l)

Class imbalance: weighted cross-entropy with w_c ∝ (n_max / n_c)^α (α = `class_power`, 0.5 by
default). Full inverse-frequency weighting (α = 1) buys minority sensitivity with many false
alarms on the 40 000 N beats (poor S +P and accuracy); the square root keeps both in view. A loss
weight rather than re-sampling keeps every N beat in every epoch (the N morphology varies most
between patients) and keeps the epoch deterministic and cheap. `act_l1` is the activation-
sparsity regulariser (fewer spikes, less energy); `weight_decay` the optional weight regulariser.

Augmentation (training only; the integer spec does not change): amplitude ×U(0.8, 1.2) always,
and optionally a time shift of up to `shift` chip samples, Gaussian noise (`noise` × full scale)
and a linear baseline tilt (`wander` × full scale). For inter-patient training these cut the
morphology over-fitting to the 18 training patients (docs/model.md).

Model selection: the epoch with the best validation score (`select`: accuracy or macro F1; "last"
keeps the last epoch) on the validation set of `model/splits.py`; the test split is never used
for a choice.
"""

from __future__ import annotations

if __name__ == "__main__":  # a library module: say which command trains instead of exiting 0
    raise SystemExit(
        "python -m ecg_snn.model.train: the training step, not a command; run "
        "`python -m ecg_snn.model --split inter|intra ...` (what `make train` runs)"
    )

import dataclasses
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ecg_snn.data.files import write_atomic
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.network import ArchConfig, ConvNet
from ecg_snn.model.splits import Beats, SplitData


@dataclass(frozen=True)
class TrainConfig:
    T: int = 8
    epochs: int = 30
    batch: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    class_power: float = 0.5
    act_l1: float = 0.0
    augment: bool = True
    seed: int = 0
    select: str = "macro_f1"  # validation metric for model selection; "last" = last epoch
    # training-only augmentation beyond the amplitude scale (0 = off); the integer spec is not
    # affected: time shift in chip samples, Gaussian noise and a linear baseline tilt as a
    # fraction of full scale
    shift: int = 0
    noise: float = 0.0
    wander: float = 0.0
    # 0 = off; else no one record (patient) carries more than this share of the total loss
    # weight (its beats' weights are scaled down; `sample_weights`)
    patient_cap: float = 0.0


class CheckpointError(ValueError):
    """A checkpoint that is truncated, corrupt, or from another configuration."""


def setup_torch(seed: int, threads: int | None = None) -> None:
    """Deterministic CPU torch: fixed seed, deterministic kernels, `threads` intra-op threads.

    Default 1: the network is so small that a second thread gains little, and on a shared,
    oversubscribed machine two OpenMP threads spin at every barrier (measured 590 ms vs 32 ms
    per batch). The thread count changes float summation order, so it is part of the result."""
    if threads is None:
        threads = int(os.environ.get("MODEL_THREADS", "1"))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)


def class_weights(y: np.ndarray, n_classes: int, power: float) -> torch.Tensor:
    """w_c = (n_max / n_c)^power, a class absent from training gets weight 0."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, (counts.max() / np.maximum(counts, 1)) ** power, 0.0)
    return torch.as_tensor(w, dtype=torch.float32)


def sample_weights(
    y: np.ndarray, record: np.ndarray, class_w: np.ndarray, cap: float = 0.0
) -> np.ndarray:
    """Per-beat loss weights w_i = class_w[y_i] · r_{record_i}, float64 (N,).

    r = 1 unless `cap` > 0: then each record whose share of sum(w) exceeds `cap` is scaled down
    to exactly `cap` (iterated, since scaling one record raises the others' shares; a cap below
    1 / n_records is raised to it). One patient (e.g. record 209, half of DS1's S beats) then
    cannot dominate what a class looks like."""
    w = np.asarray(class_w, np.float64)[y]
    if not cap:
        return w
    names, inv = np.unique(record, return_inverse=True)
    cap = max(cap, 1.0 / len(names))
    scale = np.ones(len(names))
    for _ in range(50):
        share = np.bincount(inv, w * scale[inv], len(names)) / np.sum(w * scale[inv])
        over = share > cap * (1 + 1e-9)
        if not over.any():
            break
        # the over-cap records get exactly `cap` of the new total S': with the others' sum R,
        # S' = R / (1 - k·cap) for k over-cap records, and record r is scaled to cap·S'
        tot = np.bincount(inv, w * scale[inv], len(names))
        rest = tot[~over].sum()
        scale[over] *= cap * rest / ((1 - cap * over.sum()) * tot[over])
    return w * scale[inv]


def tensors(beats: Beats, pre) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x_f, rr_f = beats.scaled(pre)
    return torch.from_numpy(x_f), torch.from_numpy(rr_f), torch.from_numpy(beats.y)


@torch.no_grad()
def predict(net: nn.Module, x: torch.Tensor, rr: torch.Tensor, batch: int = 8192) -> np.ndarray:
    """Eval-mode logits of `net` (any module with forward(x, rr)), as a numpy array."""
    net.eval()
    return torch.cat(
        [net(x[i : i + batch], rr[i : i + batch]) for i in range(0, len(x), batch)]
    ).numpy()


def _copy_state(net: nn.Module) -> dict:
    return {k: v.clone() for k, v in net.state_dict().items()}


def save_checkpoint(path: Path, state: dict) -> None:
    """torch.save through a temp file and an atomic rename (`data.files.write_atomic`)."""
    write_atomic(path, lambda f: torch.save(state, f))


def load_checkpoint(path: Path, expect: dict) -> dict:
    """Read a checkpoint and check it was made with the same configuration."""
    try:
        state = torch.load(io.BytesIO(path.read_bytes()), weights_only=False)
    except Exception as e:  # torch raises several types for a truncated or foreign file
        raise CheckpointError(f"{path}: unreadable checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict) or state.get("identity") != expect:
        raise CheckpointError(
            f"{path}: checkpoint is from another configuration; delete it or drop --resume"
        )
    return state


def train_cnn(
    data: SplitData,
    pre,
    cfg: TrainConfig,
    arch: ArchConfig | None = None,
    checkpoint: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    net: nn.Module | None = None,
) -> tuple[nn.Module, list[dict]]:
    """Train and return the selected network (best validation epoch) and the history.

    `net` None trains a fresh `ConvNet(arch)`; otherwise `net` (e.g. the SNN fine-tuner of
    `model/snn_finetune.py`) is trained in place with the same recipe."""
    setup_torch(cfg.seed)
    arch = arch or ArchConfig(n_classes=len(data.classes), n_rr=len(pre.rr_features))
    given = net is not None
    if net is None:
        net = ConvNet(arch, cfg.T)  # validates the architecture before any training
    x, rr, y = tensors(data.train, pre)
    xv, rrv, _ = tensors(data.val, pre)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * ((len(y) + cfg.batch - 1) // cfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(steps, 1))
    weights = torch.as_tensor(
        sample_weights(
            data.train.y,
            data.train.record,
            class_weights(data.train.y, len(data.classes), cfg.class_power).numpy(),
            cfg.patient_cap,
        ),
        dtype=torch.float32,
    )
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    gen = torch.Generator().manual_seed(cfg.seed)
    identity = {
        "train": dataclasses.asdict(cfg),
        "arch": repr(arch),
        "net": type(net).__name__,
        "split": data.split,
        "n": len(y),
    }
    start, history, best = 0, [], {"score": -1.0, "state": None, "epoch": -1}
    if given:  # fine-tuning: the starting point is a candidate too (epoch -1)
        m = classification_metrics(data.val.y, predict(net, xv, rrv).argmax(1), data.classes)
        score = -1 if cfg.select == "last" else m[cfg.select]
        best = {"score": score, "epoch": -1, "state": _copy_state(net)}
    if resume and checkpoint is not None and checkpoint.exists():
        state = load_checkpoint(checkpoint, identity)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        torch.set_rng_state(state["rng"])
        start, history, best = state["epoch"] + 1, state["history"], state["best"]
    for epoch in range(start, cfg.epochs):
        net.train()
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
            xb, rrb = x[idx], rr[idx]
            if cfg.augment:
                # amplitude varies between patients and leads; RR features stay exact
                scale = 0.8 + 0.4 * torch.rand((len(idx), 1, 1), generator=gen)
                xb = xb * scale
                if cfg.shift:
                    k = int(torch.randint(-cfg.shift, cfg.shift + 1, (1,), generator=gen))
                    xb = torch.roll(xb, k, dims=2)
                if cfg.noise:
                    xb = xb + cfg.noise * torch.randn(xb.shape, generator=gen)
                if cfg.wander:
                    ramp = torch.linspace(-1.0, 1.0, xb.shape[2])
                    tilt = cfg.wander * (2 * torch.rand((len(idx), 1, 1), generator=gen) - 1)
                    xb = xb + tilt * ramp
                xb = torch.clamp(xb, -1.0, 1.0 - 2.0 ** (1 - pre.input_bits))
            out = net(xb, rrb)
            wb = weights[idx]  # weighted mean: sum_i w_i CE_i / sum_i w_i
            loss = (wb * loss_fn(out, y[idx])).sum() / wb.sum()
            if cfg.act_l1:
                loss = loss + cfg.act_l1 * torch.stack([a.mean() for a in net.acts]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        pred = predict(net, xv, rrv).argmax(1)
        m = classification_metrics(data.val.y, pred, data.classes)
        score = epoch if cfg.select == "last" else m[cfg.select]
        history.append(
            {
                "epoch": epoch,
                "loss": total / len(y),
                "val_accuracy": m["accuracy"],
                "val_macro_f1": m["macro_f1"],
            }
        )
        if score > best["score"]:
            best = {"score": score, "epoch": epoch, "state": _copy_state(net)}
        if progress:
            tqdm.write(
                f"epoch {epoch + 1}: loss {total / len(y):.4f}  val acc "
                f"{m['accuracy']:.4f}  macro F1 {m['macro_f1']:.4f}"
            )
        if checkpoint is not None:
            save_checkpoint(
                checkpoint,
                {
                    "identity": identity,
                    "epoch": epoch,
                    "model": net.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "gen": gen.get_state(),
                    "rng": torch.get_rng_state(),
                    "history": history,
                    "best": best,
                },
            )
    if best["state"] is not None:
        net.load_state_dict(best["state"])
    net.eval()
    return net, history
