"""The 180 nm figures: the carry from 45 nm, the heartbeat, and the RTL checks that stop a point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.explore.hardware import (
    CALIBRATIONS,
    Sample,
    calibration_factors,
    dynamic_180nm_nj,
    engine_factors,
    heartbeat,
    measure_hardware,
)
from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.engine import inference_cycles
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.power.blocks import BLOCKS


def test_the_carry_to_180nm_is_16x_and_the_factors_weight_each_block() -> None:
    e45 = {"accumulate": 1.0, "control": 0.5}
    ones = dynamic_180nm_nj(e45, {})
    assert ones["uncalibrated_nj"] == pytest.approx(24.0) == ones["calibrated_nj"]
    k = dynamic_180nm_nj(e45, {"accumulate": 2.0, "control": 10.0})
    assert k["calibrated_nj"] == pytest.approx(16 * (2.0 * 1.0 + 10.0 * 0.5))


def test_the_committed_calibration_covers_every_block() -> None:
    f = calibration_factors()
    assert set(BLOCKS) <= set(f) and all(v > 0 for v in f.values())


def test_each_engine_has_its_own_calibration() -> None:
    """The fused engine's figures are calibrated by its own gate-level run, not the event
    engine's (whose control factor is tens of times larger)."""
    f = engine_factors()
    assert set(f) == {"event", "fused"} and set(BLOCKS) <= set(f["fused"])
    assert f["fused"] != f["event"]
    assert CALIBRATIONS["fused"].name == "power_fused.json"


def test_heartbeat_at_75_bpm() -> None:
    # 100 nJ dynamic, 1000 nW leakage, 200 nW kept, 1 ms inference; a beat lasts 0.8 s
    b = heartbeat(100.0, 1000.0, 200.0, 1e-3)
    assert b["no_power_gating_uj"] == pytest.approx((100 + 1000 * 0.8) / 1000)
    assert b["power_gating_uj"] == pytest.approx((100 + 1000 * 1e-3 + 200 * 0.799) / 1000)


def _setup(n: int = 3):
    art = random_artifact(np.random.default_rng(5), T=2, weight_bits=6, neuron="ssf")
    pre = art.spec.preprocess
    rng = np.random.default_rng(1)
    half = 1 << (pre.input_bits - 1)
    x = rng.integers(-half, half, (n, 1, pre.n_samples))
    rr = rng.integers(0, 1 << pre.rr_bits, (n, art.spec.n_rr))
    return art, Sample(x, rr, np.zeros(n, np.int64), np.full(n, 1 / n))


def _netlist(artifact, config, work: Path) -> dict:
    assert isinstance(config, HwConfig)
    return {"cells": 10, "flip_flops": 2, "area_um2": 2e6, "sram_bits": 0,
            "leakage_nw": 1000.0, "weights_leakage_nw": 100.0}  # fmt: skip


def _energy(cycles_offset: int = 0, mismatches: int = 0):
    def energy(artifact, config, x, rr, labels, weights, tech, work) -> dict:
        assert tech == "45nm"  # the table the 180 nm carry starts from
        cyc = inference_cycles(artifact, config, x, rr) + cycles_offset
        return {"breakdown_nj": {"accumulate": 1.0}, "dense_qnn_nj": 3.0,
                "rtl_golden_mismatches": mismatches,
                "per_beat": {"cycles": cyc.tolist()}}  # fmt: skip

    return energy


def test_figures_of_a_point(tmp_path: Path) -> None:
    art, s = _setup()
    f = {"accumulate": 2.0}
    h = measure_hardware(art, HwConfig(lanes=4), s, tmp_path, _energy(), _netlist, f)
    cyc = inference_cycles(art, HwConfig(lanes=4), s.x, s.rr)
    assert h["cycles"] == {"mean": pytest.approx(cyc.mean()), "max": int(cyc.max())}
    assert h["dynamic_nj_180nm"] == pytest.approx(32.0)
    t = cyc.mean() / 4e6
    assert h["uj_per_heartbeat"] == pytest.approx((32.0 + 1000 * 0.8) / 1000)
    assert h["uj_per_heartbeat_gated"] == pytest.approx((32 + 1000 * t + 100 * (0.8 - t)) / 1000)
    assert h["area_um2"] == 2e6 and (h["engine"], h["rom"]) == ("event", False)


