"""Command line of the retraining flow: parse, run `model.retrain.pipeline.retrain`, report.

Exit status: 0 on success; 2 for bad input (`DataError`, `RetrainError`, `ArtifactError`,
`CheckpointError`), printed as one ``retrain: error: ...`` line without a traceback; 130 when
interrupted (the checkpoint of the last finished epoch stays, ``--resume`` continues from it).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ecg_snn.data.cli import Parser
from ecg_snn.data.errors import DataError
from ecg_snn.model.contract.artifact import ArtifactError
from ecg_snn.model.retrain.errors import RetrainError
from ecg_snn.model.retrain.pipeline import DEFAULT_BASE, REPO, Options, retrain
from ecg_snn.model.retrain.report import unchanged_reason
from ecg_snn.model.train import CheckpointError

EPILOG = """\
outputs (NAME defaults to the database folder's name):
  build/retrain/NAME/NAME.json            the new artifact (same hardware as --base)
  build/retrain/NAME/NAME.bin             its weight image (little-endian uint32 words)
  build/reports/retrain/NAME/report.md    data summary, results vs the shipped model,
  build/reports/retrain/NAME/report.json  verify/load commands (report.json: `artifact`,
                                          `snn_int` as in train.json), confusion PNGs
example:
  python -m ecg_snn.model.retrain --db ~/ecg/holter250 --lead II --name holter
  make retrain DB=~/ecg/holter250 ARGS="--lead II --name holter"
guide: docs/retrain.md
"""


def parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="python -m ecg_snn.model.retrain",
        description="Retrain the ECG SNN on your own WFDB recordings (any sampling rate, your "
        "leads and beat annotations) for the same chip: fine-tune the shipped model, quantize "
        "into its hardware configuration, write the new artifact, its weight image and a report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--db",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder of WFDB records (.hea + signal files + annotation files); the "
        "records are listed in DIR/RECORDS if present, else every *.hea",
    )
    data.add_argument(
        "--lead",
        metavar="NAME",
        default=None,
        help="signal name of the lead to use, e.g. II, MLII, V1 (case-insensitive), or its "
        "index (0 = the first signal; for unnamed signals); every record must have it. "
        "Default: MLII, else the first present of II, ML2, V5, V4, V6, V3, V2, V1 (the "
        "shipped model was trained on MLII)",
    )
    data.add_argument(
        "--annotator",
        default="atr",
        metavar="EXT",
        help="extension of the reference beat annotation files (default: atr, i.e. 100.atr)",
    )
    data.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE.json",
        default=None,
        help='JSON object {"symbol": "class"} (classes N, S, V, F, Q) that replaces '
        "the default AAMI mapping N={N,L,R,e,j} S={A,a,J,S} V={V,E} F={F} Q={/,f,Q}; "
        "classes the base model has no output for (Q for the default) are dropped",
    )
    data.add_argument(
        "--strict",
        action="store_true",
        help="fail on the first unusable record instead of skipping it (skipped "
        "records are listed in the report)",
    )
    split = p.add_argument_group("split (a record, a patient, is never in train and test)")
    split.add_argument(
        "--split-file",
        type=Path,
        metavar="FILE",
        default=None,
        help='explicit split: JSON {"train": [...], "test": [...], "val": [...]} or '
        "text lines '<record> train|test|val'; default: random records",
    )
    split.add_argument(
        "--patients",
        type=Path,
        metavar="FILE",
        default=None,
        help='which records belong to one patient: JSON {"record": "patient"} or text lines '
        "'<record> <patient>'; a patient's records stay on one side. Default: each record is "
        "its own patient, except records that evidently share a source (identical annotations "
        "or signals, a header note naming the other record), which are kept together",
    )
    split.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        metavar="F",
        help="fraction of the records held out for testing (default: 0.2)",
    )
    split.add_argument(
        "--min-train-beats",
        type=int,
        default=20,
        metavar="N",
        help="fail unless every class has N training beats (default: 20)",
    )
    split.add_argument(
        "--min-test-beats",
        type=int,
        default=5,
        metavar="N",
        help="fail unless every class has N test beats (default: 5)",
    )
    train = p.add_argument_group("training")
    train.add_argument(
        "--base",
        type=Path,
        default=DEFAULT_BASE,
        metavar="ARTIFACT",
        help="the shipped model to start from; its hardware configuration is the "
        f"target (default: {_rel(DEFAULT_BASE)})",
    )
    train.add_argument(
        "--from-scratch",
        action="store_true",
        help="train from random weights with the base model's recorded recipe (CQ CNN, "
        "conversion, SNN-aware fine-tuning) instead of fine-tuning the base SNN; the hardware "
        "configuration stays the base's",
    )
    train.add_argument(
        "--epochs",
        type=int,
        default=None,
        metavar="N",
        help="training epochs (default: 5 fine-tuning the base SNN; from scratch the CNN "
        "epochs the base's recipe records, 12 if none, then its SNN fine-tuning epochs)",
    )
    train.add_argument(
        "--lr",
        type=float,
        default=None,
        metavar="LR",
        help="peak learning rate (default: 1e-3 fine-tuning; from scratch the base's recipe)",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the split and the training (default: 0); same seed, same result",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from its checkpoints in build/retrain/NAME "
        "(same options required); without it a run starts over",
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--name",
        default=None,
        metavar="NAME",
        help="name of the run and of its files (default: the --db folder's name)",
    )
    out.add_argument(
        "--out",
        type=Path,
        default=REPO / "build" / "retrain",
        metavar="DIR",
        help="where NAME/NAME.json, NAME/NAME.bin and the checkpoint go (default: build/retrain)",
    )
    out.add_argument(
        "--reports",
        type=Path,
        default=REPO / "build" / "reports" / "retrain",
        metavar="DIR",
        help="where NAME/report.{md,json} go (default: build/reports/retrain)",
    )
    out.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    opts = Options(
        db=args.db, base=args.base, name=args.name, lead=args.lead, annotator=args.annotator,
        mapping=args.mapping, split_file=args.split_file, patients=args.patients,
        test_fraction=args.test_fraction,
        from_scratch=args.from_scratch, epochs=args.epochs, lr=args.lr, seed=args.seed,
        resume=args.resume, min_train_beats=args.min_train_beats,
        min_test_beats=args.min_test_beats, strict=args.strict, out=args.out,
        reports=args.reports, progress=not args.no_progress,
        command="python -m ecg_snn.model.retrain " + shlex.join(argv),
    )  # fmt: skip
    if args.epochs is not None and args.epochs < 0:
        return _fail("--epochs must be >= 0")
    try:
        report = retrain(opts)
    except (DataError, RetrainError, ArtifactError, CheckpointError) as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        print("retrain: interrupted; rerun with --resume to continue", file=sys.stderr)
        return 130
    sat = report["data"]["saturated_inputs"]
    if sat["fraction"] > sat["warn_above"] or sat["records"]:
        print(
            f"retrain: warning: {100 * sat['fraction']:.1f} % of the chip's input samples are "
            f"saturated (records above {100 * sat['warn_above']:.0f} %: "
            f"{', '.join(sat['records']) or 'none'}): noise or artifacts in those records "
            "(baseline swings, electrode pops), or a wrong gain; check the gain and units in "
            "the headers if clean beats saturate too",
            file=sys.stderr,
        )
    assumed = report["data"]["gain_assumed"]
    if assumed:
        print(
            f"retrain: warning: {len(assumed)} record(s) give lead gain 0 (uncalibrated: "
            f"{', '.join(assumed[:5])}); 200 ADC units per mV was assumed (WFDB's default); "
            "fix the gain field of their headers if the recordings used another",
            file=sys.stderr,
        )
    for warning in report["split"]["warnings"]:
        print(f"retrain: warning: {warning}", file=sys.stderr)
    t = report["training"]
    why = unchanged_reason(t)
    if why:
        print(
            f"retrain: 0 of {t['integers_total']:,} integers changed, the artifact is the "
            f"shipped model: {why}",
            file=sys.stderr,
        )
    else:
        print(f"retrain: {t['integers_changed']:,} of {t['integers_total']:,} integers changed")
    print(f"artifact     {report['artifact']}")
    print(f"weight image {report['weight_image']}")
    print(f"report       {Path(opts.reports) / report['name'] / 'report.md'}")
    new, old = report["snn_int"], report["base_snn_int"]
    print(
        f"test accuracy {100 * new['accuracy']:.2f} % (shipped model "
        f"{100 * old['accuracy']:.2f} %), macro F1 {new['macro_f1']:.3f} "
        f"({old['macro_f1']:.3f}) on {report['n_test_beats']} beats"
    )
    return 0


def _fail(message: str) -> int:
    print(f"retrain: error: {message}", file=sys.stderr)
    return 2
