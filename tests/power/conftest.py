"""Fixtures for the energy-model tests: a tiny Amaranth design, its Verilog, and a Verilator
harness built once per session. (No `from __future__ import annotations` here: Amaranth reads the
component signature from real annotation objects.)"""

from pathlib import Path

import pytest

from tests.designs import TINY_TOP, tiny_verilog


@pytest.fixture(scope="session")
def tiny_v(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.v"
    path.write_text(tiny_verilog())
    return path


@pytest.fixture(scope="session")
def tiny_harness(tiny_v) -> Path:
    from ecg_snn.power.harness import build_harness
    from ecg_snn.power.run import BUILD

    return build_harness(tiny_v, TINY_TOP, BUILD / "harness" / "tiny")  # cached by content
