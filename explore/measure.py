"""Measure one design point: accuracy, activity, cycles, synthesis, energy and break-even.

- accuracy of each split's artifact on its whole test set (inter: DS2, intra: intra_test), golden
  model; spikes and synaptic operations per inference on the hardware split's test set
- cycles (`hw.cycles.inference_cycles`, the cycle-exact model) on the energy beat sample:
  class-weighted mean (the population mean, like the nJ) and max
- cells / flip-flops / memory bits (`explore.synth`), nJ per inference and the dense-QNN
  estimate (`explore.energy`) of the hardware split's artifact
- break-even: the spike rate at which this point's SNN energy would equal the dense QNN, from a
  least-squares line nJ = a + b * spikes through the point's per-beat energies
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_snn.explore.grid import Point
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.report import evaluate_artifact
from ecg_snn.model.splits import Beats

SynthFn = Callable[[Artifact, int, Path], dict]
EnergyFn = Callable[..., dict]


@dataclass
class Sample:
    """The beats energy and cycles are measured on (chip inputs of the hardware split)."""

    x: np.ndarray  # (N, 1, L)
    rr: np.ndarray  # (N, n_rr)
    labels: np.ndarray  # (N,)
    weights: np.ndarray  # (N,) summing to 1: sample mean -> population mean


@dataclass
class Bench:
    """Everything a worker needs besides the point and its artifacts."""

    tests: dict[str, Beats]  # split -> test beats (accuracy)
    hw_split: str  # the split whose artifact is synthesised and simulated
    sample: Sample
    tech: str
    synth_dir: Path
    work_dir: Path
    synthesize: SynthFn | None = None  # None: explore.synth.synthesize
    energy: EnergyFn | None = None  # None: explore.energy.measure_energy
    extra: dict = field(default_factory=dict)


def firing_neurons(artifact: Artifact) -> int:
    """Neurons that can spike (every layer but the output layer)."""
    return int(sum(layer.n_out for layer in artifact.spec.layers if layer.fires))


def break_even(spikes: np.ndarray, nj: np.ndarray, qnn_nj: float, slots: int) -> dict:
    """Fit nJ = a + b * spikes over beats; the spikes (and spike rate: spikes / slots, slots =
    firing neurons x T) at which a + b * s = qnn_nj. None when the SNN never reaches the QNN
    (a >= qnn_nj: its zero-spike energy is already above it) or the fit has no slope."""
    spikes, nj = np.asarray(spikes, float), np.asarray(nj, float)
    if len(spikes) < 2 or np.ptp(spikes) == 0:
        return {"intercept_nj": None, "nj_per_spike": None, "spikes": None, "spike_rate": None}
    b, a = np.polyfit(spikes, nj, 1)
    s = (qnn_nj - a) / b if b > 0 and a < qnn_nj else None
    return {
        "intercept_nj": float(a),
        "nj_per_spike": float(b),
        "spikes": None if s is None else float(s),
        "spike_rate": None if s is None else float(s / slots),
    }


def accuracy(artifact: Artifact, beats: Beats) -> tuple[float, golden.GoldenResult]:
    metrics, g = evaluate_artifact(artifact, beats, artifact.spec.classes)
    return metrics["accuracy"], g


def measure(point: Point, artifacts: dict[str, Artifact], bench: Bench) -> dict:
    """The measurements of one point (raises on any failure; the sweep records it)."""
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.hw.cycles import inference_cycles

    out: dict = {}
    hw_art = artifacts[bench.hw_split]
    for split, art in sorted(artifacts.items()):
        acc, g = accuracy(art, bench.tests[split])
        out[f"accuracy_{split}"] = acc
        if split == bench.hw_split:
            spikes = g.spikes.sum(axis=1)
            out["spikes_per_inference"] = float(spikes.mean())
            out["synops_per_inference"] = float(g.synops.mean())
    slots = firing_neurons(hw_art) * hw_art.spec.T
    out["spike_rate"] = out["spikes_per_inference"] / slots
    s = bench.sample
    cyc = inference_cycles(hw_art, HwConfig(lanes=point.lanes), s.x, s.rr)
    out["cycles"] = {"mean": float(s.weights @ cyc), "max": int(cyc.max())}
    synth = bench.synthesize
    if synth is None:
        from ecg_snn.explore.synth import synthesize as synth
    out |= synth(hw_art, point.lanes, bench.synth_dir)
    energy = bench.energy
    if energy is None:
        from ecg_snn.explore.energy import measure_energy as energy
    work = bench.work_dir
    e = energy(hw_art, point.lanes, s.x, s.rr, s.labels, s.weights, bench.tech, work)
    per_beat = e.pop("per_beat", None)
    if per_beat is not None and "cycles" in per_beat:
        rtl = np.asarray(per_beat.pop("cycles"))
        if not np.array_equal(rtl, cyc):  # one definition of cycles: model and RTL agree
            k = int(np.nonzero(rtl != cyc)[0][0]) if len(rtl) == len(cyc) else 0
            raise RuntimeError(
                f"the cycle model and the RTL disagree: beat {k}: model "
                f"{cyc[k] if k < len(cyc) else '-'}, RTL {rtl[k] if k < len(rtl) else '-'}"
            )
    out["nj_per_inference"] = e.pop("nj_per_inference")
    out["dense_qnn_nj"] = e.pop("dense_qnn_nj")
    out["energy"] = e
    if per_beat is not None:
        out["break_even"] = break_even(
            per_beat["spikes"], per_beat["nj"], out["dense_qnn_nj"], slots
        )
    return out
