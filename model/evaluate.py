"""`make evaluate`: score an artifact as it is (no retraining) on a split's beats or your own WFDB.

    python -m ecg_snn.model.evaluate [--split inter|intra] [--part DS1|DS2|intra_train|intra_test]
                                     [--model PATH] [--db DIR [--lead II] [--annotator atr]]
                                     [--out DIR]

The beats: a part of MIT-BIH (default the split's test part: DS2 for ``inter``, intra_test for
``intra``), cut and preprocessed exactly as for training (`model.splits.to_beats`); or, with
``--db``, every usable beat of a WFDB database (`model.retrain.discovery.read_beats`: any rate,
the model's window and RR features, beats of a class the model has no output for dropped and
counted). The model: the shipped artifact of the split, or ``--model``. The classifier is the
integer golden model (`model.contract.golden.run`), which the RTL and the C reference equal bit
for bit (`make sim`, the firmware tests), so the scores are the chip's.

Scores (scikit-learn's metrics, rows true, columns predicted; `scores`)::

    Se_k = TP_k / (TP_k + FN_k)      +P_k = TP_k / (TP_k + FP_k)      (recall, precision)
    κ    = Cohen's kappa              jκ = κ/2 + (Se_S + Se_V + +P_S + +P_V)/8
                                      (Mar et al. 2011, Mondéjar-Guerra et al. 2019)

A class with no true beats has Se 0, a class never predicted +P 0 (sklearn's zero_division=0).
Outputs, in ``build/reports/evaluate/<name>/`` (staged in a sibling folder and renamed into
place, so the folder always holds one complete run): ``evaluate.json`` (everything),
``evaluate.md`` (per-class and per-record tables), ``confusion.png``, ``per_record.png``.

Honesty: a test part (DS2, intra_test) is held out from every choice of the project. Scoring
it is a *look*, and every look is logged in the look log of ``docs/model.md``
(`model/looks.py`: date, command, model sha256, figures), before a figure is printed, so a reader
can see every time the test set was seen. DS1 and your own databases are not logged.

Errors (bad model, database, lead, option) are one line and exit 2.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.model.evaluate:main", "make evaluate")

import argparse
import datetime
import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ecg_snn.data.cli import Parser, discard_on_interrupt
from ecg_snn.data.errors import DataError
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import REPO, repo_path
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, load_artifact
from ecg_snn.model.contract.frontend import preprocess_stream
from ecg_snn.model.contract.patient import rhythm_values
from ecg_snn.model.looks import log_look
from ecg_snn.model.metrics import per_record
from ecg_snn.model.shipped import SPLITS, shipped
from ecg_snn.model.splits import TEST_PART, Beats

PARTS = ("DS1", "DS2", "intra_train", "intra_test")
TEST_PARTS = ("DS2", "intra_test")  # held out from every choice: scoring one is a logged look
# outputs go to the checkout's build/, or the working folder's for an installed package
OUT = (REPO if (REPO / "pyproject.toml").is_file() else Path.cwd()) / "build/reports/evaluate"


class EvaluateError(Exception):
    """An input `evaluate` cannot score; the message says which and what to do."""


def scores(y: np.ndarray, pred: np.ndarray, classes: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy, per-class Se / +P / F1 / support, κ and jκ, and the confusion matrix, from
    scikit-learn (module docstring). jκ is present when the classes include S and V."""
    from sklearn.metrics import (
        accuracy_score,
        cohen_kappa_score,
        confusion_matrix,
        precision_recall_fscore_support,
    )

    labels = list(range(len(classes)))
    if not len(y):
        raise EvaluateError("no beats to score")
    m = confusion_matrix(y, pred, labels=labels)
    ppv, se, f1, support = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    # one class in both y and pred: agreement expected by chance is 1, kappa 0/0; report 0
    one_class = len(np.union1d(y, pred)) < 2
    kappa = 0.0 if one_class else float(cohen_kappa_score(y, pred, labels=labels))
    per_class = {
        c: {"se": float(se[k]), "ppv": float(ppv[k]), "f1": float(f1[k]), "n": int(support[k])}
        for k, c in enumerate(classes)
    }
    out = {
        "n": len(y),
        "accuracy": float(accuracy_score(y, pred)),
        "kappa": kappa,
        "per_class": per_class,
        "confusion": m.tolist(),
    }
    if {"S", "V"} <= set(classes):
        s, v = per_class["S"], per_class["V"]
        out["j_kappa"] = 0.5 * kappa + 0.125 * (s["se"] + v["se"] + s["ppv"] + v["ppv"])
    return out


