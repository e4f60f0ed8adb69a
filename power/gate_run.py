"""`make power GATE=1`: the accelerator synthesized onto osu018 (180 nm), simulated gate by gate on
real beats, its energy from the Liberty tables, and its timing from OpenSTA.

1. `gate.synthesize`: Yosys maps the Verilog `make sim` verifies onto the library (memory plan,
   clock gates, flip-flops, ABC); `gate.cell_models` writes the cells' simulation models.
2. The SAIF harness of `make power` (`harness.py`, `accel.py`) around the gate-level netlist: the
   same command script, one SAIF window per beat, every result checked against the golden model.
3. Per beat, `gate_energy.gate_energy` on its SAIF (cells from the Liberty, SRAM macros from
   `sram.py`); per block as in `blocks.py`.
4. `sta.run_sta`: OpenSTA's critical path on the same netlist; the per-net activity summed over
   the beats (`sta_power.window_activity`) for OpenSTA's `report_power` (`sta_power.py`).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.flow.asic.gate import SRAM_MIN_DEPTH, GateNetlist, synthesize
from ecg_snn.flow.asic.liberty import Library, load_liberty
from ecg_snn.flow.asic.pdk import OSU018, CellLibrary
from ecg_snn.flow.netlist import load_verilog
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.ports import TOP
from ecg_snn.power.accel import check_against_golden, run_beats
from ecg_snn.power.energy import subtract
from ecg_snn.power.gate_energy import (
    FlatNetlist,
    GateEnergy,
    buffer_fanout,
    flatten,
    gate_energy,
    leakage_nw,
    net_costs,
)
from ecg_snn.power.gate_sim import flat_verilog, structural_verilog
from ecg_snn.power.harness import build_harness
from ecg_snn.power.saif import read_saif
from ecg_snn.power.sram import SramModel
from ecg_snn.power.sta_power import Activity, window_activity
from ecg_snn.power.tech import load_technology

CHUNK = 8
_worker: dict = {}


@dataclass
class GateRun:
    library: CellLibrary
    liberty: Path
    voltage: float
    clock_hz: float
    stat: dict
    plan: dict
    energies: list[GateEnergy]
    cycles: np.ndarray
    mismatches: int
    leakage_nw: dict[str, float]
    sram: SramModel
    flip_flops: int
    cells: int
    seconds: float
    netlist_dir: Path
    flat: FlatNetlist
    activity: Activity | None  # per-net toggles and time at 1, summed over the beats
    sram_min_depth: int  # the memory plan's threshold (`gate.memory_plan`)


def gate_harness(flat_v: Path, build: Path, top: str = TOP, cxx_opt: str = "-O0") -> Path:
    """The SAIF harness around the flat gate-level netlist (`gate_sim.py`). `cxx_opt`: -O0 for
    the accelerator (~100 MB of C++: compile time dominates its short run); a long run of a
    small netlist pays for -O1 (`power/qrs.py`)."""
    return build_harness(
        flat_v,
        top,
        build,
        extra_args=("-Wno-LATCH", "-Wno-COMBDLY", "-Wno-MULTIDRIVEN", "--x-assign", "0"),
        jobs=max(1, os.cpu_count() or 1),
        cxx_opt=cxx_opt,
    )


def gate_flat(gate_json: Path, lib) -> tuple[FlatNetlist, str]:
    """The mapped netlist flattened, fan-out buffered (`gate_energy.buffer_fanout`), its flat
    simulation model (`gate_sim.flat_verilog`), and its nets named as that model names them."""
    flat = flatten(gate_json, lib)
    buffer_fanout(flat, lib)
    text, names = flat_verilog(flat, lib)
    flat.flat_names(names)
    return flat, text


@dataclass(frozen=True)
class GateModel:
    """A design mapped onto a library (`gate.synthesize`) and its flat netlist, with the files
    the simulator (`flat_v`) and OpenSTA (`netlist.sta`) read, all in `<work>/synth`."""

    library: CellLibrary
    liberty: Path
    lib: Library
    netlist: GateNetlist
    flat: FlatNetlist
    flat_v: Path


def gate_model(
    verilog: Path,
    top: str,
    work: Path,
    library: CellLibrary = OSU018,
    log=print,
    sram_min_depth: int = SRAM_MIN_DEPTH,
    memories: list | None = None,
) -> GateModel:
    """Synthesize `verilog` (module `top`) onto `library` with the memory plan of
    `sram_min_depth` and the inventory `memories` (`gate.synthesize`), flatten and fan-out
    buffer it (`gate_flat`), and write its simulation model and its STA netlist (each only
    when changed, so the content-keyed simulator build is reused)."""
    liberty = library.liberty()
    lib = load_liberty(liberty)
    rtl = load_verilog(verilog)
    g = synthesize(verilog, top, liberty, rtl, work / "synth", log, sram_min_depth, memories)
    flat, sim_text = gate_flat(g.json, lib)
    flat_v = work / "synth" / "flat.v"
    for path, text in ((flat_v, sim_text), (g.sta, structural_verilog(flat))):
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return GateModel(library, liberty, lib, g, flat, flat_v)


def sram_model(library: CellLibrary, lib: Library) -> SramModel:
    """The SRAM macros' energy model at the library's node and voltage (`sram.py`)."""
    return SramModel.at(load_technology("45nm"), library.node_nm, lib.voltage)


def netlist_stat(flat: FlatNetlist, lib: Library) -> dict:
    """Cells (fan-out buffers included), flip-flops, area (um^2) and cells by type."""
    by_type: dict[str, int] = {}
    for _, ctype in flat.cells:
        by_type[ctype] = by_type.get(ctype, 0) + 1
    return {
        "cells": len(flat.cells),
        "flip_flops": sum(n for t, n in by_type.items() if lib.cells[t].seq_kind == "ff"),
        "area": sum(lib.cells[t].area * n for t, n in by_type.items()),
        "by_type": by_type,
    }


def _init(gate_json: str, liberty: str, clock_hz: float, sram: SramModel) -> None:
    lib = load_liberty(liberty)
    flat, _ = gate_flat(Path(gate_json), lib)
    _worker.update(
        flat=flat, costs=net_costs(flat, lib), leak=leakage_nw(flat, lib), clk=clock_hz, sram=sram
    )


def _energy_of(path: str) -> tuple[GateEnergy, Activity]:
    """Worker: one beat's energy and per-net activity; its SAIF files are deleted."""
    saif = subtract(read_saif(path), read_saif(f"{path}.init", active_only=True))
    Path(path).unlink()
    Path(f"{path}.init").unlink()
    w = _worker
    energy = gate_energy(saif, w["flat"], w["costs"], w["leak"], w["clk"], w["sram"])
    return energy, window_activity(saif, w["flat"])


