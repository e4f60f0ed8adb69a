"""`python -m ecg_snn.model.ssf`: sum-then-fire (ssf) artifacts from a trained IF network, and a
report.

The conversion itself is `model.quantize.quantize_neurons`; the CQ CNN it equals is
`model.cq.cq_predict`; the fine-tuned float layers come from `model.snn_finetune
.float_layers_from_checkpoint`. The theory, for the record:

The seam is the converted float network (`list[FloatLayer]`, threshold 1, after the SNN fine-tune):
the very layers `model/pipeline.py` hands to `model.quantize.quantize`. `quantize_neurons` first
quantizes them as usual (IF), then turns every layer from `ssf_from` on into an ssf layer:

    θ      = 2^floor(log2 θ_IF)     the largest power of two with the weights in weight_bits,
    θ_IF   = floor(qmax · min(in_scale / max|W|, rr_scale / max|W_rr|))    (model/quantize.py)
    W_q    = rnd(W · θ / in_scale),  Wrr_q = rnd(W_rr · θ / rr_scale),  b_q = rnd(b · θ)
    v_init = rnd(η · θ) = θ / 2      (TRE, η = 0.5; 0 for the non-firing output layer)

and re-derives its widths with T (an ssf acc spans T steps of counts,
`model.contract.artifact.acc_bounds`).
The ssf layer computes, on the counts c_in ∈ 0..T of the layer before it (docs/arithmetic.md),

    V = v_init + W_q · c_in + T · C,        c = clip(floor(V / θ), 0, T)

and since V / θ = T · (W · a_in + b) + 1/2 up to the rounding of W_q, with a_in = c_in / T,
c / T is exactly the clamp-and-quantize activation clip(floor(T·z + 1/2), 0, T) / T of the CNN.

    python -m ecg_snn.model.ssf --split intra [--ssf-from dense2] [--T 8] [--out
    build/ssf/intra_ssf.json]

reads the fine-tuned float weights from the pipeline's SNN checkpoint
(`build/checkpoints/<split>_snn.pt`) and the shapes and preprocessing from the shipped IF artifact,
checks that the IF re-quantization reproduces that artifact, writes the ssf artifact and prints
the accuracy, spikes and synops of both on the test split. The default IF path is untouched.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.model.ssf:main", "python -m ecg_snn.model.ssf")

import json
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.spec import NEURONS
from ecg_snn.model.cq import cq_predict
from ecg_snn.model.quantize import quantize, quantize_neurons
from ecg_snn.model.shipped import shipped
from ecg_snn.model.snn_finetune import float_layers_from_checkpoint

REPO = Path(__file__).resolve().parent.parent


def _modes(spec: ModelSpec) -> str:
    return ",".join(f"{lay.name}:{lay.neuron}" for lay in spec.layers)


def evaluate(artifact: Artifact, x: np.ndarray, rr: np.ndarray, y: np.ndarray) -> dict:
    """Accuracy, spikes and synops per inference of an artifact on the golden model."""
    from ecg_snn.model.contract import golden

    g = golden.run(artifact, x, rr)
    return {
        "neurons": _modes(artifact.spec),
        "T": artifact.spec.T,
        "accuracy": float((g.cls == y).mean()),
        "spikes_per_inference": float(g.spikes.sum(1).mean()),
        "synops_per_inference": float(g.synops.mean()),
        "cls": g.cls,
    }


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m ecg_snn.model.ssf", description=__doc__.splitlines()[0])
    p.add_argument("--split", choices=("inter", "intra"), default="inter")
    p.add_argument("--model", help="the IF artifact (default model/artifacts/<split>.json)")
    p.add_argument("--checkpoint", help="SNN checkpoint (default build/checkpoints/<split>_snn.pt)")
    p.add_argument("--ssf-from", default="0", help="first ssf layer: index or name (default 0)")
    p.add_argument("--neuron", choices=NEURONS, default="ssf", help="'if': no ssf layer")
    p.add_argument("--T", type=int, help="timesteps (default: the artifact's)")
    p.add_argument("--weight-bits", type=int, help="default: the artifact's")
    p.add_argument("--out", help="write the ssf artifact here")
    p.add_argument("--max-beats", type=int, default=0, help="evaluate on at most this many beats")
    args = p.parse_args(argv)
    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.model.splits import load_split

    if_art = load_artifact(args.model or shipped(args.split))
    ckpt = args.checkpoint or REPO / "build" / "checkpoints" / f"{args.split}_snn.pt"
    layers = float_layers_from_checkpoint(if_art, ckpt)
    spec = if_art.spec
    T = args.T or spec.T
    bits = args.weight_bits or spec.layers[0].weight_bits
    same = quantize(layers, spec.preprocess, spec.T, spec.classes, spec.layers[0].weight_bits)
    reproduces = all(np.array_equal(same.tensors[k], v) for k, v in if_art.tensors.items())
    ssf_from = None if args.neuron == "if" else args.ssf_from
    if isinstance(ssf_from, str) and ssf_from.isdigit():
        ssf_from = int(ssf_from)
    base = quantize(layers, spec.preprocess, T, spec.classes, bits)
    art = quantize_neurons(layers, spec.preprocess, T, spec.classes, bits, ssf_from)
    data = load_split(args.split, spec.preprocess)
    beats = data.test
    if args.max_beats and len(beats) > args.max_beats:
        beats = beats.take(np.arange(args.max_beats))
    x_f, rr_f = beats.scaled(spec.preprocess)
    cq = cq_predict(layers, T, x_f, rr_f)
    report = {"checkpoint_reproduces_artifact": bool(reproduces), "n": len(beats.y)}
    for name, a in (("if", base), ("ssf", art)):
        r = evaluate(a, beats.x, beats.rr, beats.y)
        r["agrees_with_cq_cnn"] = float((r.pop("cls") == cq).mean())
        report[name] = r
    report["cq_cnn_accuracy"] = float((cq == beats.y).mean())
    if args.out:
        art.meta.update({"origin": "model.ssf", "split": args.split, "eval": report})
        report["artifact"] = str(art.save(args.out))
    print(json.dumps(report, indent=1))
    return 0
