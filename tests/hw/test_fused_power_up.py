"""Power-up of the fused engine (`hw/fused/`): correct after the power-on reset whatever its
flip-flops held at power-up (the method of `tests/hw/test_power_up.py`: initialisers stripped,
Verilator `--x-initial unique`, a random value per bit per seed). The fused engine retains
nothing (ROM weights), so after `por` alone it must be loaded, idle and bit-exact on real DS2
beats; a negative test shows the check can fail without `por`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.ports import TOP
from tests.hw.test_power_up import (
    BEATS,
    MODEL,
    SEEDS,
    _beat_lines,
    _golden,
    _peeks,
    _results,
    _run,
    beats,  # noqa: F401 - the real DS2 beats fixture
    power_up_verilog,
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    from ecg_snn.flow.verilog import emit
    from ecg_snn.hw.fused.top import FusedAccelerator
    from ecg_snn.power.harness import build_harness

    artifact = load_artifact(MODEL)
    d = tmp_path_factory.mktemp("powerup_fused")
    dut = FusedAccelerator(artifact.spec, HwConfig(rom=True, engine="fused"), artifact)
    v = emit(dut, d / "rtl")[0]
    stripped = d / f"{TOP}.v"
    stripped.write_text(power_up_verilog(v.read_text()))
    return build_harness(
        stripped,
        TOP,
        d / "build",
        extra_args=("--x-initial", "unique", "--x-assign", "unique"),
        cxx_opt="-O1",
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_fused_chip_is_defined_after_power_on_reset(harness, beats, seed):  # noqa: F811
    artifact, x, rr = beats
    k = SEEDS.index(seed)
    x, rr = x[k * BEATS : (k + 1) * BEATS], rr[k * BEATS : (k + 1) * BEATS]
    half = BEATS // 2
    lines = ["set por 1", "step 2", "set por 0", "peek loaded", "peek busy"]
    lines += _beat_lines(artifact, x[:half], rr[:half])
    lines += ["set rst 1", "step 2", "set rst 0", "peek busy"]  # a soft reset between beats
    lines += _beat_lines(artifact, x[half:], rr[half:])
    out = _run(harness, lines, seed)
    assert _peeks(out) == [1, 0, 0]
    assert _results(artifact, out) == _golden(artifact, x, rr)


@pytest.mark.slow
def test_without_a_reset_the_schedule_is_undefined(harness):
    """Negative: with no reset at all the schedule's registers keep their random power-up
    values, so `busy` comes up high on some seed: the check above can see a missing reset."""
    lines = ["step 2", "peek busy"]
    assert any(_peeks(_run(harness, lines, seed)) != [0] for seed in SEEDS)