def mitbih_beats(artifact: Artifact, split: str, part: str) -> Beats:
    """The beats of one MIT-BIH part as this artifact's chip inputs (as `make train` cut them)."""
    from ecg_snn.data.dataset import load_dataset  # wfdb and the dataset cache: only when needed
    from ecg_snn.model.splits import to_beats

    pre = artifact.spec.preprocess
    ds = load_dataset(config=pre.beat_config(), progress=True)
    return to_beats(ds.part(part), pre, len(artifact.spec.classes))


def database_beats(
    artifact: Artifact, db: Path, lead: str | None, annotator: str, mapping: str | None = None
) -> Beats:
    """Every usable beat of a WFDB database as this artifact's chip inputs (`mapping`: a JSON
    file of annotation symbol -> AAMI class, as `make retrain` takes)."""
    from ecg_snn.model.retrain.discovery import read_beats

    if not db.is_dir():
        raise EvaluateError(f"--db {db}: not a folder (a folder of WFDB records)")
    pre = artifact.spec.preprocess
    classes = tuple(artifact.spec.classes)
    table = read_beats(db, pre, classes, lead=lead, annotator=annotator, mapping=mapping)
    x, rr = preprocess_stream(pre, table.window, table.rr, table.record)
    return Beats(x, rr, table.y, table.record, rhythm_values(pre, table.rr, table.record))


def test_records_part(records: np.ndarray) -> str | None:
    """ "DS2" when a database holds records named as DS2's (MIT-BIH itself, or a copy): scoring it
    is a look at the test set, logged as one; None for any other database."""
    from ecg_snn.data.splits import DS2

    return "DS2" if set(map(str, records)) & set(DS2) else None


def classify(artifact: Artifact, beats: Beats) -> np.ndarray:
    """The class the device reports for every beat: the golden model's, through the artifact's
    rhythm gate (chunked, a progress line per ~10,000 beats)."""
    step = 10_000
    out = []
    for i in range(0, len(beats), step):
        if len(beats) > step:
            print(f"  golden model: beats {i:,} to {min(i + step, len(beats)):,} of {len(beats):,}")
        out.append(golden.run(artifact, beats.x[i : i + step], beats.rr[i : i + step]).cls)
    return beats.reported(artifact.spec, np.concatenate(out) if out else np.zeros(0, np.int64))


def class_table(s: dict[str, Any]) -> str:
    """Markdown: one row per class (beats, Se, +P, F1), then accuracy, κ, jκ."""
    rows = ["| class | beats | Se % | +P % | F1 % |", "|---|---|---|---|---|"]
    for c, m in s["per_class"].items():
        rows.append(
            f"| {c} | {m['n']:,} | {100 * m['se']:.1f} | {100 * m['ppv']:.1f} | "
            f"{100 * m['f1']:.1f} |"
        )
    jk = f", jκ {s['j_kappa']:.3f}" if "j_kappa" in s else ""
    rows.append(
        f"\naccuracy {100 * s['accuracy']:.2f} % over {s['n']:,} beats, κ {s['kappa']:.3f}{jk}"
    )
    return "\n".join(rows)


