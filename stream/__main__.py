"""`make stream RECORD=<name|path>`: raw ECG in, classes out, on one record.

    python -m ecg_snn.stream RECORD [--model PATH] [--lead MLII] [--annotator atr] [--rtl]
                         [--jobs N] [--out build/stream] [--report FILE]

RECORD is an MIT-BIH record name (`208`) or a WFDB record path without extension
(`~/ecg/mydb/rec1`). Runs the integer QRS detector, the front end and the golden SNN
(`stream/core.py`); `--rtl` also runs the accelerator on Verilator for the same beats
(`sim/accel`, JOBS simulator processes) and fails on any difference from the golden classes.

Writes `<out>/<record>.snn`, a WFDB annotation file of every detected beat with its AAMI class
letter (`?` for the first and last beat, which have no RR; open it with the record in any WFDB
viewer, e.g. `wfdb.rdann(path, "snn")`), and a JSON report (default
`build/reports/stream_<record>.json`): detections, classes, host time per stage and x real time,
and, when the record has reference beats (`.atr`, or `--annotator`), QRS Se/+P (EC57 from 5:00,
"n/a" for a record shorter than that, and over the whole record) and the end-to-end confusion
(`stream/score.py`). The `.snn` counts samples at the record's own rate (its header's `fs`;
the detector runs at 360 Hz on a resampled copy), and the report names that rate (`snn_fs`).
A header gain of 0 (WFDB: uncalibrated) is read as 200 ADC units per mV, and the output says so.
Exit status 2 on bad input (missing record, too short, no valid sample, a lead the record lacks),
1 when the RTL differs from the golden model.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.stream.__main__:main", "make stream")

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import wfdb

from ecg_snn.data.cli import Parser
from ecg_snn.data.errors import DataError
from ecg_snn.data.files import write_atomic
from ecg_snn.data.gaps import beats_around_gaps
from ecg_snn.data.paths import config_key, keyed, repo_path
from ecg_snn.data.records import amplitude_hint, plain_rate
from ecg_snn.data.splits import DS2
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, load_artifact
from ecg_snn.model.contract.qrs import QrsError
from ecg_snn.model.looks import log_look
from ecg_snn.stream import score
from ecg_snn.stream.core import Stream, load_record, run_stream

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "model" / "artifacts" / "inter.json"
OUT = ROOT / "build" / "stream"
REPORTS = ROOT / "build" / "reports"
EXTENSION = "snn"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = Parser(prog="python -m ecg_snn.stream", description=__doc__.split("\n")[0])
    ap.add_argument("record", help="MIT-BIH record name (e.g. 208) or WFDB record path")
    ap.add_argument("--model", type=Path, default=Path(os.environ.get("MODEL") or DEFAULT_MODEL))
    ap.add_argument(
        "--lead",
        default=None,
        help="lead by name or index (default: MLII, else the first of II, ML2, V5, ... present; "
        "a lead given here is used or refused, never replaced)",
    )
    ap.add_argument(
        "--annotator", default="atr", help="reference beat annotations to score against (atr)"
    )
    ap.add_argument("--rtl", action="store_true", help="also classify on the RTL (Verilator)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 2))
    ap.add_argument(
        "--out", type=Path, help="annotation folder (build/stream; another source or model: keyed)"
    )
    ap.add_argument("--report", type=Path, default=None)
    return ap.parse_args(argv)


def output_key(record: str, model: Path, artifact: Artifact) -> str:
    """What keeps this run's outputs apart from the default ones (`data.paths.config_key`): a
    record given by path (not an MIT-BIH name) is keyed by its folder, so another `100` never
    replaces MIT-BIH 100's; a model other than the shipped one by its checksum."""
    by_path = Path(record).name != record
    folder = hashlib.sha256(str(Path(record).resolve().parent).encode()).hexdigest()[:8]
    shipped = model.resolve() == Path(DEFAULT_MODEL).resolve()
    return config_key(
        {"src": folder if by_path else None, "model": None if shipped else artifact.checksum()[:8]}
    )


