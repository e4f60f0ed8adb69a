"""SPI peripheral shell: the accelerator as a microcontroller sees it on an FPGA (`make fpga`).

The register map and the transaction format are `model/contract/spi.py` (one source for the RTL,
the C SPI HAL and the testbenches). Ports of the Verilog module `SPI_TOP`: `clk`, `rst`
(synchronous; the chip's power-on reset: it drives the core's `por`, so it also clears the
loaded model, as an FPGA platform's power-on reset does; the RESET command is the soft reset,
which keeps the model), `sck`, `cs_n`, `mosi` (in), `miso`, `irq` (out: a result is waiting,
for a microcontroller's interrupt line).

    cs_n, sck, mosi ─► 2-flop synchronisers ─► edge detect ─► rx byte ─► command / data decode
                                                                      │
     status byte (at cs_n fall) / result / id ─► tx shift register ─► miso
     word buffers (sample, rr, load): 32 bits + full flag each ─► the accelerator's input streams
     o_result ◄── taken after the last READ_RESULT byte

Work-driven clocking (`work_clock=True`, the ASIC build of `power/heartbeat.py`): the core's
sync domain gets a clock enable, `core_en = ~accel.quiet | RESET | rst`, so between the words
of a beat (415 cycles per 5-byte WRITE at the fastest SCK), while a result waits to be read and
between beats, the core holds every register. `Accelerator.quiet` is high only when no core
register can change before an input word, an image word or the result's acceptance arrives,
and each of those raises `core_en` in its own cycle, so the core sees the same sequence of
edges that do anything: the design is cycle-exact with and without it (`tests/hw/test_spi.py`,
`tests/power/test_heartbeat.py`). Synthesis turns the enable into clock gates on the banks
Yosys `clockgate` takes (`flow/asic/gate.py`: not those with a synchronous reset); the core's
clock tree up to them, and the banks with a synchronous reset, would keep toggling. The ASIC
build therefore also names the library's clock-gate cell (`clock_gate`): one such cell at the
root of the core's clock, enabled by the same `core_en`, stops the whole core's clock tree
while it waits. It is redundant with the enable (a register of the core changes only in a
cycle with `core_en` high either way), so it cannot change what the core computes, only what
its clock costs (`docs/power.md`, the heartbeat). It exists only in Verilog (the Amaranth
simulator runs the enable alone); RTL simulators take the cell's behavioural model
(`flow/asic/gate.py`, `ICG_MODEL_VERILOG`). An FPGA keeps both off (`make fpga`).

The shell's own protocol registers (byte and word assembly, MISO, the transaction's decode,
the word buffers, the errors) get the same treatment: they change only in a cycle with a
chip-select or SCK edge, a word taken by the core, the RESET pulse or the reset, so they sit
in their own module with that clock enable (`txn_en`) and, in the ASIC build, behind a second
root clock gate. Between SCK edges (8 of every 10 cycles at the fastest SCK: two edges a bit)
the chip then clocks only the pins' synchronisers, the two edge detectors and the two root
gates.

Why oversampling and not an SCK clock domain: one clock domain for the whole design (no CDC
between the shift registers and the accelerator, one clock constraint for nextpnr, the same
cycle semantics in the Amaranth simulator and Verilator), at the price of `f_sck <= f_clk / 10`
(`SCK_DIVIDER_MIN`): 1.2 MHz on the iCEBreaker's 12 MHz, far more than a beat needs (a beat is
~70 words, ~350 bytes, ~2.5 ms at 1.2 MHz; beats come every >= 300 ms).
"""

from __future__ import annotations

from amaranth.hdl import (
    Cat,
    Const,
    Elaboratable,
    Module,
    Mux,
    ResetInserter,
    ResetSignal,
    Signal,
)
from amaranth.lib import enum, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.clocking import work_clocked
from ecg_snn.hw.config import Checked, HwConfig
from ecg_snn.hw.engine import accelerator, accelerator_class
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.ports import BUS_BITS, Port
from ecg_snn.model.contract.spi import WORD_BYTES, SpiCommand, SpiError, result_bytes

SPI_TOP = "snn_spi"


class Mode(enum.Enum, shape=2):
    """What the data bytes of the running transaction do."""

    IGNORE = 0  # STATUS, RESET, a refused WRITE, an unknown command
    WRITE = 1
    READ = 2  # READ_RESULT, READ_ID, READ_ERRORS: shift `out` onto MISO


