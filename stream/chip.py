"""`make chip`: the chained chip (`hw/chip.py`) on Verilator against `run_stream`, record by
record (the bench: `sim/chip.py`), and its cost (`flow/chip.py`); build/reports/chip.json.

    python -m ecg_snn.stream.chip [--records 100,105,...|all] [--seconds S] [--model PATH]
                                  [--no-synth]

Each case is a record's lead as `run_stream` reads it (MLII; the gap rule's mask, at 360 Hz),
its first `--seconds` (default: whole). The expectation is `run_stream` on the same samples with
the artifact (default the shipped `model/artifacts/inter.json`, as `make sim` and `make stream`
pick it): every beat but the last (which never leaves the chip: it has no next beat), its
fiducial sample, classified flag, and for the classified ones the accelerator's class
(`Stream.chip`), the rhythm measure, the reported class after the rhythm gate (`Stream.cls`)
and the chip inputs. The report counts the beats whose class the gate changed (`gated`).
Cost: cycles per sample (mean, max: the clock for 360 Hz without an input buffer), cycles per
beat (all cycles over the beats), and with synthesis cells, flip-flops and memory bits.
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.stream.chip:main", "make chip")

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.sim.chip import FIELDS, Case, Expected, compare, rtl_build, run_rtl

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "reports" / "chip.json"


def load_case(name: str, seconds: float | None = None) -> Case:
    """A record as `run_stream` reads it: the lead at 360 Hz and its valid mask."""
    from ecg_snn.data.resample import resample_lead
    from ecg_snn.model.contract import qrs
    from ecg_snn.stream.core import load_record

    try:
        rec, ok = load_record(name)
    except Exception as e:
        raise SystemExit(f"make chip: record {name!r}: {e}") from None
    rec, bad = resample_lead(rec, ~ok, qrs.FS, 200.0)
    n = len(rec.signal) if seconds is None else int(seconds * qrs.FS)
    return Case(name, np.asarray(rec.signal, np.int64)[:n], ~bad[:n])


def golden(artifact, case: Case) -> Expected:
    """`run_stream` on the case: every beat but the last as `sim.chip.FIELDS` rows (sample,
    classified, chip, rhythm, cls); the words of the classified ones. `rhythm` is
    `patient.rhythm_values` on the classified beats' RR intervals, as `run_stream` gates."""
    from ecg_snn.data.beats import rr_features
    from ecg_snn.data.records import Record
    from ecg_snn.model.contract.patient import rhythm_values
    from ecg_snn.stream.core import run_stream

    rec = Record(case.name, 360, "MLII", case.samples.astype(np.int32), 200.0,
                 np.zeros(0, np.int64), np.zeros(0, "<U1"))  # fmt: skip
    st = run_stream(artifact, rec, case.valid)
    pre = artifact.spec.preprocess
    n = max(len(st.sample) - 1, 0)
    chip = np.zeros(len(st.sample), np.int64)
    chip[st.classified] = st.chip
    rhythm = np.zeros(len(st.sample), np.int64)
    rr3 = rr_features(st.sample, pre.local_rr_beats)[st.classified]
    rhythm[st.classified] = rhythm_values(pre, rr3)
    cls = np.where(st.classified, st.cls, 0)
    columns = [st.sample, st.classified.astype(np.int64), chip, rhythm, cls]
    beats = np.stack(columns, axis=1)[:n]
    k = int(st.classified[:n].sum())
    x = st.x[:k, 0, :]
    words = np.concatenate([x, st.rr[:k]], axis=1).reshape(-1) if k else np.zeros(0, np.int64)
    return Expected(beats.astype(np.int64), words.astype(np.int64))


def gated(exp: Expected) -> int:
    """Beats whose reported class the rhythm gate changed (`cls` != `chip`)."""
    cls, chip = FIELDS.index("cls"), FIELDS.index("chip")
    return int((exp.beats[:, cls] != exp.beats[:, chip]).sum()) if len(exp.beats) else 0


