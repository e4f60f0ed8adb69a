"""`make verilog`: Verilog emission, Verilator lint and Yosys synthesis pass for the default
model's shape and for two other random artifacts with different shapes and widths."""

from __future__ import annotations

import json

import pytest

from ecg_snn.flow import verilog
from ecg_snn.hw.config import HwConfig

BUILDS = [
    ("default", HwConfig(lanes=8)),
    ("odd", HwConfig(lanes=3)),
    ("norr", HwConfig(lanes=2, rom=True)),
]


@pytest.mark.parametrize(
    ("shape", "config"),
    BUILDS,
    ids=[f"{s}-lanes{c.lanes}{'-rom' if c.rom else ''}" for s, c in BUILDS],
)
def test_lint_and_synthesis(artifact_factory, tmp_path, shape, config):
    artifact = artifact_factory(shape)
    report = tmp_path / "reports" / "verilog.json"
    r = verilog.build(artifact, config, tmp_path / "verilog", report)
    saved = json.loads(report.read_text())
    for key in (
        "top",
        "files",
        "cells",
        "flip_flops",
        "memory_bits",
        "lint_warnings",
        "hardware",
        "weight_memory_bytes",
        "cycles",
    ):
        assert key in saved, key
    assert saved["top"] == "snn_accelerator"
    assert r["lint_warnings"] == 0
    assert r["cells"] > 0 and r["flip_flops"] > 0 and r["memories"] > 0
    if config.rom:
        assert any(f.endswith(".hex") for f in r["files"])
    print(
        f"\n{shape} lanes={config.lanes} rom={config.rom}: cells={r['cells']} "
        f"ffs={r['flip_flops']} memory_bits={r['memory_bits']} "
        f"weight_bytes={r['weight_memory_bytes']} cycles={r['cycles']}"
    )


def test_missing_default_model(monkeypatch, tmp_path):
    monkeypatch.setattr(verilog, "DEFAULT_MODEL", tmp_path / "inter.json")
    monkeypatch.setattr(verilog, "ROOT", tmp_path)
    monkeypatch.delenv("MODEL", raising=False)
    with pytest.raises(SystemExit, match="train one with `make train` or pass MODEL="):
        verilog.main(["--no-synth"])


def test_lint_catches_a_real_warning(tmp_path):
    """The waivers do not hide other findings: an undriven output is reported."""
    v = tmp_path / "snn_accelerator.v"
    v.write_text(
        "module snn_accelerator(input clk, output [1:0] o);\nassign o[0] = clk;\nendmodule\n"
    )
    result = verilog.lint(v)
    assert any("UNDRIVEN" in w for w in result["warnings"])


@pytest.mark.parametrize(
    ("kind", "config"),
    [("if", HwConfig(lanes=8)), ("ssf", HwConfig(lanes=3)), ("if", HwConfig(lanes=2, rom=True))],
    ids=["default-if-lanes8", "default-mixed-ssf-lanes3", "default-if-lanes2-rom"],
)
def test_every_memory_read_port_is_gated_by_a_net(artifact_factory, ssf_factory, kind, config):
    """Every `lib.memory` read port has an enable, and it is a net (or net bit) of the emitted
    Verilog, which `flow/netlist.py` reads as the port's access count; the transparent
    vw/cin ports keep their write bypass, and their data registers are the macros' outputs,
    not flip-flops."""
    from ecg_snn.flow.design import accelerator_verilog
    from ecg_snn.flow.netlist import load_verilog

    artifact = artifact_factory("default") if kind == "if" else ssf_factory("default", 0, 2)
    src = accelerator_verilog(artifact.spec, config, artifact)  # the content-keyed cache
    text = src.read_text()
    nl = load_verilog(src)
    mems = nl.memories()
    names = {k.rsplit("/", 1)[-1].split("$")[0] for k in mems}
    assert {"weight", "bias", "vw", "cin", "mem"} <= names
    if kind == "ssf":
        assert "count" in names
    for name, mem in mems.items():
        reads = [p for p in mem.ports if p.kind == "read"]
        assert len(reads) == 1, name
        assert reads[0].enable is not None, f"{name}: read on every cycle"
    # The transparent ports: a read-during-write bypass under the enable.
    assert "if (v_wr__en && v_rd__addr == v_wr__addr)" in text
    for mod in nl.modules.values():
        assert not mod.registers & mod.memory_regs, mod.name


