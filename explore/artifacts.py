"""The artifact of a design point, re-quantized from the trained network (no retraining).

The float network is the one the pipeline quantizes: the fine-tuned SNN checkpoint
`build/checkpoints/<split>_snn.pt`, shaped by the shipped IF artifact
`model/artifacts/<split>.json` (`model.snn_finetune.float_layers_from_checkpoint`). Every point is
`model.quantize.quantize_neurons` of that network at the point's T and weight bits: the IF artifact
for mode "if" (exactly `model.quantize.quantize`), every layer sum-then-fire for mode "ssf".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ecg_snn.explore.grid import Point
from ecg_snn.model.contract.artifact import Artifact, load_artifact
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.convert import FloatLayer
from ecg_snn.model.quantize import quantize_neurons
from ecg_snn.model.snn_finetune import float_layers_from_checkpoint

REPO = Path(__file__).resolve().parents[1]


class MissingTrainedError(FileNotFoundError):
    """The fine-tuned checkpoint of a split is not there; the message names the make target."""


@dataclass
class Trained:
    """A trained network of one split: its float layers and what the artifact needs besides."""

    split: str
    layers: list[FloatLayer]
    preprocess: Preprocess
    classes: tuple[str, ...]
    source: str  # where it came from, for the report


def load_trained(split: str, root: Path = REPO) -> Trained:
    """The fine-tuned float network of `split` (inter | intra)."""
    model = root / "model" / "artifacts" / f"{split}.json"
    ckpt = root / "build" / "checkpoints" / f"{split}_snn.pt"
    if not ckpt.is_file():  # a fresh clone ships the artifacts, not the float networks
        raise MissingTrainedError(
            f"no trained {split} network at {ckpt.relative_to(root)} (explore re-quantizes the "
            f"float network, which a clone does not ship); run `make train SPLIT={split}` first"
        )
    shipped = load_artifact(model)
    layers = float_layers_from_checkpoint(shipped, ckpt)
    spec = shipped.spec
    return Trained(split, layers, spec.preprocess, spec.classes, f"{ckpt.relative_to(root)}")


def point_artifact(trained: Trained, point: Point) -> Artifact:
    """The integer artifact of `point` (raises model.quantize.QuantizeError when a layer does not
    fit the point's widths)."""
    art = quantize_neurons(
        trained.layers,
        trained.preprocess,
        point.T,
        trained.classes,
        point.weight_bits,
        None if point.mode == "if" else 0,
        meta={"origin": "explore", "split": trained.split, "point": point.label},
    )
    return art
