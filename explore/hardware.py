"""The hardware of one point at 180 nm: cycles, cells and area, and energy per heartbeat.

For the point's integer artifact on the point's accelerator (`Point.hw_config`: the event
engine's loadable build, or the fused engine with ROM weights; `flow.design.accelerator_verilog`
builds either through `hw.engine`), measured on DS1 beats (a class-stratified sample, weights w_i
that carry the sample's class mix back to DS1's). Every step is the one `make power` takes for
that engine (`power/run.py`), so the two engines are measured alike:

- cycles: `hw.engine.inference_cycles` (the engine's cycle-exact model); the RTL's count of
  every simulated beat must agree (`explore.energy`).
- cells, flip-flops, area, leakage: Yosys onto the osu018 180 nm library (`flow.asic.gate` through
  `power.gate_run.run_gate_level` without simulation, with the engine's memory inventory
  `hw.engine.memories`; `make tech` provides the library).
  Leakage P_leak = sum of the cells' `cell_leakage_power` + SRAM macro bits x bit leakage.
- dynamic energy: the RTL toggle model (`power.rtl.simulate`, every result checked against the
  golden model) with the 45 nm table, carried to 180 nm and calibrated per block b by the
  gate-level run of the shipped design on the same engine (`power/calibrate.py`;
  docs/reports/power.json for the event engine, power_fused.json for the fused one):

      E_dyn,180 = sum_b k_b * S * E_RTL45(b),   S = (180/45) (1.8/0.9)^2 = 16

- energy per heartbeat at 75 bpm (one inference every 0.8 s, `power.calibrate.heartbeat_uj`):

      no power gating:  E_beat = E_dyn,180 + P_leak * 0.8 s
      power gating:     E_beat = E_dyn,180 + P_leak * t_inf + P_weights * (0.8 s - t_inf)

  with t_inf = mean cycles / f_clk (4 MHz, the technology files' clock). P_weights is 0 for a
  design that retains nothing between beats (`hw.engine.retained_state`: ROM weights).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact

REPO = Path(__file__).resolve().parents[1]
CALIBRATION = REPO / "docs" / "reports" / "power.json"
# each engine's own gate-level calibration (`make power GATE=1 [ENGINE=fused]`)
CALIBRATIONS = {"event": CALIBRATION, "fused": REPO / "docs" / "reports" / "power_fused.json"}
CLOCK_HZ = 4.0e6  # power/tech/*.toml clock_hz: cycles map to time at the same clock


@dataclass
class Sample:
    """The beats hardware is measured on (chip inputs) and their population weights."""

    x: np.ndarray  # (N, 1, L)
    rr: np.ndarray  # (N, n_rr)
    labels: np.ndarray  # (N,)
    weights: np.ndarray  # (N,), summing to 1


def sample_of(x: np.ndarray, rr: np.ndarray, y: np.ndarray, beats: int, seed: int = 0) -> Sample:
    """A class-stratified sample of `beats` beats, weighted back to the class mix of `y`."""
    from ecg_snn.power.sample import stratified, weights

    idx = stratified(y, beats, np.random.default_rng(seed))
    return Sample(x[idx], rr[idx], y[idx], weights(y[idx], y))


def calibration_factors(path: Path = CALIBRATION) -> dict[str, float]:
    """k_b per block of the committed gate-level run (`make power GATE=1`)."""
    try:
        return dict(json.loads(path.read_text())["calibration"]["factors"])
    except (FileNotFoundError, KeyError, json.JSONDecodeError) as e:
        raise RuntimeError(
            f"no gate-level calibration in {path.relative_to(REPO)} ({type(e).__name__}); it is "
            "committed with the repository (make power GATE=1; make report TAKE=power)"
        ) from None


def engine_factors() -> dict[str, dict[str, float]]:
    """k_b per block of every engine's own gate-level run (`CALIBRATIONS`)."""
    return {engine: calibration_factors(path) for engine, path in CALIBRATIONS.items()}


def dynamic_180nm_nj(breakdown_45nm: dict[str, float], factors: dict[str, float]) -> dict:
    """E_dyn,180 (module docstring), calibrated and not, from the 45 nm RTL breakdown."""
    from ecg_snn.power.calibrate import S_180_FROM_45

    raw = S_180_FROM_45 * sum(breakdown_45nm.values())
    cal = sum(factors.get(b, 1.0) * S_180_FROM_45 * e for b, e in breakdown_45nm.items())
    return {"calibrated_nj": float(cal), "uncalibrated_nj": float(raw)}


def heartbeat(e_dyn_nj: float, p_leak_nw: float, p_keep_nw: float, t_inf_s: float) -> dict:
    """µJ per heartbeat at 75 bpm, with and without power gating (`power.calibrate`)."""
    from ecg_snn.power.calibrate import heartbeat_uj

    return heartbeat_uj(e_dyn_nj, p_leak_nw, p_keep_nw, t_inf_s)


