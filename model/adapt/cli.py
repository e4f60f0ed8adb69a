"""Command line of the per-patient adaptation: parse, run `model.adapt.run.adapt`, report.

Exit status: 0 on success (also when the base weights were kept: the report says so); 2 for
bad input (`AdaptError`, `DataError`, `ArtifactError`), printed as one ``adapt: error: ...``
line without a traceback.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ecg_snn.data.cli import Parser, heartbeat
from ecg_snn.data.errors import DataError
from ecg_snn.model.adapt.calibrate import RIDGES, Settings
from ecg_snn.model.adapt.errors import AdaptError
from ecg_snn.model.adapt.fit import MODES
from ecg_snn.model.adapt.run import DEFAULT_BASE, REPO, Options, adapt
from ecg_snn.model.contract.artifact import ArtifactError

EPILOG = """\
outputs (NAME defaults to RECORD_5min or RECORD_300beats):
  build/adapt/NAME/NAME.json             the adapted artifact (same hardware id as --base)
  build/adapt/NAME/NAME.bin              its weight image (little-endian uint32 words)
  build/adapt/NAME/rest_beats.npz        the beats after the labelled part, as chip inputs
  build/reports/adapt/NAME/report.md     what changed, the held-back check, base vs adapted
  build/reports/adapt/NAME/report.json   on the rest of the record, verify/load commands
example:
  python -m ecg_snn.model.adapt --record 208 --minutes 5          # MIT-BIH record 208
  make adapt DB=~/ecg/holter RECORD=p17 MINUTES=2
