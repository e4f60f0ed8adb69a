"""cocotb bench of the SPI shell's RTL (`hw/spi.py`) on Verilator, driven byte by byte from Python
(no driver): a weight-image reload and a new beat arriving while an inference runs, the cases the
well-behaved C driver never makes (`sim/accel/spi_tests.py` runs that). The register map and the
behaviour checked are `model/contract/spi.py` and the load-port contract of `hw/sequencer.py`:

- a WRITE whose buffer was free when `cs_n` fell is taken into the word buffer even while an
  inference runs; the buffer then holds the word (its FREE bit 0) until the chip can take it, and
  a further WRITE to that port is refused, no error;
- the load port takes no word from the first input word of a beat until its result has been
  read (the inference's weights cannot change under it); an image offered then loads right
  after the result, before the next beat (whose first word is already buffered), and that beat
  runs on the new image and its initial membranes;
- a READ_RESULT cut after its first byte is FRAME and leaves the result for the next read;
- SCK edges while `cs_n` is high (another device on the bus) change nothing;
- RESET during an inference empties the word buffers: a buffered word of the next beat is gone;
- an image loaded while the chip idles after its init sweep re-initialises the membranes.

`shell_during_inference` records what it saw (every status byte it was answered, each result
payload, the error flags); `tests/sim/test_spi_shell_rtl.py` states what they must be and
compares the results with golden. The job is the JSON file named by `SIM_SHELL_JOB`::

    image_a, image_b   weight-image words of models A and B (same hardware configuration)
    x, rr              beats as lists of words (samples already as input_bits two's complement)
    result_bytes       bytes of a READ_RESULT
    out                the JSON file to write
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import Timer

from ecg_snn.model.contract.ports import Port
from ecg_snn.model.contract.spi import SpiCommand, SpiError, SpiStatus, free_bit, write_command
from ecg_snn.sim.accel.spi_tests import SpiBus
from ecg_snn.sim.tb.bench import TB

ENV = "SIM_SHELL_JOB"
POLLS = 400  # transactions a wait may take before the bench gives up (no hang on a bad chip)


class Host:
    """The register map from the host's side, on `SpiBus` (every transaction's status byte is
    logged with a tag, so the test can say which one was answered what)."""

    def __init__(self, bus: SpiBus, result_bytes: int) -> None:
        self.bus, self.n = bus, result_bytes
        self.log: list[tuple[str, int]] = []

    async def xfer(self, tag: str, tx: list[int]) -> bytes:
        rx = await self.bus._transfer(bytes(tx))
        self.log.append((tag, rx[0]))
        return rx

    async def status(self, tag: str = "status") -> int:
        return (await self.xfer(tag, [SpiCommand.STATUS]))[0]

    async def write(self, tag: str, port: Port, words: list[int]) -> int:
        """One WRITE transaction (a burst of `words`); the status byte it was answered."""
        data = [b for w in words for b in (int(w) & 0xFFFFFFFF).to_bytes(4, "little")]
        return (await self.xfer(tag, [write_command(port), *data]))[0]

    async def put(self, tag: str, port: Port, word: int) -> None:
        """Write one word, retrying while its buffer is full (the status byte says so)."""
        for _ in range(POLLS):
            if await self.write(tag, port, [word]) & free_bit(port):
                return
        raise RuntimeError(f"{tag}: the {port.name} buffer stayed full for {POLLS} writes")

    async def read(self, tag: str, cmd: SpiCommand, n: int) -> tuple[int, int]:
        rx = await self.xfer(tag, [cmd] + [0] * n)
        return rx[0], int.from_bytes(rx[1:], "little")

    async def result(self, tag: str) -> int:
        for _ in range(POLLS):
            st, value = await self.read(tag, SpiCommand.READ_RESULT, self.n)
            if st & SpiStatus.RESULT:
                return value
        raise RuntimeError(f"{tag}: no result after {POLLS} reads")

    async def wait_for(self, tag: str, bit: SpiStatus, level: int) -> int:
        for _ in range(POLLS):
            st = await self.status(tag)
            if bool(st & bit) == bool(level):
                return st
        raise RuntimeError(f"{tag}: status bit {bit!r} not {level} after {POLLS} polls")

    async def errors(self, tag: str = "errors") -> int:
        return (await self.read(tag, SpiCommand.READ_ERRORS, 1))[1]

    async def beat(self, tag: str, x: list[int], rr: list[int]) -> None:
        for v in x:
            await self.put(tag, Port.SAMPLE, v)
        for v in rr:
            await self.put(tag, Port.RR, v)

    async def cut_result_read(self, tag: str) -> int:
        """A READ_RESULT whose `cs_n` rises after its first data byte (a malformed read)."""
        bus = self.bus
        bus.glitch = (2, 0)  # after byte 2 (the command, one data byte): cs_n up and down
        try:
            rx = await self.xfer(tag, [SpiCommand.READ_RESULT] + [0] * self.n)
        finally:
            bus.glitch = None
        return rx[0]

    async def foreign_traffic(self, n_bytes: int) -> None:
        """`n_bytes` clocked to another device on the shared bus: SCK and MOSI toggle with this
        chip's `cs_n` high."""
        dut, half = self.bus.dut, self.bus.half
        await self.bus.tb.falling
        for k in range(8 * n_bytes):
            dut.mosi.value = (0xA5 >> (k % 8)) & 1
            await half
            dut.sck.value = 1
            await half
            dut.sck.value = 0
        await half


