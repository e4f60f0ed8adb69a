"""The memory inventory (`hw/memories.py`, `Accelerator.memories`): it is what the generator
builds (checked against the emitted Verilog), what the area report and the ROM files read, and a
generator that builds something else refuses to elaborate."""

from __future__ import annotations

import gc
import re
import warnings
from pathlib import Path

import pytest
from amaranth.hdl import Fragment, UnusedElaboratable

from ecg_snn.flow import design, verilog
from ecg_snn.flow.netlist import load_verilog
from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.memories import MemoryInfo, inventory, retained_state
from ecg_snn.hw.top import Accelerator

CASES = [
    ("if", HwConfig(lanes=8)),
    ("if", HwConfig(lanes=2, rom=True)),
    ("ssf", HwConfig(lanes=3)),
    ("ssf", HwConfig(lanes=8, rom=True)),
]
IDS = [f"{k}-lanes{c.lanes}{'-rom' if c.rom else ''}" for k, c in CASES]


def _cached_verilog(artifact, config) -> Path:
    """The design's `<TOP>.v` from the content-keyed cache `make sim` and `make verilog` share
    (`flow.design`): emitted afresh whenever the generator's source changes."""
    return design.accelerator_verilog(artifact.spec, config, artifact)


def _artifact(kind, artifact_factory, ssf_factory):
    # the mixed ssf shape has a counts_out layer (`count`) and one-word memories at 8 lanes
    return artifact_factory("default") if kind == "if" else ssf_factory("default", 0, 2)


@pytest.mark.parametrize(("kind", "config"), CASES, ids=IDS)
def test_inventory_is_what_the_verilog_holds(artifact_factory, ssf_factory, kind, config):
    """Every memory of the emitted Verilog is in the inventory with its depth and width, and
    every inventory memory of more than one word is in the Verilog (one-word memories are
    registers, `hw/word.py`); ROMs are exactly the memories without a write port."""
    from ecg_snn.hw.engine import memories

    artifact = _artifact(kind, artifact_factory, ssf_factory)
    mems = memories(artifact.spec, config, artifact if config.rom else None)
    src = _cached_verilog(artifact, config)
    found = {}
    for key, mem in load_verilog(src).memories().items():
        scope, name = key.split("/")[-2:]
        found[f"{scope}/{name.split('$')[0]}"] = mem
    listed = {m.path: m for m in mems if m.depth > 1}
    assert set(found) == set(listed)
    for path, mem in found.items():
        info = listed[path]
        assert (mem.depth, mem.width) == (info.depth, info.width), path
        has_write = any(p.kind == "write" for p in mem.ports)
        assert has_write != info.rom, path
    assert {m.clock_gate for m in mems if m.rom} <= {"none"}
    assert all(m.retained == (m.clock_gate == "load") for m in mems)


@pytest.mark.parametrize(("kind", "config"), CASES, ids=IDS)
def test_area_report_and_rom_files_read_the_inventory(
    artifact_factory, ssf_factory, tmp_path, kind, config
):
    """`memory_bits` is the inventory's sum, and each ROM file `emit` writes holds the
    inventory's words."""
    artifact = _artifact(kind, artifact_factory, ssf_factory)
    dut = Accelerator(artifact.spec, config, artifact if config.rom else None)
    mems = dut.memories()
    assert verilog.memory_bits(dut) == sum(m.bits for m in mems)
    files = [p for p in verilog.emit(dut, tmp_path) if p.suffix == ".hex"]
    roms = [m for m in mems if m.rom]
    assert len(files) == len(roms)
    for f, m in zip(files, roms, strict=True):
        assert f.name == f"{m.scope}_{m.name}.hex"
        assert [int(w, 16) for w in f.read_text().split()] == m.words()


def test_rom_words_pack_lanes_in_twos_complement():
    """words(): lane 0 in the low bits, each lane two's complement in `lane_bits`."""
    m = MemoryInfo("layer0", "weight", 2, 2, 4, True, "none", False, ((1, -1), (-8, 7)))
    assert m.words() == [0xF1, 0x78]
    assert m.width == 8 and m.bits == 16


def test_memory_info_refuses_inconsistent_entries():
    with pytest.raises(ValueError, match="clock_gate must be one of"):
        MemoryInfo("layer0", "vw", 2, 1, 4, False, "word", False)
    with pytest.raises(ValueError, match="a ROM has contents and a RAM none"):
        MemoryInfo("layer0", "weight", 2, 1, 4, True, "none", False)
    with pytest.raises(ValueError, match="1 rows for depth 2"):
        MemoryInfo("layer0", "weight", 2, 1, 4, True, "none", False, ((1,),))


def _patched_inventory(monkeypatch, change):
    """LayerUnit's inventory with `change` applied to layer 1's list (what a generator edit
    that forgot the inventory looks like)."""
    from ecg_snn.hw import layer

    real = layer.layer_memories

    def patched(index, *args, **kwargs):
        out = real(index, *args, **kwargs)
        return change(out) if index == 1 else out

    monkeypatch.setattr(layer, "layer_memories", patched)


