"""The cocotb side of the wrapper's stream players and result recorder (`sim/tb/hdl_player.py`):
write a run's words to files, start every player and the recorder at one edge, and sleep until
they are done, waking only to check progress.

Equivalent to `StreamDriver.send` per beat on each input stream (no pauses) and
`StreamSink.recv` per result (no back-pressure), without an await per word or result; the
equivalence is tested on the accelerator (`tests/sim/test_accel.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from cocotb.triggers import FallingEdge, First, Timer

from ecg_snn.sim.tb import hdl_player as hp
from ecg_snn.sim.tb.bench import TB


class HangError(Exception):
    """No word was recorded for `watchdog` cycles; the message says how far the run got."""


async def play_samples(tb: TB, watchdog: int, n_beats: int, n_samples: int, hint: str) -> None:
    """Start the `i_sample` player and the `o_beat` recorder (their counts already set), then
    sleep until the wrapper is idle. AssertionError when neither the beats recorded nor the
    samples played move for `watchdog` cycles; `hint` says what that likely is."""
    dut = tb.dut
    go = getattr(dut, hp.GO)
    go.value = 1 - int(go.value)
    await tb.rising
    busy, left = getattr(dut, hp.BUSY), getattr(dut, hp.left_reg("o_beat"))
    last = None
    while busy.value:
        await First(FallingEdge(busy), Timer(watchdog * tb.period_ns, unit="ns"))
        if not busy.value:
            break
        progress = (int(left.value), int(dut.play_i_sample_left.value))
        if progress == last:
            raise AssertionError(
                f"no progress for {watchdog} cycles: {n_beats - progress[0]} of {n_beats} "
                f"beats, {n_samples - progress[1]} of {n_samples} samples ({hint})"
            )
        last = progress


def available(dut: Any, players: list[str], recorder: str) -> bool:
    """Whether the design was wrapped with these players and this recorder."""
    regs = [hp.words_reg(s) for s in players] + [hp.count_reg(recorder)]
    return all(hasattr(dut, r) for r in regs)


class Player:
    """Plays whole transactions: per input stream an (n, per_transaction) array of words, and
    records `n` words of the output stream."""

    def __init__(self, tb: TB, players: list[str], recorder: str, workdir: Path | None = None):
        self.tb = tb
        self.players = players
        self.recorder = recorder
        # The Verilog opens its files relative to the simulator's working directory.
        self.dir = Path.cwd() if workdir is None else workdir

    async def run(
        self,
        words: Mapping[str, np.ndarray],
        n: int,
        watchdog: int,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Offer `words[stream]` (shape (n, k) each, k > 0; other players stay idle) and record
        `n` result words. Returns (payloads, arrival cycles, start cycles): per transaction the
        cycle its first input word (any stream) was taken, as `StreamDriver.starts`.

        Must be called right after a rising edge; returns right after the edge that took the
        last result. Raises `HangError` when no result comes for `watchdog` cycles; `progress` is
        called with the results so far every `watchdog` cycles."""
        tb, dut = self.tb, self.tb.dut
        if n == 0:
            return [], np.zeros(0, np.int64), np.zeros(0, np.int64)
        for s in self.players:
            w = words.get(s)
            if w is not None and w.shape != (n, w.shape[1]):
                raise ValueError(f"{s}: {w.shape} words for {n} transactions")
            if w is None or not w.shape[1]:
                getattr(dut, hp.words_reg(s)).value = 0
                continue
            hp.write_words(self.dir / hp.play_file(s), w, len(getattr(dut, f"{s}__payload")))
            getattr(dut, hp.words_reg(s)).value = w.size
            getattr(dut, hp.beat_reg(s)).value = w.shape[1]
        getattr(dut, hp.count_reg(self.recorder)).value = n
        go = getattr(dut, hp.GO)
        go.value = 1 - int(go.value)
        await tb.rising  # every player and the recorder start at this edge
        busy, left = getattr(dut, hp.BUSY), getattr(dut, hp.left_reg(self.recorder))
        done_edge = FallingEdge(busy)
        last = -1
        while busy.value:
            fired = await First(done_edge, Timer(watchdog * tb.period_ns, unit="ns"))
            done = n - int(left.value)
            if fired is done_edge or not busy.value:
                break
            if done == last:
                raise HangError(f"no result for {watchdog} cycles after {done} of {n}")
            last = done
            if progress is not None:
                progress(done)
        payloads, arrivals = hp.read_recorded(self.dir / hp.rec_file(self.recorder))
        starts = [
            hp.read_starts(self.dir / hp.starts_file(s))
            for s in self.players
            if s in words and words[s].shape[1]
        ]
        if len(payloads) != n or any(len(st) != n for st in starts):
            raise RuntimeError(
                f"the recorder took {len(payloads)} words and the players logged "
                f"{[len(st) for st in starts]} starts, for {n} transactions"
            )
        return payloads, arrivals, np.min(starts, axis=0)
