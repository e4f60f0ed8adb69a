"""cocotb tests that prove the testbench pieces on `sim/tb/demo_design.py` (a stream FIFO).

Run from pytest by `tests/sim/test_tb_selftest.py`. Each word carries its own record/index so a
scoreboard failure names the word; the negative test corrupts one expectation and checks that
the scoreboard reports exactly that word.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import cocotb

from ecg_snn.sim.tb.bench import TB
from ecg_snn.sim.tb.pauses import pauses
from ecg_snn.sim.tb.scoreboard import Expected, Scoreboard
from ecg_snn.sim.tb.stream import StreamDriver, StreamSink

N_WORDS = int(os.environ.get("SIM_SELFTEST_WORDS", "400"))
BEAT = 8  # words per transaction, like a (tiny) beat


def _words(seed: int, n: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(1 << 16) for _ in range(n)]


async def _stream_through(
    dut: Any, words: list[int], sb: Scoreboard, in_pauses: str, out_pauses: str
) -> list[int]:
    """Push `words` in beats of BEAT while a monitor feeds the scoreboard; return per-beat
    latencies (first word taken -> its echo seen)."""
    tb = TB(dut)
    await tb.reset()
    drv = StreamDriver(tb, "i_data", pauses(in_pauses, seed=1))
    mon = StreamSink(tb, "o_data", pauses(out_pauses, seed=2))

    async def source() -> None:
        for start in range(0, len(words), BEAT):
            await drv.send(words[start : start + BEAT])

    arrivals = []
    task = cocotb.start_soon(source())
    for i in range(len(words)):
        word, arrival = await mon.recv()
        sb.receive({"word": word})
        if i % BEAT == 0:
            arrivals.append(arrival)
    await task
    return [a - s for a, s in zip(arrivals, drv.starts, strict=True)]


@cocotb.test()
@cocotb.parametrize(in_pauses=["none", "random", "bursty"], out_pauses=["none", "random", "slow"])
async def passthrough_in_order(dut: Any, in_pauses: str, out_pauses: str) -> None:
    """Every word comes out once, in order, under idle insertion crossed with back-pressure."""
    words = _words(7, N_WORDS)
    sb = Scoreboard("passthrough")
    for i, w in enumerate(words):
        sb.expect(Expected("demo", i, {"word": w}))
    t0 = time.perf_counter()
    latencies = await _stream_through(dut, words, sb, in_pauses, out_pauses)
    rate = len(words) / (time.perf_counter() - t0)
    dut._log.info(
        "%d words, %.0f words/s, latency min %d max %d cycles",
        len(words),
        rate,
        min(latencies),
        max(latencies),
    )
    if in_pauses == out_pauses == "none":
        # Buffered FIFO: taken at edge k, in the output register at k+1 (first word only).
        assert latencies[0] == 1, f"first-word latency {latencies[0]} cycles, expected 1"
    sb.check()


@cocotb.test()
async def corrupted_expectation_is_caught(dut: Any) -> None:
    """Negative test: one wrong expectation must produce exactly one mismatch naming it."""
    words = _words(11, 64)
    sb = Scoreboard("negative")
    bad = 37
    for i, w in enumerate(words):
        sb.expect(Expected("demo", i, {"word": w ^ 0x10 if i == bad else w}))
    await _stream_through(dut, words, sb, "random", "random")
    assert len(sb.mismatches) == 1, sb.report()
    first = sb.mismatches[0]
    assert first.expected.index == bad and first.expected.record == "demo"
    assert f"expected {words[bad] ^ 0x10}, got {words[bad]}" in str(first), str(first)
    try:
        sb.check()
    except AssertionError as e:
        assert "beat 37" in str(e), str(e)
    else:
        raise AssertionError("Scoreboard.check() accepted a corrupted expectation")


@cocotb.test()
async def reset_mid_stream(dut: Any) -> None:
    """Reset while words are in flight drops them; the next stream is clean."""
    tb = TB(dut)
    await tb.reset()
    drv = StreamDriver(tb, "i_data")
    task = cocotb.start_soon(drv.send(_words(3, 16)))
    await tb.cycles(5)  # a few words are in the FIFO, none read out (ready is low)
    task.cancel()
    await tb.reset()
    assert not bool(dut.o_data__valid.value), "o_data.valid survived reset"
    words = _words(4, 32)
    sb = Scoreboard("after reset")
    for i, w in enumerate(words):
        sb.expect(Expected("demo", i, {"word": w}))
    mon = StreamSink(tb, "o_data")
    feeder = cocotb.start_soon(drv.send(words))
    for _ in words:
        sb.receive({"word": (await mon.recv())[0]})
    await feeder
    sb.check()
