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
- `load_port_closed_while_busy`: the load port takes no word while an inference runs
  (`busy` is high from the first input word of a beat until its result is taken);
- `reload_reinitialises`: after any load-port word, no input word is taken before the init sweep
  has written every membrane address again (the harness sets a flag on each load word and
  clears it when the sweep writes its last address). Lemma, which makes it inductive: the flag
  implies the sequencer's `clean` is low.

Must-fail variants (`BROKEN`): each property on the shell, loader or sequencer broken by one line
(`sim.formal_kit.mutant`, in memory), as `make mutate` plants them in a copy of the tree.

Not proved here: when a result counts as taken (its last READ_RESULT byte); that needs a count
of SCK edges across a whole transaction tied to an inference's result, far deeper than these
checks: the Verilator bench (`tests/sim/test_spi_shell_rtl.py`) and the Amaranth tests
(`tests/hw/test_spi.py`) kill its mutants.
"""

from __future__ import annotations

from amaranth.hdl import Assert, Cat, Fragment, Module, Signal

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.loader import Loader
from ecg_snn.hw.sequencer import Sequencer
from ecg_snn.hw.spi import Mode, SpiShell
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.ports import Port
from ecg_snn.sim import formal_kit

PROPERTIES = (
    "spi_write_own_free_bit",
    "spi_buffer_kept",
    "spi_sck_gated_by_cs",
    "load_port_closed_while_busy",
    "reload_reinitialises",
)
# The shift and count registers of a transaction (locals of `SpiShell.elaborate`).
TRANSACTION_STATE = ("rx", "bits", "tx", "word", "word_bytes", "read_bytes", "mode", "first")


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
    local = lambda name: formal_kit.local(frag, name)  # noqa: E731
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


def _accel_fragment(frag: Fragment) -> Fragment:
    """The accelerator's fragment inside the shell's (under its `ResetInserter`)."""
    for sub, name, _ in frag.subfragments:
        if name == "accel":
            return sub
    raise LookupError("the shell has no `accel` submodule: was it renamed in hw/spi.py?")


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


# One-line bugs per property: (a function building the broken shell class, find, replace).
BROKEN = {
    "spi_write_own_free_bit": {
        "sample-free-bit-for-every-port": (
            "shell",
            "with m.If(snap[4 + p]):",
            "with m.If(snap[4]):",
        ),
        "free-bit-at-command-end": (
            "shell",
            "with m.If(snap[4 + p]):",
            "with m.If(status[4 + p]):",
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
        "word-written-into-a-full-buffer": ("shell", "with m.If(free[p]):", "with m.If(1):"),
        "buffer-emptied-untaken": (
            "shell",
            "with m.If(stream.valid & stream.ready):",
            "with m.If(stream.valid):",
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