def run_gate_level(
    artifact: Artifact,
    rtl_verilog: Path,
    x: np.ndarray,
    rr: np.ndarray,
    work: Path,
    clock_hz: float,
    jobs: int = 2,
    library: CellLibrary = OSU018,
    log=print,
    simulate: bool = True,
    sram_min_depth: int = SRAM_MIN_DEPTH,
    load: bool = True,
    memories: list | None = None,
) -> GateRun:
    """Synthesize, simulate `x` (N, n_samples) / `rr` beats gate by gate, and apply the energy.
    With `simulate` False only the netlist is built (cells, leakage, the STA netlist), without
    the Verilator build of the flat model (3-5 minutes for the full accelerator on 2 cores).
    `sram_min_depth` is the memory plan's threshold (`gate.memory_plan`); `load` False for a ROM
    build (no weight image); `memories` the design's inventory (`Accelerator.memories()`),
    which decides the memory plan's ROMs and must list every memory of the Verilog."""
    t0 = time.time()
    model = gate_model(rtl_verilog, TOP, work, library, log, sram_min_depth, memories)
    g, flat, lib, liberty = model.netlist, model.flat, model.lib, model.liberty
    sram = sram_model(library, lib)
    energies: list[GateEnergy] = []
    activity: Activity | None = None
    bad = 0
    if simulate:
        log(f"  gate-level netlist ready ({time.time() - t0:.0f} s); building its simulator")
        exe = gate_harness(model.flat_v, work / "harness")
        log(f"  gate-level simulator ready ({time.time() - t0:.0f} s)")
    with ProcessPoolExecutor(
        jobs, initializer=_init, initargs=(str(g.json), str(liberty), clock_hz, sram)
    ) as pool:
        for start in range(0, len(x) if simulate else 0, CHUNK):
            sl = slice(start, start + CHUNK)
            runs = run_beats(exe, artifact, x[sl], rr[sl], work / "saif", jobs, load)
            bad += check_against_golden(artifact, x[sl], rr[sl], runs)
            for energy, act in pool.map(_energy_of, [str(r.saif) for r in runs]):
                energies.append(energy)
                activity = act if activity is None else activity + act
            log(f"  gate level: {min(start + CHUNK, len(x))}/{len(x)} beats")
    top = g.stat["modules"].get(f"\\{TOP}") or next(iter(g.stat["modules"].values()))
    stat = netlist_stat(flat, lib)
    return GateRun(
        library=library,
        liberty=liberty,
        voltage=lib.voltage,
        clock_hz=clock_hz,
        stat={"area": stat["area"], "area_yosys": top.get("area"), "by_type": stat["by_type"]},
        plan=g.plan.as_dict(),
        energies=energies,
        cycles=np.array([e.cycles for e in energies]),
        mismatches=bad,
        leakage_nw=leakage_nw(flat, lib),
        sram=sram,
        flip_flops=stat["flip_flops"],
        cells=stat["cells"],
        seconds=time.time() - t0,
        netlist_dir=work / "synth",
        flat=flat,
        activity=activity,
        sram_min_depth=sram_min_depth,
    )
