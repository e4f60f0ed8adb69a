"""Fixtures for the energy-model tests: a tiny Amaranth design, its Verilog, and a Verilator
harness built once per session. (No `from __future__ import annotations` here: Amaranth reads the
component signature from real annotation objects.)"""

from pathlib import Path

import pytest

TINY_TOP = "tiny_power"


def tiny_verilog() -> str:
    """A 4-bit counter (enabled by the one input `en`) in a submodule, and a 4 x 8-bit ROM read
    at address count[1:0] on every cycle with `en` high."""
    from amaranth.back import verilog
    from amaranth.hdl import Module
    from amaranth.lib import memory, wiring
    from amaranth.lib.wiring import In, Out

    class Counter(wiring.Component):
        en: In(1)
        count: Out(4)

        def elaborate(self, platform):
            m = Module()
            with m.If(self.en):
                m.d.sync += self.count.eq(self.count + 1)
            return m

    class Tiny(wiring.Component):
        en: In(1)
        out: Out(8)

        def elaborate(self, platform):
            m = Module()
            m.submodules.ctr = ctr = Counter()
            m.submodules.mem = mem = memory.Memory(shape=8, depth=4, init=[1, 2, 3, 4])
            rd = mem.read_port()
            m.d.comb += [ctr.en.eq(self.en), rd.addr.eq(ctr.count[:2]), rd.en.eq(self.en)]
            m.d.comb += self.out.eq(rd.data)
            return m

    return verilog.convert(Tiny(), name=TINY_TOP)


@pytest.fixture(scope="session")
def tiny_v(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.v"
    path.write_text(tiny_verilog())
    return path


@pytest.fixture(scope="session")
def tiny_harness(tiny_v, tmp_path_factory) -> Path:
    from ecg_snn.power.harness import build_harness

    return build_harness(tiny_v, TINY_TOP, tmp_path_factory.mktemp("tiny_build"))
