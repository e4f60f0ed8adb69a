"""Fixtures for the cocotb/Verilator tests: builds are shared across tests and workers (keyed on
the Verilog, under build/sim/), test directories are per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.tb import runner
from sim.tb.demo_design import TOP as DEMO_TOP
from sim.tb.demo_design import write_verilog


@pytest.fixture(scope="session")
def demo_build() -> runner.Build:
    """The FIFO self-test design, verilated once per session (and reused across sessions)."""
    src = write_verilog(runner.BUILD_ROOT / "demo-src")
    return runner.build([src], DEMO_TOP, name="demo")


@pytest.fixture
def sim_dir(tmp_path: Path) -> Path:
    """A fresh directory for one simulator run's logs, results and traces."""
    return tmp_path / "sim"
