"""The `gate_level`, `timing` and `calibration` sections of build/reports/power.json (GATE=1).

The gate-level run (`gate_run.py`) and the RTL model (`rtl.simulate`, 45 nm and 22 nm tables) on
the same beats; the calibration and the 22 nm carry of `calibrate.py`; OpenSTA (`sta.py`), and
its `report_power` with the simulated activity as a second opinion on the energy
(`sta_power.py`, `gate_level.opensta_power`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ecg_snn.data.paths import repo_path
from ecg_snn.flow.asic.gate import SRAM_MIN_DEPTH
from ecg_snn.flow.asic.liberty import load_liberty
from ecg_snn.flow.asic.sta import run_sta
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.ports import TOP
from ecg_snn.power import calibrate
from ecg_snn.power.blocks import BLOCKS
from ecg_snn.power.gate_energy import net_costs
from ecg_snn.power.gate_run import GateRun, run_gate_level
from ecg_snn.power.rtl import simulate
from ecg_snn.power.sta_power import clock_network, compare, run_power
from ecg_snn.power.tech import load_technology


def gate_sections(
    artifact: Artifact,
    rtl_verilog: Path,
    rtl_exe: Path,
    x: np.ndarray,
    rr: np.ndarray,
    work: Path,
    jobs: int,
    rtl_body: dict,
    log=print,
    gate_sim: bool = True,
    sram_min_depth: int = SRAM_MIN_DEPTH,
    load: bool = True,
    memories: list | None = None,
    weights: np.ndarray | None = None,
) -> dict:
    """gate_level, timing and calibration for beats x (N, n_samples), rr (N, n_rr); `rtl_body`
    is the 22 nm report of `make power` (population figures over its own beats); `weights`
    (per beat, summing to 1: `power/sample.py`) make the gate-level means population means, as
    the RTL's are (a class-stratified sample over-represents the rare, busier beats). Without
    `gate_sim`: the netlist, its leakage and its timing only (no calibration). `load` False:
    a ROM build (no weight image); `memories` the design's inventory (`hw/memories.py`)."""
    tech22 = load_technology("22nm")
    run = run_gate_level(
        artifact,
        rtl_verilog,
        x,
        rr,
        work,
        tech22.clock_hz,
        jobs,
        log=log,
        simulate=gate_sim,
        sram_min_depth=sram_min_depth,
        load=load,
        memories=memories,
    )
    if not gate_sim:
        cycles_max = int(rtl_body["cycles_per_inference"]["max"])
        log("  OpenSTA: critical path")
        timing = run_sta(run.netlist_dir / "sta.v", run.liberty, TOP, work / "sta")
        return {
            "gate_level": _netlist_only(run, rtl_body),
            "timing": _timing(timing, cycles_max),
            "heartbeat_22nm": _heartbeat(run, rtl_body["dynamic_nj"], rtl_body, tech22),
        }
    rtl, _, bad_rtl = simulate(
        rtl_exe,
        rtl_verilog,
        artifact,
        x,
        rr,
        ["45nm", "22nm"],
        jobs,
        work / "saif_rtl",
        log=log,
        load=load,
    )
    gate = np.array([[e.dynamic_nj[b] for b in BLOCKS] for e in run.energies])
    rtl45 = np.array([[e[0].dynamic_nj[b] for b in BLOCKS] for e in rtl])
    rtl180 = calibrate.S_180_FROM_45 * rtl45
    fit = np.arange(len(x)) % 2 == 0
    factors = calibrate.fit_factors(gate, rtl180, fit)
    error = calibrate.held_out_error(gate, rtl180, factors, ~fit)
    log("  OpenSTA: critical path")
    timing = run_sta(run.netlist_dir / "sta.v", run.liberty, TOP, work / "sta")
    cycles_max = int(rtl_body["cycles_per_inference"]["max"])
    log("  OpenSTA: report_power with the simulated activity")
    out = {
        "gate_level": {
            **_gate_level(run, gate, weights),
            "opensta_power": _opensta_power(run, work),
        },
        "timing": _timing(timing, cycles_max),
        "calibration": {
            "factors": factors,
            "held_out": error,
            "fit_beats": int(fit.sum()),
            "rtl_golden_mismatches_on_gate_beats": bad_rtl,
            "rtl_180nm_scale_from_45nm": calibrate.S_180_FROM_45,
            "method": "power/calibrate.py: k_b = gate / RTL(45 nm table x C V^2 to 180 nm) "
            "per block on even beats, checked on odd beats",
        },
    }
    out["calibrated_22nm"] = _carry_to_22nm(run, factors, error, rtl_body, tech22)
    return out


