"""The QRS detector block on Verilator: raw MIT-BIH samples through `hw/qrs.py`, every beat
compared with the golden detector (`model/contract/qrs.py`); `make qrs` (build/reports/qrs.json).

    python -m ecg_snn.sim.qrs [--records 100:0:300,105:0:300,...|all] [--no-synth]

Each case is `record:start_s:seconds` of the record's detector lead (MLII; V5 for 102 and
104), fed from its first sample (`start_s` 0: the detector starts with the record, as the
contract does) or from `start_s` on; `all` is every one of the 48 records whole. The samples
play from a file inside the simulator (the wrapper's stream player, `sim/tb/hdl_player.py`: no
Python per sample); the beats are recorded
with their arrival cycle, and the player logs the cycle each sample was taken, so a beat's
decision sample is the last sample taken before it: `decided` is checked too.

Checker (`compare`, `flow/qrs_cases.py`, shared with the gate-level run): the RTL beats
(fiducial sample, integration peak, decision sample, search-back flag) must equal the golden
beats one for one; `tests/sim/test_qrs_rtl.py` shows it fails on a corrupted expectation and on
a changed input.

Cost: `cycles_per_sample` (mean and maximum over every sample played: the clock must run at
360 x the maximum, or have an input buffer, to keep up), and the figures of `flow/qrs.py`.
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.sim.qrs:main", "make qrs")

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.flow.qrs_cases import (
    DEFAULT_CASES,
    Case,
    beat_rows,
    case_rows,
    compare,  # noqa: F401 (the bench's checker, `sim.qrs.compare` in its tests)
    golden,
    load_case,
    words,
)
from ecg_snn.model.contract import qrs

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "reports" / "qrs.json"
PERIOD_NS = 10
WHOLE_S = 1900  # seconds: longer than every MIT-BIH record (30:06), so a case is the whole record
ENV_CASES = "SIM_QRS_CASES"  # the .npz the cocotb test reads
ENV_OUT = "SIM_QRS_OUT"  # the .npz it writes
WATCHDOG = 500_000  # cycles without a recorded beat: about 40 s of ECG at ~11 cycles a sample


# ---- host side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RtlBeats:
    """What the RTL gave for one case: beats (N, 4) rows (sample, peak, decided, searchback),
    and the cycles each sample took (from its transfer to the next one's)."""

    beats: np.ndarray
    cycles: np.ndarray


def rtl_build(out: Path | None = None):
    """The block's Verilog (lint-clean), verilated with the clock, player and recorder inside."""
    from ecg_snn.flow.qrs import TOP, build
    from ecg_snn.sim.tb import runner

    out = out or ROOT / "build" / "qrs"
    build(out, synth=False)
    return runner.build(
        [out / f"{TOP}.v"],
        TOP,
        name="qrs",
        hdl_clock_ns=PERIOD_NS,
        players=("i_sample",),
        recorders=("o_beat",),
    )


def run_rtl(b, cases: list[Case], expected: list[np.ndarray], work: Path) -> list[RtlBeats]:
    """Every case through one simulator process (a reset before each); `expected` gives the
    number of beats the recorder waits for (the golden count)."""
    from ecg_snn.sim.tb import runner

    work.mkdir(parents=True, exist_ok=True)
    stim = work / "cases.npz"
    arrays: dict[str, np.ndarray] = {}
    for k, (case, exp) in enumerate(zip(cases, expected, strict=True)):
        arrays[f"words{k}"] = words(case)
        arrays[f"count{k}"] = np.array(len(exp))
    np.savez(stim, **arrays)
    out = work / "rtl.npz"
    out.unlink(missing_ok=True)
    env = {ENV_CASES: str(stim), ENV_OUT: str(out)}
    results = runner.run(b, "ecg_snn.sim.qrs", test_dir=work / "run", env=env, tests=["qrs_cases"])
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    if failed or not out.exists():
        raise RuntimeError("the QRS bench failed: " + "; ".join(failed or ["no output"]))
    got = np.load(out)
    return [RtlBeats(got[f"beats{k}"], got[f"cycles{k}"]) for k in range(len(cases))]


# ---- the cocotb test --------------------------------------------------------------------------


async def _play(tb: Any, word_list: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Play every sample, record `count` beats; (beats (count, 4) with decided, start cycles)."""
    from ecg_snn.sim.tb import hdl_player as hp
    from ecg_snn.sim.tb.player import play_samples

    dut = tb.dut
    hp.write_words(Path(hp.play_file("i_sample")), word_list, len(dut.i_sample__payload))
    dut.play_i_sample_words.value = len(word_list)
    dut.play_i_sample_beat.value = 1  # a start cycle per sample
    getattr(dut, hp.count_reg("o_beat")).value = count
    dut.o_beat__ready.value = 0
    await play_samples(tb, WATCHDOG, count, len(word_list), "an extra or a missing beat")
    starts = hp.read_starts(Path(hp.starts_file("i_sample")))
    if count:
        payloads, arrivals = hp.read_recorded(Path(hp.rec_file("o_beat")))
    else:
        payloads, arrivals = [], np.zeros(0, np.int64)
    decided = np.searchsorted(starts, arrivals, side="right") - 1
    return beat_rows(payloads, decided), starts


def _cocotb_test():
    import cocotb

    @cocotb.test()
    async def qrs_cases(dut: Any) -> None:
        """Each case after a reset: every sample played, the beats recorded."""
        from cocotb.triggers import FallingEdge

        from ecg_snn.sim.tb.bench import TB

        stim = np.load(os.environ[ENV_CASES])
        n_cases = sum(1 for k in stim.files if k.startswith("words"))
        out: dict[str, np.ndarray] = {}
        tb = TB(dut)
        for k in range(n_cases):
            await tb.reset()
            if dut.busy.value:  # the CLEAR sweep after reset
                await FallingEdge(dut.busy)
                await tb.rising
            w = stim[f"words{k}"]
            beats, starts = await _play(tb, w, int(stim[f"count{k}"]))
            out[f"beats{k}"] = beats
            out[f"cycles{k}"] = np.diff(starts)
        np.savez(os.environ[ENV_OUT], **out)

    return qrs_cases


if os.environ.get(ENV_CASES):  # imported by cocotb inside the simulator
    qrs_cases = _cocotb_test()


# ---- make qrs ---------------------------------------------------------------------------------


def table(r: dict) -> str:
    """The hw/README.md section `qrs-block` from a `make qrs` report."""
    cost = (
        "| cells | flip-flops | memory bits | cycles per sample, mean / max "
        "| clock for 360 Hz (max) |\n|---:|---:|---:|---:|---:|\n"
        f"| {r.get('cells', 0):,} | {r.get('flip_flops', 0):,} | {r['memory_bits']:,} "
        f"| {r['cycles_per_sample_mean']:.1f} / {r['cycles_per_sample_max']} "
        f"| {r['min_clock_hz'] / 1000:.1f} kHz |\n"
    )
    rows = "".join(
        f"| {c['case']} | {c['samples']:,} | {c['beats']:,} | {c['mismatches']} "
        f"| {c['cycles_per_sample_mean']:.2f} / {c['cycles_per_sample_max']} |\n"
        for c in r["cases"]
    )
    cases = (
        "| record:start_s:seconds | samples | beats (golden) | mismatches | cycles per sample "
        "mean / max |\n|---|---:|---:|---:|---:|\n" + rows
    )
    return f"{cost}\n{cases}"


def summary(r: dict) -> str:
    """One paragraph for a run over many records (`make qrs ARGS="--records all --no-synth"`)."""
    worst = max(r["cases"], key=lambda c: c["cycles_per_sample_max"])
    mismatches = sum(c["mismatches"] for c in r["cases"])
    return (
        f"{len(r['cases'])} records ({r['samples']:,} samples, {r['beats']:,} beats): "
        f"{mismatches} mismatches against the golden detector, decision samples included; "
        f"{r['cycles_per_sample_mean']:.1f} cycles per sample on average and "
        f"{r['cycles_per_sample_max']} at most (record {worst['case'].split(':')[0]}), so a "
        f"{r['min_clock_hz'] / 1000:.1f} kHz clock keeps up with 360 Hz without an input buffer."
    )


def evaluate(specs: list[str], synth: bool, work: Path) -> dict:
    from ecg_snn.flow.qrs import build

    figures = build(ROOT / "build" / "qrs", synth=synth)
    cases = [load_case(s) for s in specs]
    print(f"make qrs: the golden detector on {len(cases)} case(s)", flush=True)
    expected = [golden(c) for c in cases]
    sim_build = rtl_build()
    got = []
    for k, (case, exp) in enumerate(zip(cases, expected, strict=True)):  # one line per case
        got += run_rtl(sim_build, [case], [exp], work)
        print(f"make qrs: [{k + 1}/{len(cases)}] {case.name} on Verilator", flush=True)
    per_case = case_rows(cases, expected, got)
    cycles = np.concatenate([g.cycles for g in got])
    return {
        **figures,
        "cases": per_case,
        "bit_exact": all(c["mismatches"] == 0 for c in per_case),
        "samples": int(sum(len(c.samples) for c in cases)),
        "beats": int(sum(len(e) for e in expected)),
        "cycles_per_sample_mean": round(float(cycles.mean()), 2),
        "cycles_per_sample_max": int(cycles.max()),
        "min_clock_hz": int(qrs.FS * cycles.max()),
    }


def main(argv: list[str] | None = None) -> int:
    from ecg_snn.data.files import write_atomic
    from ecg_snn.data.paths import repo_path

    ap = Parser(prog="python -m ecg_snn.sim.qrs", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--records", default=",".join(DEFAULT_CASES), help="record:start_s:seconds,... or all"
    )
    ap.add_argument("--no-synth", action="store_true", help="skip Yosys")
    ap.add_argument("--report", type=Path, default=REPORT)
    args = ap.parse_args(argv)
    if args.records == "all":
        from ecg_snn.data.splits import ALL_RECORDS

        args.records = ",".join(f"{r}:0:{WHOLE_S}" for r in ALL_RECORDS)
    specs = [s for s in args.records.split(",") if s]
    report = evaluate(specs, not args.no_synth, ROOT / "build" / "qrs" / "sim")
    report["verilog"] = repo_path(report["verilog"])
    write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    for c in report["cases"]:
        print(
            f"{c['case']}: {c['beats']} beats, {c['mismatches']} mismatches, cycles per sample "
            f"{c['cycles_per_sample_mean']} mean / {c['cycles_per_sample_max']} max"
        )
    keys = ("cells", "flip_flops", "memory_bits")
    print(
        " ".join(f"{k}={report[k]}" for k in keys if k in report),
        f"report: {repo_path(args.report)}",
    )
    if not report["bit_exact"]:
        print("make qrs: the RTL differs from the golden detector", file=sys.stderr)
        return 1
    return 0
