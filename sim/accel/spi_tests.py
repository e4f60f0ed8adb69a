"""cocotb tests of the C driver over SPI on the SPI shell's RTL (`hw/spi.py`, the module `make
fpga` places and routes): the compiled driver (`firmware/src/snn_driver.c`) with the SPI HAL
(`firmware/src/snn_hal_spi.c`) runs in a `cocotb.task.bridge` thread, and the HAL's one board
function, a full-duplex transaction, is `SpiBus.transfer`: a coroutine that drives `cs_n`,
`sck`, `mosi` and samples `miso`, SPI mode 0 at f_clk / `SCK_DIVIDER_MIN`. Run by
`tests/sim/test_spi_rtl.py` through `sim.tb.runner`; the job is the JSON file named by
`SIM_SPI_JOB`::

    lib           libsnn_host.so built for model A (its snn_image.h is A's image)
    poll_budget   the driver's budget, in HAL calls (each one SPI transaction)
    image_b_bin   model B's snn_weights.bin (same hardware configuration: a reload)
    vectors_a, vectors_b   .npz with x (N, n_samples), rr (N, n_rr)
    out           directory for the results (driver_over_spi.npz / .json)

The test records what happened; the pytest side compares with golden.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.task import bridge, resume
from cocotb.triggers import Timer

from ecg_snn.firmware.host import HostLib
from ecg_snn.model.contract.ports import Port
from ecg_snn.model.contract.spi import SCK_DIVIDER_MIN, SpiCommand, SpiStatus
from ecg_snn.sim.tb.bench import TB

ENV = "SIM_SPI_JOB"


class SpiBus:
    """SPI mode-0 host on the shell's pins. Transactions start on a falling clock edge and every
    pin changes a whole number of clock periods later, so no pin changes on a rising edge (the
    synchronisers make it legal anyway; this keeps the run deterministic)."""

    def __init__(self, tb: TB, divider: int = SCK_DIVIDER_MIN) -> None:
        self.tb, self.dut = tb, tb.dut
        self.half = Timer(divider // 2 * tb.period_ns, "ns")
        self.dut.cs_n.value = 1
        self.dut.sck.value = 0
        self.dut.mosi.value = 0
        self.transactions = 0
        self.bytes = 0
        self.results: list[int] = []  # every result payload a READ_RESULT brought back
        self.errors: list[BaseException] = []
        self.glitch: tuple[int, int] | None = None  # (after byte, status bits it needs)
        self.glitched = 0
        self._blocking = resume(self._transfer)

    def transfer(self, tx: bytes) -> bytes | None:
        """The board function of `snn_spi_bus_t` (called from the driver thread)."""
        if self.errors:
            return None
        try:
            return self._blocking(tx)
        except Exception as e:  # it must not unwind through the driver's C frames
            self.errors.append(e)
            return None

    async def _transfer(self, tx: bytes) -> bytes:
        dut, half = self.dut, self.half
        await self.tb.falling
        dut.cs_n.value = 0
        await half
        rx = bytearray()
        for k, byte in enumerate(tx):
            if self.glitch and k == self.glitch[0] and (rx[0] & self.glitch[1]) == self.glitch[1]:
                await self._cs_glitch()
            value = 0
            for bit in range(7, -1, -1):
                dut.mosi.value = (byte >> bit) & 1
                await half
                value = (value << 1) | int(dut.miso.value)
                dut.sck.value = 1
                await half
                dut.sck.value = 0
            rx.append(value)
        await half
        dut.cs_n.value = 1
        await half
        self.transactions += 1
        self.bytes += len(tx)
        if tx[0] == SpiCommand.READ_RESULT and rx[0] & SpiStatus.RESULT:
            self.results.append(int.from_bytes(rx[1:], "little"))
        return bytes(rx)

    async def _cs_glitch(self) -> None:
        """`cs_n` high for two half periods between two bytes, then low again: the shell sees
        the transaction end there and a new one begin."""
        self.dut.cs_n.value = 1
        await self.half
        await self.half
        self.dut.cs_n.value = 0
        await self.half
        self.glitched += 1
        self.glitch = None


class FaultySpiBus(SpiBus):
    """`SpiBus` with one planned fault, armed by `arm(kind, nth)`:

    - "repeat": the `nth` WRITE to i_sample goes through but the board function reports it
      failed, so the HAL sends the word again (the chip gets it twice);
    - "repeat_rr": the same for the `nth` WRITE to i_rr (the extra word waits in the RR
      buffer: only the status's RR_FREE bit tells);
    - "glitch": `cs_n` glitches right after the command byte of the `nth` WRITE to i_sample
      (the word's first byte then reads as a command: 0x30, RESET, for a sample of 48);
    - "cut_read": `cs_n` glitches after two data bytes of the first READ_RESULT that has a
      result (the HAL gets a partial result followed by a new transaction's bytes)."""

    def __init__(self, tb: TB) -> None:
        super().__init__(tb)
        self.plan: list | None = None
        self.fired: list[str] = []

    def arm(self, kind: str, nth: int = 0) -> None:
        self.plan = [kind, nth]

    def transfer(self, tx: bytes) -> bytes | None:
        kind = self.plan[0] if self.plan else None
        repeat = kind in ("repeat", "repeat_rr")
        port = Port.RR if kind == "repeat_rr" else Port.SAMPLE
        write = tx[0] == SpiCommand.WRITE | port
        counted = repeat or kind == "glitch"
        due = counted and write and self.plan[1] == 0
        if counted and write and not due:
            self.plan[1] -= 1
        if due and kind == "glitch":
            self.glitch = (1, 0)
        if kind == "cut_read" and tx[0] == SpiCommand.READ_RESULT:
            self.glitch = (3, int(SpiStatus.RESULT))
        n_glitched = self.glitched
        rx = super().transfer(tx)
        if self.glitched > n_glitched or (due and repeat):
            self.fired.append(kind)
            self.plan, self.glitch = None, None
            if repeat:
                return None  # the word went through; the board says it did not
        self.glitch = None
        return rx


def _vectors(path: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as f:
        return f["x"], f["rr"]


@cocotb.test()
async def driver_over_spi(dut: Any) -> None:
    """A's image from flash, A's beats; B's snn_weights.bin (a reload), B's beats; every call
    through the SPI HAL."""
    job = json.loads(Path(os.environ[ENV]).read_text())
    tb = TB(dut)
    await tb.reset()
    lib = HostLib(job["lib"])
    bus = SpiBus(tb)
    lib.use_spi(bus.transfer, job["poll_budget"])
    facts: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}

    async def call(tag: str, func, *args):
        t0, c0, n0 = time.perf_counter(), tb.cycle(), bus.transactions
        got = await bridge(func)(*args)
        if bus.errors:
            raise RuntimeError("an SPI transfer failed") from bus.errors[0]
        facts[f"{tag}_cycles"] = tb.cycle() - c0
        facts[f"{tag}_transactions"] = bus.transactions - n0
        facts[f"{tag}_wall_s"] = round(time.perf_counter() - t0, 2)
        return got

    facts["hardware_id"] = await call("id", lib.spi_hardware_id)
    facts["errors_at_start"] = await call("errors0", lib.spi_errors)
    facts["load_a_status"] = await call("load_a", lib.load_builtin)
    bus.results = []
    xa, rra = _vectors(job["vectors_a"])
    got = await call("a", lib.driver, xa, rra)
    arrays["a_cls"], arrays["a_values"] = got["cls"], got["values"]
    facts["a_payload"], bus.results = bus.results, []
    bin_b = Path(job["image_b_bin"]).read_bytes()
    facts["load_b_status"] = await call("load_b", lambda: lib.load_bytes(bin_b))
    xb, rrb = _vectors(job["vectors_b"])
    got = await call("b", lib.driver, xb, rrb)
    arrays["b_cls"], arrays["b_values"] = got["cls"], got["values"]
    facts["b_payload"], bus.results = bus.results, []
    facts["errors_at_end"] = await call("errors1", lib.spi_errors)
    facts["bytes"] = bus.bytes
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "driver_over_spi.npz", **arrays)
    (out / "driver_over_spi.json").write_text(json.dumps(facts, indent=1) + "\n")


@cocotb.test()
async def driver_over_faulty_spi(dut: Any) -> None:
    """For each fault of `FaultySpiBus`, one beat through it (its statuses recorded: the driver
    must not report a result), then the next beat clean (its result recorded: the driver must
    have recovered the chip)."""
    job = json.loads(Path(os.environ[ENV]).read_text())
    tb = TB(dut)
    await tb.reset()
    lib = HostLib(job["lib"])
    bus = FaultySpiBus(tb)
    lib.use_spi(bus.transfer, job["poll_budget"])
    facts: dict[str, Any] = {"load": await bridge(lib.load_builtin)()}
    x, rr = _vectors(job["vectors_a"])
    for k, kind in enumerate(FAULTS):
        beat = x[2 * k].copy()
        beat[FAULT_AT] = 48  # its first byte is 0x30, RESET
        bus.arm(kind, 0 if kind == "repeat_rr" else FAULT_AT)
        st = await bridge(lib.submit)(beat, rr[2 * k])
        facts[f"{kind}_submit"] = st
        facts[f"{kind}_wait"] = await bridge(lib.wait)() if st == 0 else None
        got = await bridge(lib.driver)(x[2 * k + 1][None], rr[2 * k + 1][None])
        facts[f"{kind}_next_cls"] = int(got["cls"][0])
        facts[f"{kind}_next_values"] = got["values"][0].tolist()
    facts["fired"] = bus.fired
    facts["errors_at_end"] = await bridge(lib.spi_errors)()
    if bus.errors:
        raise RuntimeError("an SPI transfer failed") from bus.errors[0]
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "driver_over_faulty_spi.json").write_text(json.dumps(facts, indent=1) + "\n")


FAULTS = ("repeat", "glitch", "cut_read", "repeat_rr")
FAULT_AT = 5  # the sample word the WRITE faults hit (repeat_rr: the first RR word)
