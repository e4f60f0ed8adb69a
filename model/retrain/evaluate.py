"""Score the retrained model against the shipped one on the same held-out records.

Three classifiers on the same test beats (chip inputs from `model.contract.frontend`):

- ``cnn_float``: the fine-tuned CNN (`model.train.predict`), what the training optimised;
- ``snn_int``: the new artifact through the integer golden model (`model.contract.golden.run`)
  and the artifact's rhythm gate (`model.contract.patient.gate`), i.e. what the device will
  answer, bit for bit;
- ``base_snn_int``: the base artifact through the golden model: what the engineer had before.

Metrics are `model.metrics.classification_metrics` (accuracy, per-class Se/+P/F1, macro F1, the
confusion matrix), the shape of ``train.json``. Spikes and synaptic operations per inference come
from the golden model. Energy is not estimated here (`model/` sits below the energy model in
`power`); the report prints the `make power MODEL=...` command that measures it on the RTL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.frontend import preprocess_beats
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.report import activity
from ecg_snn.model.train import predict


def chip_inputs(
    artifact: Artifact, window: np.ndarray, rr: np.ndarray, record: np.ndarray, select: np.ndarray
) -> tuple:
    """(x, rr) integer chip inputs of the `select`ed beats of whole records (raw windows and
    RR intervals in record then time order; the patient features see every earlier beat)."""
    return preprocess_beats(artifact.spec.preprocess, window, rr, record, select)


def evaluate(
    net: torch.nn.Module,
    artifact: Artifact,
    base: Artifact,
    x: np.ndarray,
    rr: np.ndarray,
    y: np.ndarray,
    rhythm: np.ndarray,
) -> dict[str, Any]:
    """All figures of the report's results section for the test beats (chip inputs x, rr:
    `chip_inputs`; `rhythm` their rhythm gate measure; the base and the new artifact share the
    front end, `fit_to_base`, and the gate)."""
    classes = artifact.spec.classes
    pre = artifact.spec.preprocess
    x_f = torch.from_numpy(x.astype(np.float32) / pre.input_scale)
    rr_f = torch.from_numpy(rr.astype(np.float32) / pre.rr_scale)
    cnn = predict(net, x_f, rr_f).argmax(1)
    new = golden.run(artifact, x, rr)
    old = golden.run(base, x, rr)
    act_new, act_old = activity(new, artifact), activity(old, base)
    return {
        "n_test_beats": len(y),
        "cnn_float": classification_metrics(y, cnn, classes),
        "snn_int": classification_metrics(y, artifact.spec.reported(new.cls, rhythm), classes),
        "base_snn_int": classification_metrics(y, base.spec.reported(old.cls, rhythm), classes),
        "activity": act_new,
        "base_activity": act_old,
        "cnn_snn_agreement": float(np.mean(cnn == new.cls)) if len(y) else 0.0,
    }


def confusion_png(metrics: dict, classes: tuple[str, ...], title: str, path: Path) -> Path:
    """Draw a confusion matrix (counts, rows true) and write it atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ecg_snn.data.files import write_atomic

    m = np.asarray(metrics["confusion"])
    fig, ax = plt.subplots(figsize=(4.2, 3.8), dpi=100)
    ax.imshow(m / np.maximum(m.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=9)
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}\naccuracy {metrics['accuracy']:.2%}", fontsize=10)
    fig.tight_layout()
    write_atomic(path, lambda f: fig.savefig(f, format="png"))
    plt.close(fig)
    return path
