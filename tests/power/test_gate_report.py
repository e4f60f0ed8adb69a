"""`make power GATE=1` end to end on a tiny random artifact: `gate_report.gate_sections` with the
gate-level simulation on. Yosys maps the accelerator onto osu018, the flat gate-level model runs
on Verilator in the SAIF harness (every result checked against the golden model), the RTL model
runs on the same beats, the calibration is fitted and OpenSTA times the netlist. The report
sections must be there with finite, positive figures and no mismatch."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # Yosys, two Verilator builds (RTL and gate level): minutes

N_BEATS = 4  # two fit and two held-out beats for the calibration


def _tiny_artifact():
    from ecg_snn.model.random_artifact import random_artifact

    return random_artifact(
        np.random.default_rng(11), n_samples=16, convs=((2, 5, 2), (3, 3, 2)), hidden=(6,)
    )


def _beats(artifact, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random chip inputs in range: (n, n_samples) samples and (n, n_rr) RR features."""
    pre = artifact.spec.preprocess
    half = 1 << (pre.input_bits - 1)
    x = rng.integers(-half, half, (n, pre.n_samples))
    rr = rng.integers(0, 1 << pre.rr_bits, (n, artifact.spec.n_rr))
    return x, rr


# The default memory plan (register files below 128 words), and one where every memory of two
# words or more is an SRAM macro (the flat model's macro with its transparent-read bypass).
@pytest.fixture(scope="module", params=[128, 2], ids=["plan128", "plan2"])
def gate_report(tmp_path_factory, request):
    from ecg_snn.flow.asic.pdk import OSU018, sta_binary
    from ecg_snn.flow.design import accelerator_verilog
    from ecg_snn.flow.netlist import load_verilog
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.model.contract import golden
    from ecg_snn.power import report
    from ecg_snn.power.accel import harness_for
    from ecg_snn.power.gate_report import gate_sections
    from ecg_snn.power.rtl import simulate
    from ecg_snn.power.run import BUILD
    from ecg_snn.power.tech import load_technology

    try:
        OSU018.liberty()
        sta_binary()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    artifact = _tiny_artifact()
    config = HwConfig(lanes=2)
    root = tmp_path_factory.mktemp("gate_report")
    verilog = accelerator_verilog(artifact.spec, config)  # both cached by content
    exe = harness_for(verilog, BUILD / "harness")
    x, rr = _beats(artifact, N_BEATS, np.random.default_rng(5))
    techs = ["22nm", "45nm"]
    energies, cycles, bad = simulate(exe, verilog, artifact, x, rr, techs, 2, root / "saif")
    ref = golden.run(artifact, x[:, None, :], rr)
    data = report.Inputs(
        artifact=artifact,
        model="tiny random artifact",
        config=config,
        netlist=load_verilog(verilog),
        techs=[load_technology(t) for t in techs],
        labels=np.zeros(N_BEATS, np.int64),
        class_names=("N",),
        weights=np.full(N_BEATS, 1 / N_BEATS),
        energies=energies,
        silent=energies[0],
        cycles=cycles,
        spikes=ref.spikes,
        synops=ref.synops,
        mismatches=bad,
        seconds=0.0,
        x=x,
        rr=rr,
    )
    body = report.build(data)
    out = gate_sections(
        artifact,
        verilog,
        exe,
        x,
        rr,
        root / "gate",
        2,
        body,
        gate_sim=True,
        sram_min_depth=request.param,
    )
    return bad, out, report.summary({**body, **out})


def _finite_positive(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_rtl_matches_golden(gate_report):
    bad_rtl, out, _ = gate_report
    assert bad_rtl == 0
    assert out["calibration"]["rtl_golden_mismatches_on_gate_beats"] == 0
    assert out["gate_level"]["beats"] == N_BEATS


def test_gate_level_matches_golden(gate_report):
    _, out, _ = gate_report
    assert out["gate_level"]["mismatches"] == 0


def test_gate_report_sections(gate_report):
    _, out, summary = gate_report
    assert "OpenSTA report_power, same activity" in summary and "calibrated 22 nm" in summary
    assert {"gate_level", "timing", "calibration", "calibrated_22nm"} <= set(out)
    g, t, c, k = (out[s] for s in ("gate_level", "timing", "calibration", "calibrated_22nm"))
    for value in (
        g["nj_per_inference"]["mean"],
        g["dynamic_nj"],
        g["leakage"]["nj_per_inference"],
        g["cycles_mean"],
        g["cells"],
        g["flip_flops"],
        t["critical_path_ns"],
        t["fmax_mhz"],
        t["real_time_margin_at_200_bpm"],
        k["nj_per_inference"],
        k["dynamic_nj"],
        k["leakage_nw"],
        *k["band_nj"],
        k["heartbeat_75_bpm_25c"]["no_power_gating_uj"],
        k["heartbeat_75_bpm_25c"]["power_gating_uj"],
    ):
        assert _finite_positive(value), value
    assert g["nets_without_activity_max"] == 0
    assert k["band_nj"][0] <= k["nj_per_inference"] <= k["band_nj"][1]
    assert c["fit_beats"] == N_BEATS // 2 and c["held_out"]["beats"] == N_BEATS - N_BEATS // 2
    assert all(math.isfinite(v) and v >= 0 for v in c["factors"].values())
    assert any(v > 0 for v in c["factors"].values())
    assert math.isfinite(c["held_out"]["total_error"])
    o = g["opensta_power"]
    assert o["beats"] == N_BEATS
    assert _finite_positive(o["nj_per_inference"]) and _finite_positive(o["leakage_nj"])
    assert _finite_positive(o["python_cells"]["total_nj"])
    assert math.isfinite(o["relative_difference"])
    assert o["clock_network_nets"] > 1  # the clock port, its buffers and the clock gates
    assert math.isfinite(o["relative_difference_clock_free_running"])
    print(summary)
    assert o["groups_w"]["macro"]["total_w"] == 0  # the SRAM macros are not in sta.v


def test_finite_positive_rejects():
    """The check above can fail: zero, negative, NaN, infinity and non-numbers are refused."""
    for bad in (0, -1.0, float("nan"), float("inf"), None, "1"):
        assert not _finite_positive(bad)


def test_memory_plan_follows_its_threshold(gate_report):
    _, out, _ = gate_report
    g = out["gate_level"]
    n = int(re.search(r">= (\d+) words", g["memory_plan_rule"]).group(1))
    plan = g["memory_plan"]
    # a memory never written (weights of a ROM build, a constant) is logic, whatever its depth
    ram = {k: m for k, m in plan.items() if m["kind"] != "rom"}
    off = {k: m for k, m in ram.items() if (m["kind"] == "sram") != (m["depth"] >= n)}
    assert ram and not off, off
    if n == 2:  # the plan where the small, transparent-read memories are macros too
        assert sum(m["kind"] == "sram" for m in plan.values()) >= 3