def evaluate(artifact, cases: list[Case], synth: bool, work: Path, model: str = "?") -> dict:
    """Build the chip (`model`: the artifact's repo-relative path, for the report), run every
    case on Verilator against `golden` and return the report."""
    from ecg_snn.flow.chip import build
    from ecg_snn.hw.config import HwConfig

    figures = build(artifact, HwConfig(rom=True), synth=synth)
    print("make chip: Verilator build of the chip (cached when unchanged)", flush=True)
    b = rtl_build(artifact)
    pre = artifact.spec.preprocess
    rows, cycles, total = [], [], 0
    for k, case in enumerate(cases):
        t = time.perf_counter()
        exp = golden(artifact, case)
        # a folder per case: a record given by path must not put bench files beside it
        got = run_rtl(b, artifact, case, exp, work / f"{k:02d}_{Path(case.name).name}")
        diffs = compare(exp, got, pre)
        cycles.append(got.cycles)
        total += got.total_cycles
        rows.append(
            {
                "record": case.name,
                "samples": len(case.samples),
                "beats": len(exp.beats),
                "classified": int(exp.beats[:, 1].sum()) if len(exp.beats) else 0,
                "gated": gated(exp),
                "mismatches": len(diffs),
                "first_mismatches": diffs[:5],
                "cycles_per_sample_mean": round(float(got.cycles.mean()), 2),
                "cycles_per_sample_max": int(got.cycles.max()),
                "cycles_per_beat": round(got.total_cycles / max(len(exp.beats), 1), 1),
            }
        )
        print(
            f"make chip: [{k + 1}/{len(cases)}] {case.name}: {rows[-1]['beats']} beats, "
            f"{rows[-1]['gated']} gated, {rows[-1]['mismatches']} mismatches "
            f"({time.perf_counter() - t:.0f} s)",
            flush=True,
        )
    cyc = np.concatenate(cycles)
    n_beats = sum(r["beats"] for r in rows)
    return {
        **figures,
        "model": model,
        "cases": rows,
        "bit_exact": all(r["mismatches"] == 0 for r in rows),
        "records": len(rows),
        "samples": int(sum(r["samples"] for r in rows)),
        "beats": n_beats,
        "classified": int(sum(r["classified"] for r in rows)),
        "gated": int(sum(r["gated"] for r in rows)),
        "rhythm_gate": artifact.spec.rhythm_gate,
        "mismatches": int(sum(r["mismatches"] for r in rows)),
        "cycles_per_sample_mean": round(float(cyc.mean()), 2),
        "cycles_per_sample_max": int(cyc.max()),
        "cycles_per_beat": round(total / max(n_beats, 1), 1),
        "min_clock_hz": int(pre.fs * cyc.max()),
    }