def record_rows(records: dict[str, Any]) -> str:
    """Markdown: one row per record (beats, accuracy, S and V: beats, Se, false calls)."""

    def pct(v):
        return "–" if v is None else f"{100 * v:.1f}"

    rows = [
        "| record | beats | accuracy % | S | S Se % | false S | V | V Se % | false V |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in records.items():
        rows.append(
            f"| {name} | {r['n']} | {pct(r['accuracy'])} | {r['n_s']} | {pct(r['s_se'])} | "
            f"{r['false_s']} | {r['n_v']} | {pct(r['v_se'])} | {r['false_v']} |"
        )
    return "\n".join(rows)


def _confusion_png(s: dict, classes: tuple[str, ...], title: str, f) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = np.asarray(s["confusion"])
    fig, ax = plt.subplots(figsize=(4.4, 4.0), dpi=100)
    ax.imshow(m / np.maximum(m.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{m[i, j]:,}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}\naccuracy {s['accuracy']:.2%}", fontsize=9)
    fig.tight_layout()
    fig.savefig(f, format="png")
    plt.close(fig)


def _per_record_png(records: dict[str, Any], title: str, f) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(records)
    at = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.32 * len(names) + 1.5), 3.2), dpi=100)
    for k, (key, label) in enumerate(
        (("accuracy", "accuracy"), ("s_se", "S Se"), ("v_se", "V Se"))
    ):
        vals = [np.nan if records[n][key] is None else 100 * records[n][key] for n in names]
        ax.bar(at + (k - 1) * 0.27, vals, width=0.27, label=label)
    ax.set_xticks(at, names, rotation=90, fontsize=7)
    ax.set_ylabel("%")
    ax.set_ylim(0, 118)  # room for the legend above the bars
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncols=3, loc="upper right")
    fig.tight_layout()
    fig.savefig(f, format="png")
    plt.close(fig)


def write_outputs(out: Path, report: dict[str, Any], classes: tuple[str, ...]) -> Path:
    """The four files of the module docstring, staged beside `out` and renamed into place."""
    staging = discard_on_interrupt(out.with_name(f".{out.name}.staging"))
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    title = f"{report['model']} on {report['source']}"
    s, records = report["scores"], report["per_record"]
    md = (
        f"# {title}\n\nmodel sha256 `{report['model_sha256']}`; command `{report['command']}`\n\n"
        f"## Per class\n\n{class_table(s)}\n\n## Per record\n\n{record_rows(records)}\n"
    )
    write_atomic(staging / "evaluate.json", json.dumps(report, indent=2) + "\n")
    write_atomic(staging / "evaluate.md", md)
    write_atomic(staging / "confusion.png", lambda f: _confusion_png(s, classes, title, f))
    write_atomic(staging / "per_record.png", lambda f: _per_record_png(records, title, f))
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def log_test_look(report: dict[str, Any]) -> str:
    """Log the look of `report` (a test part) in the look log; the line that says so."""
    s = report["scores"]
    jk = f", jκ {s['j_kappa']:.3f}" if "j_kappa" in s else ""
    return log_look(
        report["command"],
        f"{report['part']}: {s['n']:,} beats of {report['model']}",
        f"accuracy {100 * s['accuracy']:.2f} %, κ {s['kappa']:.3f}{jk}",
        report["model_sha256"],
    )


def evaluate(
    model: str | Path | None = None,
    split: str = "inter",
    part: str | None = None,
    db: str | Path | None = None,
    lead: str | None = None,
    annotator: str = "atr",
    mapping: str | None = None,
    out: str | Path | None = None,
    command: str = "ecg_snn.evaluate()",
) -> dict[str, Any]:
    """Score `model` (default the shipped model of `split`) on a MIT-BIH `part` (default the
    split's test part) or on the WFDB database `db`; write the outputs and, for a test part,
    log the look (`model/looks.py`; the line that says so is `report["look"]`, None for a part
    that is not a test part). Returns the report."""
    if split not in SPLITS:
        raise EvaluateError(f"split must be one of {list(SPLITS)}, not {split!r}")
    if db is not None and part is not None:
        raise EvaluateError("give a MIT-BIH part or a database (--db), not both")
    if part is not None and part not in PARTS:
        raise EvaluateError(f"part must be one of {list(PARTS)}, not {part!r}")
    if part is not None and part not in TEST_PART[split]:  # another split's part holds test beats
        raise EvaluateError(
            f"part {part} is not a part of the {split} split; its parts: {list(TEST_PART[split])}"
        )
    path = Path(model) if model else shipped(split)
    artifact = load_artifact(path)
    classes = tuple(artifact.spec.classes)
    if db is not None:
        beats = database_beats(artifact, Path(db), lead, annotator, mapping)
        source, part = str(db), test_records_part(beats.record)
        name = f"db-{Path(db).resolve().name}"
    else:
        part = part or TEST_PART[split][1]
        beats, source = mitbih_beats(artifact, split, part), f"MIT-BIH {part}"
        name = f"{split}-{part}"
    if not len(beats):
        raise EvaluateError(f"no beats of the model's classes {classes} in {source}")
    if model:
        name += f"-{path.stem}-{artifact.checksum()[:8]}"
    print(f"evaluate: {repo_path(path)} on {source}: {len(beats):,} beats")
    pred = classify(artifact, beats)
    report = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "model": repo_path(path),
        "model_sha256": artifact.checksum(),
        "classes": list(classes),
        "rhythm_gate": artifact.spec.rhythm_gate,  # the scores are after it (`classify`)
        "source": source,
        "part": part,
        "scores": scores(beats.y, pred, classes),
        "per_record": per_record(beats.y, pred, beats.record, classes)
        if {"S", "V"} <= set(classes)
        else {},
        "look": None,
    }
    folder = write_outputs(Path(out) if out else OUT / name, report, classes)
    report["folder"] = repo_path(folder)
    if part in TEST_PARTS:
        report["look"] = log_test_look(report)
    return report