def gate_netlist(artifact: Artifact, config: HwConfig, work: Path) -> dict:
    """Cells, flip-flops, area (µm²) and leakage (nW) of the osu018 netlist of `config`'s
    design, built as `make power GATE=1` builds it (the engine's memory inventory, no weight
    image for a ROM build)."""
    from ecg_snn.flow.design import accelerator_verilog
    from ecg_snn.hw import engine
    from ecg_snn.power.gate_run import run_gate_level

    verilog = accelerator_verilog(artifact.spec, config, artifact)
    memories = engine.memories(artifact.spec, config, artifact)
    empty = np.zeros((0, artifact.spec.preprocess.n_samples), np.int64)
    run = run_gate_level(
        artifact, verilog, empty, empty[:, :0], work, CLOCK_HZ, 1, log=lambda *_: None,
        simulate=False, load=not config.rom, memories=memories,
    )  # fmt: skip
    srams = [m for m in run.plan.values() if m["kind"] == "sram"]
    sram_nw = sum(run.sram.leak_nw(m["width"], m["depth"]) for m in srams)
    return {
        "cells": int(run.cells),
        "flip_flops": int(run.flip_flops),
        "area_um2": float(run.stat["area"]),
        "sram_bits": int(sum(m["width"] * m["depth"] for m in srams)),
        "leakage_nw": float(sum(run.leakage_nw.values()) + sram_nw),
        "weights_leakage_nw": _kept_nw(run, artifact, config),
    }


def _kept_nw(run, artifact: Artifact, config: HwConfig) -> float:
    """Leakage a power-gated sleep keeps: the weight memories, or nothing if the design
    retains nothing between beats (ROM weights: `hw.engine.retained_state` is empty)."""
    from ecg_snn.hw import engine

    if not engine.retained_state(artifact.spec, config):
        return 0.0
    weight_srams = [m for k, m in run.plan.items() if "weight" in k and m["kind"] == "sram"]
    return float(
        run.leakage_nw.get("weight_memory", 0.0)
        + sum(run.sram.leak_nw(m["width"], m["depth"]) for m in weight_srams)
    )


EnergyFn = Callable[..., dict]
NetlistFn = Callable[[Artifact, HwConfig, Path], dict]


def measure_hardware(
    artifact: Artifact,
    config: HwConfig,
    sample: Sample,
    work: Path,
    energy: EnergyFn | None = None,
    netlist: NetlistFn | None = None,
    factors: dict[str, float] | None = None,
) -> dict:
    """Every hardware figure of one artifact on `config`'s engine (module docstring); raises on
    any failure. `factors`: k_b per block (default: the engine's own calibration)."""
    from ecg_snn.hw.engine import inference_cycles

    t0 = time.perf_counter()
    s = sample
    cyc = np.asarray(inference_cycles(artifact, config, s.x, s.rr))
    cycles_mean = float(s.weights @ cyc)
    if energy is None:
        from ecg_snn.explore.energy import measure_energy as energy
    e = energy(artifact, config, s.x, s.rr, s.labels, s.weights, "45nm", work / "energy")
    rtl = np.asarray(e.get("per_beat", {}).get("cycles", cyc))
    if not np.array_equal(rtl, cyc):  # one definition of cycles: the model and the RTL agree
        raise RuntimeError(f"the cycle model and the RTL disagree: model {cyc}, RTL {rtl}")
    if e.get("rtl_golden_mismatches", 0):
        raise RuntimeError(f"{e['rtl_golden_mismatches']} beats differ between RTL and golden")
    net = (netlist or gate_netlist)(artifact, config, work / "gate")
    if factors is None:
        factors = calibration_factors(CALIBRATIONS[config.engine])
    dyn = dynamic_180nm_nj(e["breakdown_nj"], factors)
    t_inf = cycles_mean / CLOCK_HZ
    beat = heartbeat(dyn["calibrated_nj"], net["leakage_nw"], net["weights_leakage_nw"], t_inf)
    return {
        "engine": config.engine,
        "rom": config.rom,
        "cycles": {"mean": cycles_mean, "max": int(cyc.max())},
        **net,
        "dynamic_nj_180nm": dyn["calibrated_nj"],
        "dynamic_nj_180nm_uncalibrated": dyn["uncalibrated_nj"],
        "dynamic_nj_45nm_rtl": float(sum(e["breakdown_nj"].values())),
        "dense_qnn_nj_45nm": e.get("dense_qnn_nj"),
        "leakage_nj_per_heartbeat": net["leakage_nw"] * 0.8,
        "inference_time_us": t_inf * 1e6,
        "uj_per_heartbeat": beat["no_power_gating_uj"],
        "uj_per_heartbeat_gated": beat["power_gating_uj"],
        "hw_beats": len(s.labels),
        "hw_seconds": round(time.perf_counter() - t0, 1),
    }