def main(argv: list[str] | None = None) -> int:
    from ecg_snn.data.files import write_atomic
    from ecg_snn.data.paths import repo_path
    from ecg_snn.flow.verilog import default_model
    from ecg_snn.hw.chip import EcgChip
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.model.contract import qrs
    from ecg_snn.model.contract.artifact import ArtifactError, load_artifact

    ap = Parser(prog="python -m ecg_snn.stream.chip", description=__doc__.split("\n")[0])
    ap.add_argument("--records", default="100,105,203", help="comma list of records, or all")
    ap.add_argument("--seconds", type=float, default=None, help="the first seconds of each")
    ap.add_argument("--model", type=Path, default=None, help="artifact (default: shipped)")
    ap.add_argument("--no-synth", action="store_true", help="skip Yosys")
    ap.add_argument("--report", type=Path, default=REPORT)
    args = ap.parse_args(argv)
    least = qrs.MIN_SAMPLES / qrs.FS  # the detector's learning period and two seconds
    if args.seconds is not None and not (math.isfinite(args.seconds) and args.seconds >= least):
        ap.error(f"--seconds must be a number of at least {least:g} (the detector's minimum), "
                 f"not {args.seconds}")  # fmt: skip
    model = args.model or Path(os.environ.get("MODEL") or default_model())
    if not model.exists():
        ap.error(f"no artifact at {model}")
    try:
        artifact = load_artifact(model)
        EcgChip.check(artifact.spec, HwConfig(rom=True), artifact)  # before minutes of building
    except (ArtifactError, ValueError, TypeError) as e:
        ap.error(f"--model {model}: {e}")
    if args.records == "all":
        from ecg_snn.data.splits import ALL_RECORDS

        names = list(ALL_RECORDS)
    else:
        names = [s for s in args.records.split(",") if s]
    if not names:
        ap.error(f"--records {args.records!r} names no record")
    cases = []
    for k, name in enumerate(names):
        cases.append(load_case(name, args.seconds))
        print(f"make chip: read [{k + 1}/{len(names)}] {name}", flush=True)
    work = ROOT / "build" / "chip" / "sim"
    report = evaluate(artifact, cases, not args.no_synth, work, repo_path(model))
    report["verilog"] = repo_path(report["verilog"])
    write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    keys = ("cells", "flip_flops", "memory_bits")
    print(
        f"make chip: {report['records']} records, {report['beats']} beats "
        f"({report['classified']} classified, {report['gated']} changed by the rhythm gate "
        f"{report['rhythm_gate']}), {report['mismatches']} mismatches; cycles per "
        f"sample {report['cycles_per_sample_mean']} mean / {report['cycles_per_sample_max']} "
        f"max, {report['cycles_per_beat']} per beat; "
        + " ".join(f"{k}={report[k]}" for k in keys if k in report)
        + f"; report: {repo_path(args.report)}"
    )
    if not report["bit_exact"]:
        print("make chip: the chip differs from run_stream", file=sys.stderr)
        return 1
    return 0


def summary(r: dict) -> str:
    """hw/README's paragraph of a `make chip` run (`--records all`: chip_all.json)."""
    cases = sorted(r["cases"], key=lambda c: -c["gated"])
    most = [c for c in cases if c["gated"]][:5]
    worst = max(r["cases"], key=lambda c: c["cycles_per_sample_max"])
    gate = (
        f"; the rhythm gate (G = {r['rhythm_gate']}) changed {r['gated']:,} beats from S to N "
        f"(most in {', '.join(c['record'] for c in most)}: "
        f"{', '.join(str(c['gated']) for c in most)})"
        if r.get("rhythm_gate")
        else ""
    )
    return (
        f"`{r['model']}`, weights as ROM: {r['records']} records whole on Verilator, "
        f"{r['samples'] / 1e6:.1f} million samples, {r['beats']:,} beats (every detection but "
        f"each record's last), {r['classified']:,} classified, **{r['mismatches']} mismatches** "
        "with `run_stream` (position, classified flag, every chip input word, the accelerator's "
        f"class against `Stream.chip`, the rhythm, the reported class against `Stream.cls`){gate}. "
        f"Cycles: {r['cycles_per_sample_mean']} per sample on average, "
        f"{r['cycles_per_beat']:,} per beat; at most {r['cycles_per_sample_max']:,} for one "
        f"sample (record {worst['record']}), so without an input buffer the clock must be "
        f"{r['min_clock_hz'] / 1e3:.0f} kHz."
    )


def cost(r: dict) -> str:
    """hw/README's cost paragraph of a `make chip` run with synthesis (chip.json)."""
    fe, bits = r["frontend"], r["memory_bits"]
    return (
        f"Cost (Yosys, the accelerator's script; `make chip`): the front end alone "
        f"{fe['cells']:,} cells, {fe['flip_flops']:,} flip-flops, {fe['memory_bits']:,} memory "
        f"bits; the whole chip {r['cells']:,} cells, {r['flip_flops']:,} flip-flops, "
        f"{r['memories']} memories, memory bits QRS {bits['qrs']:,} + front end "
        f"{bits['frontend']:,} + accelerator {bits['accelerator']:,} = {bits['total']:,}. "
        f"The same run's records ({', '.join(c['record'] for c in r['cases'])}, whole): "
        f"{r['beats']:,} beats, {r['mismatches']} mismatches."
    )
