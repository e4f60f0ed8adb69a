"""Valid/ready stream driver and sink (Amaranth `lib.stream` ports `<name>__valid`,
`<name>__ready`, `<name>__payload`), following the timing discipline of `sim/tb/bench.py`.

Both move whole transactions per call (a beat's words, one result) and await only handshake
edges: two awaits per word when the DUT keeps up, one more per pause, and none per cycle spent
waiting on the DUT: `RisingEdge(ready)` wakes a driver whose sink is busy, `RisingEdge(valid)`
wakes the sink.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from cocotb.triggers import RisingEdge

from ecg_snn.sim.tb.bench import TB
from ecg_snn.sim.tb.pauses import pauses as make_pauses


def _ports(dut: Any, name: str) -> tuple[Any, Any, Any]:
    return (
        getattr(dut, f"{name}__valid"),
        getattr(dut, f"{name}__ready"),
        getattr(dut, f"{name}__payload"),
    )


class StreamDriver:
    """Offers words on a stream in order, idling `next(pauses)` cycles before each word.

    `valid` never waits for `ready` (the stream rule): once a word is offered it stays offered
    until it is taken."""

    def __init__(self, tb: TB, name: str, pauses: Iterator[int] | None = None):
        self.tb = tb
        self.name = name
        self.valid, self.ready, self.payload = _ports(tb.dut, name)
        self.pauses = pauses if pauses is not None else make_pauses("none")
        # Cycle at which the first word of each `send` was taken, appended as it happens so a
        # monitor can pair results with their start before the send returns.
        self.starts: list[int] = []
        self.ready_rise = RisingEdge(self.ready)
        self.valid.value = 0

    async def send(self, words: Sequence[int]) -> int | None:
        """Drive `words` (non-negative ints: the port's bit patterns); return the cycle of the
        rising edge that took the first word (None for an empty sequence).

        Must be called right after a rising edge; returns right after the last transfer."""
        tb, first = self.tb, None
        try:
            for word in words:
                idle = next(self.pauses)
                if idle:
                    self.valid.value = 0
                    await tb.cycles(idle)
                self.payload.value = word
                self.valid.value = 1
                while True:
                    await tb.falling
                    if self.ready.value:
                        await tb.rising  # the transfer edge
                        break
                    # The sink is busy (e.g. computing the previous beat): sleep until ready
                    # rises instead of polling every cycle.
                    await self.ready_rise
                if first is None:
                    first = tb.cycle()
                    self.starts.append(first)
        finally:
            # Also on cancellation (a reset in the middle of a beat): stop offering.
            self.valid.value = 0
        return first


class StreamSink:
    """The receiving end of a stream (it drives `ready`). Accepts one word per `recv`, holding
    `ready` low `next(pauses)` cycles after `valid` is first seen (back-pressure). `ready` is low
    between calls, so nothing is accepted that the bench did not ask for."""

    def __init__(self, tb: TB, name: str, pauses: Iterator[int] | None = None):
        self.tb = tb
        self.name = name
        self.valid, self.ready, self.payload = _ports(tb.dut, name)
        self.pauses = pauses if pauses is not None else make_pauses("none")
        self.valid_rise = RisingEdge(self.valid)
        self.ready.value = 0

    async def recv(self) -> tuple[int, int]:
        """Wait for and accept one word; return (payload, arrival cycle), the arrival cycle
        being the first cycle in which this call saw `valid` high.

        Must be called right after a rising edge; returns right after the transfer edge."""
        tb = self.tb
        stall = next(self.pauses)
        self.ready.value = 0 if stall else 1
        arrival = None
        try:
            while True:
                await tb.falling
                valid = bool(self.valid.value)
                if valid and arrival is None:
                    # valid was already high when we arrived: it rose at the latest at the
                    # edge before this falling edge.
                    arrival = tb.cycle()
                if not valid:
                    await self.valid_rise  # resumes right after the edge that raised it
                    arrival = tb.cycle()
                    if stall:
                        await tb.cycles(stall)
                        stall = 0
                        self.ready.value = 1
                    continue
                if stall:
                    await tb.rising
                    await tb.cycles(stall - 1)
                    stall = 0
                    self.ready.value = 1
                    continue
                word = int(self.payload.value)
                await tb.rising
                return word, arrival
        finally:
            self.ready.value = 0
