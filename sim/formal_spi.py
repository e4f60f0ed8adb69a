"""Formal properties of the SPI shell (`hw/spi.py`) and of the load port behind it, on the whole
shell (accelerator included) with its pins `sck`, `cs_n`, `mosi` and the reset free in every
cycle: any host, any glitch, any reset. Proved by 1-induction (the base case by BMC from reset,
then the induction step from an arbitrary state), so they hold in every reachable state, for the
small shapes of `sim.formal_kit.queue_artifact` on 2 lanes (load port), run by `python -m
ecg_snn.sim.formal` with the others. The register map is `model/contract/spi.py`.

- `spi_write_own_free_bit`: a WRITE transaction writes its port only if that port's FREE bit was
  set in the status byte the transaction sent (the snapshot taken when `cs_n` fell):
  `mode == WRITE -> snap[FREE(port)]`;
- `spi_buffer_kept`: a full word buffer keeps its word until the accelerator takes it (or RESET
  or the reset empties it): `full & ~taken & ~reset_pulse` in a cycle -> the next cycle the
  buffer is still full and holds the same word (a word completed meanwhile is dropped as
  OVERRUN, never written over it);
- `spi_sck_gated_by_cs`: SCK and MOSI edges while chip select is high change nothing: in a cycle
  whose synchronised `cs_n` is high and was high before (no chip-select edge), the receive and
  transmit shift registers, the bit and byte counts, the word being assembled, the mode and the
  command flag keep their values;
- the result taken by a READ_RESULT (three properties on one model of the transaction,
  `_Transaction`, built by the harness from the synchronised pins alone: an SCK edge counts
  while chip select has been low for a cycle, bytes are counted from the `cs_n` fall, the first
  is the command, the snapshot is the accelerator's result in the cycle `cs_n` fell):
  - `spi_result_taken_on_last_byte`: `o_result.ready` is high only in the cycle the shell
    counts the 8th rising SCK edge of byte number `result_bytes + 1` of a READ_RESULT
    transaction (its command byte, then `result_bytes` result bytes: the last result byte
    completes; the 40th counted rising edge for the 4 result bytes of the small shape), only if
    the snapshot held a valid result, and at most once per transaction; and in that cycle of
    such a transaction it is high, with `o_result.valid` (the take is a handshake);
  - `spi_result_kept_on_cut`: `cs_n` rising in a READ_RESULT before that byte has completed
    (anywhere from after its command byte to inside its last result byte) has taken nothing:
    the next cycle the snapshot's result is still valid, and FRAME is set;
  - `spi_result_payload_from_snapshot`: on every rising SCK edge the shell counts in result
    byte k (1..`result_bytes`), MISO carries bit `7 - b` (b = the bits of that byte before it)
    of byte k - 1 (little-endian) of the payload that was valid at the snapshot, or 0 when the
    snapshot had no result. This is MISO where the shell registers the edge; the host sampled
    it 2-3 cycles earlier, at the pin, and MISO has not changed since the previous counted
    falling edge, which at `f_sck <= f_clk / SCK_DIVIDER_MIN` precedes that.
  Lemmas, which make them 1-inductive: the shell's bit count, receive register, snapshot bit,
  command flag, READ_RESULT flag and mode, read count, take flag and the bytes left in `out`
  and `tx` agree with the model; RESET pulses only right after its command byte; the
  snapshot's result stays valid and unchanged until taken (`_Transaction.lemmas`). Taking a
  result twice would do no harm with this core (no second result can be ready within one READ),
  but the shell's contract with the core is one take per READ_RESULT.
- `load_port_closed_while_busy`: the load port takes no word while an inference runs
  (`busy` is high from the first input word of a beat until its result is taken);
- `reload_reinitialises`: after any load-port word, no input word is taken before the init sweep
  has written every membrane address again (the harness sets a flag on each load word and
  clears it when the sweep writes its last address). Lemma, which makes it inductive: the flag
  implies the sequencer's `clean` is low.

Must-fail variants (`BROKEN`): each property on the shell, loader or sequencer broken by one line
(`sim.formal_kit.mutant`, in memory), as `make mutate` plants them in a copy of the tree (the
result-taken variants: taken on the first result byte, without a valid snapshot, again on every
byte past the result, never; a byte early, by a cut read, a cut not flagged; a result byte sent
twice, a stale payload without a result, a byte loaded a bit late). A variant's induction step
fails at the property or, where the broken line shows in the shell's registers first, at one of
its lemmas.
"""

