"""Sum-then-fire (ssf) artifacts from the same trained network: the `neuron` option of quantization.

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

    python -m model.ssf --split intra [--ssf-from dense2] [--T 8] [--out build/ssf/intra_ssf.json]

reads the fine-tuned float weights from the pipeline's SNN checkpoint
(`build/checkpoints/<split>_snn.pt`) and the shapes and preprocessing from the shipped IF artifact,
checks that the IF re-quantization reproduces that artifact, writes the ssf artifact and prints
the accuracy, spikes and synops of both on the test split. The default IF path is untouched.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch

from model.contract.artifact import Artifact, ModelSpec, derive_widths
from model.contract.spec import MAX_STATE_BITS, NEURONS, signed_bits_for
from model.convert import FloatLayer
from model.quantize import check_widths, input_scales, quantize, rnd

REPO = Path(__file__).resolve().parent.parent


def pow2_floor(theta: int) -> int:
    """The largest power of two <= theta (theta >= 1)."""
    return 1 << (int(theta).bit_length() - 1)


def first_ssf_index(layers: list[FloatLayer] | tuple, ssf_from: int | str | None) -> int:
    """Index of the first ssf layer: an index, a layer name, or None (no ssf layer)."""
    if ssf_from is None:
        return len(layers)
    if isinstance(ssf_from, str):
        names = [lay.name for lay in layers]
        if ssf_from not in names:
            raise ValueError(f"--ssf-from {ssf_from!r}: no such layer; layers: {names}")
        return names.index(ssf_from)
    if not 0 <= ssf_from < len(layers):
        raise ValueError(f"ssf_from {ssf_from} outside 0..{len(layers) - 1}")
    return int(ssf_from)


def quantize_neurons(
    layers: list[FloatLayer],
    pre,
    T: int,
    classes: tuple[str, ...],
    weight_bits: int = 8,
    ssf_from: int | str | None = 0,
    meta: dict | None = None,
) -> Artifact:
    """The integer artifact of a converted float SNN with layers `ssf_from..` in ssf mode
    (0: all ssf; None: the plain IF artifact of `model.quantize.quantize`)."""
    base = quantize(layers, pre, T, classes, weight_bits, meta)
    first = first_ssf_index(layers, ssf_from)
    tensors = dict(base.tensors)
    specs = list(base.spec.layers)
    for i in range(first, len(layers)):
        layer, spec = layers[i], specs[i]
        theta = pow2_floor(spec.threshold)
        in_scale, rr_scale = input_scales(layer, pre)
        tensors[f"{layer.name}.weight"] = rnd(layer.weight * theta / in_scale)
        tensors[f"{layer.name}.bias"] = bias = rnd(layer.bias * theta)
        if layer.rr_weight is not None:
            tensors[f"{layer.name}.rr_weight"] = rnd(layer.rr_weight * theta / rr_scale)
        bias_bits = max(2, signed_bits_for(int(bias.min()), int(bias.max())))
        spec = dataclasses.replace(
            spec,
            neuron="ssf",
            threshold=theta,
            v_init=int(rnd(layer.v_init * theta)) if layer.fires else 0,
            bias_bits=min(bias_bits, MAX_STATE_BITS),
        )
        widths = derive_widths(spec, pre, T, tensors)
        check_widths(layer.name, {"bias_bits": bias_bits, **widths})
        specs[i] = dataclasses.replace(spec, **widths)
    model = dataclasses.replace(base.spec, layers=tuple(specs))
    artifact = Artifact(spec=model, tensors=tensors, meta=dict(meta or {}))
    artifact.meta["neuron"] = {lay.name: lay.neuron for lay in specs}
    artifact.validate()
    return artifact


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


def cq_predict(layers: list[FloatLayer], T: int, x_f: np.ndarray, rr_f: np.ndarray) -> np.ndarray:
    """Class of the clamp-and-quantize CNN with these float weights (float64):
    a_l = clip(floor(T·z_l + 1/2), 0, T) / T,  z_l = W_l a_{l-1} + b_l (+ W_rr rr_f);
    the output layer's z is the logit. Ties go to the lowest index."""
    from model.snn_torch import float_layers

    h = torch.as_tensor(np.asarray(x_f), dtype=torch.float64)
    rr = torch.as_tensor(np.asarray(rr_f), dtype=torch.float64).reshape(len(h), -1)
    for sim, lay in zip(float_layers(layers), layers, strict=True):
        if lay.kind == "conv1d":
            h = h.reshape(len(h), lay.in_channels, lay.in_length)
            z = torch.nn.functional.conv1d(h, sim.weight, stride=lay.stride).flatten(1)
        else:
            z = h.flatten(1) @ sim.weight.T
        z = z + sim.bias.repeat_interleave(lay.out_length)
        if sim.rr_weight is not None:
            z = z + rr @ sim.rr_weight.T
        if not lay.fires:
            return torch.argmax(z, dim=1).numpy()
        h = torch.clamp(torch.floor(T * z + 0.5), 0, T) / T
    raise ValueError("the last layer must be the non-firing output layer")


def _modes(spec: ModelSpec) -> str:
    return ",".join(f"{lay.name}:{lay.neuron}" for lay in spec.layers)


def evaluate(artifact: Artifact, x: np.ndarray, rr: np.ndarray, y: np.ndarray) -> dict:
    """Accuracy, spikes and synops per inference of an artifact on the golden model."""
    from model.contract import golden

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
    p = argparse.ArgumentParser(prog="python -m model.ssf", description=__doc__.splitlines()[0])
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
    from model.contract.artifact import load_artifact
    from model.splits import load_split

    if_art = load_artifact(args.model or REPO / "model" / "artifacts" / f"{args.split}.json")
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


if __name__ == "__main__":
    sys.exit(main())
