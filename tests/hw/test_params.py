"""Parameter errors are caught in `__init__` with exact messages."""

from __future__ import annotations

import dataclasses

import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.decision import Decision
from ecg_snn.hw.event_queue import EventQueue
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract.ports import ResultLayout


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lanes": 0}, r"^lanes must be in 1\.\.64, not 0$"),
        ({"lanes": 65}, r"^lanes must be in 1\.\.64, not 65$"),
        ({"lanes": 2.0}, r"^lanes must be an integer, not 2\.0$"),
        ({"lanes": True}, r"^lanes must be an integer, not True$"),
        ({"rom": 1}, r"^rom must be a bool, not 1$"),
        ({"block_ram": 1, "engine": "fused"}, r"^block_ram must be a bool, not 1$"),
        ({"block_ram": True}, r"^block_ram is a build of the fused engine, not of 'event'$"),
    ],
    ids=[
        "zero-lanes",
        "too-many-lanes",
        "float-lanes",
        "bool-lanes",
        "rom-not-bool",
        "block-ram-not-bool",
        "block-ram-event-engine",
    ],
)
def test_hwconfig(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HwConfig(**kwargs)


def test_rom_needs_artifact(artifact_factory):
    a = artifact_factory("small")
    with pytest.raises(ValueError, match=r"^the ROM option bakes the weights in: pass artifact=$"):
        Accelerator(a.spec, HwConfig(rom=True))


def test_artifact_for_other_hardware(artifact_factory):
    a, b = artifact_factory("small"), artifact_factory("odd")
    with pytest.raises(ValueError, match=r"^the artifact was made for a different hardware"):
        Accelerator(a.spec, HwConfig(rom=True), artifact=b)


def test_invalid_spec(artifact_factory):
    a = artifact_factory("small")
    spec = dataclasses.replace(a.spec, T=0)
    with pytest.raises(ValueError, match=r"^invalid spec: T must be in 1\.\.1024, not 0$"):
        Accelerator(spec, HwConfig())


def test_wrong_types(artifact_factory):
    a = artifact_factory("small")
    with pytest.raises(TypeError, match=r"^spec must be a ModelSpec, not dict$"):
        Accelerator({}, HwConfig())
    with pytest.raises(TypeError, match=r"^config must be a HwConfig, not int$"):
        Accelerator(a.spec, 8)


def test_block_parameters():
    with pytest.raises(ValueError, match=r"^event queue depth must be a positive integer, not 0$"):
        EventQueue(8, 0)
    with pytest.raises(ValueError, match=r"^a decision needs at least two classes, not 1$"):
        Decision(ResultLayout(1, 1, 8), 4)