class SpiShell(Checked, wiring.Component):
    """Parameters: as `hw.top.Accelerator` (`spec`, `config`, `artifact`, `checks`), and
    `work_clock`: the core is clocked only while it has work (module docstring, "Work-driven
    clocking"); `clock_gate`: the name of the library's integrated clock-gate cell (ports CE,
    CLK, GCLK) put at the root of the core's clock (Verilog only). Errors: those of the
    engine's accelerator (checked before anything is built); `ValueError` for `clock_gate`
    without `work_clock`."""

    @classmethod
    def check(
        cls,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        checks: bool = False,
        work_clock: bool = False,
        clock_gate: str | None = None,
    ) -> None:
        config = HwConfig() if config is None else config
        if clock_gate and not work_clock:
            raise ValueError("clock_gate needs work_clock (the gate's enable is core_en)")
        accelerator_class(config).check(spec, config, artifact, checks)

    def __init__(
        self,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        checks: bool = False,
        work_clock: bool = False,
        clock_gate: str | None = None,
    ) -> None:
        self.accel = accelerator(spec, config, artifact, checks)  # `config.engine` selects
        self.work_clock, self.clock_gate = work_clock, clock_gate
        self.core_en = Signal()  # the core's clock enable (1 on every cycle without work_clock)
        self.spec = spec
        self.config = self.accel.config
        self.result_bytes = result_bytes(self.accel.result_layout)
        super().__init__(
            {
                "sck": In(1),
                "cs_n": In(1, init=1),
                "mosi": In(1),
                "miso": Out(1),
                "irq": Out(1),
            }
        )

    def _ports(self) -> dict[Port, object]:
        """The accelerator's input streams the shell buffers (no i_rr without RR features, no
        i_load with weights in ROM: their WRITE is always refused)."""
        a = self.accel
        ports = {Port.SAMPLE: a.i_sample}
        if self.spec.n_rr:
            ports[Port.RR] = a.i_rr
        if not self.config.rom:
            ports[Port.LOAD] = a.i_load
        return ports

    def elaborate(self, platform: object) -> Elaboratable:
        m = Module()
        accel = self.accel
        reset_pulse = Signal()  # the RESET command: a one-cycle synchronous reset of the core
        core = ResetInserter(reset_pulse)(accel)
        if self.work_clock:
            # Clock the core only while it has work: a word offered, a result taken, a reset,
            # or a schedule that moves by itself (`Accelerator.quiet` low).
            m.d.comb += self.core_en.eq(~accel.quiet | reset_pulse | ResetSignal())
            core = work_clocked(m, "core", core, self.core_en, self.clock_gate)
        else:
            m.d.comb += self.core_en.eq(1)
        m.submodules.accel = core
        m.d.comb += accel.por.eq(ResetSignal())  # the chip's reset pin is its power-on reset
        m.d.comb += self.irq.eq(accel.o_result.valid)

        # -- SPI pins into the clock domain ------------------------------------------------
        sck, cs_n, mosi = Signal(), Signal(init=1), Signal()
        m.submodules.sync_sck = FFSynchronizer(self.sck, sck)
        m.submodules.sync_cs = FFSynchronizer(self.cs_n, cs_n, init=1)
        m.submodules.sync_mosi = FFSynchronizer(self.mosi, mosi)
        sck_d, cs_d = Signal(), Signal(init=1)
        m.d.sync += [sck_d.eq(sck), cs_d.eq(cs_n)]
        # An SCK edge counts only while chip select has been low for a cycle already: the bus is
        # shared (edges for another device are ignored), and an edge in the very cycle cs_n
        # falls (a glitch, no setup time) must not complete a byte of the cut transaction
        # before it, against the new transaction's status snapshot (a WRITE decoded against
        # the wrong FREE bits: found by `sim/formal_spi.py`); the new transaction then counts
        # a bit short and ends as FRAME.
        selected = ~cs_n & ~cs_d
        rise, fall = sck & ~sck_d & selected, ~sck & sck_d & selected
        cs_fall, cs_rise = ~cs_n & cs_d, cs_n & ~cs_d

        # -- the protocol: every register behind the pins' synchronisers and edge detectors --
        # In its own module `t`: with `work_clock` it is clocked only in a cycle that can change
        # one of its registers (`txn_en` below), so between SCK edges the shell clocks nothing
        # but the synchronisers and edge detectors.
        t = Module()

        # -- word buffers in front of the accelerator's input streams -----------------------
        ports = self._ports()
        full = {p: Signal(name=f"{p.name.lower()}_full") for p in ports}
        buf = {p: Signal(BUS_BITS, name=f"{p.name.lower()}_buf", reset_less=True) for p in ports}
        for p, stream in ports.items():
            t.d.comb += [stream.valid.eq(full[p]), stream.payload.eq(buf[p])]
            with t.If(stream.valid & stream.ready):
                t.d.sync += full[p].eq(0)
        free = {p: ~full[p] | ports[p].ready for p in ports}  # a word may enter this cycle

        errors = Signal(len(SpiError))
        status = Signal(8)
        t.d.comb += status.eq(
            Cat(
                accel.busy,
                accel.loaded,
                accel.load_error,
                accel.o_result.valid,
                *(~full[p] if p in ports else Const(0) for p in Port),
                errors.any(),
            )
        )

        # -- the transaction ---------------------------------------------------------------
        # No reset for its registers: the chip-select fall that starts a transaction sets
        # every one that is read before it is written (`cs_fall` below; `cs_d` resets to 1, so
        # a chip select already low at reset starts a fresh one), and `buf` is read only while
        # `full`. Without a reset the ASIC flow clock-gates them bank by bank; with `work_clock`
        # the whole protocol module is clocked only when it can change (`txn_en`, below).
        rx = Signal(8, reset_less=True)
        bits = Signal(3, reset_less=True)  # bits of the current byte received so far
        tx = Signal(8, reset_less=True)  # MISO shift register, MSB first
        out_bits = max(8 * self.result_bytes, BUS_BITS, 8)
        out = Signal(out_bits, reset_less=True)  # what the next MISO bytes carry, low byte first
        snap = Signal(8, reset_less=True)  # the status byte this transaction sent
        first = Signal(reset_less=True)  # the next complete byte is the command
        mode = Signal(Mode, reset_less=True)
        port = Signal(2, reset_less=True)
        word = Signal(BUS_BITS, reset_less=True)
        word_bytes = Signal(range(WORD_BYTES), reset_less=True)
        wrote = Signal(reset_less=True)  # this WRITE transaction has completed a word
        read_bytes = Signal(range(out_bits // 8 + 1), reset_less=True)
        is_result = Signal(reset_less=True)  # the READ is a READ_RESULT
        take = Signal(reset_less=True)  # ... and had a valid result to take
        t.d.comb += self.miso.eq(tx[7])
        # Written through explicit enables (`_Bank`): Yosys then clock-gates them (through
        # `t.d.sync`'s priority chains it found no enable for most of them)
        out_bank = _Bank(t, out=out)
        txn = _Bank(
            t, bits=bits, snap=snap, first=first, mode=mode, port=port, word_bytes=word_bytes,
            wrote=wrote, read_bytes=read_bytes, is_result=is_result, take=take,
        )  # fmt: skip

        def set_out(value) -> list:
            return out_bank.set(out=value)

        byte = Cat(mosi, rx[:7])
        done = rise & (bits == 7)
        with t.If(cs_fall):
            t.d.sync += tx.eq(status)
            t.d.comb += txn.set(snap=status, bits=0, first=1, mode=Mode.IGNORE, word_bytes=0)
            t.d.comb += txn.set(read_bytes=0, is_result=0, take=0, wrote=0)
            t.d.comb += set_out(0)
        with t.If(rise):
            t.d.sync += rx.eq(byte)
            t.d.comb += txn.set(bits=bits + 1)
        tx_next = Signal(8)  # a byte boundary: the next byte out; else the next bit
        t.d.comb += tx_next.eq(Mux(bits == 0, out[:8], tx << 1))
        with t.If(fall):
            t.d.sync += tx.eq(tx_next)

        set_error = Signal(len(SpiError))
        read_errors = Signal()  # READ_ERRORS decoded: the flags it sends out are cleared
        with t.If(done & first):
            t.d.comb += txn.set(first=0)
            with t.Switch(byte):
                with t.Case(SpiCommand.STATUS):
                    pass
                for p in Port:
                    with t.Case(SpiCommand.WRITE | p):
                        # Refused unless this transaction's status byte said the buffer is free.
                        if p in ports:
                            with t.If(snap[4 + p]):
                                t.d.comb += txn.set(mode=Mode.WRITE, port=p)
                with t.Case(SpiCommand.READ_RESULT):
                    t.d.comb += txn.set(mode=Mode.READ, is_result=1)
                    with t.If(snap[3]):
                        t.d.comb += txn.set(take=1)
                        t.d.comb += set_out(accel.o_result.payload)
                with t.Case(SpiCommand.RESET):
                    t.d.sync += reset_pulse.eq(1)
                with t.Case(SpiCommand.READ_ID):
                    t.d.comb += txn.set(mode=Mode.READ) + set_out(self.spec.hardware_id())
                with t.Case(SpiCommand.READ_ERRORS):
                    t.d.comb += txn.set(mode=Mode.READ) + set_out(errors)
                    t.d.comb += read_errors.eq(1)
                with t.Default():
                    t.d.comb += set_error.eq(SpiError.COMMAND)
        with t.Elif(done & (mode == Mode.WRITE)):
            assembled = Cat(word[8:], byte)  # little-endian: the first byte ends up lowest
            t.d.sync += word.eq(assembled)
            t.d.comb += txn.set(word_bytes=word_bytes + 1)
            with t.If(word_bytes == WORD_BYTES - 1):
                t.d.comb += txn.set(wrote=1)
            with t.If(word_bytes == WORD_BYTES - 1), t.Switch(port):
                for p in ports:
                    with t.Case(p):
                        with t.If(free[p]):
                            t.d.sync += [buf[p].eq(assembled), full[p].eq(1)]
                        with t.Else():
                            t.d.comb += set_error.eq(SpiError.OVERRUN)
        with t.Elif(done & (mode == Mode.READ)):
            t.d.comb += set_out(out >> 8)
            # saturates: a longer read than `out` holds must not wrap the count back below
            # the result length (a wrapped count flagged FRAME on a complete read)
            with t.If(read_bytes != out_bits // 8):
                t.d.comb += txn.set(read_bytes=read_bytes + 1)
            with t.If(is_result & take & (read_bytes == self.result_bytes - 1)):
                # The last result byte is on its way out: take the result.
                t.d.comb += accel.o_result.ready.eq(1)
                t.d.comb += txn.set(take=0)

        with t.If(cs_rise):
            # a WRITE must carry whole words, at least one: a chip select that rises after the
            # command byte alone is a cut transaction too (a glitch there would otherwise make
            # the word's first byte the command of a new transaction, unseen)
            cut_word = (mode == Mode.WRITE) & ((word_bytes != 0) | ~wrote)
            cut_result = is_result & (read_bytes < self.result_bytes)
            with t.If((bits != 0) | cut_word | cut_result):
                t.d.comb += set_error.eq(SpiError.FRAME)

        out_bank.update()
        txn.update()

        with t.If(reset_pulse):
            t.d.sync += reset_pulse.eq(0)
            t.d.sync += [full[p].eq(0) for p in ports]
        # Sticky until read: RESET keeps them, so an error whose transaction went on to reset
        # the chip (a cut transaction whose next byte reads as RESET) is still reported.
        t.d.sync += errors.eq(Mux(read_errors, 0, errors) | set_error)

        if self.work_clock:
            # Every protocol register changes only on a chip-select or SCK edge (the byte, the
            # word, the MISO bit, the errors), a word taken by the core (its buffer empties), the
            # RESET pulse ending, or the reset: its clock enable. A falling edge writes only the
            # MISO register, so it counts only when that changes: a WRITE's data bytes (most of
            # a beat's traffic) shift out zeros, and half their edges then clock nothing. The
            # same clock enable on every cycle without `work_clock`.
            taken = [stream.valid & stream.ready for stream in ports.values()]
            miso_moves = fall & (tx_next != tx)
            txn_en = Signal()
            m.d.comb += txn_en.eq(
                rise | miso_moves | cs_fall | cs_rise | reset_pulse | Cat(*taken).any()
                | ResetSignal()
            )  # fmt: skip
            t = work_clocked(m, "txn", t, txn_en, self.clock_gate)
        m.submodules.protocol = t
        return m


class _Bank:
    """Registers written through one shared enable (`set` in the comb domain, `update` once
    after the last write): Yosys then sees a plain enable register bank and clock-gates it."""

    def __init__(self, m: Module, **regs: Signal) -> None:
        self.m, self.regs, self.en = m, regs, Signal(name="bank_en")
        self.next = {k: Signal.like(r, name=f"{k}_next") for k, r in regs.items()}
        m.d.comb += [self.next[k].eq(r) for k, r in regs.items()]  # hold unless written

    def set(self, **values) -> list:
        """Statements (comb) that write `values` at the next clock edge."""
        return [*(self.next[k].eq(v) for k, v in values.items()), self.en.eq(1)]

    def update(self) -> None:
        with self.m.If(self.en):
            self.m.d.sync += [r.eq(self.next[k]) for k, r in self.regs.items()]