def write_annotations(stream: Stream, out: Path) -> Path:
    """`<out>/<record>.snn` at the record's own rate (`Stream.source_sample`, `fs` of the
    record), through a temporary folder and a rename (never half written)."""
    out.mkdir(parents=True, exist_ok=True)
    name = Path(stream.source.name).name
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        if len(stream.sample):
            wfdb.wrann(
                name,
                EXTENSION,
                stream.source_sample,
                symbol=list(stream.symbol),
                fs=stream.source.fs,
                write_dir=tmp,
            )
        else:  # wrann refuses an empty annotation set; an empty file is a valid "no beats"
            (Path(tmp) / f"{name}.{EXTENSION}").write_bytes(b"\x00\x00")
        target = out / f"{name}.{EXTENSION}"
        (Path(tmp) / target.name).replace(target)
    return target


def rtl_classes(artifact: Artifact, stream: Stream, jobs: int, work: Path) -> dict:
    """The accelerator on Verilator for the classified beats; compared with the golden model."""
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.sim.accel import design
    from ecg_snn.sim.accel.shards import run_sharded
    from ecg_snn.sim.accel.vectors import Vectors

    n = len(stream.x)
    vectors = Vectors(
        stream.x[:, 0, :], stream.rr, np.full(n, stream.record.name), np.arange(n, dtype=np.int64)
    )
    build = design.accelerator_build(artifact.spec, HwConfig())
    work.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="stream-", dir=work))
    t = time.perf_counter()
    merged = run_sharded(build, artifact, vectors, workdir, jobs=jobs)
    differ = int(np.count_nonzero(merged.cls != stream.chip))  # the chip's, before the gate
    if not (differ or merged.mismatches or merged.failures):
        shutil.rmtree(workdir)
    return {
        "beats": n,
        "class_differences": differ,
        "mismatches": int(merged.mismatches),
        "failures": merged.failures,
        "first_mismatch": merged.first_mismatch or None,
        "seconds": round(time.perf_counter() - t, 2),
        "cycles_mean": round(float(merged.cycles.mean()), 1) if n else 0.0,
    }


def reference_scores(artifact: Artifact, stream: Stream) -> dict | None:
    """QRS Se/+P and the end-to-end confusion against the record's reference beats inside the
    signal (none: None). EC57 scores from 5:00 on: None for a shorter record."""
    rec = stream.record
    fs = rec.fs
    ref = score.reference_beats(rec.ann_sample, rec.ann_symbol, len(rec.signal))
    if not len(ref):
        return None
    det = stream.sample
    long_enough = stream.duration > score.EC57_START_S
    ec57 = score.match(
        score.scored(ref, fs, score.EC57_START_S), score.scored(det, fs, score.EC57_START_S), fs
    )
    out = {
        "qrs_ec57": {k: v for k, v in ec57.items() if k != "pairs"} if long_enough else None,
        "qrs_whole": {k: v for k, v in score.match(ref, det, fs).items() if k != "pairs"},
    }
    config = artifact.spec.preprocess.beat_config()
    beats, _ = beats_around_gaps(stream.source, ~stream.source_valid, config)
    n_cls = len(artifact.spec.classes)
    test = beats.label < n_cls  # the classifier's test set (Q dropped when the model has no Q)
    m = score.classes_end_to_end(
        ref, beats.sample[test], beats.label[test], det, stream.cls, fs, n_cls
    )
    out["end_to_end"] = score.end_to_end_metrics(m, artifact.spec.classes)
    if test.any():
        from ecg_snn.model.contract.frontend import preprocess_beats
        from ecg_snn.model.contract.patient import rhythm_values
        from ecg_snn.model.metrics import classification_metrics

        spec, pre = artifact.spec, artifact.spec.preprocess
        # one record, one patient: features and rhythm over every beat
        x, rr = preprocess_beats(pre, beats.window, beats.rr, None, test)
        rhythm = rhythm_values(pre, beats.rr)[test]
        pred = spec.reported(golden.run(artifact, x, rr).cls, rhythm)
        out["annotated_beats"] = classification_metrics(
            beats.label[test], pred, artifact.spec.classes
        )
    return out