def _refused(spec, match: str) -> None:
    """Elaborating Accelerator(spec) raises RuntimeError matching `match`. The half-built
    design's elaboratables are collected here with Amaranth's never-used warning off."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        try:
            Fragment.get(Accelerator(spec, HwConfig(lanes=2)), None)
        except RuntimeError as e:
            message = str(e)
        else:
            message = None
        gc.collect()
    assert message is not None and re.search(match, message), message


def test_a_memory_missing_from_the_inventory_refuses(artifact_factory, monkeypatch):
    """The negative test: a memory the layer builds that the inventory lacks (a memory added
    to the generator only) stops elaboration."""
    artifact = artifact_factory("default")
    _patched_inventory(monkeypatch, lambda mems: [m for m in mems if m.name != "vw"])
    _refused(artifact.spec, "layer1/vw is built but not in the memory inventory")


def test_an_inventory_memory_never_built_refuses(artifact_factory, monkeypatch):
    """An inventory entry the layer never builds (still counted by the reports) is refused."""
    artifact = artifact_factory("default")
    ghost = MemoryInfo("layer1", "ghost", 4, 2, 3, False, "write", False)
    _patched_inventory(monkeypatch, lambda mems: [*mems, ghost])
    _refused(artifact.spec, "ghost")


def test_a_word_of_another_width_refuses(artifact_factory, monkeypatch):
    """The inventory's word width is the one built."""
    import dataclasses

    artifact = artifact_factory("default")
    _patched_inventory(
        monkeypatch,
        lambda mems: [
            dataclasses.replace(m, lane_bits=m.lane_bits + 1) if m.name == "vw" else m for m in mems
        ],
    )
    _refused(artifact.spec, "layer1/vw: word .* differs from the inventory")


def test_retained_state_is_the_retained_memories(artifact_factory):
    """The retained list takes its memories from the inventory: every loadable weight, RR
    weight and bias bit, nothing with ROM."""
    artifact = artifact_factory("default")
    config = HwConfig(lanes=3)
    kept = retained_state(artifact.spec, config)
    mems = [m for m in inventory(artifact.spec, config) if m.retained]
    assert {m.name for m in mems} >= {"weight", "bias"}
    assert sum(kept[f"{artifact.spec.layers[int(m.scope[5:])].name}.{m.name}"] for m in mems) == (
        sum(m.bits for m in mems)
    )
    assert retained_state(artifact.spec, HwConfig(lanes=3, rom=True)) == {}


@pytest.mark.parametrize("lanes", [1, 8])
def test_fused_inventory_is_its_weight_rom_banks(ssf_factory, tmp_path, lanes):
    """The fused engine (`hw/fused/`) holds only weight ROM banks, one per tensor of more than
    one word: the inventory names each with the Verilog's depth and width, `memory_bits` and
    the ROM files read them, the banks hold every weight, nothing is retained."""
    from ecg_snn.hw.engine import accelerator
    from ecg_snn.hw.fused.plan import FusedPlan
    from ecg_snn.hw.fused.rom import weight_banks

    artifact = ssf_factory("default", 0)
    config = HwConfig(lanes=lanes, rom=True, engine="fused")
    dut = accelerator(artifact.spec, config, artifact)
    mems = dut.memories()
    assert {(m.scope, m.rom, m.clock_gate, m.retained) for m in mems} == {
        ("weights", True, "none", False)
    }
    banks = weight_banks(FusedPlan.of(artifact.spec, config), artifact)
    assert sorted(m.depth for m in mems) == sorted(len(r) for r in banks.values() if len(r) > 1)
    files = verilog.emit(dut, tmp_path)
    src = next(p for p in files if p.suffix == ".v")
    found = list(load_verilog(src).memories().values())
    assert sorted((f.depth, f.width) for f in found) == sorted((m.depth, m.width) for m in mems)
    assert not any(p.kind == "write" for f in found for p in f.ports)
    assert verilog.memory_bits(dut) == sum(m.bits for m in mems)
    hexes = sorted([int(w, 16) for w in p.read_text().split()] for p in files if p.suffix == ".hex")
    assert hexes == sorted(m.words() for m in mems)
    assert dut.retained_state() == {}


@pytest.mark.parametrize("engine", ["event", "fused"])
def test_each_engines_inventory_passes_the_gate_level_memory_plan(ssf_factory, engine):
    """The gate-level flow (`flow/asic/gate.memory_plan`) accepts the Verilog of either engine
    with the inventory of that engine (`make power ENGINE=fused GATE=1` once refused the fused
    weight ROM, given the event engine's list); the other engine's list is refused."""
    from ecg_snn.flow.asic.gate import memory_plan
    from ecg_snn.hw.engine import memories

    artifact = ssf_factory("default", 0)
    configs = {e: HwConfig(lanes=8, rom=True, engine=e) for e in ("event", "fused")}
    src = _cached_verilog(artifact, configs[engine])
    plan = memory_plan(
        load_verilog(src), memories=memories(artifact.spec, configs[engine], artifact)
    )
    assert set(plan.kinds.values()) <= {"rom", "register_file", "sram"}
    other = "fused" if engine == "event" else "event"
    wrong = memories(artifact.spec, configs[other], artifact)
    with pytest.raises(ValueError, match=r"memory inventory|missing from the Verilog"):
        memory_plan(load_verilog(src), memories=wrong)
