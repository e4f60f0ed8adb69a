"""The expensive candidate: a few epochs of SNN-aware fine-tuning of every layer.

The shipped SNN is fine-tuned on the fit beats with the retraining's fine-tuner
(`model.retrain.finetune.finetune_base`: the forward pass is the fake-quantized SNN over T steps;
the epoch with the best macro F1 on the held-back beats is kept) and quantized back into the
base's widths (`model.retrain.fit.fit_to_base`). Every layer's integers, thresholds included,
may change (in practice a few hundred): the held-back check picks it only where it makes fewer
errors than the cheaper candidates; `--modes bias,last` leaves it out (docs/adapt.md).
"""

from __future__ import annotations

import numpy as np

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.splits import Beats, SplitData

EPOCHS = 3


def unavailable(base: Artifact) -> str | None:
    """Why the fine-tuner cannot model `base` (e.g. sum-then-fire layers), or None."""
    from ecg_snn.model.retrain.errors import RetrainError
    from ecg_snn.model.retrain.finetune import arch_from_spec

    try:
        arch_from_spec(base.spec)
    except RetrainError as e:
        return str(e)
    return None


def finetune_candidate(
    base: Artifact, fit: Beats, held: Beats, epochs: int = EPOCHS, seed: int = 0
) -> Artifact:
    """The fine-tuned artifact in `base`'s hardware configuration."""
    import torch

    from ecg_snn.model.retrain.finetune import SNN_LR, Recipe, finetune_base
    from ecg_snn.model.retrain.fit import fit_to_base
    from ecg_snn.model.train import TrainConfig

    torch.set_num_threads(1)
    data = SplitData("adapt", base.spec.classes, fit, held, held, ("held back",))
    cfg = TrainConfig(
        T=base.spec.T,
        epochs=epochs,
        batch=int(np.clip(len(fit) // 8, 16, 64)),
        lr=SNN_LR,
        class_power=Recipe.of(base).train.class_power,
        seed=seed,
    )
    snn, _ = finetune_base(base, data, cfg, None, False, False)
    artifact, _ = fit_to_base(snn.to_float_layers(), base.spec, dict(base.meta))
    return artifact