@cocotb.test()
async def shell_during_inference(dut: Any) -> None:
    """The scenario of the module docstring, in order; every status byte logged."""
    job = json.loads(Path(os.environ[ENV]).read_text())
    tb = TB(dut)
    await tb.reset()
    bus = SpiBus(tb)
    await Timer(4 * tb.period_ns, "ns")
    host = Host(bus, job["result_bytes"])
    x, rr, image_a, image_b = job["x"], job["rr"], job["image_a"], job["image_b"]
    facts: dict[str, Any] = {"results": {}}
    res = facts["results"]

    facts["power_up"] = await host.status("power_up")
    await host.write("load_a", Port.LOAD, image_a)  # a burst: the idle port takes a word a cycle
    facts["after_load_a"] = await host.status("after_load_a")
    facts["errors_after_load_a"] = await host.errors()

    # Beat 0 on A, plainly.
    await host.beat("beat0", x[0], rr[0])
    res["beat0"] = await host.result("result0")

    # Beat 1 on A; while it runs, B's first image word, then beat 2's first sample, are offered.
    await host.beat("beat1", x[1], rr[1])
    facts["early_read"] = await host.read("early_read", SpiCommand.READ_RESULT, host.n)
    facts["load_offered"] = await host.write("load_offered", Port.LOAD, [image_b[0]])
    facts["load_refused"] = await host.write("load_refused", Port.LOAD, [image_b[1]])
    facts["sample_offered"] = await host.write("sample_offered", Port.SAMPLE, [x[2][0]])
    await host.foreign_traffic(4)  # right after a taken WRITE: four bytes for someone else
    facts["sample_refused"] = await host.write("sample_refused", Port.SAMPLE, [x[2][1]])
    facts["still_held"] = await host.status("still_held")
    await host.wait_for("wait1", SpiStatus.RESULT, 1)
    facts["cut_read"] = await host.cut_result_read("cut_read")
    facts["errors_after_cut"] = await host.errors("errors_after_cut")
    res["beat1"] = await host.result("result1")
    # The result is taken: B's first word enters the load port before beat 2's first sample.
    facts["after_result1"] = await host.status("after_result1")
    await host.write("load_b", Port.LOAD, image_b[1:])
    facts["after_load_b"] = await host.status("after_load_b")
    await host.beat("beat2", x[2][1:], rr[2])  # its first sample waited in the buffer
    res["beat2"] = await host.result("result2")

    # Beat 3 on B; while it runs, beat 5's first sample is buffered, then RESET: the buffer is
    # emptied, beat 3 is abandoned, and beat 4 runs clean.
    await host.beat("beat3", x[3], rr[3])
    facts["stale_offered"] = await host.write("stale_offered", Port.SAMPLE, [x[5][0]])
    await host.xfer("reset", [SpiCommand.RESET])
    facts["after_reset"] = await host.status("after_reset")
    await host.beat("beat4", x[4], rr[4])
    res["beat4"] = await host.result("result4")

    # The chip idles (its init sweep for B's membranes done), then A is loaded again: beat 5
    # must run on A's initial membranes.
    for _ in range(4):
        await host.status("idle")
    await host.write("reload_a", Port.LOAD, image_a)
    facts["after_reload_a"] = await host.status("after_reload_a")
    await host.beat("beat5", x[5], rr[5])
    res["beat5"] = await host.result("result5")
    facts["errors_at_end"] = await host.errors("errors_at_end")
    facts["log"] = host.log
    facts["errors_names"] = {e.name: int(e) for e in SpiError}
    Path(job["out"]).write_text(json.dumps(facts, indent=1) + "\n")
