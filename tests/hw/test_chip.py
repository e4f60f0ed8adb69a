"""The chip's rhythm gate (`hw/chip.py` `RhythmGate`) by hand at its threshold, and the chip
builds it only for a spec with the gate (`model/contract/patient.py` `gate`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from amaranth.hdl import Fragment
from amaranth.sim import Simulator

from ecg_snn.hw.chip import EcgChip, RhythmGate
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.patient import gate

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_artifact(ROOT / "model" / "artifacts" / "inter.json").spec  # N S V F, G = 7


def run_gate(spec, cases: list[tuple[int, int]]) -> list[int]:
    dut = RhythmGate(spec)
    got: list[int] = []

    async def bench(ctx) -> None:
        for cls, rhythm in cases:
            ctx.set(dut.i_cls, cls)
            ctx.set(dut.rhythm, rhythm)
            got.append(ctx.get(dut.o_cls))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return got


@pytest.mark.parametrize("g", [SPEC.rhythm_gate, 1, 63])
def test_gate_at_its_threshold_by_hand(g):
    """S (1) with rhythm G - 1 stays S, at G and above becomes N (0); N, V, F never change."""
    spec = dataclasses.replace(SPEC, rhythm_gate=g)
    cases = [(1, g - 1), (1, g), (1, 63), (0, g), (2, g), (3, 63), (2, g - 1), (1, 0)]
    want = [1, 0, 0, 0, 2, 3, 2, 1 if g else 0]
    assert run_gate(spec, cases) == want
    cls, rhythm = np.array(cases).T
    assert gate(spec.classes, g, cls, rhythm).tolist() == want  # the contract agrees


def test_gate_follows_the_class_order():
    """The indices of S and N come from the spec: with classes S N V F, S is 0 and N is 1."""
    spec = dataclasses.replace(SPEC, classes=("S", "N", "V", "F"))
    assert run_gate(spec, [(0, 7), (0, 6), (1, 7)]) == [1, 0, 1]


def test_no_gate_no_gate_logic():
    """rhythm_gate = 0: RhythmGate refuses the spec and the chip has no gate submodule."""
    off = dataclasses.replace(SPEC, rhythm_gate=0)
    with pytest.raises(ValueError, match="no rhythm gate"):
        RhythmGate(off)
    assert "gate" not in submodules(EcgChip(off))
    assert "gate" in submodules(EcgChip(SPEC))


def submodules(chip: EcgChip) -> set[str]:
    """The names of the chip's own submodules (its fragment elaborated, not its blocks')."""
    frag = Fragment.get(chip, None)
    return {name for _, name, _ in frag.subfragments}