def _opensta_power(run: GateRun, work: Path) -> dict:
    """OpenSTA's report_power on the same beats' activity, beside the Python figure."""
    lib = load_liberty(run.liberty)
    power = run_power(run.flat, run.activity, run.liberty, run.clock_hz, work / "sta_power")
    leak = sum(run.leakage_nw.values())
    costs = net_costs(run.flat, lib)
    clock = clock_network(run.flat, lib)
    return compare(power, run.activity, costs, leak, run.clock_hz, clock)


def _timing(timing, cycles_max: int) -> dict:
    return {
        "critical_path_ns": timing.critical_path_ns,
        "fmax_mhz": timing.fmax_mhz,
        "startpoint": timing.startpoint,
        "endpoint": timing.endpoint,
        "cycles_per_inference_max": cycles_max,
        "clock_needed_at_200_bpm_hz": cycles_max * 200 / 60,
        "real_time_margin_at_200_bpm": timing.margin(cycles_max),
        "tool": "OpenSTA (Debian opensta), report_checks -path_delay max",
        "scope": "typical corner, 25 C, pre-layout (no wires), ideal clock; SRAM macro "
        "paths not covered (the macro is removed for STA)",
    }


def _netlist(run: GateRun) -> dict:
    """What the gate-level figures were computed on: library, node, voltage, corner, clock, and
    the netlist (cells, flip-flops, area, memory plan)."""
    return {
        "liberty": repo_path(run.liberty),
        "library": run.library.name,
        "package": run.library.package,
        "node_nm": run.library.node_nm,
        "voltage_v": run.voltage,
        "corner": run.library.corner,
        "clock_hz": run.clock_hz,
        "cells": run.cells,
        "flip_flops": run.flip_flops,
        "area_um2": run.stat.get("area"),
        "cells_by_type": run.stat.get("by_type"),
        "memory_plan": run.plan,
        "memory_plan_rule": f"SRAM macro for >= {run.sram_min_depth} words, flip-flop register "
        "file below (SRAM_MIN_DEPTH; flow/asic/gate.py)",
    }


def _netlist_only(run: GateRun, rtl_body: dict) -> dict:
    """The netlist without simulation: cells, area, leakage; energy per inference not measured."""
    lib = load_liberty(run.liberty)
    leak_nw = sum(run.leakage_nw.values())
    sram_leak = sum(run.sram.leak_nw(p["width"], p["depth"]) for p in _srams(run))
    t_inf = rtl_body["cycles_per_inference"]["mean"] / run.clock_hz
    return {
        **_netlist(run),
        "simulated": False,
        "beats": 0,
        "mismatches": 0,
        "nj_per_inference": None,
        "per_block_nj": None,
        "leakage": {
            "nw_cells": leak_nw,
            "nw_sram": sram_leak,
            "nw_per_block": run.leakage_nw,
            "nj_per_inference": (leak_nw + sram_leak) * t_inf,
            "flip_flop_equivalents": leak_nw / lib.cells["DFFPOSX1"].leakage,
        },
        "seconds": run.seconds,
        "note": "netlist, leakage and timing only: GATE_SIM=0 (the Verilator build of the flat "
        "gate-level model is the long step); no dynamic energy, no calibration",
    }


def _gate_level(run: GateRun, gate: np.ndarray, weights: np.ndarray | None) -> dict:
    """The gate-level figures; means weighted by `weights` (population means), the unweighted
    mean of the sample beside."""
    es = run.energies
    total = np.array([e.total_nj for e in es])
    w = np.full(len(es), 1 / len(es)) if weights is None else np.asarray(weights, float)
    leak_nw = sum(run.leakage_nw.values())
    sram_leak = sum(run.sram.leak_nw(p["width"], p["depth"]) for p in _srams(run))
    lib = load_liberty(run.liberty)
    return {
        **_netlist(run),
        "beats": len(es),
        "mismatches": run.mismatches,
        "nj_per_inference": {
            "mean": float(w @ total),
            "mean_unweighted": float(total.mean()),
            "min": float(total.min()),
            "max": float(total.max()),
            "weighting": "unweighted" if weights is None else "class prevalence of the part",
        },
        "dynamic_nj": float(w @ gate.sum(axis=1)),
        "per_block_nj": {b: float(w @ gate[:, j]) for j, b in enumerate(BLOCKS)},
        "leakage": {
            "nw_cells": leak_nw,
            "nw_sram": sram_leak,
            "nw_per_block": run.leakage_nw,
            "nj_per_inference": float(w @ np.array([e.leakage_nj for e in es])),
            "flip_flop_equivalents": leak_nw / lib.cells["DFFPOSX1"].leakage
            if "DFFPOSX1" in lib.cells
            else None,
        },
        "sram_nj": float(np.mean([sum(e.sram_nj.values()) for e in es])),
        "sram_accesses_mean": {
            k: {kind: float(np.mean([e.sram_accesses[k][kind] for e in es])) for kind in v}
            for k, v in es[0].sram_accesses.items()
        },
        "sram_model": run.sram.describe(),
        "cycles_mean": float(run.cycles.mean()),
        "nets_without_activity_max": int(max(e.nets_without_activity for e in es)),
        "toggles_mean": float(np.mean([e.toggles for e in es])),
        "seconds": run.seconds,
    }


