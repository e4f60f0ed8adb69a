"""Fixtures for the cocotb/Verilator tests: builds are shared across tests and workers (keyed on
the Verilog, under build/sim/), job and test directories are per test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact, load_artifact
from ecg_snn.model.variants import stand_in
from ecg_snn.sim.accel import design
from ecg_snn.sim.tb import runner
from ecg_snn.sim.tb.demo_design import TOP as DEMO_TOP
from ecg_snn.sim.tb.demo_design import write_verilog

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "model" / "artifacts" / "inter.json"


@pytest.fixture(scope="session")
def demo_build() -> runner.Build:
    """The FIFO self-test design, verilated once per session (and reused across sessions)."""
    src = write_verilog(runner.BUILD_ROOT / "demo-src")
    return runner.build([src], DEMO_TOP, name="demo")


@pytest.fixture(scope="session")
def model_artifact() -> Artifact:
    """The default trained model; until one is trained, a random stand-in with the project's
    front end (so real beats are valid inputs) and a small network."""
    if DEFAULT_MODEL.exists():
        return load_artifact(DEFAULT_MODEL)
    return stand_in(np.random.default_rng(1))


@pytest.fixture(scope="session")
def accel_build(model_artifact: Artifact) -> runner.Build:
    """The default hardware configuration (`HwConfig()`: load port present) of that model."""
    return design.accelerator_build(model_artifact.spec, HwConfig())


@pytest.fixture
def sim_dir(tmp_path: Path) -> Path:
    """A fresh directory for one simulator run's job files, logs, results and traces."""
    return tmp_path / "sim"
