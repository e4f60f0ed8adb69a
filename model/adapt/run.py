"""One adaptation run: read the record, calibrate, score, write the artifact, image and report.

Outputs (each through a temporary file and an atomic rename, only after every figure is
computed)::

    build/adapt/<name>/<name>.json          the adapted artifact (the base's hardware id)
    build/adapt/<name>/<name>.bin           its weight image, little-endian uint32 words
    build/adapt/<name>/rest_beats.npz       the beats after the labelled part as chip inputs
                                            (x, rr), labels y: vectors for an RTL check
    build/reports/adapt/<name>/report.json  the calibration summary and the scores
    build/reports/adapt/<name>/report.md    the same for people, with the verify commands
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import repo_path
from ecg_snn.model.adapt.beats import RecordBeats, read_patient
from ecg_snn.model.adapt.calibrate import Settings, calibrate
from ecg_snn.model.adapt.errors import AdaptError
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, load_artifact
from ecg_snn.model.contract.image import parse_image, weight_image
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.shipped import shipped

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BASE = shipped("inter")


@dataclass(frozen=True)
class Options:
    """Everything a run depends on (the CLI's options, see `model.adapt.cli`)."""

    record: str
    db: Path | None = None  # None: MIT-BIH (data.locate.find_mitdb)
    minutes: float | None = 5.0
    beats: int | None = None
    base: Path = DEFAULT_BASE
    lead: str | None = None
    annotator: str = "atr"
    resample: bool = False
    name: str | None = None
    settings: Settings = field(default_factory=Settings)
    out: Path = REPO / "build" / "adapt"
    reports: Path = REPO / "build" / "reports" / "adapt"
    command: str = ""

    @property
    def run_name(self) -> str:
        amount = f"{self.beats}beats" if self.beats is not None else f"{self.minutes:g}min"
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name or f"{self.record}_{amount}")


def locate(db: Path | None, record: str) -> tuple[Path, str]:
    """(folder, record name): `record` in `db`; without `db`, a record path (`path/to/rec`, as
    `make stream` takes it) or else an MIT-BIH name."""
    if db is not None:
        return Path(db), record
    path = Path(record)
    if path.parent != Path() or path.with_suffix(".hea").is_file():
        return path.parent, path.name
    from ecg_snn.data.locate import find_mitdb

    return find_mitdb(), record


def scores(y: np.ndarray, pred: np.ndarray, classes: tuple[str, ...]) -> dict[str, Any]:
    """`model.metrics.classification_metrics` (with κ, and jκ for class sets with S and V)."""
    return classification_metrics(y, pred, classes)


def reported(art: Artifact, x: np.ndarray, rr: np.ndarray, rhythm: np.ndarray) -> np.ndarray:
    """The classes the device reports: the golden model's, through the artifact's rhythm gate."""
    return art.spec.reported(golden.run(art, x, rr).cls, rhythm)


def adapt_record(base: Artifact, beats: RecordBeats, settings: Settings) -> tuple:
    """(calibration, scores) for one record: calibrate on the labelled beats, then score the
    base and the adapted model on the rest as the device reports them (`reported`)."""
    cal = calibrate(base, *beats.part(beats.labelled), settings)
    x, rr, y, rhythm = beats.part(~beats.labelled)
    classes = base.spec.classes
    rest = {
        "beats": len(y),
        "per_class": dict(
            zip(classes, np.bincount(y, minlength=len(classes)).tolist(), strict=True)
        ),
        "base": scores(y, reported(base, x, rr, rhythm), classes),
        "adapted": scores(y, reported(cal.artifact, x, rr, rhythm), classes),
    }
    return cal, rest


def adapt(opts: Options) -> dict[str, Any]:
    """Run every stage and write the outputs; return the report (see the module docstring)."""
    start = time.perf_counter()
    base = load_artifact(opts.base)
    db, record = locate(opts.db, opts.record)
    beats = read_patient(
        db,
        record,
        base.spec.preprocess,
        base.spec.classes,
        minutes=opts.minutes if opts.beats is None else None,
        beats=opts.beats,
        lead=opts.lead,
        annotator=opts.annotator,
        resample=opts.resample,
    )
    cal, rest = adapt_record(base, beats, opts.settings)
    name = opts.run_name
    work, reports = Path(opts.out) / name, Path(opts.reports) / name
    artifact = cal.artifact
    artifact.meta = {
        **{k: v for k, v in base.meta.items() if k in ("commit", "origin", "split")},
        "adapted_by": "model.adapt",
        "base": repo_path(opts.base),
        "base_sha256": base.checksum(),
        "record": f"{db}/{record}",
        "labelled": f"{opts.beats} beats" if opts.beats is not None else f"{opts.minutes:g} min",
        "kept_base": cal.summary["kept_base"],
        "integers_changed": cal.summary["integers_changed"],
    }
    paths = write_outputs(artifact, base, work / f"{name}.json", work / f"{name}.bin")
    x, rr, y, rhythm = beats.part(~beats.labelled)
    arrays = {"x": x, "rr": rr, "y": y, "rhythm": rhythm}
    arrays = {k: v.astype(np.int32) for k, v in arrays.items()}
    rest_path = write_atomic(work / "rest_beats.npz", lambda f: np.savez_compressed(f, **arrays))
    report = {
        "name": name,
        "record": record,
        "database": repo_path(db),
        "lead": beats.lead,
        "fs": beats.fs,
        "gain_assumed": beats.gain_assumed,  # header gain 0: 200 ADC units per mV assumed
        "duration_minutes": round(beats.duration_s / 60, 2),
        "labelled": {"minutes": opts.minutes if opts.beats is None else None, "beats": opts.beats},
        "dropped": beats.dropped,
        "base_artifact": repo_path(opts.base),
        "base_sha256": base.checksum(),
        "artifact": repo_path(paths["artifact"]),
        "artifact_sha256": artifact.checksum(),
        "weight_image": repo_path(paths["image"]),
        "rest_beats": repo_path(rest_path),
        "hardware_id": f"{artifact.spec.hardware_id():#010x}",
        "same_hardware_as_base": True,
        "calibration": cal.summary,
        "rest": rest,
        "command": opts.command,
        "report": repo_path(reports / "report.md"),
    }
    report["seconds"] = round(time.perf_counter() - start, 2)
    write_atomic(reports / "report.json", json.dumps(report, indent=1) + "\n")
    write_atomic(reports / "report.md", markdown(report, base.spec.classes))
    return report