guide: docs/adapt.md
"""


def parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="python -m ecg_snn.model.adapt",
        description="Personalise the chip to one patient: calibrate the output layer of the "
        "shipped model on the labelled first minutes of the patient's record, write the new "
        "artifact and weight image for the same silicon, and a report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--record", required=True, help="record name, e.g. 208 (DIR/208.hea)")
    p.add_argument(
        "--db", type=Path, default=None, metavar="DIR",
        help="folder of the WFDB record; default: MIT-BIH (data/locate.py)",
    )  # fmt: skip
    amount = p.add_mutually_exclusive_group()
    amount.add_argument(
        "--minutes", type=float, default=None,
        help="label the beats of the first MINUTES minutes (default 5)",
    )  # fmt: skip
    amount.add_argument("--beats", type=int, default=None, help="label the first BEATS beats")
    p.add_argument("--base", type=Path, default=DEFAULT_BASE, help="the artifact to adapt")
    p.add_argument("--lead", default=None, help="lead name (default MLII, else a fallback)")
    p.add_argument("--annotator", default="atr", help="annotation file extension (atr)")
    p.add_argument(
        "--resample", action="store_true",
        help="accept a record at another rate than the chip's front end (resampled to it)",
    )  # fmt: skip
    p.add_argument(
        "--classes", default=None,
        help="comma-separated classes to adapt (default: every class with --min-beats beats)",
    )  # fmt: skip
    p.add_argument(
        "--min-beats", type=int, default=Settings.min_beats,
        help=f"labelled beats a class needs to be adapted (default {Settings.min_beats})",
    )  # fmt: skip
    p.add_argument(
        "--min-classes", type=int, default=Settings.min_classes,
        help="classes with --min-beats beats needed to adapt at all (default "
        f"{Settings.min_classes}: it must see what to tell apart)",
    )  # fmt: skip
    p.add_argument(
        "--modes", default=",".join(MODES),
        help=f"what may change, cheapest first (default {','.join(MODES)}): bias = the output "
        "biases, last = the output layer's weights and biases, finetune = a few epochs of SNN "
        "fine-tuning of every layer (more integers change)",
    )  # fmt: skip
    p.add_argument(
        "--ridges", default=",".join(f"{r:g}" for r in RIDGES),
        help="ridge penalties tried per mode (larger: smaller changes)",
    )  # fmt: skip
    p.add_argument("--name", default=None, help="name of the outputs")
    p.add_argument("--out", type=Path, default=REPO / "build" / "adapt")
    p.add_argument("--reports", type=Path, default=REPO / "build" / "reports" / "adapt")
    return p


def options(argv: list[str]) -> Options:
    a = parser().parse_args(argv)
    modes = tuple(m.strip() for m in a.modes.split(",") if m.strip())
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise AdaptError(f"--modes: unknown {bad or modes}; choose from {', '.join(MODES)}")
    try:
        ridges = tuple(float(r) for r in a.ridges.split(","))
    except ValueError:
        raise AdaptError(f"--ridges must be comma-separated numbers, not {a.ridges!r}") from None
    settings = Settings(
        min_beats=a.min_beats,
        min_classes=a.min_classes,
        modes=modes,
        ridges=ridges,
        classes=tuple(c.strip() for c in a.classes.split(",")) if a.classes else None,
    )
    return Options(
        record=a.record,
        db=a.db,
        minutes=a.minutes if a.minutes is not None else (None if a.beats else 5.0),
        beats=a.beats,
        base=a.base,
        lead=a.lead,
        annotator=a.annotator,
        resample=a.resample,
        name=a.name,
        settings=settings,
        out=a.out,
        reports=a.reports,
        command="python -m ecg_snn.model.adapt " + shlex.join(argv),
    )


def worse_warning(rest: dict) -> str | None:
    """The warning line when the adapted model scores below the base on the rest of the record
    (accuracy, or the sensitivity of a class present there), else None. The held-back check of
    `calibrate` guards the choice on the labelled minutes only; the rest can still disagree.
    The line names only the figures that fell, and says so when accuracy did not fall (a rise
    in accuracy next to a fall in V Se is not "worse" everywhere, and must not read so)."""
    if not rest["beats"]:
        return None
    base, new = rest["base"], rest["adapted"]
    lower = [
        f"{c} Se {100 * base['per_class'][c]['se']:.1f} -> {100 * m['se']:.1f} %"
        for c, m in new["per_class"].items()
        if m["se"] < base["per_class"][c]["se"]  # a class absent from the rest: equal, 0 and 0
    ]
    b, a = base["accuracy"], new["accuracy"]
    if a < b:
        lower.insert(0, f"accuracy {b:.2%} -> {a:.2%}")
    if not lower:
        return None
    unchanged = "" if a < b else f" (accuracy {b:.2%} -> {a:.2%} did not fall)"
    return (
        f"adapt: warning: on the rest of the record the adapted model is below the base in "
        f"{', '.join(lower)}{unchanged}; prefer the base model for this patient, or label more "
        "minutes (MINUTES=, CAL_BEATS=)"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        with heartbeat("adapt: working"):  # reading, fine-tuning and scoring take seconds each
            report = adapt(options(argv))
    except (AdaptError, DataError, ArtifactError) as e:
        print(f"adapt: error: {e}", file=sys.stderr)
        return 2
    cal = report["calibration"]
    what = (
        "kept the base weights (no candidate beat the base on the held-back beats)"
        if cal["kept_base"]
        else f"{cal['integers_changed']} integers changed ({cal['chosen']['mode']})"
    )
    if report["gain_assumed"]:
        print(
            f"adapt: warning: record {report['record']} gives lead gain 0 (uncalibrated); 200 "
            "ADC units per mV was assumed (WFDB's default): fix the header if it used another",
            file=sys.stderr,
        )
    print(f"adapt: {report['record']}: {what}")
    print(f"  artifact {report['artifact']}, image {report['weight_image']}")
    rest = report["rest"]
    if rest["beats"]:
        b, a = rest["base"]["accuracy"], rest["adapted"]["accuracy"]
        print(f"  rest of the record ({rest['beats']} beats): accuracy {b:.2%} -> {a:.2%}")
    print(f"  report {report['report']}")
    warning = worse_warning(rest)
    if warning:
        print(warning, file=sys.stderr)
    return 0
