"""`make qrs GATE=1`: the QRS detector block (`hw/qrs.py`, `snn_qrs`) at gate level on osu018
(180 nm), driven with real MIT-BIH samples, its beats checked against the golden detector, its
energy from the Liberty tables and its timing from OpenSTA.

    python -m ecg_snn.power.qrs [--records 100:0:60,...] [--clock-hz 65536] [--out FILE]

The flow of `make power GATE=1` (`gate_run.py`), on another top: the ASIC build of the block
`make qrs` verifies (`flow/qrs.py` with `work_clock`: clocked only while it has work, through a
clock gate at the root of its clock, `hw/clocking.py`; cycle-exact with the plain build,
`tests/hw/test_qrs.py`) mapped onto the library (`gate_run.gate_model`: same Yosys script,
memory plan and clock gates; the 256-word b ring is an SRAM macro, `sram.py`, the smaller rings
flip-flop register files), simulated gate by gate in the SAIF harness (`harness.py`), each
window's energy per part from `heartbeat.window_energy` (`gate_energy.py`), and the critical
path from `sta.run_sta`. Per case (`flow/qrs_cases.py`, `record:start_s:seconds`) the harness
resets the block, then plays the samples back to back (`put i_sample`, the next one as soon as
the block takes it) while it takes every beat the moment it leaves (`collect o_beat`); a beat's
decision sample is the last sample taken before it, and every beat is compared with the golden
detector (`compare`), as the RTL bench does. One SAIF window per case, then one of `IDLE_CYCLES`
with nothing to do.

Energy per second of ECG at 360 Hz, with a clock of f_clk (the block only needs to outrun the
samples: `CLOCK_HZ`; it must be >= 360 x the most cycles a sample took):

    E_active  = dynamic energy of the case windows / seconds of ECG played     (nJ per s)
    C_active  = cycles of the case windows / seconds of ECG played             (per s)
    E_idle    = dynamic energy of the idle window / its cycles                 (nJ per cycle)
    P         = E_active + E_idle * (f_clk - C_active) + P_leak                (average power)
    E_beat    = P * 0.8 s                                           (one heartbeat at 75 bpm)

The case windows run the samples back to back, so every cycle between two samples at the real
rate is an idle cycle (a zero-delay simulation: an idle cycle costs the same whichever sample it
follows, `tests/power/test_qrs_gate.py`). P_leak: the library's cell leakage plus the SRAM
model's. Parts: the block's own logic (registers, datapath, control: "logic"), each
register-file ring by its memory's name, and the SRAM macro ("sram").
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.power.qrs:main", "python -m ecg_snn.power.qrs")

import hashlib
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.flow.qrs_cases import Case, beat_rows, case_rows, golden, load_case, words
from ecg_snn.model.contract import qrs

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "reports" / "qrs_gate.json"
WORK = ROOT / "build" / "power" / "qrs-gate"
# The records of `make qrs`, their first minute: about four minutes on two cores (the
# gate-level simulator plays about half a second of ECG per second and process).
GATE_CASES = ("100:0:60", "105:0:60", "108:0:60", "203:0:60", "222:0:60")
# The most cycles a sample takes over the 48 MIT-BIH records whole (`make qrs ARGS="--records
# all"`, hw/README.md), and 2 x the 32.768 kHz watch crystal: the smallest such clock above 360 x it
MAX_CYCLES_PER_SAMPLE = 141
CLOCK_HZ = 65_536
# the fewest cycles any sample takes (hw/qrs.py: IDLE, F1, F2, F3, LEARN, CAND, SB, QUIET,
# END and the next IDLE): a clock below 360 x this falls behind whatever the record
MIN_CYCLES_PER_SAMPLE = 10
IDLE_CYCLES = 2000
TAIL_CYCLES = 256  # after the last sample: more than the longest sample (MAX_CYCLES_PER_SAMPLE)
BEAT_S_75_BPM = 60 / 75
CXX_OPT = "-O1"  # a 35k-cell netlist: -O1 builds in ~3 min and runs ~2.5x faster than -O0


@dataclass(frozen=True)
class GateCase:
    """One case on the gate-level netlist: its beats as `compare` rows, the cycles each sample
    took (from its transfer to the next one's), and its SAIF window."""

    beats: np.ndarray
    cycles: np.ndarray
    saif: Path


def script(word_lists: list[np.ndarray], saifs: list[Path]) -> str:
    """The harness commands (module docstring): per case a reset, then its samples in one SAIF
    window, each followed by `cycles` (the mark `parse` counts samples by)."""
    lines = ["collect o_beat"]
    for ws, path in zip(word_lists, saifs, strict=True):
        lines += ["set rst 1", "step 2", "set rst 0", f"saif_open {path}"]
        for w in ws:
            lines += [f"put i_sample {int(w)}", "cycles"]
        lines += [f"step {TAIL_CYCLES}", "saif_close"]
    return "\n".join(lines) + "\n"


def parse(lines: list[str], counts: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per case (`counts` samples each, in script order): the beats (`beat_rows`: a beat's
    decision sample is the number of samples taken before its `got` line, less one) and the
    cycle after each sample was taken."""
    taken: list[int] = []
    beats: list[tuple[int, int]] = []  # (payload, samples taken before it, all cases)
    for line in lines:
        if line.startswith("cycles "):
            taken.append(int(line.split()[1]))
        elif line.startswith("got "):
            beats.append((int(line.split()[1], 16), len(taken)))
    if len(taken) != sum(counts):
        raise RuntimeError(f"the harness took {len(taken)} samples of {sum(counts)}")
    out, start = [], 0
    for n in counts:
        mine = [(p, k - 1 - start) for p, k in beats if start < k <= start + n]
        payloads = [p for p, _ in mine]
        decided = np.array([d for _, d in mine], np.int64)
        out.append((beat_rows(payloads, decided), np.array(taken[start : start + n], np.int64)))
        start += n
    return out


def run_cases(exe: Path, cases: list[Case], work: Path, jobs: int = 2) -> list[GateCase]:
    """Every case through the gate-level harness `exe`, in `jobs` processes."""
    from ecg_snn.power.harness import run_harness

    work.mkdir(parents=True, exist_ok=True)
    saifs = [work / f"case{k}.saif" for k in range(len(cases))]
    shards = [s for s in np.array_split(np.arange(len(cases)), max(1, jobs)) if len(s)]

    def one(idx: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        text = script([words(cases[i]) for i in idx], [saifs[i] for i in idx])
        lines = run_harness(exe, text, cwd=work, timeout=7200)
        return parse(lines, [len(cases[i].samples) for i in idx])

    with ThreadPoolExecutor(len(shards)) as pool:
        results = list(pool.map(one, shards))
    out: dict[int, GateCase] = {}
    for idx, res in zip(shards, results, strict=True):
        for i, (beats, taken) in zip(idx, res, strict=True):
            out[int(i)] = GateCase(beats, np.diff(taken), saifs[i])
    return [out[k] for k in range(len(cases))]


def idle_window(exe: Path, work: Path) -> Path:
    """A SAIF window of `IDLE_CYCLES` after a reset and its CLEAR sweep: the block waiting."""
    from ecg_snn.power.harness import run_harness

    path = work / "idle.saif"
    text = f"set rst 1\nstep 2\nset rst 0\nstep {4 * TAIL_CYCLES}\nsaif_open {path}\n"
    run_harness(exe, text + f"step {IDLE_CYCLES}\nsaif_close\n", cwd=work)
    return path


def part_of(path: str) -> str:
    """A cell's part: the register file it is in (Yosys' submodule `snn_qrs_<memory>`), else
    the block's own logic."""
    scope = path.split("/")[1] if path.count("/") > 1 else ""
    return scope.removeprefix("snn_qrs_") if scope.startswith("snn_qrs_") else "logic"


def budget(
    windows: list[dict], idle: dict, seconds: float, clock_hz: float, leak_nw: dict[str, float]
) -> dict:
    """The module docstring's accounting, per part and in total, from the case windows and the
    idle window (`heartbeat.window_energy`), the seconds of ECG the windows played and the
    leakage per part (nW)."""
    parts = [p for p, v in idle.items() if isinstance(v, dict)]
    active_cycles = sum(w["cycles"] for w in windows) / seconds
    idle_cycles = clock_hz - active_cycles
    if idle_cycles < 0:
        raise ValueError(
            f"a {clock_hz:g} Hz clock is slower than the {active_cycles:,.0f} cycles per second "
            "of ECG the samples take"
        )
    per_part = {}
    for p in parts:
        active = sum(w[p]["dynamic_nj"] for w in windows) / seconds
        per_cycle = idle[p]["dynamic_nj"] / idle["cycles"]
        dyn_uw = (active + per_cycle * idle_cycles) / 1000  # nJ/s -> uW
        per_part[p] = {
            "active_nj_per_s": active,
            "idle_nj_per_cycle": per_cycle,
            "dynamic_uw": dyn_uw,
            "leakage_uw": leak_nw.get(p, 0.0) / 1000,
            "power_uw": dyn_uw + leak_nw.get(p, 0.0) / 1000,
        }
    total = {k: sum(v[k] for v in per_part.values()) for k in next(iter(per_part.values()))}
    clock = sum(w[p]["per_block_nj"].get("clock", 0.0) for w in windows for p in parts) / seconds
    idle_clock = sum(idle[p]["per_block_nj"].get("clock", 0.0) for p in parts) / idle["cycles"]
    clock += idle_cycles * idle_clock
    return {
        "clock_hz": clock_hz,
        "active_cycles_per_s": active_cycles,
        "idle_cycles_per_s": idle_cycles,
        "active_nj_per_s": total["active_nj_per_s"],
        "idle_nj_per_cycle": total["idle_nj_per_cycle"],
        "dynamic_uw": total["dynamic_uw"],
        "clock_tree_uw": clock / 1000,
        "leakage_uw": total["leakage_uw"],
        "power_uw": total["power_uw"],
        "uj_per_heartbeat_75_bpm": total["power_uw"] * BEAT_S_75_BPM,
        # the samples and the leakage alone: what a clock stopped at its source between samples
        # would leave (an estimate; the work clock stops the tree below its root gate)
        "power_uw_clock_stopped_between_samples": total["active_nj_per_s"] / 1000
        + total["leakage_uw"],
        "per_part": per_part,
    }


def gate_build(work: Path = WORK, log=print):
    """The block's ASIC Verilog (`flow/qrs.py`, clocked only while it has work) mapped
    (`gate_run.gate_model`) and its gate-level simulator, both content-keyed in `work` (reused
    while the Verilog is the same)."""
    from ecg_snn.flow.qrs import TOP, emit
    from ecg_snn.power.gate_run import gate_harness, gate_model

    model = gate_model(emit(work / "rtl", work_clock=True), TOP, work, log=log)
    log("  gate-level netlist ready; building (or reusing) its simulator")
    return model, gate_harness(model.flat_v, work / "harness", top=TOP, cxx_opt=CXX_OPT)


def netlist_figures(model) -> dict:
    """Cells, flip-flops (and those an idle cycle clocks), clock gates, area, cells per part and
    the memory plan of the mapped block."""
    from ecg_snn.power.gate_run import netlist_stat
    from ecg_snn.power.heartbeat import idle_clock_nets

    flat, lib = model.flat, model.lib
    stat = netlist_stat(flat, lib)
    per_part: dict[str, int] = {}
    for path, _ in flat.cells:
        per_part[part_of(path)] = per_part.get(part_of(path), 0) + 1
    clocked = idle_clock_nets(flat, lib)  # the clock nets that toggle in an idle cycle
    return {
        "cells": stat["cells"],
        "flip_flops": stat["flip_flops"],
        "clock_gates": stat["by_type"].get("LATCH", 0),
        "flip_flops_clocked_when_idle": sum(
            1
            for _, t, conns in flat.instances
            if lib.cells[t].seq_kind == "ff"
            and any(lib.cells[t].pins[p].clock and r in clocked for p, r in conns.items())
        ),
        "area_um2": stat["area"],
        "cells_per_part": per_part,
        "memory_plan": model.netlist.plan.as_dict(),
    }


def energy(model, saifs: list[Path], idle_saif: Path, seconds: float, clock_hz: float) -> dict:
    """Leakage per part, every window's energy per part and the budget (module docstring)."""
    from ecg_snn.power.gate_run import sram_model
    from ecg_snn.power.heartbeat import split_netlist, window_energy

    flat, lib = model.flat, model.lib
    parts = split_netlist(flat, lib, part_of)
    sram = sram_model(model.library, lib)
    windows = [window_energy(path, flat, parts, clock_hz, sram) for path in saifs]
    idle = window_energy(idle_saif, flat, parts, clock_hz, sram)
    leak = {p: s.leak_nw for p, s in parts.items()}
    leak["sram"] = sum(sram.leak_nw(m.width, m.depth) for m in flat.srams)
    return {
        "leakage_nw": leak,
        "sram_model": sram.describe(),
        "windows": windows,
        "idle": idle,
        "budget": budget(windows, idle, seconds, clock_hz, leak),
    }


def timing(model, work: Path, clock_hz: float) -> dict:
    """OpenSTA's critical path of the mapped block (`sta.run_sta`)."""
    from ecg_snn.flow.asic.sta import run_sta
    from ecg_snn.flow.qrs import TOP

    t = run_sta(model.netlist.sta, model.liberty, TOP, work / "sta")
    return {
        "critical_path_ns": t.critical_path_ns,
        "fmax_mhz": t.fmax_mhz,
        "startpoint": t.startpoint,
        "endpoint": t.endpoint,
        "margin_over_clock": t.fmax_mhz * 1e6 / clock_hz,
        "scope": "OpenSTA, typical corner, 25 C, pre-layout (no wires), ideal clock; the SRAM "
        "macro's paths not covered (removed for STA)",
    }


def measure(cases: list[Case], work: Path, clock_hz: float = CLOCK_HZ, jobs: int = 2, log=print):
    """The whole measurement of the module docstring on `cases`."""
    from ecg_snn.flow.qrs import TOP

    t0 = time.time()
    model, exe = gate_build(work, log)
    log(f"  simulator ready ({time.time() - t0:.0f} s); {len(cases)} case(s) at gate level")
    expected = [golden(c) for c in cases]
    got = run_cases(exe, cases, work / "saif", jobs)
    idle_saif = idle_window(exe, work / "saif")
    log(f"  simulated ({time.time() - t0:.0f} s); energy and OpenSTA")
    seconds = sum(len(c.samples) for c in cases) / qrs.FS
    rows = case_rows(cases, expected, got)
    cycles = np.concatenate([g.cycles for g in got])
    return {
        "top": TOP,
        "verilog": work / "rtl" / f"{TOP}.v",
        "library": model.library.name,
        "node_nm": model.library.node_nm,
        "voltage_v": model.lib.voltage,
        "corner": model.library.corner,
        "clock_basis": "2 x the 32.768 kHz watch crystal, the smallest such clock above 360 x "
        f"{MAX_CYCLES_PER_SAMPLE} (the most cycles a sample takes over the 48 MIT-BIH records "
        "whole)",
        "cases": rows,
        "bit_exact": all(r["mismatches"] == 0 for r in rows),
        "samples": int(sum(len(c.samples) for c in cases)),
        "ecg_seconds": seconds,
        "beats": int(sum(len(e) for e in expected)),
        "cycles_per_sample_mean": round(float(cycles.mean()), 2),
        "cycles_per_sample_max": int(cycles.max()),
        "keeps_up": bool(clock_hz >= qrs.FS * cycles.max()),
        **netlist_figures(model),
        **energy(model, [g.saif for g in got], idle_saif, seconds, clock_hz),
        "timing": timing(model, work, clock_hz),
        "seconds": time.time() - t0,
        "method": "power/qrs.py",
    }


def main(argv: list[str] | None = None) -> int:
    from ecg_snn.data.files import write_atomic
    from ecg_snn.data.paths import repo_path
    from ecg_snn.flow.asic.pdk import OSU018

    ap = Parser(prog="python -m ecg_snn.power.qrs", description=__doc__.split("\n")[0])
    ap.add_argument("--records", default=",".join(GATE_CASES), help="record:start_s:seconds,...")
    ap.add_argument("--clock-hz", type=float, default=CLOCK_HZ, help="the block's clock")
    ap.add_argument("--jobs", type=int, default=2, help="simulator processes")
    ap.add_argument(
        "--out",
        type=Path,
        help=f"default {REPORT.name} for the default cases and clock, "
        f"{REPORT.stem}-<key>.json for any other (a quick run never replaces it)",
    )
    args = ap.parse_args(argv)
    error = None
    if args.jobs < 1:
        error = f"--jobs must be >= 1, not {args.jobs}"
    elif args.clock_hz < qrs.FS * MIN_CYCLES_PER_SAMPLE:
        error = (
            f"--clock-hz {args.clock_hz:g} is below {qrs.FS * MIN_CYCLES_PER_SAMPLE:g}: every "
            f"sample takes at least {MIN_CYCLES_PER_SAMPLE} cycles at {qrs.FS} Hz"
        )
    if error:
        print(f"make qrs GATE=1: {error}", file=sys.stderr)
        return 2
    try:
        OSU018.liberty()  # fail now, not after the synthesis
    except FileNotFoundError as e:
        print(f"make qrs GATE=1: {e} (make tech)", file=sys.stderr)
        return 2
    cases = [load_case(s) for s in args.records.split(",") if s]
    print(f"make qrs GATE=1: {len(cases)} case(s) on the gate-level netlist (osu018)", flush=True)
    try:
        r = measure(cases, WORK, args.clock_hz, args.jobs)
    except ValueError as e:  # a clock too slow for the samples
        print(f"make qrs GATE=1: {e}", file=sys.stderr)
        return 2
    if not r["keeps_up"]:
        print(
            f"make qrs GATE=1: a {args.clock_hz:g} Hz clock falls behind 360 Hz: the longest "
            f"sample took {r['cycles_per_sample_max']} cycles (needs "
            f"{qrs.FS * r['cycles_per_sample_max']:,} Hz without an input buffer)",
            file=sys.stderr,
        )
        return 2
    r["verilog"] = repo_path(r["verilog"])
    flags = "" if args.records == ",".join(GATE_CASES) else f" --records {args.records}"
    flags += "" if args.clock_hz == CLOCK_HZ else f" --clock-hz {args.clock_hz:g}"
    r["command"] = f"python -m ecg_snn.power.qrs{flags}"
    if args.out is None:  # a run other than the default one never replaces its report
        key = hashlib.sha256(flags.encode()).hexdigest()[:8]
        args.out = REPORT if not flags else REPORT.with_name(f"{REPORT.stem}-{key}.json")
    write_atomic(args.out, json.dumps(r, indent=1) + "\n")
    b = r["budget"]
    print(
        f"{r['beats']} beats, {sum(c['mismatches'] for c in r['cases'])} mismatches; "
        f"{r['cells']:,} cells, {r['area_um2'] / 1e6:.2f} mm2; {b['power_uw']:.2f} uW at "
        f"{b['clock_hz']:g} Hz, {b['uj_per_heartbeat_75_bpm']:.3f} uJ per heartbeat; fmax "
        f"{r['timing']['fmax_mhz']:.1f} MHz; report: {repo_path(args.out)}"
    )
    if not r["bit_exact"]:
        print(
            "make qrs GATE=1: the gate-level netlist differs from the golden detector",
            file=sys.stderr,
        )
        return 1
    return 0


def table(r: dict, heartbeat: dict | None = None) -> str:
    """The docs/power.md section `qrs-gate` from a report of this module; `heartbeat` (the
    accelerator's, `heartbeat.py --work-clock`) adds the comparison per heartbeat."""
    b, t = r["budget"], r["timing"]
    mismatches = sum(c["mismatches"] for c in r["cases"])
    head = (
        f"Measured at gate level on {r['library']} {r['node_nm']:g} nm, {r['voltage_v']:g} V, "
        f"{r['corner']} (library figures, pre-layout): `{r['top']}` ({r['cells']:,} cells, "
        f"{r['flip_flops']:,} flip-flops, {r['clock_gates']} clock gates), "
        f"{r['ecg_seconds']:.0f} s of MIT-BIH ({', '.join(c['case'] for c in r['cases'])}) "
        f"played sample by sample: {r['beats']:,} beats, {mismatches} mismatches with the golden "
        f"detector, decision samples included. Clock {b['clock_hz'] / 1000:.3f} kHz; the block "
        f"took {r['cycles_per_sample_mean']:.1f} cycles per sample on average and "
        f"{r['cycles_per_sample_max']} at most here. `{r['command']}`.\n\n"
    )
    waiting = b["idle_nj_per_cycle"] * b["idle_cycles_per_s"]
    cost = (
        "| cells | flip-flops | area, mm² | leakage, µW | dynamic per s of ECG, nJ (samples "
        "+ waiting) | average power, µW | µJ per heartbeat at 75 bpm | fmax (OpenSTA), MHz |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {r['cells']:,} | {r['flip_flops']:,} | {r['area_um2'] / 1e6:.2f} "
        f"| {b['leakage_uw']:.2f} | {b['dynamic_uw'] * 1000:,.0f} "
        f"({b['active_nj_per_s']:,.0f} + {waiting:,.0f}) | {b['power_uw']:.2f} "
        f"| {b['uj_per_heartbeat_75_bpm']:.2f} | {t['fmax_mhz']:.1f} |\n\n"
    )
    rows = "".join(
        f"| {p} | {r['cells_per_part'].get(p, 0):,} | {v['dynamic_uw']:.2f} "
        f"| {v['leakage_uw']:.2f} | {v['power_uw']:.2f} |\n"
        for p, v in sorted(b["per_part"].items(), key=lambda kv: -kv[1]["power_uw"])
    )
    parts = (
        "| part | cells | dynamic, µW | leakage, µW | total, µW |\n|---|---:|---:|---:|---:|\n"
        + rows
    )
    return head + cost + parts + "\n" + "\n".join(findings(r, heartbeat)) + "\n"


def findings(r: dict, heartbeat: dict | None) -> list[str]:
    """The section's bullets: where the power goes, and the heartbeat comparison."""
    b = r["budget"]
    idle_uw = b["idle_nj_per_cycle"] * b["idle_cycles_per_s"] / 1000
    parts = sorted(
        [
            ("the leakage", b["leakage_uw"]),
            ("processing the samples", b["active_nj_per_s"] / 1000),
            ("waiting", idle_uw),
        ],
        key=lambda kv: -kv[1],
    )
    clocked = r["flip_flops_clocked_when_idle"]
    waiting = (
        "its clock stopped at the root while it waits: `work_clock`"
        if clocked == 0
        else f"{clocked:,} flip-flops clocked on the free clock"
    )
    out = [
        f"- Where the {b['power_uw']:.2f} µW go: "
        + ", ".join(f"{name} {uw:.2f} µW ({uw / b['power_uw']:.0%})" for name, uw in parts)
        + f". The block works {b['active_cycles_per_s']:,.0f} cycles per second of ECG and "
        f"waits {b['idle_cycles_per_s']:,.0f}, an idle cycle costing "
        f"{b['idle_nj_per_cycle']:.4f} nJ ({waiting}).",
        f"- Timing: {r['timing']['fmax_mhz']:.1f} MHz (critical path "
        f"{r['timing']['critical_path_ns']:.1f} ns), {r['timing']['margin_over_clock']:,.0f} x "
        "the clock.",
    ]
    if heartbeat is not None:
        acc = heartbeat["budget_75_bpm"]["uj_per_heartbeat"]["power_gated"]
        out.append(
            f"- Against the shipped chip's heartbeat ({heartbeat['engine']} engine, "
            f"{heartbeat['lanes']} lanes: {acc:.3f} µJ, power-gated between beats, "
            "`hw/fused/README.md`): the detector that finds the beats costs "
            f"{b['uj_per_heartbeat_75_bpm'] / acc:.0f} x as much per heartbeat, as it must run "
            "on every sample."
        )
    return out


def summary(r: dict) -> str:
    """One sentence for hw/README.md: the block's cost at gate level."""
    b = r["budget"]
    idle_uw = b["idle_nj_per_cycle"] * b["idle_cycles_per_s"] / 1000
    return (
        f"At gate level on {r['library']} ({r['node_nm']:g} nm; `make qrs GATE=1`, "
        f'docs/power.md "The QRS detector block"): {r["cells"]:,} cells (the rings '
        "flip-flop register files but the b ring, an SRAM macro), "
        f"{r['area_um2'] / 1e6:.2f} mm², {b['power_uw']:.1f} µW at a "
        f"{b['clock_hz'] / 1000:.3f} kHz clock ({b['uj_per_heartbeat_75_bpm']:.1f} µJ per "
        f"heartbeat at 75 bpm; {idle_uw / b['power_uw']:.0%} of it the cycles the block waits "
        f"for the next sample), fmax {r['timing']['fmax_mhz']:.1f} MHz; "
        f"{r['beats']:,} beats on the netlist, "
        f"{sum(c['mismatches'] for c in r['cases'])} mismatches with the golden detector."
    )
