"""Evaluation of the three views of one model, sweeps, plots and `build/reports/train.json`.

- ``cnn_float``: the float CQ CNN (clamp-and-quantize activations, float weights) whose
  weights were converted, i.e. `SNNNet` in "cq" mode without weight quantization.
- ``snn_float``: the converted float SNN (IF neurons, threshold 1, float64), `run_float`; for a
  sum-then-fire model the float CQ CNN of the converted layers (`model.cq.cq_predict`), which
  is what ssf layers compute up to weight rounding.
- ``snn_int``: the integer artifact on the golden model `model.contract.golden.run` (the chip's
answer).

``conversion_loss_pp = 100 · (acc(cnn_float) − acc(snn_int))``. Energy proxies from the golden
model: spikes per inference (all firing layers), synaptic operations per inference (weight reads
driven by spikes) and ``spike_rate = spikes / (firing neurons · T)``.

The sweeps re-convert / re-quantize the *same* trained network (no retraining): accuracy versus T
(the network was trained for one T; CQ levels at other T differ) and versus weight bits. They
score the chip's plain argmax (no rhythm gate: a host rule that does not depend on T or bits),
so the point at the shipped T and bits is `snn_int_argmax`, not the gated `snn_int`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ecg_snn.data.files import write_atomic
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.convert import FloatLayer
from ecg_snn.model.cq import cq_predict
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.quantize import QuantizeError, quantize_neurons
from ecg_snn.model.snn_torch import run_float
from ecg_snn.model.snn_torch_ssf import run_int_mixed
from ecg_snn.model.splits import Beats

SWEEP_T = (1, 2, 4, 6, 8, 12, 16)
SWEEP_BITS = (6, 7, 8, 9, 10)


def summary(metrics: dict) -> dict:
    """The report's view of `classification_metrics`: accuracy, per_class, macro F1 (all
    classes and N/S/V), Cohen's κ, jκ, confusion."""
    keys = ("accuracy", "per_class", "macro_f1", "macro_f1_nsv", "kappa", "j_kappa")
    return {k: metrics[k] for k in (*keys, "confusion", "n") if k in metrics}


def activity(result: golden.GoldenResult, artifact: Artifact) -> dict:
    """Spikes and synaptic operations per inference, and the spike rate of the firing layers."""
    firing = [i for i, lay in enumerate(artifact.spec.layers) if lay.fires]
    neurons = sum(artifact.spec.layers[i].n_out for i in firing)
    spikes = float(result.spikes[:, firing].sum(1).mean())
    return {
        "spikes_per_inference": spikes,
        "spikes_per_layer": {
            artifact.spec.layers[i].name: float(result.spikes[:, i].mean()) for i in firing
        },
        "synops_per_inference": float(result.synops.mean()),
        "spike_rate": spikes / (neurons * artifact.spec.T),
    }


def evaluate_artifact(artifact: Artifact, beats: Beats, classes: tuple[str, ...]) -> tuple:
    """(metrics, golden result) of the integer artifact on `beats`: the one way the flow scores
    what the device answers (`model.metrics.classification_metrics` of the golden classes
    through the artifact's rhythm gate)."""
    res = golden.run(artifact, beats.x, beats.rr)
    return classification_metrics(beats.y, beats.reported(artifact.spec, res.cls), classes), res


def check_torch_int(artifact: Artifact, beats: Beats, n: int = 2000) -> bool:
    """The torch int64 path equals the golden model (class, values, spikes, synops) on n beats."""
    x, rr = beats.x[:n], beats.rr[:n]
    g, t = golden.run(artifact, x, rr), run_int_mixed(artifact, x, rr)
    return bool(
        np.array_equal(g.cls, t.cls)
        and np.array_equal(g.values, t.values)
        and np.array_equal(g.spikes, t.spikes)
        and np.array_equal(g.synops, t.synops)
    )


def sweep(
    layers: list[FloatLayer],
    pre: Preprocess,
    beats: Beats,
    classes: tuple[str, ...],
    T: int,
    weight_bits: int,
    neuron: str = "if",
) -> dict:
    """Golden-model accuracy of the same trained network at other T and other weight bits."""
    out: dict[str, dict[str, float | None]] = {"T": {}, "weight_bits": {}}
    ssf_from = 0 if neuron == "ssf" else None

    def quantize(layers, pre, t, classes, bits):
        return quantize_neurons(layers, pre, t, classes, bits, ssf_from)

    for t in SWEEP_T:
        art = quantize(layers, pre, t, classes, weight_bits)
        out["T"][str(t)] = evaluate_artifact(art, beats, classes)[0]["accuracy"]
    for bits in SWEEP_BITS:
        try:
            art = quantize(layers, pre, T, classes, bits)
            out["weight_bits"][str(bits)] = evaluate_artifact(art, beats, classes)[0]["accuracy"]
        except QuantizeError:  # a layer that cannot be represented at this width
            out["weight_bits"][str(bits)] = None
    return out


def float_metrics(
    layers: list[FloatLayer],
    pre: Preprocess,
    beats: Beats,
    classes: tuple[str, ...],
    T: int,
    neuron: str = "if",
) -> dict:
    x_f, rr_f = beats.scaled(pre)
    if neuron == "ssf":
        return classification_metrics(beats.y, cq_predict(layers, T, x_f, rr_f), classes)
    return classification_metrics(beats.y, run_float(layers, T, x_f, rr_f).cls, classes)


def write_report(path: Path, report: dict) -> Path:
    return write_atomic(path, json.dumps(report, indent=1, sort_keys=True) + "\n")


def plot_all(report: dict, directory: Path, split: str) -> list[Path]:
    """Confusion matrix (snn_int), accuracy vs T and accuracy vs weight bits, as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    classes = list(report["snn_int"]["per_class"])
    paths = []
    m = np.array(report["snn_int"]["confusion"])
    fig, ax = plt.subplots(figsize=(4.5, 4))
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, str(m[i, j]), ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=8)  # fmt: skip
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{split}: integer SNN, acc {100 * report['snn_int']['accuracy']:.2f} %")
    fig.tight_layout()
    paths.append(directory / f"confusion_{split}.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    for key, label in (("T", "timesteps T"), ("weight_bits", "weight bits")):
        points = {int(k): v for k, v in report["sweep"][key].items() if v is not None}
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(list(points), [100 * v for v in points.values()], "o-")
        ax.axhline(100 * report["cnn_float"]["accuracy"], color="gray", ls="--", label="CNN float")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (%)")
        ax.set_title(
            f"{split}: integer SNN accuracy (chip argmax) vs {label}\n(same trained network "
            f"re-converted, trained at T={report['T']}, {report['weight_bits']} bits)",
            fontsize=9,
        )
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        paths.append(directory / f"accuracy_vs_{key}_{split}.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    return paths