def write_outputs(artifact: Artifact, base: Artifact, path: Path, image: Path) -> dict:
    """Save the artifact and its weight image; reload both and check them against the base."""
    if artifact.spec.hardware_config() != base.spec.hardware_config():
        raise AdaptError("internal error: the adapted artifact has another hardware configuration")
    artifact.save(path)
    again = load_artifact(path)
    words = weight_image(again).astype("<u4")
    write_atomic(image, lambda f: f.write(words.tobytes()))
    parse_image(np.fromfile(image, dtype="<u4"), base.spec)  # loads into the base hardware
    return {"artifact": path, "image": image}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def markdown(report: dict, classes: tuple[str, ...]) -> str:
    cal, rest = report["calibration"], report["rest"]
    lines = [
        f"# Adaptation to record {report['record']} ({report['name']})",
        "",
        f"- adapted artifact: `{report['artifact']}`, weight image `{report['weight_image']}`",
        f"- hardware id {report['hardware_id']}, the base's (`{report['base_artifact']}`)",
        f"- record: {report['database']}/{report['record']}, lead {report['lead']}, "
        f"{report['fs']} Hz, {report['duration_minutes']} minutes",
        f"- labelled: {cal['labelled_beats']} beats ("
        + ", ".join(f"{c} {n}" for c, n in cal["labelled_per_class"].items())
        + f"); adapted classes {', '.join(cal['adapted_classes'])}; "
        f"{cal['held_back_beats']} held back to check the result",
        "",
    ]
    if cal["kept_base"]:
        lines.append(
            "**The base weights were kept**: no candidate made fewer errors than the base model "
            "on the held-back labelled beats, so the image equals the base's (0 integers "
            "changed)."
        )
    else:
        ch = cal["chosen"]
        lines.append(
            f"**Adapted**: mode `{ch['mode']}`"
            + (f" (ridge {ch['ridge']:g})" if ch["ridge"] is not None else "")
            + ", "
            f"**{cal['integers_changed']} integers changed** "
            f"({', '.join(f'{k} {v}' for k, v in cal['changed_per_tensor'].items())})."
        )
    lines += [
        "",
        "## Held-back labelled beats (weighted errors, the safety check)",
        "",
        "| candidate | weighted errors | errors | integers changed |",
        "|---|---|---|---|",
        f"| base | {cal['base_held_back_weighted_errors']:.2f} | "
        f"{cal['base_held_back_errors']} | 0 |",
    ]
    for c in cal["candidates"]:
        ridge = "" if c["ridge"] is None else f" ridge {c['ridge']:g}"
        lines.append(
            f"| {c['mode']}{ridge} | {c['held_back_weighted_errors']:.2f} | "
            f"{c['held_back_errors']} | {c['integers_changed']} |"
        )
    for mode, why in cal.get("modes_skipped", {}).items():
        lines.append(f"\nMode `{mode}` was not tried: {why}")
    lines += ["", f"## The rest of the record ({rest['beats']} beats after the labelled part)", ""]
    if rest["beats"]:
        head = " | ".join(f"{c} Se | {c} +P" for c in classes)
        lines += [
            f"| model | accuracy | {head} | jκ |",
            "|---|---" + "|---" * (2 * len(classes)) + "|---|",
        ]
        for who in ("base", "adapted"):
            m = rest[who]
            cells = " | ".join(
                f"{_pct(m['per_class'][c]['se'])} | {_pct(m['per_class'][c]['ppv'])}"
                for c in classes
            )
            jk = f"{m['j_kappa']:.3f}" if "j_kappa" in m else "-"
            lines.append(f"| {who} | {_pct(m['accuracy'])} | {cells} | {jk} |")
        lines.append(
            "\nBeats per class: " + ", ".join(f"{c} {n}" for c, n in rest["per_class"].items())
        )
    art = report["artifact"]
    lines += [
        "",
        "## Verify and load",
        "",
        "```sh",
        f"make sim MODEL={art}        # bit-exact RTL vs golden model",
        f"python -m ecg_snn.firmware.generate --model {art} \\",
        f"    --out build/firmware/{report['name']} --hardware-id {report['hardware_id']}",
        "```",
        "",
        f"Took {report['seconds']} s. Command: `{report['command']}`",
        "",
    ]
    return "\n".join(lines)
