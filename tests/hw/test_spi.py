"""The SPI shell (`hw/spi.py`) in the Amaranth simulator, through its pins only: the register map
of `model/contract/spi.py` (status, ID, errors), a weight image loaded and beats classified
over SPI equal to golden, back-to-back transactions, reset, and every kind of malformed
transaction with its error flag."""

from __future__ import annotations

import pytest
from amaranth.hdl import ClockDomain, Module
from amaranth.sim import Simulator

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.spi import SpiShell
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import Port, ResultLayout, pack_result
from ecg_snn.model.contract.spi import (
    SpiCommand,
    SpiError,
    SpiStatus,
    free_bit,
    result_bytes,
    write_command,
)
from ecg_snn.sim.pysim import SpiMaster

IDLE = SpiStatus.SAMPLE_FREE | SpiStatus.RR_FREE | SpiStatus.LOAD_FREE


def le(words) -> list[int]:
    return [b for w in words for b in int(w).to_bytes(4, "little")]


class Host:
    """The register map from the host's side (what the C SPI HAL does, in Python)."""

    def __init__(self, spi: SpiMaster, n_result: int) -> None:
        self.spi, self.n_result = spi, n_result

    async def status(self) -> int:
        return (await self.spi.transfer([SpiCommand.STATUS]))[0]

    async def write(self, port: Port, words) -> int:
        """One WRITE transaction (a burst if several words); returns the status byte."""
        return (await self.spi.transfer([write_command(port), *le(words)]))[0]

    async def put(self, port: Port, word: int) -> None:
        while not await self.write(port, [word]) & free_bit(port):
            pass

    async def read(self, cmd: SpiCommand, n: int) -> tuple[int, int]:
        rx = await self.spi.transfer([cmd] + [0] * n)
        return rx[0], int.from_bytes(rx[1:], "little")

    async def result(self) -> int:
        while True:
            st, value = await self.read(SpiCommand.READ_RESULT, self.n_result)
            if st & SpiStatus.RESULT:
                return value

    async def errors(self) -> int:
        return (await self.read(SpiCommand.READ_ERRORS, 1))[1]

    async def reset(self) -> None:
        await self.spi.transfer([SpiCommand.RESET])

    async def classify(self, x, rr, bits: int) -> int:
        for v in x:
            await self.put(Port.SAMPLE, int(v) & ((1 << bits) - 1))
        for v in rr:
            await self.put(Port.RR, int(v))
        return await self.result()


def run(shell: SpiShell, bench, watch: dict | None = None, cycles: int | None = None) -> None:
    """Simulate `bench`; `watch` (a dict) gets the cycles the bench ran and those with the
    core's clock enable low (`work_clock`); `cycles`: stop after that many (a bench that never
    ends, such as a host waiting for a result that never comes, then fails its own checks)."""
    m = Module()
    m.domains.sync = ClockDomain()
    m.submodules.shell = shell
    sim = Simulator(m)
    sim.add_clock(1e-6)
    finished = []

    async def bounded(ctx):
        await bench(ctx)
        finished.append(True)

    sim.add_testbench(bounded)
    if watch is not None:
        watch.update(cycles=0, off=0)

        async def count(ctx):
            async for _clk, _rst, en in ctx.tick().sample(shell.core_en):
                if not finished:
                    watch["cycles"] += 1
                    watch["off"] += not en

        sim.add_process(count)
    if cycles is None:
        sim.run()
    else:
        sim.run_until(cycles * 1e-6)


# A tiny model whose class follows the samples (35 % / 65 % over random beats with the RR fixed):
# seed 5 answered class 1 to every beat, so these tests could not see a corrupted sample word.
TINY_SEED = 15


def test_the_tiny_model_answers_follow_the_samples(artifact_factory, depends_on_samples):
    assert depends_on_samples(artifact_factory("tiny", seed=TINY_SEED))
    assert not depends_on_samples(artifact_factory("tiny", seed=5))  # the check can fail


@pytest.fixture
def setup(artifact_factory, beats_factory, rng):
    a = artifact_factory("tiny", seed=TINY_SEED)
    x, rr = beats_factory(a, rng, 3)
    g = golden.run(a, x, rr)
    layout = ResultLayout.of(a.spec)
    want = [pack_result(layout, int(c), v.tolist()) for c, v in zip(g.cls, g.values, strict=True)]
    assert len(set(g.cls.tolist())) == 2 and len(set(want)) == len(want)  # beats told apart
    return a, x, rr, want


