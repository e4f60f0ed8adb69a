"""`make stream-eval`: the detector and the streaming classifier, scored as EC57 does.

    python -m ecg_snn.stream.evaluate [--model PATH] [--records 100,101,...] [--report FILE]
                                  [--markdown]

1. QRS detection on every MIT-BIH record (lead MLII, or V5 where there is none): our integer
   detector (golden; the C detector on the same samples must agree beat for beat), wfdb's XQRS
   and two detectors of py-ecg-detectors (Hamilton; its Pan-Tompkins), each on the same samples
   (the open ones on physical mV, as their APIs expect). Se and +P per record and overall (summed
   counts, "gross" statistics) under three rules: EC57 (from 5:00), EC57 without the annotated
   ventricular flutter episodes, and the whole record (`stream/score.py`).
2. The fiducial offset: our detection minus the reference R peak over matched beats, DS1 and DS2.
3. End to end on DS2: detected beats -> front end -> golden SNN, confusion with `-` (missed
   beat / false detection), beside the same model on the annotated beats.
4. Cost: the detector's state bytes and C code size (`firmware/build.py`), host time of the
   golden (numpy) and C detectors and of the whole golden stream, in x real time.

Writes `build/reports/stream.json` (atomically); `--markdown` prints the tables of docs/stream.md
from it. The open detectors' beats are cached under build/cache/stream (keyed by package
version); ours are always recomputed.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.stream.evaluate:main", "make stream-eval")

import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ecg_snn.data.beats import extract_beats
from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic
from ecg_snn.data.locate import find_mitdb
from ecg_snn.data.paths import repo_path
from ecg_snn.data.records import read_record
from ecg_snn.data.splits import ALL_RECORDS, DS1, DS2
from ecg_snn.model.contract import golden, qrs
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.frontend import preprocess_beats
from ecg_snn.model.contract.patient import rhythm_values
from ecg_snn.model.looks import log_look
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.stream import score
from ecg_snn.stream.core import run_stream
from ecg_snn.stream.tables import RULES, markdown, pct

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "model" / "artifacts" / "inter.json"
REPORT = ROOT / "build" / "reports" / "stream.json"
CACHE = ROOT / "build" / "cache" / "stream"
PUBLISHED = {"pan_tompkins_1985": {"se": 0.9930, "ppv": 0.9950}}  # Pan & Tompkins 1985, table II


def _mv(record) -> np.ndarray:
    return (record.signal.astype(np.float64) - record.baseline) / record.adc_gain


def open_detectors() -> dict:
    """name -> (function of (mV signal, fs) -> R samples, cache key)."""
    from ecgdetectors import Detectors
    from wfdb import processing

    pyecg = f"py-ecg-detectors-{version('py-ecg-detectors')}"
    return {
        "xqrs": (
            lambda x, fs: processing.xqrs_detect(x, fs, verbose=False),
            f"wfdb-{version('wfdb')}",
        ),
        "hamilton": (lambda x, fs: Detectors(fs).hamilton_detector(x), pyecg),
        "pyecg_pan_tompkins": (lambda x, fs: Detectors(fs).pan_tompkins_detector(x), pyecg),
    }


def cached(name: str, key: str, record: str, run) -> np.ndarray:
    path = CACHE / f"{name}-{key}-{record}.npy"
    if path.exists():
        return np.load(path)
    out = np.sort(np.asarray(run(), np.int64))
    CACHE.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda f: np.save(f, out))
    return out


def c_detector():
    """The host library of the C firmware (built into build/stream/fw) for the C detector."""
    from ecg_snn.firmware.build import build_library
    from ecg_snn.firmware.host import HostLib

    return HostLib(build_library(load_artifact(DEFAULT_MODEL), ROOT / "build" / "stream" / "fw"))


def score_rules(ref, det, rec) -> dict:
    fs = rec.fs
    vfl_ref = score.flutter_mask(ref, rec.ann_sample, rec.ann_symbol)
    vfl_det = score.flutter_mask(det, rec.ann_sample, rec.ann_symbol)
    start = score.EC57_START_S
    out = {}
    for rule, (r, d) in {
        "ec57": (score.scored(ref, fs, start), score.scored(det, fs, start)),
        "ec57_no_vfl": (
            score.scored(ref, fs, start, vfl_ref),
            score.scored(det, fs, start, vfl_det),
        ),
        "whole": (ref, det),
    }.items():
        m = score.match(r, d, fs)
        out[rule] = {k: m[k] for k in ("tp", "fn", "fp")}
    return out


def total(per_record: dict, name: str, rule: str, records) -> dict:
    c = [per_record[r][name][rule] for r in records]
    return score.counts(*(sum(x[k] for x in c) for k in ("tp", "fn", "fp")))


def qrs_section(records, progress: bool) -> tuple[dict, dict]:
    directory = find_mitdb(download=False)
    lib = c_detector()
    detectors = open_detectors()
    per_record, offsets, timing = {}, {"DS1": [], "DS2": [], "all": []}, {}
    t_golden = t_c = t_signal = 0.0
    c_equal = True
    for name in tqdm(records, desc="QRS detection", disable=not progress):
        rec = read_record(directory, name)
        ref = score.reference_beats(rec.ann_sample, rec.ann_symbol)
        t = time.perf_counter()
        ours = qrs.detect(rec.signal, rec.fs)
        t_golden += time.perf_counter() - t
        t = time.perf_counter()
        c = lib.qrs(rec.signal)
        t_c += time.perf_counter() - t
        t_signal += len(rec.signal) / rec.fs
        c_equal &= bool(np.array_equal(c["sample"], ours.sample))
        row = {"lead": rec.lead, "ours": score_rules(ref, ours.sample, rec)}
        mv = _mv(rec)
        for det_name, (fn, key) in detectors.items():
            found = cached(det_name, key, name, lambda fn=fn, mv=mv, fs=rec.fs: fn(mv, fs))
            row[det_name] = score_rules(ref, found, rec)
        per_record[name] = row
        pairs = score.match(ref, ours.sample, rec.fs)["pairs"]
        d = ours.sample[pairs[pairs >= 0]] - ref[pairs >= 0]
        offsets["all"].append(d)
        for part, names in (("DS1", DS1), ("DS2", DS2)):
            if name in names:
                offsets[part].append(d)
    timing = {
        "signal_seconds": round(t_signal, 1),
        "golden_numpy_seconds": round(t_golden, 3),
        "golden_x_real_time": round(t_signal / t_golden),
        "c_seconds": round(t_c, 3),
        "c_x_real_time": round(t_signal / t_c),
        "c_equals_golden": c_equal,
        "state_bytes": lib.qrs_state_bytes(),
    }
    names = ["ours", *detectors]
    # DS2 alone: the records no choice was made on (the fiducial search was chosen on DS1)
    parts = {"all": records, "DS1": [r for r in records if r in DS1]}
    parts["DS2"] = [r for r in records if r in DS2]
    overall = {
        part: {rule: {n: total(per_record, n, rule, recs) for n in names} for rule in RULES}
        for part, recs in parts.items()
        if recs
    }
    off = {}
    for part, chunks in offsets.items():
        if chunks:
            d = np.concatenate(chunks)
            off[part] = {
                "n": len(d),
                "median": float(np.median(d)),
                "mean": round(float(d.mean()), 2),
                "p5": float(np.percentile(d, 5)),
                "p95": float(np.percentile(d, 95)),
                "within_4_samples": round(float(np.mean(np.abs(d) <= 4)), 4),
            }
    return {"per_record": per_record, "overall": overall, "fiducial_offset": off}, timing


def end_to_end(model: Path, part: str, progress: bool) -> dict:
    """Detected vs annotated beats of `part` through the same model; `class_agreement`: the
    share of matched beats whose detected window gets the class its annotated window gets (how
    well the fiducial reproduces the training cut)."""
    artifact = load_artifact(model)
    spec, pre = artifact.spec, artifact.spec.preprocess
    classes = spec.classes
    n_cls = len(classes)
    directory = find_mitdb(download=False)
    m = np.zeros((n_cls + 1, n_cls + 1), np.int64)
    labels, preds = [], []
    agree = matched = 0
    t_host = t_signal = 0.0
    records = {"DS1": DS1, "DS2": DS2}[part]
    for name in tqdm(records, desc=f"end to end ({part})", disable=not progress):
        rec = read_record(directory, name)
        stream = run_stream(artifact, rec)
        t_host += sum(stream.seconds.values())
        t_signal += stream.duration
        ref = score.reference_beats(rec.ann_sample, rec.ann_symbol)
        beats, _ = extract_beats(rec, artifact.spec.preprocess.beat_config())
        test = beats.label < n_cls
        m += score.classes_end_to_end(
            ref, beats.sample[test], beats.label[test], stream.sample, stream.cls, rec.fs, n_cls
        )
        # one record, one patient: the patient features and rhythm see every beat, Q included
        x, rr = preprocess_beats(pre, beats.window, beats.rr, None, test)
        rhythm = rhythm_values(pre, beats.rr)[test]
        pred = spec.reported(golden.run(artifact, x, rr).cls, rhythm)
        labels.append(beats.label[test])
        preds.append(pred)
        pairs = score.match(beats.sample[test], stream.sample, rec.fs)["pairs"]
        ok = pairs >= 0
        agree += int(np.count_nonzero(stream.cls[pairs[ok]] == pred[ok]))
        matched += int(ok.sum())
    annotated = classification_metrics(np.concatenate(labels), np.concatenate(preds), classes)
    return {
        "part": part,
        "model": repo_path(model),
        "artifact_sha256": artifact.checksum(),
        "detected_beats": score.end_to_end_metrics(m, classes),
        "annotated_beats": annotated,
        "class_agreement": round(agree / matched, 4) if matched else 0.0,
        "stream_x_real_time": round(t_signal / t_host),
        "stream_host_seconds": round(t_host, 2),
        "signal_seconds": round(t_signal, 1),
    }


def code_size() -> dict:
    from ecg_snn.firmware.build import MCU_PROXY, can_compile_32bit, compile_object, section_sizes

    out_dir = ROOT / "build" / "stream" / "fw"
    src = ROOT / "firmware" / "src" / "snn_qrs.c"
    sizes = {
        "host_O2": section_sizes([compile_object(src, out_dir / "snn_qrs.o", out_dir / "gen")])
    }
    if can_compile_32bit():
        obj = compile_object(src, out_dir / "snn_qrs32.o", out_dir / "gen", MCU_PROXY)
        sizes["mcu_proxy_m32_Os"] = section_sizes([obj])
    return sizes


def evaluate(model: Path, records, progress: bool = True) -> dict:
    t0 = time.perf_counter()
    qrs_report, timing = qrs_section(records, progress)
    report = {
        "records": list(records),
        "window_ms": round(1000 * score.WINDOW_S),
        "ec57_start_s": score.EC57_START_S,
        "published": PUBLISHED,
        "qrs": qrs_report,
        "detector_cost": {**timing, "c_bytes": code_size(), "constants": qrs.c_constants()},
        # DS1 is the training set: its figures judge the fiducial, not the model
        "end_to_end_ds1": end_to_end(model, "DS1", progress),
        "end_to_end": end_to_end(model, "DS2", progress),
    }
    report["wall_seconds"] = round(time.perf_counter() - t0, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.stream.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--records", default=",".join(ALL_RECORDS))
    ap.add_argument("--report", type=Path, default=REPORT)
    ap.add_argument(
        "--markdown", action="store_true", help="print the tables of an existing report"
    )
    args = ap.parse_args(argv)
    if args.markdown:
        if not args.report.is_file():
            print(
                f"make stream-eval: no report at {repo_path(args.report)}; run `make stream-eval` "
                "first, or --report docs/reports/stream.json for the committed one",
                file=sys.stderr,
            )
            return 2
        print(markdown(json.loads(args.report.read_text())), end="")
        return 0
    records = [r for r in args.records.split(",") if r]
    report = evaluate(args.model, records)
    write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    o = report["qrs"]["overall"]["all"]["ec57"]["ours"]
    e = report["end_to_end"]
    detected, annotated = e["detected_beats"]["accuracy"], e["annotated_beats"]["accuracy"]
    print(
        f"QRS (EC57): Se {pct(o['se'])} % +P {pct(o['ppv'])} %; DS2 accuracy detected "
        f"{pct(detected)} % vs annotated {pct(annotated)} %; report: {args.report}"
    )
    if set(records) & set(DS2):
        print(log_look(
            "make stream-eval", "QRS Se/+P on the listed records; DS2 classes end to end",
            f"QRS Se {pct(o['se'])} % +P {pct(o['ppv'])} %; DS2 accuracy detected "
            f"{pct(detected)} % vs annotated {pct(annotated)} %",
            load_artifact(args.model).checksum(),
        ))  # fmt: skip
    return 0