from __future__ import annotations

from amaranth.hdl import Assert, Cat, Const, Fragment, Module, Mux, Signal

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.loader import Loader
from ecg_snn.hw.sequencer import Sequencer
from ecg_snn.hw.spi import Mode, SpiShell
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.ports import Port
from ecg_snn.model.contract.spi import SpiCommand, SpiError
from ecg_snn.sim import formal_kit

PROPERTIES = (
    "spi_write_own_free_bit",
    "spi_buffer_kept",
    "spi_sck_gated_by_cs",
    "spi_result_taken_on_last_byte",
    "spi_result_kept_on_cut",
    "spi_result_payload_from_snapshot",
    "load_port_closed_while_busy",
    "reload_reinitialises",
)
RESULT_PROPERTIES = PROPERTIES[3:6]  # the three on one transaction model (`_Transaction`)
# The shift and count registers of a transaction (locals of `SpiShell.elaborate`).
TRANSACTION_STATE = ("rx", "bits", "tx", "word", "word_bytes", "read_bytes", "mode", "first")


def shell_local(frag: Fragment):
    """A lookup of the shell's registers by name: its protocol module's (`hw/spi.py`), else
    the pins' front end's (synchronisers, edge detectors), never the accelerator's."""
    protocol = next(sub for sub, name, _ in frag.subfragments if name == "protocol")

    def local(name: str) -> Signal:
        try:
            return formal_kit.local(protocol, name)
        except LookupError:
            return formal_kit.local(frag, name)

    return local


def _past(m: Module, value, name: str) -> Signal:
    """`value` one cycle ago (a harness register; reset with the domain like the design)."""
    reg = Signal(len(value), name=f"past_{name}")
    m.d.sync += reg.eq(value)
    return reg


def spi_shell(
    m: Module, prop: str, art: Artifact, config: HwConfig, shell: type = SpiShell
) -> list:
    """The shell (`shell`, possibly a broken copy) with property `prop` asserted; returns its
    free pins."""
    dut = shell(art.spec, config)
    frag = Fragment.get(dut, None)
    m.submodules.dut = frag
    acc = dut.accel
    local = shell_local(frag)
    ports = [p for p in Port if p in dut._ports()]
    streams = {Port.SAMPLE: acc.i_sample, Port.RR: acc.i_rr, Port.LOAD: acc.i_load}
    if prop == "spi_write_own_free_bit":
        mode, port, snap = local("mode"), local("port"), local("snap")
        for p in ports:
            m.d.comb += Assert(
                ~((mode == Mode.WRITE) & (port == p)) | snap[4 + int(p)],
                f"a WRITE to {p.name} needs its FREE bit in the status it sent",
            )
    elif prop == "spi_buffer_kept":
        pulse = _past(m, local("reset_pulse"), "reset_pulse")
        for p in ports:
            full, buf = local(f"{p.name.lower()}_full"), local(f"{p.name.lower()}_buf")
            s = streams[p]
            kept = _past(m, full & ~(s.valid & s.ready), f"{p.name}_kept")
            was = _past(m, buf, f"{p.name}_buf")
            m.d.comb += Assert(
                ~kept | pulse | (full & (buf == was)),
                f"the {p.name} buffer keeps its word until it is taken",
            )
    elif prop == "spi_sck_gated_by_cs":
        cs_d = local("cs_d")  # the synchronised cs_n, one cycle late
        state = Cat(*(local(n) for n in TRANSACTION_STATE))
        quiet = cs_d & _past(m, cs_d, "cs_d")  # cs_n high in the last cycle, no edge in it
        was = _past(m, state, "state")
        m.d.comb += Assert(~quiet | (state == was), "no shift while chip select is high")
    elif prop in RESULT_PROPERTIES:
        _result_taken(m, prop, frag, dut)
    elif prop == "load_port_closed_while_busy":
        m.d.comb += Assert(
            ~(acc.busy & acc.i_load.valid & acc.i_load.ready), "no load word during an inference"
        )
    elif prop == "reload_reinitialises":
        seq_frag, seq = _find(_accel_fragment(frag), "Sequencer")
        ctl = seq.ctl[0]
        swept = ctl.init & (ctl.init_addr == seq._max_depth - 1)
        dirty = Signal()
        with m.If(seq.load_word):
            m.d.sync += dirty.eq(1)
        with m.Elif(swept):
            m.d.sync += dirty.eq(0)
        taken = acc.i_sample.valid & acc.i_sample.ready
        if art.spec.n_rr:
            taken = taken | (acc.i_rr.valid & acc.i_rr.ready)
        m.d.comb += [
            Assert(~dirty | ~formal_kit.local(seq_frag, "clean"), "lemma: a load word unclean"),
            Assert(~(dirty & taken), "no input word between a load word and the init sweep"),
        ]
    else:
        raise ValueError(f"unknown SPI property {prop!r}; known: {PROPERTIES}")
    return [dut.sck, dut.cs_n, dut.mosi]


