"""The retraining run, stage by stage: read -> split -> train -> convert -> fit -> score -> write.

`retrain(options)` is what `python -m ecg_snn.model.retrain` calls. Outputs (all written through a
temporary file and an atomic rename, and only after every figure is computed, so an interrupted
run leaves the previous outputs or none, never half a file)::

    build/retrain/<name>/<name>.json           the new artifact (base hardware configuration)
    build/retrain/<name>/<name>.bin            its weight image, little-endian uint32 words
    build/retrain/<name>/test_beats.npz        the test beats as chip inputs (x, rr), y, record
    build/retrain/<name>/snn.pt (cnn.pt)       training checkpoints (--resume continues them)
    build/reports/retrain/<name>/report.json   figures (`artifact`, `snn_int`, ...)
    build/reports/retrain/<name>/report.md     the same for people, with the verify commands
    build/reports/retrain/<name>/confusion_*.png
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import repo_path
from ecg_snn.model.contract.artifact import Artifact, changed_integers, load_artifact
from ecg_snn.model.contract.image import parse_image, weight_image
from ecg_snn.model.contract.patient import rhythm_values
from ecg_snn.model.report import evaluate_artifact
from ecg_snn.model.retrain import evaluate as ev
from ecg_snn.model.retrain.discovery import BeatTable, read_beats
from ecg_snn.model.retrain.errors import RetrainError
from ecg_snn.model.retrain.finetune import (
    SNN_LR,
    Recipe,
    arch_from_spec,
    finetune_base,
    float_twin,
    train_from_scratch,
)
from ecg_snn.model.retrain.fit import fit_to_base
from ecg_snn.model.retrain.report import write_report
from ecg_snn.model.retrain.split import (
    Split,
    check_counts,
    patient_split,
    read_patient_map,
    read_split_file,
)
from ecg_snn.model.shipped import shipped
from ecg_snn.model.splits import Beats, SplitData
from ecg_snn.model.train import TrainConfig

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BASE = shipped("inter")
FINETUNE_EPOCHS = 5


@dataclass(frozen=True)
class Options:
    """Everything a run depends on (the CLI's options, see `model.retrain.cli`)."""

    db: Path
    base: Path = DEFAULT_BASE
    name: str | None = None
    lead: str | None = None
    annotator: str = "atr"
    mapping: Path | None = None
    split_file: Path | None = None
    patients: Path | None = None
    test_fraction: float = 0.2
    from_scratch: bool = False
    epochs: int | None = None
    lr: float | None = None
    seed: int = 0
    resume: bool = False
    min_train_beats: int = 20
    min_test_beats: int = 5
    strict: bool = False
    out: Path = REPO / "build" / "retrain"
    reports: Path = REPO / "build" / "reports" / "retrain"
    progress: bool = True
    command: str = ""

    @property
    def run_name(self) -> str:
        raw = self.name or Path(self.db).resolve().name or "retrained"
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", raw)


def _beats(table: BeatTable, mask: np.ndarray, artifact: Artifact) -> Beats:
    x, rr = ev.chip_inputs(artifact, table.window, table.rr, table.record, mask)
    rhythm = rhythm_values(artifact.spec.preprocess, table.rr, table.record)[mask]
    return Beats(x, rr, table.y[mask], table.record[mask], rhythm)


def _split(opts: Options, table: BeatTable) -> tuple[Split, dict[str, np.ndarray]]:
    patients = read_patient_map(opts.patients, table) if opts.patients is not None else None
    if opts.split_file is not None:
        split = read_split_file(opts.split_file, table, opts.seed, patients)
    else:
        split = patient_split(
            table, opts.test_fraction, opts.seed, opts.min_test_beats, patients=patients
        )
    masks = split.masks(table, opts.seed)
    check_counts(table, masks, opts.min_train_beats, opts.min_test_beats)
    if not masks["val"].any():
        raise RetrainError("the validation set is empty; name some 'val' records in --split-file")
    return split, masks


def _train(opts: Options, base: Artifact, data: SplitData, work: Path):
    """Fine-tune the base SNN (default) or train from scratch; (snn, history, description)."""
    recipe = Recipe.of(base)
    batch = batch_size(len(data.train), recipe.train.batch)
    if opts.from_scratch:
        cfg = dataclasses.replace(
            recipe.train,
            batch=batch,
            seed=opts.seed,
            **({"epochs": opts.epochs} if opts.epochs is not None else {}),
            **({"lr": opts.lr} if opts.lr else {}),
        )
        recipe = dataclasses.replace(recipe, train=cfg)
        snn, history = train_from_scratch(base, data, recipe, work, opts.resume, opts.progress)
        mode = (
            f"from scratch with the base's recipe: CQ CNN {cfg.epochs} epochs (model.train, "
            f"dropout {recipe.dropout}), conversion (λ {recipe.lambda_mode}, η {recipe.eta}), "
            f"SNN-aware fine-tuning {recipe.snn_epochs} epochs at {recipe.snn_lr} "
            f"(model.snn_finetune)"
            + (
                f"; from model/pipeline.py defaults: {', '.join(recipe.notes)}"
                if recipe.notes
                else ""
            )
        )
        return snn, history, {"mode": mode, **dataclasses.asdict(cfg)}
    cfg = TrainConfig(
        T=base.spec.T,
        epochs=FINETUNE_EPOCHS if opts.epochs is None else opts.epochs,
        batch=batch,
        lr=opts.lr or SNN_LR,
        class_power=recipe.train.class_power,
        seed=opts.seed,
    )
    snn, history = finetune_base(base, data, cfg, work / "snn.pt", opts.resume, opts.progress)
    mode = f"SNN-aware fine-tuning of {opts.base} (model.snn_finetune), {cfg.epochs} epochs"
    return snn, history, {"mode": mode, **dataclasses.asdict(cfg)}


def _keep_better(
    artifact: Artifact, base: Artifact, val: Beats, training: dict[str, Any]
) -> Artifact:
    """Never ship a fine-tuned model that is worse than the base on the validation records.

    Both run through the golden model on the validation beats; if the new artifact's macro F1 is
    lower, the base's integers are kept (same hardware, so nothing else changes) and the
    report says so. From-scratch runs have no such fallback and are shipped as trained."""
    classes = base.spec.classes
    new = evaluate_artifact(artifact, val, classes)[0]
    old = evaluate_artifact(base, val, classes)[0]
    training["val_macro_f1"] = {"retrained": new["macro_f1"], "base": old["macro_f1"]}
    training["kept_base"] = bool(not training["from_scratch"] and new["macro_f1"] < old["macro_f1"])
    if training["kept_base"]:
        return Artifact(spec=base.spec, tensors=dict(base.tensors), meta=artifact.meta)
    return artifact


def count_integers(art: Artifact) -> int:
    """The loadable integers of an artifact: every tensor entry, plus a threshold and a v_init
    per layer (what `changed_integers` compares)."""
    return int(sum(v.size for v in art.tensors.values())) + 2 * len(art.spec.layers)


def batch_size(n_train: int, cap: int = 256) -> int:
    """`cap` beats per step (the base's recipe) for large databases; at least 8 steps per epoch
    for small ones, so a few hundred beats still get trained (never below 32)."""
    return int(np.clip(n_train // 8, min(32, cap), cap))


def retrain(opts: Options) -> dict[str, Any]:
    """Run every stage and write the outputs; return the report (see the module docstring)."""
    start = time.perf_counter()
    base = load_artifact(opts.base)
    arch_from_spec(base.spec)  # fail before reading any data if the base cannot be trained
    name = opts.run_name
    work, reports = Path(opts.out) / name, Path(opts.reports) / name
    table = read_beats(
        opts.db,
        base.spec.preprocess,
        base.spec.classes,
        lead=opts.lead,
        annotator=opts.annotator,
        mapping=opts.mapping,
        strict=opts.strict,
        progress=opts.progress,
    )
    split, masks = _split(opts, table)
    data = SplitData(
        split=f"retrain {base.checksum()} {Path(opts.db).resolve()} {split.how}",
        classes=base.spec.classes,
        train=_beats(table, masks["train"], base),
        val=_beats(table, masks["val"], base),
        test=_beats(table, masks["test"], base),
        val_records=split.val,
    )
    t_train = time.perf_counter()
    snn, history, training = _train(opts, base, data, work)
    training["seconds"] = round(time.perf_counter() - t_train, 1)
    training["history"] = history
    training["from_scratch"] = opts.from_scratch
    meta = {
        "origin": "model.retrain",
        "name": name,
        "base": repo_path(opts.base),
        "base_sha256": base.checksum(),
        "database": repo_path(opts.db),
    }
    artifact, notes = fit_to_base(snn.to_float_layers(), base.spec, meta)
    artifact = _keep_better(artifact, base, data.val, training)
    changed = changed_integers(artifact, base)
    training["integers_changed"] = int(sum(changed.values()))
    training["integers_total"] = count_integers(base)
    training["changed_per_tensor"] = changed
    twin = float_twin(snn)
    test = data.test
    results = ev.evaluate(twin, artifact, base, test.x, test.rr, test.y, test.rhythm)
    artifact.meta["snn_int_accuracy"] = results["snn_int"]["accuracy"]
    artifact.meta["test_records"] = list(split.test)
    paths = _write_outputs(artifact, base, work / f"{name}.json", work / f"{name}.bin")
    paths["test_beats"] = _write_test_beats(work / "test_beats.npz", data.test)
    report = {
        "name": name,
        "artifact": repo_path(paths["artifact"]),
        "artifact_sha256": artifact.checksum(),
        "weight_image": repo_path(paths["image"]),
        "test_beats": repo_path(paths["test_beats"]),
        "base_artifact": repo_path(opts.base),
        "base_sha256": base.checksum(),
        "hardware_id": f"{artifact.spec.hardware_id():#010x}",
        "same_hardware_as_base": True,
        "command": opts.command,
        "data": table.summary,
        "split": {
            "how": split.how,
            "unit": split.unit,
            "patient_map": None if opts.patients is None else str(opts.patients),
            "kept_together": [{"records": list(r), "why": why} for r, why in split.together],
            "warnings": list(split.warnings),
            "validation": "whole records"
            if split.val_by == "patient"
            else "stratified 10 % of the training beats (fewer than 3 training records)",
            "records": {
                "train": list(split.train),
                "val": list(split.val),
                "test": list(split.test),
                "left_out": list(split.left_out),
            },
            "beats": {k: table.take(m).counts() for k, m in masks.items()},
        },
        "training": training,
        "quantization": notes,
        **results,
    }
    report["seconds"] = round(time.perf_counter() - start, 1)
    write_report(report, reports, artifact.spec.classes)
    return report


def _write_outputs(artifact: Artifact, base: Artifact, path: Path, image: Path) -> dict:
    """Save the artifact and its weight image; reload both and check them against the base."""
    artifact.save(path)
    again = load_artifact(path)
    if again.spec.hardware_config() != base.spec.hardware_config():
        raise RetrainError(f"{path}: the saved artifact has another hardware configuration")
    words = weight_image(again).astype("<u4")
    write_atomic(image, lambda f: f.write(words.tobytes()))
    parse_image(np.fromfile(image, dtype="<u4"), base.spec)  # loads into the base hardware
    return {"artifact": path, "image": image}


def _write_test_beats(path: Path, beats: Beats) -> Path:
    """The test beats as chip inputs (x (N, 1, L), rr (N, n_rr)), labels and records: the
    vectors for a bit-exact RTL check of the new artifact on the engineer's own beats (int32,
    compressed: about 1 MB per 10,000 beats)."""
    arrays = {
        "x": beats.x.astype(np.int32),
        "rr": beats.rr.astype(np.int32),
        "y": beats.y.astype(np.int32),
        "record": beats.record.astype(str),
    }
    write_atomic(path, lambda f: np.savez_compressed(f, **arrays))
    return path