def test_the_fused_engine_is_measured_on_its_own_cycle_model(tmp_path: Path) -> None:
    """A fused point's cycles are the fused engine's (`hw/fused/cycles.py`), which differ from
    the event engine's on the same artifact; the energy stage is checked against them."""
    from ecg_snn.hw import cycles as event_cycles

    art, s = _setup()
    fused = HwConfig(lanes=4, rom=True, engine="fused")
    h = measure_hardware(art, fused, s, tmp_path, _energy(), _netlist, {})
    cyc = inference_cycles(art, fused, s.x, s.rr)
    assert h["cycles"]["max"] == int(cyc.max()) and h["engine"] == "fused" and h["rom"]
    assert not np.array_equal(cyc, event_cycles.inference_cycles(art, HwConfig(lanes=4), s.x, s.rr))


def test_rtl_cycles_that_disagree_with_the_model_stop_the_point(tmp_path: Path) -> None:
    art, s = _setup()
    with pytest.raises(RuntimeError, match="cycle model and the RTL disagree"):
        measure_hardware(art, HwConfig(lanes=4), s, tmp_path, _energy(1), _netlist, {})


def test_an_rtl_result_that_differs_from_golden_stops_the_point(tmp_path: Path) -> None:
    art, s = _setup()
    with pytest.raises(RuntimeError, match="differ between RTL and golden"):
        measure_hardware(art, HwConfig(lanes=4), s, tmp_path, _energy(0, 1), _netlist, {})


class _Sram:
    @staticmethod
    def leak_nw(width: int, depth: int) -> float:
        return 0.01 * width * depth


class _Run:
    """What `run_gate_level` returns, as far as `gate_netlist` reads it."""

    def __init__(self) -> None:
        self.cells, self.flip_flops, self.stat, self.sram = 100, 10, {"area": 5e5}, _Sram()
        self.plan = {"layer0/weight": {"kind": "sram", "width": 8, "depth": 64}}
        self.leakage_nw = {"weight_memory": 30.0, "control": 70.0}


@pytest.mark.parametrize(
    ("config", "kept"),
    [(HwConfig(lanes=4), 30.0 + 0.01 * 8 * 64),
     (HwConfig(lanes=4, rom=True, engine="fused"), 0.0)],
)  # fmt: skip
def test_the_netlist_is_built_as_make_power_builds_the_engine(
    config, kept, tmp_path: Path, monkeypatch
) -> None:
    """`gate_netlist` hands the synthesis the engine's own memory inventory, no weight image for
    a ROM build, and keeps no leakage through a power-gated sleep when the design retains
    nothing (the fused engine); the event engine's loadable build keeps its weights."""
    from ecg_snn.explore import hardware
    from ecg_snn.flow import design
    from ecg_snn.hw import engine
    from ecg_snn.power import gate_run

    art, _ = _setup()
    seen = {}

    def verilog(spec, cfg, artifact=None):
        seen["verilog"] = (cfg, artifact is art)
        return tmp_path / "top.v"

    def gate(artifact, v, x, rr, work, clock, jobs, **kw):
        seen["gate"] = kw
        return _Run()

    monkeypatch.setattr(design, "accelerator_verilog", verilog)
    monkeypatch.setattr(gate_run, "run_gate_level", gate)
    net = hardware.gate_netlist(art, config, tmp_path)
    assert seen["verilog"] == (config, True)
    assert seen["gate"]["load"] is (not config.rom) and not seen["gate"]["simulate"]
    paths = [m.path for m in seen["gate"]["memories"]]
    assert paths == [m.path for m in engine.memories(art.spec, config, art)]
    assert net["weights_leakage_nw"] == pytest.approx(kept)
    assert net["leakage_nw"] == pytest.approx(100.0 + 0.01 * 8 * 64)
