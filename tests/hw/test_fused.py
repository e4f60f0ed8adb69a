"""The fused engine (`hw/fused/`) in the Amaranth simulator against the golden model and its
cycle model, bit for bit and cycle for cycle; its refusals; and negative tests showing that the
checks can fail."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ecg_snn.hw import engine
from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.engine import accelerator, inference_cycles
from ecg_snn.hw.fused import plan as fused_plan
from ecg_snn.hw.fused.plan import FusedPlan
from ecg_snn.hw.fused.top import FusedAccelerator
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.shipped import shipped
from ecg_snn.sim.accel import fused_space
from ecg_snn.sim.accel.limits import limit_vectors
from ecg_snn.sim.pysim import simulate

FUSED = HwConfig(lanes=8, rom=True, engine="fused")


def run_fused(artifact, config, x, rr):
    """(classes, values, cycles) of the Amaranth simulation."""
    dut = FusedAccelerator(artifact.spec, config, artifact)
    got = simulate(dut, list(zip(x[:, 0], rr, strict=True)))
    return [g[0] for g in got], [g[1] for g in got], np.array([g[2] for g in got])


def test_shipped_model_matches_golden_and_cycle_model(beats_factory, rng):
    """The shipped all-ssf model (T = 4, the default shape) on random beats: exact classes,
    values and cycles; a silent beat included (`random_beats` makes beat 0 all zeros)."""
    art = load_artifact(shipped("inter"))
    x, rr = beats_factory(art, rng, 6)
    cls, values, cycles = run_fused(art, FUSED, x, rr)
    want = golden.run(art, x, rr)
    assert cls == want.cls.tolist()
    assert values == want.values.tolist()
    assert cycles.tolist() == inference_cycles(art, FUSED, x, rr).tolist()


@pytest.mark.parametrize("k", [0, 3, 10])
def test_random_all_ssf_points(k):
    """Constrained-random all-ssf artifacts (shapes, T, widths, saturating membranes, lanes
    1..16, `sim/accel/fused_space.py`): the directed limit inputs and two random ones."""
    art, config = fused_space.points(n=k + 1)[k]
    r = fused_space.check_point(art, config, limit_vectors(art.spec, 2))
    assert (r["mismatches"], r["cycle_mismatches"]) == (0, 0), r["first_mismatch"]


@pytest.mark.parametrize("name", ["ssf", "t-max-ssf"])
def test_limit_cases(name):
    """Counts clipped at T, the largest shift, ties, T = 1024 (11-bit counts)."""
    art, config, n_random = fused_space.limit_cases()[name]
    r = fused_space.check_point(art, config, limit_vectors(art.spec, n_random))
    assert (r["mismatches"], r["cycle_mismatches"]) == (0, 0), r["first_mismatch"]


BLOCK_RAM_CASES = [("limit", "ssf"), ("limit", "t-max-ssf")] + [("point", k) for k in (0, 1, 3)]


@pytest.mark.parametrize("case", BLOCK_RAM_CASES, ids=[f"{a}-{b}" for a, b in BLOCK_RAM_CASES])
def test_the_fpga_build_matches_golden(case):
    """The FPGA build (`HwConfig.block_ram`: weight banks behind synchronous read ports, the
    dense accumulators in block RAM, `hw/fused/accmem.py`) on the limit cases and random
    points: exact values, and the cycles of the same cycle model (the schedule is unchanged).
    The points have one-group dense layers (registers) beside memories, one lane to four."""
    kind, which = case
    if kind == "limit":
        art, config, n_random = fused_space.limit_cases(block_ram=True)[which]
    else:
        (art, config), n_random = fused_space.points(n=which + 1, block_ram=True)[which], 2
    assert config.block_ram
    r = fused_space.check_point(art, config, limit_vectors(art.spec, n_random))
    assert (r["mismatches"], r["cycle_mismatches"]) == (0, 0), r["first_mismatch"]


def test_the_fpga_build_runs_the_shipped_model(beats_factory, rng):
    """The shipped model at one lane (the iCEBreaker's `make fpga` build), block RAM: exact
    classes, values and cycles, as the default build's."""
    art = load_artifact(shipped("inter"))
    x, rr = beats_factory(art, rng, 2)
    config = HwConfig(lanes=1, rom=True, engine="fused", block_ram=True)
    cls, values, cycles = run_fused(art, config, x, rr)
    want = golden.run(art, x, rr)
    assert (cls, values) == (want.cls.tolist(), want.values.tolist())
    assert cycles.tolist() == inference_cycles(art, config, x, rr).tolist()


def test_a_wrong_start_value_is_caught(monkeypatch):
    """Negative test of the checker: an engine whose accumulators start one too high (a
    v_init + T*bias bug) gives mismatches, so `check_point` can fail."""
    real = fused_plan.init_values
    monkeypatch.setattr(
        "ecg_snn.hw.fused.core.init_values", lambda plan, art, i: real(plan, art, i) + 1
    )
    art, config, n_random = fused_space.limit_cases()["ssf"]
    r = fused_space.check_point(art, config, limit_vectors(art.spec, n_random))
    assert r["mismatches"] > 0


def test_a_wrong_cycle_model_is_caught(monkeypatch):
    """Negative test: a cycle model one cycle off is reported as cycle mismatches."""
    from ecg_snn.hw.fused import cycles

    real = cycles.inference_cycles
    monkeypatch.setattr(cycles, "inference_cycles", lambda *a: real(*a) + 1)
    art, config, n_random = fused_space.limit_cases()["ssf"]
    r = fused_space.check_point(art, config, limit_vectors(art.spec, n_random))
    assert r["cycle_mismatches"] == r["vectors"]


def test_zero_counts_cost_no_operation():
    """Event-driven: a silent beat on a model without bias current costs only the fixed
    START/FIRE cycles per position and group and the words; more non-zero samples cost more."""
    art, config, _ = fused_space.limit_cases()["ssf"]
    pre = art.spec.preprocess
    zero = np.zeros((1, 1, pre.n_samples), np.int64)
    rr0 = np.zeros((1, art.spec.n_rr), np.int64)
    loud = np.full_like(zero, pre.input_range[1])
    quiet, busy = (
        inference_cycles(art, config, zero, rr0)[0],
        inference_cycles(art, config, loud, rr0)[0],
    )
    assert quiet < busy


def test_refuses_if_and_mixed_artifacts(artifact_factory, ssf_factory):
    for art in (artifact_factory("small"), ssf_factory("small", 0, n_ssf=2)):
        with pytest.raises(ValueError, match="all-sum-then-fire artifacts only") as e:
            accelerator(art.spec, HwConfig(rom=True, engine="fused"), art)
        assert "\n" not in str(e.value)


def test_refuses_the_loadable_build(ssf_factory):
    art = ssf_factory("small", 0)
    with pytest.raises(ValueError, match=r"ROM=0\) is not supported"):
        accelerator(art.spec, HwConfig(rom=False, engine="fused"), art)


def test_refuses_a_conv_after_a_dense_layer(ssf_factory):
    art = ssf_factory("small", 0)
    layers = list(art.spec.layers)
    # conv0, dense, conv, dense: only the plan's check runs (the spec itself is not valid)
    layers[1] = dataclasses.replace(layers[1], kind="dense")
    layers[2] = dataclasses.replace(layers[2], kind="conv1d")
    spec = dataclasses.replace(art.spec, layers=tuple(layers))
    with pytest.raises(ValueError, match="conv layers before the dense ones"):
        fused_plan.check_supported(spec, HwConfig(rom=True, engine="fused"))


def test_engine_is_validated_and_keyed():
    from ecg_snn.flow.design import design_key

    with pytest.raises(ValueError, match="engine must be one of event, fused"):
        HwConfig(engine="qnn")
    art = load_artifact(shipped("inter"))
    event, fused = HwConfig(rom=True), HwConfig(rom=True, engine="fused")
    assert design_key(art.spec, event, art) != design_key(art.spec, fused, art)
    assert event.as_dict() == {"lanes": 8, "rom": True}  # the event engine's reports unchanged
    assert fused.as_dict()["engine"] == "fused"
    fpga = HwConfig(rom=True, engine="fused", block_ram=True)
    assert design_key(art.spec, fused, art) != design_key(art.spec, fpga, art)
    assert fpga.as_dict()["block_ram"] is True and "block_ram" not in fused.as_dict()
    # without block RAM, the repr (the Verilog cache key) is the one made before it existed
    assert repr(fused) == "HwConfig(lanes=8, rom=True, engine='fused')"


def test_accumulator_width_covers_every_partial_sum():
    """`acc_bits` holds the sum of every term at its extreme (hand-computed for the shipped
    conv0, T = 2, 19-bit membrane, 12-bit bias, 7 taps of 6-bit weights on 12-bit samples:
    2**18 + 2 * 2**11 + 2 * 7 * 32 * 2048 = 1,183,744 < 2**21, so 22 signed bits)."""
    art = load_artifact(shipped("inter"))
    p = FusedPlan.of(art.spec, FUSED)
    assert p.layers[0].acc_bits == 22
    assert all(q.acc_bits >= q.layer.membrane_bits for q in p.layers)


def test_state_is_about_one_kilobit():
    art = load_artifact(shipped("inter"))
    bits = FusedPlan.of(art.spec, FUSED).state_bits()  # what the component reports
    assert sum(bits.values()) < 1400
    assert engine.retained_state(art.spec, FUSED) == {}


def test_the_spi_shell_runs_the_fused_engine_unchanged(ssf_factory, beats_factory, rng):
    """The SPI shell (`hw/spi.py`) around the fused engine, driven as the C HAL drives it: the
    same register map, no load (ROM), results equal to the golden model's."""
    from ecg_snn.hw.spi import SpiShell
    from ecg_snn.model.contract.ports import ResultLayout, pack_result
    from ecg_snn.model.contract.spi import result_bytes
    from ecg_snn.sim.pysim import SpiMaster
    from tests.hw.test_spi import Host, run

    a = ssf_factory("tiny", 15)
    x, rr = beats_factory(a, rng, 3)
    g = golden.run(a, x, rr)
    layout = ResultLayout.of(a.spec)
    want = [pack_result(layout, int(c), v.tolist()) for c, v in zip(g.cls, g.values, strict=True)]
    shell = SpiShell(a.spec, HwConfig(lanes=2, rom=True, engine="fused"), a)
    bits = a.spec.preprocess.input_bits
    seen = {}

    async def bench(ctx):
        host = Host(SpiMaster(ctx, shell), result_bytes(shell.accel.result_layout))
        seen["results"] = [await host.classify(x[n, 0], rr[n], bits) for n in range(len(x))]

    run(shell, bench)
    assert seen["results"] == want