def _sub(frag: Fragment, name: str) -> Fragment:
    """The submodule `name` of the shell's fragment."""
    for sub, sub_name, _ in frag.subfragments:
        if sub_name == name:
            return sub
    raise LookupError(f"the shell has no {name!r} submodule: was it renamed in hw/spi.py?")


def _accel_fragment(frag: Fragment) -> Fragment:
    """The accelerator's fragment inside the shell's (under its `ResetInserter`)."""
    return _sub(frag, "accel")


def _delayed(frag: Fragment, value: Signal) -> Signal:
    """The shell's register that holds `value` one cycle late (`sck_d`, `cs_d`: found by what
    they hold, since a tuple assignment leaves one of them unnamed)."""
    for stmt in frag.statements.get("sync", ()):
        if getattr(stmt, "rhs", None) is value and isinstance(stmt.lhs, Signal):
            return stmt.lhs
    raise LookupError(f"no register of {value.name} one cycle late: was hw/spi.py changed?")


class _Transaction:
    """The harness's own model of an SPI transaction, from the shell's synchronised pins alone
    (`sck`, `cs_n`, `mosi` after their 2-flop synchronisers, `sck_d`, `cs_d` one cycle later) and
    the register map: an SCK edge counts while chip select has been low for a cycle; `n` counts
    the bytes completed since `cs_n` fell (saturating at `result_bytes + 1`), the first being
    the command `cmd`; `valid` and `payload` are the accelerator's result as it was in the cycle
    `cs_n` fell (the status snapshot); `taken` records a `ready` pulse in this transaction."""

    def __init__(self, m: Module, frag: Fragment, dut: SpiShell) -> None:
        local = shell_local(frag)
        res = dut.accel.o_result
        sck, cs_n, mosi = (_sub(frag, f"sync_{pin}").origins[0].o for pin in ("sck", "cs", "mosi"))
        self.sck_d, self.cs_d = _delayed(frag, sck), _delayed(frag, cs_n)
        selected = ~cs_n & ~self.cs_d
        self.rise = sck & ~self.sck_d & selected
        self.cs_fall, self.cs_rise = ~cs_n & self.cs_d, cs_n & ~self.cs_d
        rb = self.rb = dut.result_bytes
        self.out_bits = len(local("out"))
        self.bits = Signal(3, name="h_bits")
        self.rx = Signal(7, name="h_rx")
        self.n = Signal(range(rb + 2), name="h_n")
        self.cmd = Signal(8, name="h_cmd")
        self.valid = Signal(name="h_valid")
        self.payload = Signal(self.out_bits, name="h_payload")
        self.taken = Signal(name="h_taken")
        # a transaction has begun since reset: the shell's transaction registers have no reset
        # (`hw/spi.py`), so they agree with the model only from the first chip-select fall on
        self.started = Signal(name="h_started")
        byte = Cat(mosi, self.rx)
        self.done = self.rise & (self.bits == 7)  # a byte completes
        with m.If(self.cs_fall):
            m.d.sync += [self.bits.eq(0), self.n.eq(0), self.taken.eq(0), self.started.eq(1)]
            m.d.sync += [self.valid.eq(res.valid), self.payload.eq(res.payload)]
        with m.If(self.rise):
            m.d.sync += [self.bits.eq(self.bits + 1), self.rx.eq(byte[:7])]
        with m.If(self.done):
            with m.If(self.n != rb + 1):
                m.d.sync += self.n.eq(self.n + 1)
            with m.If(self.n == 0):
                m.d.sync += self.cmd.eq(byte)
        with m.If(res.ready):
            m.d.sync += self.taken.eq(1)
        self.read = (self.n != 0) & (self.cmd == SpiCommand.READ_RESULT)  # a READ_RESULT
        self.reset = (self.n != 0) & (self.cmd == SpiCommand.RESET)

    def lemmas(self, m: Module, frag: Fragment, dut: SpiShell) -> None:
        """The shell's transaction registers agree with the model (what makes the properties
        1-inductive: the induction step starts from any state satisfying them)."""
        local = shell_local(frag)
        res, rb, n, sv = dut.accel.o_result, self.rb, self.n, self.valid
        opened = ~self.cs_d  # inside a transaction (chip select low since its fall)
        read = opened & self.read
        rx, out, tx = local("rx"), local("out"), local("tx")
        since = ~self.started  # before the first transaction: registers not yet set
        m.d.comb += [
            Assert(self.started | self.cs_d, "lemma: a transaction starts with a cs_n fall"),
            Assert(n <= rb + 1, "lemma: the model's byte count saturates"),
            Assert(self.payload[len(res.payload) :] == 0, "lemma: the model's result is a result"),
            Assert(since | (local("bits") == self.bits), "lemma: the bit count"),
            # only the bits received in this byte: the rest is an earlier byte's, or power-up's
            Assert(
                (((rx[:7] ^ self.rx) & ((Const(1, 8) << self.bits) - 1)[:7]) == 0),
                "lemma: the receive shift register",
            ),
            Assert(since | (local("snap")[3] == sv), "lemma: the snapshot's RESULT bit"),
            Assert(~opened | (local("first") == (n == 0)), "lemma: the command byte is next"),
            Assert(~opened | (local("is_result") == self.read), "lemma: a READ_RESULT"),
            Assert(~local("is_result") | (local("mode") == Mode.READ), "lemma: READ mode"),
            Assert(~read | (n > rb) | (local("read_bytes") == n - 1), "lemma: bytes read"),
            Assert(~read | (n <= rb) | (local("read_bytes") >= rb), "lemma: bytes read, past"),
            Assert(
                since | (local("read_bytes") <= len(out) // 8), "lemma: the read count saturates"
            ),
            Assert(~read | (local("take") == (sv & (n <= rb))), "lemma: the take flag"),
            Assert(~read | (self.taken == (sv & (n > rb))), "lemma: taken once"),
            Assert(
                ~local("reset_pulse") | (opened & (n == 1) & (self.cmd == SpiCommand.RESET)),
                "lemma: RESET pulses right after its command byte",
            ),
            Assert(
                ~(sv & ~self.taken & ~self.reset)
                | (res.valid & (res.payload == self.payload[: len(res.payload)])),
                "lemma: the snapshot's result stays until taken",
            ),
            Assert(
                ~opened
                | (n != 0)
                | ((out == 0) & (local("read_bytes") == 0) & ~local("take") & ~self.taken),
                "lemma: nothing read or to send before the command",
            ),
        ]
        # what the READ_RESULT sends: `out` holds the bytes still to go, `tx` the current byte
        # shifted by the bits sent (one fewer after a rise whose fall has not come yet)
        data = read & (n <= rb)
        left = Signal(self.out_bits, name="h_left")
        m.d.comb += left.eq(Mux(sv, self.payload >> Cat(Const(0, 3), (n - 1)[: len(n)]), 0))
        byte = out[:8]
        m.d.comb += [
            Assert(~data | (out == left), "lemma: the result bytes still to send"),
            Assert(
                ~(data & ~self.sck_d) | (tx == (byte << self.bits)[:8]),
                "lemma: MISO's byte before a rise",
            ),
            Assert(
                ~(data & self.sck_d & (self.bits != 0)) | (tx == (byte << (self.bits - 1)[:3])[:8]),
                "lemma: MISO's byte after a rise",
            ),
        ]


def _result_taken(m: Module, prop: str, frag: Fragment, dut: SpiShell) -> None:
    """The result-taken properties (module docstring) on the transaction model, with its
    lemmas."""
    t = _Transaction(m, frag, dut)
    t.lemmas(m, frag, dut)
    res, rb = dut.accel.o_result, t.rb
    last = t.done & t.read & (t.n == rb)  # the last result byte completes
    if prop == "spi_result_taken_on_last_byte":
        m.d.comb += [
            Assert(
                ~res.ready | (last & t.valid & ~t.taken),
                "taken only on the last result byte of a READ_RESULT that had one, once",
            ),
            Assert(~(last & t.valid) | (res.ready & res.valid), "taken on that byte"),
        ]
    elif prop == "spi_result_kept_on_cut":
        cut = t.cs_rise & t.read & (t.n <= rb)
        was_cut, kept = _past(m, cut, "cut"), _past(m, cut & t.valid, "kept")
        errors = shell_local(frag)("errors")
        m.d.comb += [
            Assert(~was_cut | errors[SpiError.FRAME.bit_length() - 1], "a cut read is FRAME"),
            Assert(~kept | (res.valid & ~t.taken), "a cut read leaves the result"),
        ]
    else:  # spi_result_payload_from_snapshot
        where = Cat(~t.bits, (t.n - 1)[: len(t.n)])  # bit 7 - bits of result byte n - 1
        bit = Mux(t.valid, t.payload.bit_select(where, 1), 0)
        m.d.comb += Assert(
            ~(t.rise & t.read & (t.n <= rb)) | (dut.miso == bit),
            "MISO carries the snapshot's result, low byte first, MSB first (zeros if none)",
        )


def _find(frag: Fragment, cls_name: str) -> tuple[Fragment, object]:
    """The submodule fragment built by a class called `cls_name` (also a broken copy of it)."""
    for sub, _, _ in frag.subfragments:
        for origin in sub.origins or ():
            if type(origin).__name__ == cls_name:
                return sub, origin
    raise LookupError(f"no {cls_name} inside {frag.origins}: was it renamed in hw/?")


def _proof(prop: str, shell: type = SpiShell, broken: str | None = None) -> formal_kit.Proof:
    art, config = formal_kit.queue_artifact("iii"), HwConfig(lanes=2)
    params = {"shape": "small", "neurons": "iii", "lanes": 2, "memory": "load port"}
    if broken:
        params["broken"] = broken
    return formal_kit.Proof(
        prop if broken is None else f"{prop}/{broken}",
        params,
        lambda m: spi_shell(m, prop, art, config, shell),
        depth=1,
        induction=True,
    )


def proofs() -> list[formal_kit.Proof]:
    return [_proof(p) for p in PROPERTIES]


def _shell_with(accelerator: type) -> type:
    """The shell around `accelerator` (the event engine's class, broken), in place of the
    engine the shell would choose (`hw.engine.accelerator`)."""
    return formal_kit.mutant(SpiShell, None, None, accelerator=accelerator)


def _broken_loader(find: str, replace: str) -> type:
    return _shell_with(
        formal_kit.mutant(Accelerator, None, None, Loader=formal_kit.mutant(Loader, find, replace))
    )


def _broken_top(find: str, replace: str) -> type:
    return _shell_with(formal_kit.mutant(Accelerator, find, replace))


def _broken_sequencer(find: str, replace: str) -> type:
    seq = formal_kit.mutant(Sequencer, find, replace)
    return _shell_with(formal_kit.mutant(Accelerator, None, None, Sequencer=seq))


# The shell's take of the result (its last READ_RESULT byte), for a variant that changes it whole.
_TAKE_BLOCK = """\
            with t.If(is_result & take & (read_bytes == self.result_bytes - 1)):
                # The last result byte is on its way out: take the result.
                t.d.comb += accel.o_result.ready.eq(1)
                t.d.comb += txn.set(take=0)
"""
# One-line bugs per property: (a function building the broken shell class, find, replace).
BROKEN = {
    "spi_write_own_free_bit": {
        "sample-free-bit-for-every-port": (
            "shell",
            "with t.If(snap[4 + p]):",
            "with t.If(snap[4]):",
        ),
        "free-bit-at-command-end": (
            "shell",
            "with t.If(snap[4 + p]):",
            "with t.If(status[4 + p]):",
        ),
        # an SCK edge in the cycle cs_n falls completes the cut transaction's byte (the line
        # as it was; not the `selected` line, which a mutant of tests/mutants.toml changes)
        "edge-in-the-cs-fall-cycle": (
            "shell",
            "rise, fall = sck & ~sck_d & selected, ~sck & sck_d & selected",
            "rise, fall = sck & ~sck_d & ~cs_n, ~sck & sck_d & ~cs_n",
        ),
    },
    "spi_buffer_kept": {
        "word-written-into-a-full-buffer": ("shell", "with t.If(free[p]):", "with t.If(1):"),
        "buffer-emptied-untaken": (
            "shell",
            "with t.If(stream.valid & stream.ready):",
            "with t.If(stream.valid):",
        ),
    },
    "spi_sck_gated_by_cs": {
        "sck-ungated": (
            "shell",
            "rise, fall = sck & ~sck_d & selected, ~sck & sck_d & selected",
            "rise, fall = sck & ~sck_d, ~sck & sck_d",
        ),
        "rise-ungated": (
            "shell",
            "rise, fall = sck & ~sck_d & selected, ~sck & sck_d & selected",
            "rise, fall = sck & ~sck_d, ~sck & sck_d & selected",
        ),
    },
    "spi_result_taken_on_last_byte": {
        "taken-on-the-first-result-byte": (
            "shell",
            "(read_bytes == self.result_bytes - 1)",
            "(read_bytes == 0)",
        ),
        "taken-without-a-valid-snapshot": ("shell", "with t.If(snap[3]):", "with t.If(1):"),
        # taken twice: on the last result byte and again on every byte read past it
        "taken-again-past-the-result": (
            "shell",
            _TAKE_BLOCK,
            _TAKE_BLOCK.replace("read_bytes ==", "read_bytes >=").replace(
                "t.d.comb += txn.set(take=0)", "pass"
            ),
        ),
        "never-taken": ("shell", "accel.o_result.ready.eq(1)", "accel.o_result.ready.eq(0)"),
    },
    "spi_result_kept_on_cut": {
        "taken-a-byte-early": (
            "shell",
            "(read_bytes == self.result_bytes - 1)",
            "(read_bytes == self.result_bytes - 2)",
        ),
        "taken-by-a-cut-read": (
            "shell",
            "        with t.If(cs_rise):\n",
            "        with t.If(cs_rise):\n            t.d.comb += accel.o_result.ready.eq(take)\n",
        ),
        "cut-before-the-last-byte-not-flagged": (
            "shell",
            "cut_result = is_result & (read_bytes < self.result_bytes)",
            "cut_result = is_result & (read_bytes < self.result_bytes - 1)",
        ),
    },
    "spi_result_payload_from_snapshot": {
        "result-byte-repeated": (
            "shell",
            "t.d.comb += set_out(out >> 8)",
            "t.d.comb += set_out(out)",
        ),
        "stale-payload-without-a-result": (
            "shell",
            "t.d.comb += txn.set(mode=Mode.READ, is_result=1)",
            "t.d.comb += txn.set(mode=Mode.READ, is_result=1) + set_out(accel.o_result.payload)",
        ),
        "byte-loaded-a-bit-late": (
            "shell",
            "tx_next.eq(Mux(bits == 0, out[:8], tx << 1))",
            "tx_next.eq(Mux(bits == 1, out[:8], tx << 1))",
        ),
    },
    "load_port_closed_while_busy": {
        "loader-ignores-allow": (
            "loader",
            "m.d.comb += [self.i.ready.eq(self.allow), self.word.eq(take)]",
            "m.d.comb += [self.i.ready.eq(1), self.word.eq(take)]",
        ),
        "allow-not-from-the-sequencer": (
            "top",
            "loader.allow.eq(seq.load_allow),",
            "loader.allow.eq(1),",
        ),
    },
    "reload_reinitialises": {
        "load-word-keeps-clean": (
            "sequencer",
            "        with m.If(self.load_word):\n            m.d.sync += clean.eq(0)\n",
            "        with m.If(self.load_word):\n            pass\n",
        ),
        "input-ignores-clean": (
            "sequencer",
            "ok = accepting & self.loaded & clean & ",
            "ok = accepting & self.loaded & ",
        ),
    },
}
_BUILDERS = {
    "shell": lambda find, replace: formal_kit.mutant(SpiShell, find, replace),
    "loader": _broken_loader,
    "sequencer": _broken_sequencer,
    "top": _broken_top,
}


def must_fail() -> list[formal_kit.Proof]:
    """Every SPI property on each of its broken designs: all must be refuted."""
    out = []
    for prop, variants in BROKEN.items():
        for variant, (where, find, replace) in variants.items():
            out.append(_proof(prop, _BUILDERS[where](find, replace), variant))
    return out
