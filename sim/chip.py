"""The chained chip on Verilator: raw MIT-BIH samples through `hw/chip.py` (QRS detector -> beat
front end -> accelerator), every beat compared with `stream/core.py` `run_stream` on the same
artifact; `make chip` (build/reports/chip.json).

    python -m ecg_snn.sim.chip [--records 100,105,...|all] [--seconds S] [--model PATH]
                               [--no-synth]

Each case is a record's lead as `run_stream` reads it (MLII; the gap rule's mask), its first
`--seconds` (default: whole), fed from its first sample. The samples play from a file inside
the simulator (`sim/tb/hdl_player.py`); the chip's beats (`o_beat`) and every chip input word
it hands to the accelerator (`o_words`, the monitor port) are recorded.

Checker (`compare`): the chip's beats are `run_stream`'s but the last (which never leaves: it
has no next beat), one for one: the fiducial sample, the classified flag, the class of each
classified beat, and its chip inputs (`n_samples` x words and `n_rr` RR words, in order);
`tests/sim/test_chip_rtl.py` shows that it fails on a corrupted expectation and on a planted
off-by-one in the front end.

The artifact is the shipped model of the split (`model/artifacts/inter.json`, as `make sim` and
`make stream` pick it; `--model` another), baked in as ROM (`HwConfig(rom=True)`, the weights
in the Verilog). Cost: cycles per sample (mean, max: the clock for 360 Hz without an input
buffer) and cycles per beat (all cycles over the beats), and with synthesis the figures of
`flow/chip.py` (cells, flip-flops, memory bits per block).
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.sim.chip:main", "make chip")

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecg_snn.data.cli import Parser

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "reports" / "chip.json"
PERIOD_NS = 10
ENV_CASES = "SIM_CHIP_CASES"
ENV_OUT = "SIM_CHIP_OUT"
WATCHDOG = 2_000_000  # cycles without progress (a sample or a beat): minutes of ECG


@dataclass(frozen=True)
class Case:
    """One record (or its first seconds): samples and lead-on flags at 360 Hz."""

    name: str
    samples: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True)
class Expected:
    """What the chip must give: beats (N, 3) rows (sample, classified, cls; cls 0 when
    unclassified) and the chip input words (M,) of the classified beats in order."""

    beats: np.ndarray
    words: np.ndarray


@dataclass(frozen=True)
class Got:
    beats: np.ndarray
    words: np.ndarray
    cycles: np.ndarray  # per sample, from its transfer to the next one's
    total_cycles: int


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
    """`run_stream` on the case: every beat but the last; the words of the classified ones."""
    from ecg_snn.data.records import Record
    from ecg_snn.stream.core import run_stream

    rec = Record(case.name, 360, "MLII", case.samples.astype(np.int32), 200.0,
                 np.zeros(0, np.int64), np.zeros(0, "<U1"))  # fmt: skip
    st = run_stream(artifact, rec, case.valid)
    n = max(len(st.sample) - 1, 0)
    cls = np.where(st.classified, st.cls, 0)
    beats = np.stack([st.sample, st.classified.astype(np.int64), cls], axis=1)[:n]
    k = int(st.classified[:n].sum())
    x = st.x[:k, 0, :]
    words = np.concatenate([x, st.rr[:k]], axis=1).reshape(-1) if k else np.zeros(0, np.int64)
    return Expected(beats.astype(np.int64), words.astype(np.int64))


def compare(expected: Expected, got: Got, pre) -> list[str]:
    """Every difference, one line each (empty: bit-exact)."""
    out = []
    e, g = expected.beats, got.beats
    if len(e) != len(g):
        out.append(f"{len(g)} beats from the RTL, {len(e)} from run_stream")
    fields = ("sample", "classified", "cls")
    per = pre.n_samples + pre.n_rr
    k = 0  # classified beats so far (the words' index)
    for i, (eb, gb) in enumerate(zip(e, g, strict=False)):
        diff = [f"{f} {int(gb[j])} != {int(eb[j])}" for j, f in enumerate(fields) if eb[j] != gb[j]]
        if eb[1] and gb[1]:
            ew = expected.words[k * per : (k + 1) * per]
            gw = got.words[k * per : (k + 1) * per]
            if len(gw) != len(ew) or (gw != ew).any():
                bad = [j for j in range(min(len(ew), len(gw))) if ew[j] != gw[j]]
                j = bad[0] if bad else min(len(ew), len(gw))
                name = f"x[{j}]" if j < pre.n_samples else pre.rr_features[j - pre.n_samples]
                diff.append(f"inputs differ from {name} on ({len(bad)} words)")
        k += int(eb[1])
        if diff:
            out.append(f"beat {i} (sample {int(eb[0])}): " + ", ".join(diff))
    return out


# ---- host side ------------------------------------------------------------------------------


def rtl_build(artifact):
    """The chip with its monitor port, verilated with the clock, player and recorders inside
    (content-keyed: an unchanged design reuses its build)."""
    from ecg_snn.flow.chip import TOP, verilog
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.sim.tb import runner

    src = verilog(artifact, HwConfig(rom=True), monitor=True)
    return runner.build(
        [src],
        TOP,
        name="chip",
        hdl_clock_ns=PERIOD_NS,
        players=("i_sample",),
        recorders=("o_beat", "o_words"),
    )


def words(case: Case) -> np.ndarray:
    """The `i_sample` payloads: the 16-bit sample with the lead-on flag at bit 16."""
    value = np.clip(case.samples, -(1 << 15), (1 << 15) - 1) & 0xFFFF
    return (value | (case.valid.astype(np.int64) << 16)).astype(np.uint64)


def run_rtl(b, artifact, case: Case, expected: Expected, work: Path) -> Got:
    """One case through one simulator process; the recorders wait for the golden counts."""
    from ecg_snn.hw.chip import chip_beat, monitor_word
    from ecg_snn.sim.tb import runner

    work.mkdir(parents=True, exist_ok=True)
    stim = work / "case.npz"
    np.savez(stim, words=words(case), beats=len(expected.beats), n_words=len(expected.words))
    out = work / "rtl.npz"
    out.unlink(missing_ok=True)
    env = {ENV_CASES: str(stim), ENV_OUT: str(out)}
    results = runner.run(b, "ecg_snn.sim.chip", test_dir=work / "run", env=env, tests=["chip_case"])
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    if failed or not out.exists():
        raise RuntimeError("the chip bench failed: " + "; ".join(failed or ["no output"]))
    got = np.load(out)
    spec = artifact.spec
    beat_layout, word_layout = chip_beat(spec), monitor_word(spec)
    rows = [_unpack(beat_layout, int(p)) for p in got["beats"]]
    beats = np.array([(r["sample"], r["classified"], r["cls"]) for r in rows], np.int64)
    vw = word_layout.members["value"].width
    ws = []
    for p in got["words"]:
        r = _unpack(word_layout, int(p))
        v = r["value"]
        ws.append(v if r["rr"] else (v - (1 << vw) if v >> (vw - 1) else v))
    return Got(beats.reshape(-1, 3), np.array(ws, np.int64), got["cycles"], int(got["total"]))


def _unpack(layout, word: int) -> dict:
    """A payload's fields (unsigned) by the layout's offsets."""
    out = {}
    for name, f in layout:
        out[name] = (word >> f.offset) & ((1 << f.width) - 1)
    return out


# ---- the cocotb test ----------------------------------------------------------------------------


def _cocotb_test():
    import cocotb

    @cocotb.test()
    async def chip_case(dut: Any) -> None:
        """Reset, the power-up clears, then every sample played; beats and words recorded."""
        from cocotb.triggers import FallingEdge, First, Timer

        from ecg_snn.sim.tb import hdl_player as hp
        from ecg_snn.sim.tb.bench import TB

        stim = np.load(os.environ[ENV_CASES])
        tb = TB(dut)
        dut.por.value = 1
        await tb.reset()
        dut.por.value = 0
        while dut.busy.value:  # the CLEAR sweeps
            await tb.rising
        w = stim["words"]
        n_beats, n_words = int(stim["beats"]), int(stim["n_words"])
        hp.write_words(Path(hp.play_file("i_sample")), w, len(dut.i_sample__payload))
        dut.play_i_sample_words.value = len(w)
        dut.play_i_sample_beat.value = 1
        getattr(dut, hp.count_reg("o_beat")).value = n_beats
        getattr(dut, hp.count_reg("o_words")).value = n_words
        dut.o_beat__ready.value = 0
        dut.o_words__ready.value = 0
        start = tb.cycle()
        go = getattr(dut, hp.GO)
        go.value = 1 - int(go.value)
        await tb.rising
        busy = getattr(dut, hp.BUSY)
        left_b = getattr(dut, hp.left_reg("o_beat"))
        last = None
        while busy.value:
            await First(FallingEdge(busy), Timer(WATCHDOG * tb.period_ns, unit="ns"))
            if not busy.value:
                break
            progress = (int(left_b.value), int(dut.play_i_sample_left.value))
            if progress == last:
                raise AssertionError(
                    f"no progress for {WATCHDOG} cycles: {n_beats - progress[0]} of {n_beats} "
                    f"beats, {len(w) - progress[1]} of {len(w)} samples (a missing beat)"
                )
            last = progress
        end = tb.cycle()
        starts = hp.read_starts(Path(hp.starts_file("i_sample")))
        beats = hp.read_recorded(Path(hp.rec_file("o_beat")))[0] if n_beats else []
        ws = hp.read_recorded(Path(hp.rec_file("o_words")))[0] if n_words else []
        np.savez(
            os.environ[ENV_OUT],
            beats=np.array([int(b) for b in beats], dtype=np.int64),
            words=np.array([int(x) for x in ws], dtype=np.int64),
            cycles=np.diff(starts),
            total=np.array(end - start),
        )

    return chip_case


if os.environ.get(ENV_CASES):  # imported by cocotb inside the simulator
    chip_case = _cocotb_test()


# ---- make chip ----------------------------------------------------------------------------------


def evaluate(artifact, cases: list[Case], synth: bool, work: Path) -> dict:
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
        got = run_rtl(b, artifact, case, exp, work / case.name)
        diffs = compare(exp, got, pre)
        cycles.append(got.cycles)
        total += got.total_cycles
        rows.append(
            {
                "record": case.name,
                "samples": len(case.samples),
                "beats": len(exp.beats),
                "classified": int(exp.beats[:, 1].sum()) if len(exp.beats) else 0,
                "mismatches": len(diffs),
                "first_mismatches": diffs[:5],
                "cycles_per_sample_mean": round(float(got.cycles.mean()), 2),
                "cycles_per_sample_max": int(got.cycles.max()),
                "cycles_per_beat": round(got.total_cycles / max(len(exp.beats), 1), 1),
            }
        )
        print(
            f"make chip: [{k + 1}/{len(cases)}] {case.name}: {rows[-1]['beats']} beats, "
            f"{rows[-1]['mismatches']} mismatches ({time.perf_counter() - t:.0f} s)",
            flush=True,
        )
    cyc = np.concatenate(cycles)
    n_beats = sum(r["beats"] for r in rows)
    return {
        **figures,
        "model": str(artifact_path_of(artifact)),
        "cases": rows,
        "bit_exact": all(r["mismatches"] == 0 for r in rows),
        "records": len(rows),
        "samples": int(sum(r["samples"] for r in rows)),
        "beats": n_beats,
        "classified": int(sum(r["classified"] for r in rows)),
        "mismatches": int(sum(r["mismatches"] for r in rows)),
        "cycles_per_sample_mean": round(float(cyc.mean()), 2),
        "cycles_per_sample_max": int(cyc.max()),
        "cycles_per_beat": round(total / max(n_beats, 1), 1),
        "min_clock_hz": int(pre.fs * cyc.max()),
    }


_ARTIFACT_PATHS: dict[int, Path] = {}


def artifact_path_of(artifact) -> Path:
    return _ARTIFACT_PATHS.get(id(artifact), Path("?"))


def main(argv: list[str] | None = None) -> int:
    from ecg_snn.data.files import write_atomic
    from ecg_snn.data.paths import repo_path
    from ecg_snn.flow.verilog import default_model
    from ecg_snn.model.contract.artifact import load_artifact

    ap = Parser(prog="python -m ecg_snn.sim.chip", description=__doc__.split("\n")[0])
    ap.add_argument("--records", default="100,105,203", help="comma list of records, or all")
    ap.add_argument("--seconds", type=float, default=None, help="the first seconds of each")
    ap.add_argument("--model", type=Path, default=None, help="artifact (default: shipped)")
    ap.add_argument("--no-synth", action="store_true", help="skip Yosys")
    ap.add_argument("--report", type=Path, default=REPORT)
    args = ap.parse_args(argv)
    if args.seconds is not None and args.seconds <= 0:
        ap.error(f"--seconds must be positive, not {args.seconds}")
    model = args.model or Path(os.environ.get("MODEL") or default_model())
    if not model.exists():
        ap.error(f"no artifact at {model}")
    artifact = load_artifact(model)
    _ARTIFACT_PATHS[id(artifact)] = repo_path(model)
    if args.records == "all":
        from ecg_snn.data.splits import ALL_RECORDS

        names = list(ALL_RECORDS)
    else:
        names = [s for s in args.records.split(",") if s]
    cases = []
    for k, name in enumerate(names):
        cases.append(load_case(name, args.seconds))
        print(f"make chip: read [{k + 1}/{len(names)}] {name}", flush=True)
    report = evaluate(artifact, cases, not args.no_synth, ROOT / "build" / "chip" / "sim")
    report["verilog"] = repo_path(report["verilog"])
    write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    keys = ("cells", "flip_flops", "memory_bits")
    print(
        f"make chip: {report['records']} records, {report['beats']} beats "
        f"({report['classified']} classified), {report['mismatches']} mismatches; cycles per "
        f"sample {report['cycles_per_sample_mean']} mean / {report['cycles_per_sample_max']} "
        f"max, {report['cycles_per_beat']} per beat; "
        + " ".join(f"{k}={report[k]}" for k in keys if k in report)
        + f"; report: {repo_path(args.report)}"
    )
    if not report["bit_exact"]:
        print("make chip: the chip differs from run_stream", file=sys.stderr)
        return 1
    return 0