def summary(report: dict[str, Any]) -> list[str]:
    """The lines `main` prints: the headline figures, where the outputs are, the look."""
    s = report["scores"]
    jk = f", jκ {s['j_kappa']:.3f}" if "j_kappa" in s else ""
    per = ", ".join(
        f"{c} Se {100 * m['se']:.1f} / +P {100 * m['ppv']:.1f}" for c, m in s["per_class"].items()
    )
    lines = [
        f"  accuracy {100 * s['accuracy']:.2f} %, κ {s['kappa']:.3f}{jk}",
        f"  {per}",
        f"  wrote {report['folder']}/ (evaluate.json, evaluate.md, confusion.png, per_record.png)",
    ]
    if report["look"]:
        lines.append(f"  {report['look']}")
    return lines


def command_line(a: argparse.Namespace) -> str:
    """The command that repeats this run, every option spelled out (the make knobs arrive
    through the environment, so argv alone would not say which model or database was used)."""
    words = ["python", "-m", "ecg_snn.model.evaluate", "--split", a.split]
    options = {"--part": a.part, "--model": a.model, "--db": a.db, "--lead": a.lead,
               "--mapping": a.mapping, "--out": a.out}  # fmt: skip
    for flag, value in options.items():
        if value is not None:
            words += [flag, str(value)]
    if a.annotator != "atr":
        words += ["--annotator", a.annotator]
    return shlex.join(words)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = Parser(prog="python -m ecg_snn.model.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("--split", default=os.environ.get("SPLIT") or "inter", choices=SPLITS)
    p.add_argument("--part", choices=PARTS, help="MIT-BIH part (default: the split's test part)")
    p.add_argument("--model", default=os.environ.get("MODEL") or None, help="an artifact")
    p.add_argument("--db", help="a folder of WFDB records (make evaluate DB=...)")
    p.add_argument("--lead", help="the lead of --db by name (default MLII, then fallbacks)")
    p.add_argument("--annotator", default="atr", help="annotation extension (with --db)")
    p.add_argument("--mapping", help="JSON: annotation symbol -> AAMI class (with --db)")
    p.add_argument("--out", type=Path, help="output folder (default build/reports/evaluate/NAME)")
    a = p.parse_args(argv)
    try:
        if a.db is None and a.lead is not None:
            raise EvaluateError("--lead (LEAD=) chooses the lead of --db (DB=); MIT-BIH uses MLII")
        report = evaluate(
            a.model,
            a.split,
            a.part,
            a.db,
            a.lead,
            a.annotator,
            a.mapping,
            a.out,
            command=command_line(a),
        )
    except (EvaluateError, DataError, ArtifactError, OSError) as e:
        print(f"evaluate: error: {e}", file=sys.stderr)
        return 2
    print("\n".join(summary(report)))
    return 0