def _srams(run: GateRun) -> list[dict]:
    return [p for p in run.plan.values() if p["kind"] == "sram"]


def _leakage_22nm(run: GateRun, tech22) -> tuple[float, float]:
    """(P_leak, P_kept for the weights) at 22 nm in nW: the gate-level cell mix in flip-flop
    equivalents x the 22 nm file's leakage per flip-flop, plus the SRAM bits. With ROM weights
    (a "rom" memory in the plan) nothing needs to be kept between beats (`hw/README.md`,
    retained state): P_kept = 0."""
    lib = load_liberty(run.liberty)
    ff_leak = lib.cells["DFFPOSX1"].leakage
    ffeq = {b: v / ff_leak for b, v in run.leakage_nw.items()}
    sram = sum(p["width"] * p["depth"] for p in _srams(run)) * tech22.c("mem_bit_leak_nw")
    p_leak = sum(ffeq.values()) * tech22.c("ff_leak_nw") + sram
    if any(p["kind"] == "rom" for p in run.plan.values()):
        return p_leak, 0.0
    p_keep = ffeq.get("weight_memory", 0.0) * tech22.c("ff_leak_nw") + sram
    return p_leak, p_keep


def _heartbeat(run: GateRun, dyn_nj: float, rtl_body: dict, tech22) -> dict:
    """Energy per heartbeat at 75 bpm at 22 nm for a dynamic energy per inference `dyn_nj`."""
    p_leak, p_keep = _leakage_22nm(run, tech22)
    t_inf = rtl_body["inference_time_us"] * 1e-6
    return {
        "dynamic_nj": dyn_nj,
        "dynamic_basis": "RTL toggle model at 22 nm (uncalibrated)",
        "leakage_nw": p_leak,
        "retained_between_beats_nw": p_keep,
        "leakage_basis": "gate-level cell mix in flip-flop equivalents x 22 nm ff_leak_nw, SRAM "
        "bits x mem_bit_leak_nw (tech/22nm.toml, assumptions)",
        "inference_time_s": t_inf,
        "at_25c": calibrate.heartbeat_uj(dyn_nj, p_leak, p_keep, t_inf),
        "at_37c": calibrate.heartbeat_37c(dyn_nj, p_leak, p_keep, t_inf),
    }


def _carry_to_22nm(run: GateRun, factors: dict, error: dict, rtl_body: dict, tech22) -> dict:
    p_leak, p_keep = _leakage_22nm(run, tech22)
    t_inf = rtl_body["inference_time_us"] * 1e-6
    dyn, total = calibrate.calibrated_nj(factors, rtl_body["breakdown_nj"], p_leak, t_inf)
    leak_nj = total - dyn
    return {
        "nj_per_inference": total,
        "dynamic_nj": dyn,
        "per_block_nj": {b: factors[b] * rtl_body["breakdown_nj"][b] for b in BLOCKS},
        "band_nj": list(calibrate.band_nj(dyn, leak_nj, error["total_error"])),
        "band_basis": "low: held-out calibration error; high: the same plus C ~ L^0.5 instead "
        f"of C ~ L for 180 -> 22 nm (x{calibrate.WIRES_FACTOR:.2f})",
        "uncalibrated_rtl_nj": rtl_body["nj_per_inference"]["mean"],
        "leakage_nw": p_leak,
        "leakage_nj": leak_nj,
        "leakage_basis": "gate-level cell mix in flip-flop equivalents x 22 nm ff_leak_nw, SRAM "
        "bits x mem_bit_leak_nw (tech/22nm.toml, assumptions)",
        "le_10_nj": total <= 10,
        "heartbeat_75_bpm_25c": calibrate.heartbeat_uj(dyn, p_leak, p_keep, t_inf),
        "heartbeat_75_bpm_37c": calibrate.heartbeat_37c(dyn, p_leak, p_keep, t_inf),
        "retained_between_beats_nw": p_keep,
    }
