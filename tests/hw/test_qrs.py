"""The QRS detector block (`hw/qrs.py`) in the Amaranth simulator against the golden detector
(`model/contract/qrs.py`): the same beats (fiducial, peak, search-back flag) decided at the
same sample, on synthetic records (the real MIT-BIH minutes run on Verilator:
`tests/sim/test_qrs_rtl.py`)."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from ecg_snn.hw.qrs import QrsDetector
from ecg_snn.model.contract import qrs
from tests.ecg_synth import synthetic_ecg


def simulate(dut: QrsDetector, samples: np.ndarray, valid: np.ndarray, gap: int = 0) -> list[tuple]:
    """Feed every sample; return (sample, peak, decided, searchback) per beat, `decided` the
    index of the sample after which the block offered it. `gap`: cycles with no sample offered
    between samples, and cycles a beat waits before it is taken (a slow host)."""
    beats: list[tuple] = []

    async def bench(ctx) -> None:
        ctx.set(dut.o_beat.ready, gap == 0)
        for k, (v, ok) in enumerate(zip(samples, valid, strict=True)):
            ctx.set(dut.i_sample.payload, {"value": int(v), "valid": int(ok)})
            ctx.set(dut.i_sample.valid, 1)
            await ctx.tick().until(dut.i_sample.ready)
            ctx.set(dut.i_sample.valid, 0)
            while True:  # until the block is ready for the next sample
                *_, offered, ready, beat = await ctx.tick().sample(
                    dut.o_beat.valid, dut.i_sample.ready, dut.o_beat.payload
                )
                if offered and gap:  # hold it waiting, then take it
                    await ctx.tick().repeat(gap)
                    ctx.set(dut.o_beat.ready, 1)
                    *_, beat = await ctx.tick().sample(dut.o_beat.payload)
                    ctx.set(dut.o_beat.ready, 0)
                    offered = True
                if offered:
                    beats.append((beat.sample, beat.peak, k, beat.searchback))
                if ready:
                    break
            if gap:
                await ctx.tick().repeat(gap)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return beats


def golden_beats(samples: np.ndarray, valid: np.ndarray) -> list[tuple]:
    g = qrs.detect(samples, valid=valid)
    return [
        tuple(int(v) for v in row)
        for row in zip(g.sample, g.peak, g.decided, g.searchback, strict=True)
    ]


def test_block_equals_golden_on_a_synthetic_record():
    samples = synthetic_ecg(72, 12)
    valid = np.ones(len(samples), bool)
    got = simulate(QrsDetector(), samples, valid)
    assert got == golden_beats(samples, valid)
    assert len(got) >= 12  # the learning back-search found the beats of the first 2 s too


def test_work_clocked_block_equals_golden_with_a_slow_host():
    """Clocked only while it has work (`work_clock`): with cycles between the samples and
    beats that wait to be taken, it still gives the golden beats at the golden samples (it
    must not sleep through a sample offered or a beat taken: `tests/mutants.toml`)."""
    samples = synthetic_ecg(72, 6)
    valid = np.ones(len(samples), bool)
    got = simulate(QrsDetector(work_clock=True), samples, valid, gap=3)
    assert got == golden_beats(samples, valid)
    assert len(got) >= 5


def test_a_clock_gate_without_the_work_clock_is_refused():
    with pytest.raises(ValueError, match="clock_gate needs work_clock"):
        QrsDetector(clock_gate="ICG_POS")


def test_wide_port_saturates_and_holds_through_a_lead_off_gap():
    """A 24-bit port: samples far beyond 16 bits saturate as in the contract; 2 s of invalid
    samples (held) in the middle, 150 bpm."""
    samples = (synthetic_ecg(150, 14, amplitude=400) - 1124) * 400
    assert samples.max() > 32767 and samples.min() < -32768
    valid = np.ones(len(samples), bool)
    valid[5 * qrs.FS : 7 * qrs.FS] = False
    samples[~valid] = -(1 << 23)  # what must not reach the filters
    got = simulate(QrsDetector(sample_bits=24), samples, valid)
    assert got == golden_beats(samples, valid)
    assert len(got) > 20


@pytest.mark.parametrize("bits", [15, 33, 16.0])
def test_sample_bits_out_of_range_is_refused(bits):
    with pytest.raises(
        ValueError, match=f"sample_bits must be an integer from 16 to 32, not {bits}"
    ):
        QrsDetector(sample_bits=bits)