def make_shell(a, work_clock: bool = False) -> SpiShell:
    return SpiShell(a.spec, HwConfig(lanes=2), checks=True, work_clock=work_clock)


@pytest.mark.parametrize("work_clock", [False, True], ids=["clocked", "work-clocked"])
def test_register_map_load_and_classify(setup, work_clock):
    """The whole register map; with `work_clock` the same answers although the core's clock
    is off for much of the time (the waits between words and before the result is read)."""
    a, x, rr, want = setup
    shell = make_shell(a, work_clock)
    bits = a.spec.preprocess.input_bits
    image = weight_image(a)
    seen = {}

    async def bench(ctx):
        host = Host(SpiMaster(ctx, shell), result_bytes(shell.accel.result_layout))
        seen["reset"] = await host.status()
        seen["id"] = (await host.read(SpiCommand.READ_ID, 4))[1]
        seen["errors0"] = await host.errors()
        seen["load_status"] = await host.write(Port.LOAD, image)  # the whole image, one burst
        seen["loaded"] = await host.status()
        # back to back: one transaction per word, no gap beyond the minimum cs_n high time
        seen["results"] = [await host.classify(x[n, 0], rr[n], bits) for n in range(len(x))]
        seen["after"] = await host.status()
        seen["errors1"] = await host.errors()

    watch: dict = {}
    run(shell, bench, watch)
    # the enable is 1 throughout without work_clock; with it, low for over a third of the
    # cycles (the core is clocked through the image load, whose loader is active throughout)
    assert (watch["off"] > watch["cycles"] // 3) == work_clock, watch
    assert seen["reset"] == IDLE  # not loaded, every buffer free, no error
    assert seen["id"] == a.spec.hardware_id()
    assert seen["errors0"] == 0
    assert seen["load_status"] & SpiStatus.LOAD_FREE
    assert seen["loaded"] == IDLE | SpiStatus.LOADED
    assert seen["results"] == want
    assert seen["after"] == IDLE | SpiStatus.LOADED  # the result was taken by the read
    assert seen["errors1"] == 0


def test_the_work_clocked_protocol_shifts_miso_and_frees_its_buffers(setup):
    """The work-clocked shell's protocol registers are clocked on every event that moves them
    (`txn_en`): its id comes out on MISO (the falling SCK edges), and a burst image enters the
    core word by word (each buffer empties in the cycle the core takes its word, between SCK
    edges), so the model loads with no OVERRUN. Bounded: a shell that stops fails in seconds."""
    a, *_ = setup
    shell = make_shell(a, work_clock=True)
    image = weight_image(a)
    seen = {}

    async def bench(ctx):
        host = Host(SpiMaster(ctx, shell), result_bytes(shell.accel.result_layout))
        seen["id"] = (await host.read(SpiCommand.READ_ID, 4))[1]
        await host.write(Port.LOAD, image)
        seen["status"] = await host.status()
        seen["errors"] = await host.errors()

    run(shell, bench, cycles=40 * 10 * (len(image) + 20))  # 40 SCK bits of 10 cycles a word
    assert seen.get("id") == a.spec.hardware_id()
    assert seen.get("status") == IDLE | SpiStatus.LOADED and seen.get("errors") == 0


def test_the_bytes_after_an_unknown_command_are_ignored(setup):
    """`model/contract/spi.py`: after an unknown command the rest of the transaction is
    ignored. A READ_ID byte behind it sends no id (MISO stays 0), a RESET byte behind it resets
    nothing (a word buffered before stays), and the COMMAND flag is set once."""
    a, *_ = setup
    shell = make_shell(a)
    seen = {}

    async def bench(ctx):
        spi = SpiMaster(ctx, shell)
        host = Host(spi, result_bytes(shell.accel.result_layout))
        seen["id"] = (await host.read(SpiCommand.READ_ID, 4))[1]
        seen["ignored_id"] = (await spi.transfer([0x77, SpiCommand.READ_ID, 0, 0, 0, 0]))[2:]
        seen["errors"] = await host.errors()
        await host.write(Port.SAMPLE, [1])  # not loaded: the word stays in the buffer
        await spi.transfer([0x77, SpiCommand.RESET])
        seen["status"] = await host.status()
        seen["errors_after"] = await host.errors()

    run(shell, bench)
    assert seen["id"] != 0  # the id is not zero: the check below can fail
    assert seen["ignored_id"] == bytes(4)
    assert seen["errors"] == SpiError.COMMAND
    assert not seen["status"] & SpiStatus.SAMPLE_FREE  # not reset: the word is still there
    assert seen["errors_after"] == SpiError.COMMAND


def test_the_result_check_can_fail(setup, sibling_factory):
    """Negative test of the comparison above: another model's packed results on these beats
    are not `want`, so a shell answering for the wrong model would fail it."""
    a, x, rr, want = setup
    g = golden.run(sibling_factory(a, seed=9), x, rr)
    layout = ResultLayout.of(a.spec)
    other = [pack_result(layout, int(c), v.tolist()) for c, v in zip(g.cls, g.values, strict=True)]
    assert other != want


@pytest.mark.parametrize("work_clock", [False, True], ids=["clocked", "work-clocked"])
def test_malformed_transactions_set_clear_flags(setup, work_clock):
    a, x, rr, want = setup
    shell = make_shell(a, work_clock)
    bits = a.spec.preprocess.input_bits
    image = weight_image(a)
    seen = {}

    async def bench(ctx):
        spi = SpiMaster(ctx, shell)
        host = Host(spi, result_bytes(shell.accel.result_layout))
        # not loaded: i_sample never takes a word, so its buffer stays full
        seen["first"] = await host.write(Port.SAMPLE, [1])
        seen["refused"] = await host.write(Port.SAMPLE, [2])  # status said full: ignored
        seen["refused_errors"] = await host.errors()
        await host.reset()
        seen["after_reset"] = await host.status()
        await host.write(Port.SAMPLE, [1, 2])  # a burst into a port that never drains
        seen["overrun_status"] = await host.status()
        seen["overrun"] = await host.errors()  # read to clear
        await host.reset()
        await spi.transfer([0x77])  # no such command
        seen["command"] = await host.errors()
        await host.reset()
        await spi.transfer([write_command(Port.LOAD), 1, 2, 3, 4], bits=8 + 13)  # cut in a byte
        seen["cut_byte"] = await host.errors()
        await host.reset()
        await spi.transfer([write_command(Port.SAMPLE), 1, 2])  # cut in a word
        seen["cut_word"] = await host.errors()
        seen["cut_word_status"] = await host.status()  # the partial word never reached the port
        await host.reset()
        seen["clean"] = (await host.status(), await host.errors())
        await host.write(Port.LOAD, image)
        # a result read cut short: FRAME, and the result stays for the next read
        for v in x[0, 0]:
            await host.put(Port.SAMPLE, int(v) & ((1 << bits) - 1))
        for v in rr[0]:
            await host.put(Port.RR, int(v))
        while not await host.status() & SpiStatus.RESULT:
            pass
        n_result = result_bytes(shell.accel.result_layout)  # cut before the very last byte:
        await spi.transfer([SpiCommand.READ_RESULT] + [0] * (n_result - 1))
        seen["cut_read"] = await host.errors()
        seen["cut_read_status"] = await host.status()  # the result is only taken by the last
        if seen["cut_read_status"] & SpiStatus.RESULT:
            seen["still_there"] = await host.result()
        # a reset in the middle of a beat drops it; the model stays loaded
        await host.reset()
        for v in x[1, 0, :3]:
            await host.put(Port.SAMPLE, int(v) & ((1 << bits) - 1))
        seen["mid_beat"] = await host.status()
        await host.reset()
        seen["after_mid_reset"] = await host.status()
        seen["next"] = await host.classify(x[2, 0], rr[2], bits)

    run(shell, bench)
    assert seen["first"] & SpiStatus.SAMPLE_FREE
    assert not seen["refused"] & SpiStatus.SAMPLE_FREE and seen["refused_errors"] == 0
    assert seen["after_reset"] == IDLE
    assert seen["overrun"] == SpiError.OVERRUN
    assert seen["overrun_status"] & SpiStatus.SPI_ERROR
    assert seen["command"] == SpiError.COMMAND
    assert seen["cut_byte"] == SpiError.FRAME
    assert seen["cut_word"] == SpiError.FRAME
    assert seen["cut_word_status"] & SpiStatus.SAMPLE_FREE
    assert seen["clean"] == (IDLE, 0)
    assert seen["cut_read"] == SpiError.FRAME
    assert seen["cut_read_status"] & SpiStatus.RESULT and seen["still_there"] == want[0]
    assert seen["mid_beat"] & SpiStatus.BUSY
    assert seen["after_mid_reset"] == IDLE | SpiStatus.LOADED
    assert seen["next"] == want[2]


def test_errors_survive_reset_and_are_cleared_by_their_read(setup):
    """A transaction cut inside a word whose next byte reads as RESET (0x30: a chip-select
    glitch in a sample word) resets the chip, but its FRAME flag stays for the host to see."""
    a, *_ = setup
    shell = make_shell(a)
    seen = {}

    async def bench(ctx):
        spi = SpiMaster(ctx, shell)
        host = Host(spi, result_bytes(shell.accel.result_layout))
        await host.write(Port.LOAD, weight_image(a))
        await host.put(Port.SAMPLE, 5)  # a beat under way
        seen["busy"] = await host.status()
        await spi.transfer([write_command(Port.SAMPLE), 0x12])  # cs_n glitch in the word
        await spi.transfer([SpiCommand.RESET, 0x00])  # ... and its next byte is 0x30
        seen["after"] = await host.status()
        rx = await spi.transfer([SpiCommand.READ_ERRORS, 0, 0, 0])  # read past its one byte
        seen["errors"], seen["past"] = rx[1], rx[2:]
        seen["cleared"] = (await host.status(), await host.errors())

    run(shell, bench)
    assert seen["busy"] & SpiStatus.BUSY
    assert seen["after"] == IDLE | SpiStatus.LOADED | SpiStatus.SPI_ERROR  # reset, flag kept
    assert seen["errors"] == SpiError.FRAME
    assert seen["past"] == bytes(2)  # past the end: zeros, and (below) no error
    assert seen["cleared"] == (IDLE | SpiStatus.LOADED, 0)


def test_a_write_cut_after_its_command_byte_is_a_frame_error(setup):
    """cs_n rising right after a taken WRITE's command byte: FRAME (a glitch there would make
    the word's first byte the command of a new transaction); a refused WRITE has nothing to
    cut."""
    a, *_ = setup
    shell = make_shell(a)
    seen = {}

    async def bench(ctx):
        spi = SpiMaster(ctx, shell)
        host = Host(spi, result_bytes(shell.accel.result_layout))
        await spi.transfer([write_command(Port.SAMPLE)])
        seen["cut"] = await host.errors()
        await host.write(Port.SAMPLE, [1])  # not loaded: stays in the buffer, which is full
        await spi.transfer([write_command(Port.SAMPLE)])  # refused: no data expected
        seen["refused"] = await host.errors()

    run(shell, bench)
    assert seen["cut"] == SpiError.FRAME
    assert seen["refused"] == 0


def test_a_read_longer_than_the_result_is_no_error_and_takes_it_once(setup):
    """Reading on past the last result byte (beyond the shell's byte counter range) shifts out
    zeros: no FRAME (a wrapped counter flagged one), and the result is taken exactly once."""
    a, x, rr, want = setup
    shell = make_shell(a)
    n = result_bytes(shell.accel.result_layout)
    bits = a.spec.preprocess.input_bits
    seen = {}

    async def bench(ctx):
        spi = SpiMaster(ctx, shell)
        host = Host(spi, n)
        await host.write(Port.LOAD, weight_image(a))
        for v in x[0, 0]:
            await host.put(Port.SAMPLE, int(v) & ((1 << bits) - 1))
        for v in rr[0]:
            await host.put(Port.RR, int(v))
        while not await host.status() & SpiStatus.RESULT:
            pass
        rx = await spi.transfer([SpiCommand.READ_RESULT] + [0] * (4 * max(n, 4) + 3))
        seen["rx"] = rx
        seen["status"], seen["errors"] = await host.status(), await host.errors()
        rx = await spi.transfer([SpiCommand.READ_ID] + [0] * 40)
        seen["id_rx"], seen["id_errors"] = rx, await host.errors()

    run(shell, bench)
    rx = seen["rx"]
    assert int.from_bytes(rx[1 : 1 + n], "little") == want[0] and not any(rx[1 + n :])
    assert seen["errors"] == 0 and not seen["status"] & SpiStatus.RESULT
    assert int.from_bytes(seen["id_rx"][1:5], "little") == a.spec.hardware_id()
    assert not any(seen["id_rx"][5:]) and seen["id_errors"] == 0


def test_sck_edges_while_chip_select_is_high_are_ignored(setup):
    """The bus is shared: clock edges meant for another device (cs_n high) must not reach the
    shell, whatever the last transaction was (a WRITE here, whose word would complete)."""
    a, *_ = setup
    shell = make_shell(a)
    seen = {}

    async def bench(ctx):
        spi = SpiMaster(ctx, shell)
        host = Host(spi, result_bytes(shell.accel.result_layout))
        await host.write(Port.SAMPLE, [1])  # not loaded: the word stays, the buffer is full
        ctx.set(shell.mosi, 1)
        for _ in range(4 * 8):  # a whole word's clock edges to another device
            await spi._wait(spi.half)
            ctx.set(shell.sck, 1)
            await spi._wait(spi.half)
            ctx.set(shell.sck, 0)
        seen["status"], seen["errors"] = await host.status(), await host.errors()

    run(shell, bench)
    assert seen["errors"] == 0 and not seen["status"] & SpiStatus.SPI_ERROR


def test_a_write_reads_its_own_ports_free_bit(setup):
    """A WRITE to i_rr is refused when the RR buffer was full, even with the sample buffer free
    (it looks at its own port's FREE bit): no word enters, no OVERRUN."""
    a, *_ = setup
    shell = make_shell(a)
    seen = {}

    async def bench(ctx):
        host = Host(SpiMaster(ctx, shell), result_bytes(shell.accel.result_layout))
        await host.write(Port.RR, [1])  # not loaded: the RR buffer stays full
        seen["refused"] = await host.write(Port.RR, [2])
        seen["errors"] = await host.errors()

    run(shell, bench)
    assert seen["refused"] & SpiStatus.SAMPLE_FREE and not seen["refused"] & SpiStatus.RR_FREE
    assert seen["errors"] == 0


def test_rom_and_no_rr_ports_refuse_writes(artifact_factory):
    """Without a load port (ROM) or RR inputs, their WRITE is always refused, never an error."""
    a = artifact_factory("norr", seed=2)
    shell = SpiShell(a.spec, HwConfig(lanes=2, rom=True), artifact=a)
    seen = {}

    async def bench(ctx):
        host = Host(SpiMaster(ctx, shell), result_bytes(shell.accel.result_layout))
        seen["status"] = await host.status()
        seen["load"] = await host.write(Port.LOAD, [1])
        seen["rr"] = await host.write(Port.RR, [1])
        seen["errors"] = await host.errors()

    run(shell, bench)
    assert seen["status"] == SpiStatus.SAMPLE_FREE | SpiStatus.LOADED
    assert seen["errors"] == 0


@pytest.mark.parametrize(
    "work_clock",
    [pytest.param(False, marks=pytest.mark.slow), True],  # test-fast: the work-clocked chip
    ids=["clocked", "work-clocked"],
)
def test_fused_engine_over_spi(ssf_factory, beats_factory, rng, work_clock):
    """The fused engine behind the shell (ROM, `quiet` from its schedule): beats sent word by
    word and read back equal golden, with the core's clock enable low for most cycles when
    work-clocked (between the words and while the result waits) and never low otherwise."""
    a = ssf_factory("small", 0)
    x, rr = beats_factory(a, rng, 3)
    g = golden.run(a, x, rr)
    layout = ResultLayout.of(a.spec)
    want = [pack_result(layout, int(c), v.tolist()) for c, v in zip(g.cls, g.values, strict=True)]
    shell = SpiShell(a.spec, HwConfig(lanes=2, rom=True, engine="fused"), a, work_clock=work_clock)
    bits = a.spec.preprocess.input_bits
    seen = {}

    async def bench(ctx):
        host = Host(SpiMaster(ctx, shell), result_bytes(shell.accel.result_layout))
        seen["results"] = [await host.classify(x[n, 0], rr[n], bits) for n in range(len(x))]

    watch: dict = {}
    run(shell, bench, watch, cycles=200_000)  # the three beats take 26,820
    assert seen.get("results") == want, watch
    assert (watch["off"] > watch["cycles"] // 2) == work_clock, watch


def test_a_refused_shell_is_never_built(ssf_factory, monkeypatch):
    """A shell the checks refuse (a root clock gate without work_clock) raises before any
    component exists: nothing is left for Amaranth to warn about when it is collected (a
    warning that, at collection time, fails whichever test is running)."""
    import gc
    import sys
    import warnings

    from amaranth.hdl import Elaboratable, Fragment, UnusedElaboratable

    class Tiny(Elaboratable):
        def elaborate(self, platform):
            return Module()

    Fragment.get(Tiny(), None)  # Amaranth warns only once something has been elaborated
    art = ssf_factory("small", 0)
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedElaboratable)
        try:
            SpiShell(art.spec, HwConfig(rom=True, engine="fused"), art, clock_gate="ICG_POS")
        except ValueError as e:
            assert "clock_gate needs work_clock" in str(e)
        gc.collect()
    assert seen == []