def report_of(artifact: Artifact, model: Path, stream: Stream) -> dict:
    classes = artifact.spec.classes
    host = sum(stream.seconds.values())
    counts = {c: int(np.count_nonzero(stream.symbol == c)) for c in (*classes, "?")}
    src = stream.source
    return {
        "record": stream.record.name,
        "lead": stream.record.lead,
        "model": repo_path(model),
        "artifact_sha256": artifact.checksum(),
        "fs": plain_rate(src.fs),
        "snn_fs": plain_rate(src.fs),  # the rate the .snn sample numbers count in
        "detector_fs": stream.record.fs,
        "adc_gain_per_mv": src.adc_gain,
        "gain_assumed": src.gain_assumed,
        "invalid_samples": int(np.count_nonzero(~stream.source_valid)),
        "seconds_of_signal": round(stream.duration, 1),
        "detections": len(stream.sample),
        "searchbacks": int(stream.detections.searchback.sum()),
        "classes": counts,  # as reported: after the rhythm gate
        "rhythm_gate": artifact.spec.rhythm_gate,
        "chip_classes": {c: int(np.count_nonzero(stream.chip == k)) for k, c in enumerate(classes)},
        "host_seconds": {k: round(v, 4) for k, v in stream.seconds.items()},
        "x_real_time": round(stream.duration / host, 1) if host else None,
        "reference": reference_scores(artifact, stream),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if not args.model.exists():
            raise ArtifactError(f"no model at {args.model}; run `make train` or pass --model")
        artifact = load_artifact(args.model)
        record, valid = load_record(args.record, args.lead, args.annotator)
        hint = amplitude_hint(record)
        if hint:  # before the run: its detections (often none) follow from it
            print(f"make stream: warning: {hint}", file=sys.stderr, flush=True)
        stream = run_stream(artifact, record, valid)
    except (DataError, QrsError, ArtifactError) as e:
        print(f"make stream: {e}", file=sys.stderr)
        return 2
    key = output_key(args.record, args.model, artifact)
    ann = write_annotations(stream, args.out or keyed(OUT, key))
    report = report_of(artifact, args.model, stream)
    if args.rtl:
        report["rtl"] = rtl_classes(artifact, stream, args.jobs, ROOT / "build" / "sim" / "stream")
    path = args.report or keyed(REPORTS / f"stream_{stream.record.name}.json", key)
    write_atomic(path, json.dumps(report, indent=1) + "\n")
    line = (
        f"stream {stream.record.name}: {report['detections']} beats detected "
        f"({', '.join(f'{k} {v}' for k, v in report['classes'].items())}), "
        f"{report['x_real_time']}x real time"
    )
    ref = report["reference"]
    if ref:
        q, w, e = ref["qrs_ec57"], ref["qrs_whole"], ref["end_to_end"]
        ec57 = (
            f"Se {100 * q['se']:.2f} % +P {100 * q['ppv']:.2f} % (EC57, from 5:00)"
            if q
            else "EC57: n/a (shorter than 5:00)"
        )
        line += (
            f"; QRS {ec57}; whole record Se {100 * w['se']:.2f} % +P {100 * w['ppv']:.2f} %; "
            f"end-to-end accuracy {100 * e['accuracy']:.2f} %"
        )
        if stream.record.name in DS2:  # scored against a test record's labels: a look
            figures = (
                f"QRS whole record Se {100 * w['se']:.2f} %, accuracy {100 * e['accuracy']:.2f} %"
            )
            look = log_look(
                f"make stream RECORD={args.record}",
                f"record {stream.record.name} (a DS2 record): QRS and classes end to end",
                figures,
                artifact.checksum(),
            )
            line += f"\n{look}"
    print(line)
    if record.gain_assumed:
        print(
            f"make stream: note: the header gives lead {record.lead} no gain (0: uncalibrated); "
            f"{record.adc_gain:g} ADC units per mV was assumed (WFDB's default): if the "
            "recording used another gain, fix the header's gain field",
            file=sys.stderr,
        )
    print(f"annotations: {ann} ; report: {path}")
    rtl = report.get("rtl")
    if rtl:
        print(
            f"rtl: {rtl['beats']} beats on Verilator, {rtl['class_differences']} differ from "
            f"golden, {rtl['seconds']} s"
        )
        if rtl["class_differences"] or rtl["mismatches"] or rtl["failures"]:
            print(f"make stream: FAILED: the RTL differs: {rtl['first_mismatch']}", file=sys.stderr)
            return 1
    return 0