@pytest.mark.parametrize("rom", [False, True], ids=["load", "rom"])
def test_no_zero_width_net(ssf_factory, rom):
    """One-word memories (dense3's vw/cin and bias at 8 lanes) are registers: the Verilog has
    no `[-1:0]` net and lints clean although ASCRANGE is no longer waived."""
    from ecg_snn.flow.design import accelerator_verilog
    from ecg_snn.flow.tools import VERILATOR_WAIVERS
    from ecg_snn.hw.config import LayerGeometry

    assert "ASCRANGE" not in VERILATOR_WAIVERS
    artifact = ssf_factory("default", 0)
    config = HwConfig(lanes=8, rom=rom)
    geos = [LayerGeometry(layer, config.lanes) for layer in artifact.spec.layers]
    assert min(g.groups * g.positions for g in geos) == 1  # a one-word memory exists
    src = accelerator_verilog(artifact.spec, config, artifact)  # the content-keyed cache
    assert "[-1:0]" not in src.read_text()
    result = verilog.lint(src)
    assert result["warnings"] == [] and result["errors"] == []


def test_a_one_word_lib_memory_would_need_the_waiver(tmp_path):
    """Negative: a `lib.memory.Memory` of depth 1 emits a zero-width address that the lint,
    without the ASCRANGE waiver, reports."""
    from amaranth.back import verilog as amaranth_verilog
    from amaranth.hdl import Module
    from amaranth.lib import memory, wiring
    from amaranth.lib.wiring import In, Out

    class OneWord(wiring.Component):
        def __init__(self):
            super().__init__({"a": In(2), "en": In(1), "d": In(8), "q": Out(8)})

        def elaborate(self, platform):
            m = Module()
            m.submodules.mem = mem = memory.Memory(shape=8, depth=1, init=[])
            wr, rd = mem.write_port(), mem.read_port()
            m.d.comb += [wr.data.eq(self.d), wr.en.eq(self.en), self.q.eq(rd.data)]
            m.d.comb += [wr.addr.eq(self.a), rd.addr.eq(self.a), rd.en.eq(self.en)]
            return m

    src = tmp_path / "snn_accelerator.v"
    src.write_text(amaranth_verilog.convert(OneWord(), name="snn_accelerator"))
    assert "[-1:0]" in src.read_text()
    assert any("ASCRANGE" in w for w in verilog.lint(src)["warnings"])


def test_a_design_synthesised_before_is_not_synthesised_again(tmp_path, monkeypatch):
    """The second synthesis of the same Verilog reads the first run's files (stats equal) from
    the content-keyed cache; changed Verilog runs Yosys again."""
    v = tmp_path / "snn_accelerator.v"
    v.write_text(
        "module snn_accelerator(input clk, input [3:0] d, output reg [3:0] q);\n"
        "  always @(posedge clk) q <= d + 4'd1;\nendmodule\n"
    )
    cache = tmp_path / "cache"
    first = verilog.synthesize(v, tmp_path / "a", cache=cache)
    assert first["flip_flops"] > 0
    ran = []
    monkeypatch.setattr(verilog, "run_yosys", lambda *a: ran.append(a))
    assert verilog.synthesize(v, tmp_path / "b", cache=cache) == first and ran == []
    assert (tmp_path / "b" / "yosys.log").read_text() == (tmp_path / "a" / "yosys.log").read_text()
    v.write_text(v.read_text().replace("4'd1", "4'd2"))
    with pytest.raises(FileNotFoundError):  # the stub wrote no stat.json: Yosys was asked to run
        verilog.synthesize(v, tmp_path / "c", cache=cache)
    assert len(ran) == 1
