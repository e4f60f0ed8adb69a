"""cocotb tests of the C firmware driver on the accelerator's RTL: the compiled driver
(`firmware/src/snn_driver.c`, through `firmware.host.HostLib`) runs in a `cocotb.task.bridge`
thread and its HAL is `sim.accel.cocotb_hal.RtlHal`, so every load, submit and poll is a
handshake on the real ports. Run by `tests/firmware/test_driver_rtl.py` through
`sim.tb.runner`; the job is the JSON file named by `SIM_DRIVER_JOB`::

    lib           libsnn_host.so built for model A (its snn_image.h is A's image)
    poll_cycles   the HAL's polling interval; poll_budget: the driver's budget, in polls
    image_a       A's image words (.npy); image_b_bin: model B's snn_weights.bin (same hardware)
    vectors_a, vectors_b   .npz with x (N, n_samples) signed samples, rr (N, n_rr)
    bad_images    {name: .npy} images the driver must refuse before sending a word
    raw_bad       an image sent to i_load directly (not through the driver)
    out           directory for the results (<test>.npz and <test>.json)

The tests record what happened (driver status codes, the words seen on each port, the result
payloads, the flags) and the pytest side compares with golden and model/contract/image.py; a
test here fails only on a HAL error or a broken invariant of the bench itself.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge

from ecg_snn.firmware.host import HostLib
from ecg_snn.sim.accel.cocotb_hal import LOAD, RR, SAMPLE, RtlHal
from ecg_snn.sim.tb.bench import TB
from ecg_snn.sim.tb.stream import StreamDriver

ENV = "SIM_DRIVER_JOB"
FLAG_SETTLE_CYCLES = 8
IDLE_CYCLES = 200


def _job() -> dict:
    return json.loads(Path(os.environ[ENV]).read_text())


async def _count_done(dut: Any, count: list[int]) -> None:
    """Count `done` pulses. `done` is combinational, and a value-change callback can fire on a
    glitch while the simulator settles a timestep; a pulse counts only if `done` is still high
    once the timestep has settled."""
    edge, settled = RisingEdge(dut.done), ReadOnly()
    while True:
        await edge
        await settled
        if int(dut.done.value):
            count[0] += 1


async def _start(dut: Any, job: dict) -> tuple[TB, HostLib, RtlHal, list[int]]:
    tb = TB(dut)
    await tb.reset()
    lib = HostLib(job["lib"])
    hal = RtlHal(tb, result_words=lib.info["result_words"], poll_cycles=job["poll_cycles"])
    lib.use_hal(hal, job["poll_budget"])
    done = [0]
    cocotb.start_soon(_count_done(dut, done))
    return tb, lib, hal, done


def _vectors(path: str, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as f:
        return f["x"][:n], f["rr"][:n]


def _results(hal: RtlHal) -> np.ndarray:
    words = [op.value for op in hal.trace if op.kind == "result" and op.ok]
    n = hal.result_words
    return np.array([[(w >> (32 * i)) & 0xFFFFFFFF for i in range(n)] for w in words], np.uint64)


def _write(job: dict, name: str, arrays: dict, facts: dict) -> None:
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / f"{name}.npz", **arrays)
    (out / f"{name}.json").write_text(json.dumps(facts, indent=1) + "\n")


async def _classify(
    lib: HostLib, hal: RtlHal, x: np.ndarray, rr: np.ndarray, tag: str, arrays: dict, facts: dict
) -> None:
    """snn_classify on every beat (the host shim's batch loop) and what reached the ports."""
    hal.clear()
    t0, c0 = time.perf_counter(), hal.tb.cycle()
    got = await hal.run(lib.driver, x, rr)
    arrays[f"{tag}_cls"], arrays[f"{tag}_values"] = got["cls"], got["values"]
    arrays[f"{tag}_payload"] = _results(hal)
    arrays[f"{tag}_samples"] = np.array(hal.puts(SAMPLE), np.uint32)
    arrays[f"{tag}_rr"] = np.array(hal.puts(RR), np.uint32)
    facts[f"{tag}_beats"] = len(x)
    facts[f"{tag}_cycles"] = hal.tb.cycle() - c0
    facts[f"{tag}_wall_s"] = round(time.perf_counter() - t0, 2)
    facts[f"{tag}_hal_calls"] = dict(hal.counts)


async def _load(lib_call: Any, hal: RtlHal, tag: str, arrays: dict, facts: dict) -> int:
    hal.clear()
    t0, c0 = time.perf_counter(), hal.tb.cycle()
    st = await hal.run(lib_call)
    loads = [op for op in hal.trace if op.kind == "put" and op.port == LOAD and op.ok]
    arrays[f"{tag}_words"] = np.array([op.value for op in loads], np.uint32)
    arrays[f"{tag}_flags"] = np.array([op.flags for op in loads], np.int64).reshape(-1, 2)
    facts[f"{tag}_status"] = st
    facts[f"{tag}_cycles"] = hal.tb.cycle() - c0
    facts[f"{tag}_wall_s"] = round(time.perf_counter() - t0, 2)
    facts[f"{tag}_hal_calls"] = dict(hal.counts)
    return st


@cocotb.test()
async def driver_loads_and_classifies(dut: Any) -> None:
    """A's image from flash (snn_image.h), A's beats; B's snn_weights.bin through
    snn_load_le, B's beats; A again from RAM words, the first beats again."""
    job = _job()
    tb, lib, hal, done = await _start(dut, job)
    arrays: dict[str, np.ndarray] = {}
    facts: dict[str, Any] = {}
    xa, rra = _vectors(job["vectors_a"])
    xb, rrb = _vectors(job["vectors_b"])
    n_again = min(8, len(xa))
    bin_b = Path(job["image_b_bin"]).read_bytes()
    await _load(lib.load_builtin, hal, "load_a", arrays, facts)
    await _classify(lib, hal, xa, rra, "a", arrays, facts)
    await _load(lambda: lib.load_bytes(bin_b), hal, "load_b", arrays, facts)
    await _classify(lib, hal, xb, rrb, "b", arrays, facts)
    image_a = np.load(job["image_a"])
    await _load(lambda: lib.load(image_a), hal, "load_a2", arrays, facts)
    await _classify(lib, hal, xa[:n_again], rra[:n_again], "a2", arrays, facts)
    await tb.cycles(2)
    facts["done_pulses"] = done[0]
    _write(job, "driver_loads_and_classifies", arrays, facts)
    assert done[0] == len(xa) + len(xb) + n_again, f"done pulsed {done[0]} times"


async def _flags(tb: TB) -> dict[str, int]:
    await tb.falling
    f = {k: int(getattr(tb.dut, k).value) for k in ("loaded", "load_error", "busy")}
    await tb.rising
    return f


@cocotb.test()
async def driver_errors(dut: Any) -> None:
    """The driver's refusals and the RTL's: images refused before a word is sent, a corrupted
    image sent raw (load_error), a fault on the wire during a driver load (the RTL rejects,
    the driver reports it), not loaded, out of range, busy, reset mid-inference, timeout."""
    job = _job()
    tb, lib, hal, _ = await _start(dut, job)
    arrays: dict[str, np.ndarray] = {}
    facts: dict[str, Any] = {}
    xa, rra = _vectors(job["vectors_a"], 4)
    image_a = np.load(job["image_a"])

    async def step(name: str, call: Any) -> int:
        hal.clear()
        st = await hal.run(call)
        facts[f"{name}_status"] = st
        facts[f"{name}_hal_calls"] = dict(hal.counts)
        facts[f"{name}_flags"] = await _flags(tb)
        return st

    await step("load_a", lambda: lib.load(image_a))
    for name, path in job["bad_images"].items():
        bad = np.load(path)
        await step(f"refuse_{name}", lambda bad=bad: lib.load(bad))
    await _classify(lib, hal, xa[:2], rra[:2], "after_refusals", arrays, facts)

    # the same kind of image sent raw: only the RTL stands between it and the memories
    raw = StreamDriver(tb, "i_load")
    await raw.send(np.load(job["raw_bad"]).tolist())
    await tb.cycles(FLAG_SETTLE_CYCLES)
    facts["raw_flags"] = await _flags(tb)
    await step("submit_not_loaded", lambda: lib.submit(xa[0], rra[0]))

    # a good image, one word flipped on the wire: the driver's checks pass, the RTL's do not
    hal.fault_on_load(job["fault_word"], job["fault_mask"])
    await step("load_fault", lambda: lib.load(image_a))
    hal.fault_on_load(0, 0)
    await step("load_a_again", lambda: lib.load(image_a))
    await _classify(lib, hal, xa, rra, "after_fault", arrays, facts)

    out_of_range = xa[0].copy()
    out_of_range[-1] = job["input_max"] + 1
    await step("submit_range", lambda: lib.submit(out_of_range, rra[0]))
    await step("submit_first", lambda: lib.submit(xa[0], rra[0]))
    await step("submit_busy", lambda: lib.submit(xa[1], rra[1]))
    await step("load_busy", lambda: lib.load(image_a))
    await step("wait_first", lib.wait)
    arrays["busy_payload"] = _results(hal)
    # the driver gives up in the middle of a beat (one try per word, no waiting) and resets
    # the chip, which would otherwise hold the half beat and stay busy
    hal.poll_cycles = 1
    lib.use_hal(hal, 0)
    await tb.cycles(IDLE_CYCLES)  # past the sweep that follows a result: the first word goes in
    await step("submit_gives_up", lambda: lib.submit(xa[1], rra[1]))
    hal.poll_cycles = job["poll_cycles"]
    lib.use_hal(hal, job["poll_budget"])
    await step("submit_after_giving_up", lambda: lib.submit(xa[1], rra[1]))
    await step("reset_half_beat", lib.reset)
    await step("submit_then_reset", lambda: lib.submit(xa[1], rra[1]))
    await tb.cycles(7)
    await step("reset", lib.reset)
    lib.use_hal(hal, 4)  # a small budget: the reset dropped the beat, no result will come
    await step("wait_after_reset", lib.wait)
    lib.use_hal(hal, job["poll_budget"])
    await _classify(lib, hal, xa, rra, "after_reset", arrays, facts)

    # an image interrupted on the wire (half sent raw) leaves the loader mid-image: snn_load
    # resets the chip before streaming, so its words start a fresh image
    await raw.send(image_a[: len(image_a) // 2].tolist())
    await step("load_after_interrupted", lambda: lib.load(image_a))
    await step("load_after_interrupted_again", lambda: lib.load(image_a))
    await raw.send(image_a[: len(image_a) // 2].tolist())
    await step("reset_interrupted", lib.reset)
    await step("load_after_interrupted_reset", lambda: lib.load(image_a))
    await _classify(lib, hal, xa[:2], rra[:2], "after_reload", arrays, facts)

    # a HAL coroutine's error cannot cross the C frames; hal.run re-raises it afterwards
    try:
        await hal.run(lambda: hal.put(7, 0))
    except RuntimeError as e:
        facts["hal_error"] = f"{e}: {e.__cause__!r}"
    hal.errors.clear()
    _write(job, "driver_errors", arrays, facts)
