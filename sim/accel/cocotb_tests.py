"""cocotb tests of the accelerator, run by `sim.run` and `tests/sim/` through `sim.tb.runner`.
Every test reads its job (`sim/accel/job.py`) from the file named by `SIM_JOB`.

- `run_job`: the phases in order (loads and classify runs), results written per phase.
- `pauses_crossed`: the first classify phase's first vectors under every crossing of input
  idle insertion and result back-pressure.
- `reset_mid_inference`: reset while a beat is half sent and while one is being computed; the
  chip must drop it, keep its model and classify the next beats exactly.
- `corrupted_expectation_is_caught`: the negative test of the scoreboard on the real DUT.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
import numpy as np

from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.sim.accel.bench import WATCHDOG_CYCLES, AccelTB, expectations
from ecg_snn.sim.accel.job import ENV
from ecg_snn.sim.tb.scoreboard import Scoreboard

# (loaded, load_error) after an image, by expected outcome.
LOAD_FLAGS = {"ok": (True, False), "error": (False, True), "incomplete": (False, False)}
CROSS_VECTORS = int(os.environ.get("SIM_CROSS_VECTORS", "24"))


def _job() -> tuple[dict, ResultLayout]:
    job = json.loads(Path(os.environ[ENV]).read_text())
    return job, ResultLayout(**job["layout"])


def _phases(job: dict, kind: str) -> list[dict]:
    return [p for p in job["phases"] if p["kind"] == kind]


async def _start(dut: Any, job: dict, layout: ResultLayout, **kw: Any) -> AccelTB:
    """A TB out of reset with the job's first image loaded (if it has one)."""
    tb = AccelTB(dut, layout, **kw)
    await tb.reset()
    for phase in _phases(job, "load")[:1]:
        loaded, error = await tb.load(np.load(phase["image"]).tolist())
        assert loaded and not error, f"image {phase['name']} did not load (error={error})"
    return tb


async def _classify(tb: AccelTB, phase: dict, sb: Scoreboard, n: int | None = None) -> Any:
    with np.load(phase["vectors"]) as f:
        data = {k: f[k][:n] for k in f.files}
    for item in expectations(data, phase.get("corrupt")):
        sb.expect(item)
    watchdog = phase.get("watchdog_cycles", WATCHDOG_CYCLES)
    player = phase.get("player", True)
    return data, await tb.classify(data["x"], data["rr"], sb, watchdog, player=player)


@cocotb.test()
async def run_job(dut: Any) -> None:
    """Every phase of the job in order; results go to each phase's `.out.npz`."""
    job, layout = _job()
    tb = AccelTB(dut, layout)
    await tb.reset()
    failures = []
    for phase in job["phases"]:
        if phase["kind"] == "reset":
            await tb.reset()
            continue
        if phase["kind"] == "load":
            flags = await tb.load(np.load(phase["image"]).tolist())
            want = LOAD_FLAGS[phase["expect"]]
            if flags != want:
                failures.append(
                    f"load {phase['name']}: (loaded, load_error) = {flags}, expected {want} "
                    f"({phase['expect']})"
                )
            continue
        tb.set_pauses(phase["in_pauses"], phase["out_pauses"], phase["seed"])
        sb = Scoreboard(phase["name"])
        t0, cpu0 = time.perf_counter(), time.process_time()
        _, (cls, values, cycles) = await _classify(tb, phase, sb)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        # CPU time as well: on a shared machine the wall time depends on everybody else.
        dut._log.info(
            "%s: %d beats in %.1f s, %.1f s CPU (%.0f beats/s); %s",
            phase["name"],
            len(cls),
            wall,
            cpu,
            len(cls) / max(wall, 1e-9),
            sb.report(),
        )
        first = str(sb.mismatches[0]) if sb.mismatches else ""
        np.savez(
            phase["results"],
            cls=cls,
            values=values,
            cycles=cycles,
            received=sb.matched + len(sb.mismatches),
            mismatches=len(sb.mismatches),
            first_mismatch=first,
            report=sb.report(),
        )
        if phase.get("fail_on_mismatch", True) and (sb.errors or sb.pending):
            failures.append(sb.report())
    assert not failures, "\n".join(failures)


@cocotb.test()
@cocotb.parametrize(in_pauses=["none", "random", "bursty"], out_pauses=["none", "random", "slow"])
async def pauses_crossed(dut: Any, in_pauses: str, out_pauses: str) -> None:
    """Idle insertion on the inputs crossed with back-pressure on the result."""
    job, layout = _job()
    tb = await _start(dut, job, layout, in_pauses=in_pauses, out_pauses=out_pauses, seed=5)
    sb = Scoreboard(f"{in_pauses}/{out_pauses}")
    await _classify(tb, _phases(job, "classify")[0], sb, CROSS_VECTORS)
    sb.check()


@cocotb.test()
async def reset_mid_inference(dut: Any) -> None:
    """Reset with half a beat sent, and again in the middle of an inference; then a clean run.
    The model must stay loaded (a reset clears inference state only)."""
    job, layout = _job()
    tb = await _start(dut, job, layout)
    phase = _phases(job, "classify")[0]
    with np.load(phase["vectors"]) as f:
        x, rr = f["x"][:2].tolist(), f["rr"][:2].tolist()
    # 1: half the samples of a beat, then reset.
    task = cocotb.start_soon(tb.samples.send(x[0][: len(x[0]) // 2]))
    await task
    await tb.reset()
    assert bool(dut.loaded.value), "reset unloaded the model"
    assert not bool(dut.busy.value), "busy survived reset"
    # 2: a whole beat, reset a few cycles into the inference.
    feeds = [cocotb.start_soon(tb.samples.send(x[1]))]
    if tb.rr is not None and len(rr[1]):
        feeds.append(cocotb.start_soon(tb.rr.send(rr[1])))
    for t in feeds:
        await t
    await tb.cycles(7)
    assert bool(dut.busy.value), "the chip is not busy after a whole beat"
    await tb.reset()
    assert not bool(dut.busy.value) and not bool(dut.o_result__valid.value)
    # 3: clean back-to-back beats match exactly (no state from the aborted ones).
    sb = Scoreboard("after reset")
    await _classify(tb, phase, sb, 8)
    sb.check()


@cocotb.test()
async def corrupted_expectation_is_caught(dut: Any) -> None:
    """Negative test: one expectation off by one in one output value is reported, with its
    record, index and the differing value; all the others match."""
    job, layout = _job()
    tb = await _start(dut, job, layout)
    phase = dict(_phases(job, "classify")[0], corrupt=3)
    sb = Scoreboard("negative")
    data, _ = await _classify(tb, phase, sb, 8)
    assert len(sb.mismatches) == 1 and sb.matched == 7, sb.report()
    m = sb.mismatches[0]
    assert (m.expected.record, m.expected.index) == (data["record"][3], data["index"][3])
    assert "values: [0] expected" in str(m), str(m)
    try:
        sb.check()
    except AssertionError:
        return
    raise AssertionError("the scoreboard accepted a corrupted expectation")
