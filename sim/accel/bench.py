"""The accelerator bench (cocotb side): drivers on `i_sample`, `i_rr` and `i_load`, a monitor
with back-pressure on `o_result`, and a classify loop that feeds the in-order scoreboard.

Samples and RR words are driven by two independent coroutines, each running through all beats:
the port contract lets them interleave in any way, and the chip holds `ready` low on a stream
whose words for the current beat have all arrived. Per beat the bench records the cycles from
the first input word taken to the result's `valid`.

A classify run without pauses on either side goes through the wrapper's stream players and
result recorder instead (`sim/tb/player.py`: same words, same handshake timing, same cycles;
no Python per word), unless the build has none or `player=False`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cocotb
import numpy as np
from cocotb.triggers import SimTimeoutError, Timer, with_timeout

from ecg_snn.model.contract.ports import ResultLayout, unpack_result
from ecg_snn.sim.tb import player as stream_player
from ecg_snn.sim.tb.bench import TB
from ecg_snn.sim.tb.pauses import pauses
from ecg_snn.sim.tb.scoreboard import Expected, Scoreboard
from ecg_snn.sim.tb.stream import StreamDriver, StreamSink

# A beat that makes no progress for this many cycles is a hang, not a slow inference (a job's
# classify phase gives its own, from the cycle bound of its spec: `job.watchdog_cycles`).
WATCHDOG_CYCLES = 200_000
LOAD_SETTLE_CYCLES = 16
PROGRESS_EVERY = 5000  # beats between progress lines in the simulator log


class AccelTB(TB):
    def __init__(
        self,
        dut: Any,
        layout: ResultLayout,
        *,
        in_pauses: str = "none",
        out_pauses: str = "none",
        seed: int = 0,
    ):
        super().__init__(dut)
        self.layout = layout
        self.in_pauses, self.out_pauses = in_pauses, out_pauses
        self.samples = StreamDriver(self, "i_sample", pauses(in_pauses, seed))
        self.rr = (
            StreamDriver(self, "i_rr", pauses(in_pauses, seed + 1))
            if hasattr(dut, "i_rr__valid")
            else None
        )
        self.loader = StreamDriver(self, "i_load")
        self.results = StreamSink(self, "o_result", pauses(out_pauses, seed + 2))
        streams = ["i_sample"] + (["i_rr"] if self.rr is not None else [])
        self.player = (
            stream_player.Player(self, streams, "o_result")
            if stream_player.available(dut, streams, "o_result")
            else None
        )

    def set_pauses(self, in_pauses: str, out_pauses: str, seed: int) -> None:
        self.in_pauses, self.out_pauses = in_pauses, out_pauses
        self.samples.pauses = pauses(in_pauses, seed)
        if self.rr is not None:
            self.rr.pauses = pauses(in_pauses, seed + 1)
        self.results.pauses = pauses(out_pauses, seed + 2)

    async def load(self, words: Sequence[int]) -> tuple[bool, bool]:
        """Drive a weight image into the load port; return (loaded, load_error) once the
        loader has had time to check the checksum."""
        cycles = 4 * len(words) + 10_000  # the loader takes a word per cycle once idle
        try:
            await with_timeout(
                self.loader.send([int(w) for w in words]), cycles * self.period_ns, "ns"
            )
        except SimTimeoutError:
            raise AssertionError(
                f"the load port took no image for {cycles} cycles (a ROM build has none; "
                f"busy={self.dut.busy.value})"
            ) from None
        for _ in range(LOAD_SETTLE_CYCLES):
            await self.falling
            loaded, error = bool(self.dut.loaded.value), bool(self.dut.load_error.value)
            await self.rising
            if loaded or error:
                break
        return loaded, error

    async def classify(
        self,
        x: np.ndarray,
        rr: np.ndarray,
        sb: Scoreboard,
        watchdog: int = WATCHDOG_CYCLES,
        *,
        player: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stream every beat back to back and receive its result into `sb` (expectations
        must already be queued, in order); no result for `watchdog` cycles is a hang.
        Returns (cls, values, cycles) per beat. Without pauses the wrapper's players and
        recorder do the handshakes (unless `player` is False or the build has none)."""
        if player and self.player is not None and self.in_pauses == self.out_pauses == "none":
            return await self._classify_played(x, rr, sb, watchdog)
        n = len(x)
        x_words, rr_words = x.tolist(), rr.tolist()
        s0 = len(self.samples.starts)
        r0 = len(self.rr.starts) if self.rr is not None else 0
        cls = np.full(n, -1, np.int64)
        values = np.zeros((n, self.layout.n_classes), np.int64)
        cycles = np.zeros(n, np.int64)
        done = [0]

        async def feed(drv: StreamDriver, words: list[list[int]]) -> None:
            for beat in words:
                await drv.send(beat)

        tasks = [cocotb.start_soon(feed(self.samples, x_words))]
        if self.rr is not None and rr.shape[1]:
            tasks.append(cocotb.start_soon(feed(self.rr, rr_words)))
        dog = cocotb.start_soon(self._watchdog(done, n, watchdog))
        try:
            for k in range(n):
                word, arrival = await self.results.recv()
                c, v = unpack_result(self.layout, word)
                cls[k], values[k] = c, v
                start = self.samples.starts[s0 + k]
                if len(tasks) > 1:
                    start = min(start, self.rr.starts[r0 + k])
                cycles[k] = arrival - start
                sb.receive({"cls": c, "values": v})
                done[0] = k + 1
                if done[0] % PROGRESS_EVERY == 0:
                    self.dut._log.info(
                        "%d of %d beats, %d mismatches", k + 1, n, len(sb.mismatches)
                    )
        finally:
            dog.cancel()
            for t in tasks:
                t.cancel()
        return cls, values, cycles

    async def _classify_played(
        self, x: np.ndarray, rr: np.ndarray, sb: Scoreboard, watchdog: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(x)
        words = {"i_sample": np.asarray(x)}
        if self.rr is not None:
            words["i_rr"] = np.asarray(rr)
        logged = [0]

        def progress(done: int) -> None:
            if done // PROGRESS_EVERY > logged[0]:
                logged[0] = done // PROGRESS_EVERY
                self.dut._log.info("%d of %d beats", done, n)

        try:
            payloads, arrivals, starts = await self.player.run(words, n, watchdog, progress)
        except stream_player.HangError as e:
            raise AssertionError(
                f"{e} beats (busy={self.dut.busy.value}, loaded={self.dut.loaded.value}, "
                f"i_sample.ready={self.dut.i_sample__ready.value})"
            ) from None
        cls = np.empty(n, np.int64)
        values = np.empty((n, self.layout.n_classes), np.int64)
        for k, word in enumerate(payloads):
            c, v = unpack_result(self.layout, word)
            cls[k], values[k] = c, v
            sb.receive({"cls": c, "values": v})
        return cls, values, arrivals - starts

    async def _watchdog(self, done: list[int], n: int, cycles: int) -> None:
        last = -1
        while True:
            await Timer(cycles * self.period_ns, unit="ns")
            if done[0] == last:
                raise AssertionError(
                    f"no result for {cycles} cycles after {done[0]} of {n} beats "
                    f"(busy={self.dut.busy.value}, loaded={self.dut.loaded.value}, "
                    f"i_sample.ready={self.dut.i_sample__ready.value})"
                )
            last = done[0]


def expectations(data: Any, corrupt: int | None = None) -> list[Expected]:
    """Scoreboard items from a job's vector file; `corrupt=k` falsifies item k."""
    records, index = data["record"].tolist(), data["index"].tolist()
    cls, values = data["exp_cls"].tolist(), data["exp_values"].tolist()
    out = []
    for k in range(len(cls)):
        v = tuple(values[k])
        if k == corrupt:
            v = (v[0] + 1, *v[1:])  # one output value off by one: the smallest possible error
        out.append(Expected(records[k], index[k], {"cls": cls[k], "values": v}))
    return out
