"""Energy per heartbeat at the measured node (180 nm): the chip as a wearable uses it, through its
SPI shell, gate by gate on osu018.

    python -m ecg_snn.power.heartbeat [--model PATH] [--beats N] [--work-clock]
                                      [--engine event|fused] [--out FILE]

The SPI shell with the ROM accelerator of `--engine` inside (`hw.spi.SpiShell`, module
`snn_spi`; its core clocked on every cycle, or with `--work-clock` only while it has work,
through a clock gate at the root of its clock tree: `build/reports/heartbeat_work[_fused].json`)
is mapped
onto the library exactly as `make power GATE=1` maps the accelerator (`flow/asic/gate.py`, the
memory plan from the inventory `hw/memories.py`), simulated gate by gate in the SAIF harness
(`power/harness.py`), and every window's energy is taken from the Liberty tables
(`power/gate_energy.py`). Per beat the host does what the C driver does
(`firmware/src/snn_driver.c` with the SPI HAL: one 5-byte WRITE transaction per sample word and
per RR word, SCK = f_clk / 10, `model/contract/spi.py`), then waits for `irq` and reads the
result; the result read back over MISO is checked against the golden model. Windows:

    wake      the power-on reset after power-up (`rst` = the core's `por`): 2 cycles
    transfer  the beat's words over SPI (the core integrates each sample as it arrives)
    compute   from the last word to `irq` (the rest of the inference)
    read      READ_RESULT: command byte + result bytes
    idle      N cycles with nothing to do and the clock running (per cycle: E_idle)

Each window's energy is split into the accelerator core (cells under `accel/`) and the shell
(every other cell: synchronisers, shift registers, word buffers, and the top-level clock tree).

Heartbeat at 75 bpm (one beat every T_beat = 0.8 s), t_active = cycles of all windows but idle
over f_clk:

    E_active      = E_wake + E_transfer + E_compute + E_read        (dynamic + leakage, measured)
    clock running : E_beat = E_active + (E_idle * f_clk + P_leak) * (T_beat - t_active)
    clock stopped : E_beat = E_active + P_leak * (T_beat - t_active)
    power gated   : E_beat = E_active + P_retained * (T_beat - t_active)

P_leak is the library's `cell_leakage_power` summed over the netlist (25 C, typical). With ROM
weights nothing is retained (`hw/README.md`, "Reset levels and retained state"): P_retained = 0
(the power switch's own leakage and the always-on wake-up logic are not in the library and not
counted; a real power switch leaks a few per cent of the domain it cuts). Average power =
E_beat / T_beat. The core's clocking while it waits for words is E_idle,core per transfer cycle:
`core_idle_during_transfer_nj` is what gating the core's clock during the transfer would save at
most (an estimate from the measured idle cycle, not a measured gated design).
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.power.heartbeat:main", "python -m ecg_snn.power.heartbeat")

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.model.contract.spi import SCK_DIVIDER_MIN, WORD_BYTES, SpiCommand

BEAT_S_75_BPM = 60 / 75
HALF = SCK_DIVIDER_MIN // 2  # clock cycles per SCK half period (the fastest the shell allows)
IDLE_CYCLES = 2000
WINDOWS = ("wake", "transfer", "compute", "read")
TARGET_UJ = 0.5  # issue 25: energy per heartbeat at 75 bpm


def transaction(tx: bytes, peek: bool = False) -> list[str]:
    """Harness commands of one SPI mode-0 transaction (as `sim.pysim.SpiMaster`): `cs_n` low,
    each bit MSB first (MOSI set while SCK is low, `peek miso` just before the rising edge),
    `cs_n` high: 3 + 2 * 8 * len(tx) half periods of SCK."""
    out = ["set cs_n 0", f"step {HALF}"]
    for i in range(8 * len(tx)):
        out += [f"set mosi {(tx[i // 8] >> (7 - i % 8)) & 1}", f"step {HALF}"]
        if peek:
            out.append("peek miso")
        out += ["set sck 1", f"step {HALF}", "set sck 0"]
    return [*out, f"step {HALF}", "set cs_n 1", f"step {HALF}"]


def write_word(port: int, word: int) -> list[str]:
    """One WRITE of one little-endian word (the C HAL's `put`)."""
    return transaction(bytes([SpiCommand.WRITE | port, *word.to_bytes(WORD_BYTES, "little")]))


def beat_script(tag: str, samples: list[int], rr: list[int], n_result: int) -> list[str]:
    """The windows transfer, compute and read of one beat (module docstring); `samples` and
    `rr` are the words as the driver sends them (two's complement of the port width)."""
    from ecg_snn.model.contract.ports import Port

    out = [f"saif_open {tag}_transfer.saif"]
    for w in samples:
        out += write_word(Port.SAMPLE, w)
    for w in rr:
        out += write_word(Port.RR, w)
    out += ["saif_close", "cycles", f"saif_open {tag}_compute.saif", "wait irq", "saif_close"]
    out += ["cycles", f"saif_open {tag}_read.saif"]
    out += transaction(bytes([SpiCommand.READ_RESULT] + [0] * n_result), peek=True)
    return [*out, "saif_close", "cycles"]


def script(samples: np.ndarray, rr: np.ndarray, n_result: int) -> str:
    """Power-up (random state), the wake window, every beat, then the idle window."""
    out = ["set cs_n 1", "set sck 0", "set mosi 0", "saif_open wake.saif", "set rst 1", "step 2"]
    out += ["set rst 0", "saif_close", "step 4", "cycles"]
    for k, (xs, rs) in enumerate(zip(samples, rr, strict=True)):
        out += beat_script(f"beat{k}", [int(v) for v in xs], [int(v) for v in rs], n_result)
    out += ["saif_open idle.saif", f"step {IDLE_CYCLES}", "saif_close", "cycles"]
    return "\n".join(out) + "\n"


def read_results(lines: list[str], n_result: int) -> list[bytes]:
    """The bytes each READ_RESULT shifted out (its first byte is the status byte)."""
    bits = [int(s.split()[2], 16) & 1 for s in lines if s.startswith("peek miso")]
    per = 8 * (1 + n_result)
    if len(bits) % per:
        raise RuntimeError(f"{len(bits)} MISO bits is not a whole number of result reads")
    out = []
    for k in range(0, len(bits), per):
        value = int("".join(map(str, bits[k : k + per])), 2)
        out.append(value.to_bytes(1 + n_result, "big")[1:])
    return out


def window_cycles(lines: list[str]) -> list[int]:
    """Cycle count at every `cycles` command."""
    return [int(s.split()[1]) for s in lines if s.startswith("cycles ")]


@dataclass(frozen=True)
class Split:
    """Per-net costs and leakage of one part of the netlist (core or shell)."""

    costs: dict
    leak_nw: float


def core_or_shell(path: str) -> str:
    """The part of the SPI chip a cell belongs to: the accelerator core (under `accel/`) or
    the shell."""
    return "core" if "/accel/" in f"/{path}/" else "shell"


def split_netlist(flat, lib, part_of=core_or_shell) -> dict[str, Split]:
    """Costs and leakage of each part of the netlist, `part_of(instance path)` naming a cell's
    part (a net belongs to its driver's; a net without a driver, an input port, to the part of
    the path "")."""
    from ecg_snn.power.gate_energy import net_costs

    costs = net_costs(flat, lib)
    scale = lib.leakage_unit_w / 1e-9
    leak: dict[str, float] = {}
    parts: dict[str, dict] = {}
    for path, ctype in flat.cells:
        part = part_of(path)
        leak[part] = leak.get(part, 0.0) + lib.cells[ctype].leakage * scale
    for gid, cost in costs.items():
        drv = flat.driver.get(gid)
        parts.setdefault(part_of(drv[0] if drv else ""), {})[gid] = cost
    return {p: Split(parts.get(p, {}), leak.get(p, 0.0)) for p in sorted(set(parts) | set(leak))}


def window_energy(path: Path, flat, parts: dict[str, Split], clock_hz: float, sram=None) -> dict:
    """One SAIF window: cycles, and per part the dynamic nJ (per block) and the leakage nJ;
    with an SRAM model (`sram.SramModel`) the SRAM macros are one more part, "sram"."""
    from ecg_snn.power.energy import subtract
    from ecg_snn.power.gate_energy import gate_energy
    from ecg_snn.power.saif import read_saif

    saif = subtract(read_saif(path), read_saif(f"{path}.init", active_only=True))
    out: dict = {}
    for name, part in parts.items():
        e = gate_energy(saif, flat, part.costs, {"all": part.leak_nw}, clock_hz)
        out["cycles"] = e.cycles
        out[name] = {
            "dynamic_nj": sum(e.dynamic_nj.values()),
            "per_block_nj": e.dynamic_nj,
            "leakage_nj": e.leakage_nj,
        }
    names = list(parts)
    if sram is not None and flat.srams:
        e = gate_energy(saif, flat, {}, {}, clock_hz, sram)  # the macros' accesses only
        out["sram"] = {
            "dynamic_nj": sum(e.dynamic_nj.values()),
            "per_block_nj": e.dynamic_nj,
            "leakage_nj": e.leakage_nj,
            "accesses": e.sram_accesses,
        }
        names.append("sram")
    out["total_nj"] = sum(out[p]["dynamic_nj"] + out[p]["leakage_nj"] for p in names)
    return out


def mean_windows(beats: list[dict]) -> dict:
    """Per window, the mean over beats of cycles and nJ (total, core, shell)."""
    out = {}
    for w in ("transfer", "compute", "read"):
        rows = [b[w] for b in beats]
        out[w] = {
            "cycles": float(np.mean([r["cycles"] for r in rows])),
            "total_nj": float(np.mean([r["total_nj"] for r in rows])),
            **{
                p: {
                    "dynamic_nj": float(np.mean([r[p]["dynamic_nj"] for r in rows])),
                    "leakage_nj": float(np.mean([r[p]["leakage_nj"] for r in rows])),
                }
                for p in ("core", "shell")
            },
        }
    return out


def budget(windows: dict, wake: dict, idle: dict, p_leak_nw: float, clock_hz: float) -> dict:
    """The heartbeat accounting of the module docstring, from measured windows (nJ, cycles)."""
    active_cycles = wake["cycles"] + sum(windows[w]["cycles"] for w in windows)
    t_active = active_cycles / clock_hz
    e_active = wake["total_nj"] + sum(windows[w]["total_nj"] for w in windows)
    idle_dyn = (idle["core"]["dynamic_nj"] + idle["shell"]["dynamic_nj"]) / idle["cycles"]
    idle_core = idle["core"]["dynamic_nj"] / idle["cycles"]
    t_standby = BEAT_S_75_BPM - t_active
    standby = {
        "clock_running": (idle_dyn * clock_hz + p_leak_nw) * t_standby,
        "clock_stopped": p_leak_nw * t_standby,
        "power_gated": 0.0,  # ROM weights: nothing retained
    }
    beats = {k: (e_active + v) / 1000 for k, v in standby.items()}
    return {
        "active_cycles": active_cycles,
        "active_s": t_active,
        "active_nj": e_active,
        "idle_nj_per_cycle": idle_dyn,
        "idle_core_nj_per_cycle": idle_core,
        "leakage_nw": p_leak_nw,
        "standby_s": t_standby,
        "standby_nj": standby,
        "uj_per_heartbeat": beats,
        "average_power_uw": {k: v / BEAT_S_75_BPM for k, v in beats.items()},
        "core_idle_during_transfer_nj": idle_core * windows["transfer"]["cycles"],
        "target_uj": TARGET_UJ,
        "meets_target": {k: v <= TARGET_UJ for k, v in beats.items()},
    }


def send_beats(
    exe: Path, artifact, x: np.ndarray, rr: np.ndarray, saif_dir: Path, args: tuple = ()
) -> tuple:
    """Run `script` for beats x (N, n_samples), rr (N, n_rr) on the harness `exe` of the SPI
    shell (RTL or gate level), SAIF windows into `saif_dir`, `args` to Verilator's runtime
    (random power-up values); returns the harness's output lines and the number of beats whose
    result, read back over MISO, differs from the golden model."""
    from ecg_snn.model.contract import golden
    from ecg_snn.model.contract.ports import ResultLayout, to_unsigned, unpack_result
    from ecg_snn.model.contract.spi import result_bytes
    from ecg_snn.power.harness import run_harness

    spec = artifact.spec
    layout = ResultLayout.of(spec)
    n_result = result_bytes(layout)
    words = np.array([[to_unsigned(int(v), spec.preprocess.input_bits) for v in r] for r in x])
    saif_dir.mkdir(parents=True, exist_ok=True)
    lines = run_harness(exe, script(words, rr, n_result), cwd=saif_dir, timeout=7200, args=args)
    ref = golden.run(artifact, x[:, None, :], rr)
    got = [
        unpack_result(layout, int.from_bytes(b, "little")) for b in read_results(lines, n_result)
    ]
    if len(got) != len(x):
        raise RuntimeError(f"{len(got)} results read back for {len(x)} beats")
    bad = sum(
        1
        for k, (cls, values) in enumerate(got)
        if cls != int(ref.cls[k]) or values != [int(v) for v in ref.values[k]]
    )
    return lines, bad


def measure(
    artifact,
    x: np.ndarray,
    rr: np.ndarray,
    work: Path,
    work_clock: bool = True,
    log=print,
    config=None,
) -> dict:
    """The whole measurement (module docstring) on beats x (N, n_samples), rr (N, n_rr), of
    the shell around the accelerator `config` (a ROM build; default the event engine's) with
    the core clocked only while it has work (`work_clock`, `hw/spi.py`: an enable and a clock
    gate at the root of the core's clock) or on every cycle."""
    from ecg_snn.flow.design import spi_verilog
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.hw.engine import memories
    from ecg_snn.hw.spi import SPI_TOP
    from ecg_snn.power.gate_run import gate_harness, gate_model
    from ecg_snn.power.tech import load_technology

    t0 = time.time()
    spec = artifact.spec
    config = config or HwConfig(rom=True)
    clock_hz = load_technology("22nm").clock_hz  # the chip's clock, the same as `make power`
    verilog = spi_verilog(spec, config, artifact, work_clock=work_clock)
    mems = memories(spec, config, artifact)
    model = gate_model(verilog, SPI_TOP, work, log=log, sram_min_depth=128, memories=mems)
    flat, lib, flat_v = model.flat, model.lib, model.flat_v
    log(f"  gate-level shell netlist ready ({time.time() - t0:.0f} s); building its simulator")
    exe = gate_harness(flat_v, work / "harness", top=SPI_TOP)
    log(f"  simulator ready ({time.time() - t0:.0f} s); {len(x)} beats over SPI")
    saif_dir = work / "saif"
    lines, mismatches = send_beats(exe, artifact, x, rr, saif_dir)
    parts = split_netlist(flat, lib)
    p_leak = sum(p.leak_nw for p in parts.values())
    wake = window_energy(saif_dir / "wake.saif", flat, parts, clock_hz)
    beats = [
        {
            w: window_energy(saif_dir / f"beat{k}_{w}.saif", flat, parts, clock_hz)
            for w in WINDOWS[1:]
        }
        for k in range(len(x))
    ]
    idle = window_energy(saif_dir / "idle.saif", flat, parts, clock_hz)
    windows = mean_windows(beats)
    ffs = sum(1 for _, t in flat.cells if lib.cells[t].seq_kind == "ff")
    return {
        "node": "osu018 180 nm, 1.8 V, typical, 25 C (library figures, pre-layout)",
        "top": SPI_TOP,
        "design": "work_clock" if work_clock else "free_running",
        "engine": config.engine,
        "lanes": config.lanes,
        "clock_gates": sum(1 for _, t in flat.cells if t == "LATCH"),
        "clock_hz": clock_hz,
        "sck_hz": clock_hz / SCK_DIVIDER_MIN,
        "beats": len(x),
        "mismatches": mismatches,
        "cells": len(flat.cells),
        "flip_flops": ffs,
        "words_per_beat": int(x.shape[1] + rr.shape[1]),
        "bytes_per_word_transaction": 1 + WORD_BYTES,
        "wake": wake,
        "windows": windows,
        "idle": idle,
        "budget_75_bpm": budget(windows, wake, idle, p_leak, clock_hz),
        "retained_bits": 0,
        "cycle_marks": window_cycles(lines),
        "seconds": time.time() - t0,
        "method": "power/heartbeat.py",
    }


def core_enable(artifact, x: np.ndarray, rr: np.ndarray, work: Path, config) -> dict:
    """The work-clocked shell (`hw/spi.py`, `work_clock`) at RTL on the same beats and script:
    per window, its cycles and the cycles with the core's clock enable `core_en` high (from
    the SAIF's time at 1), and the mismatches with the golden model."""
    from ecg_snn.flow.design import spi_verilog
    from ecg_snn.hw.spi import SPI_TOP
    from ecg_snn.power.energy import SIM_ROOT, subtract
    from ecg_snn.power.gate_energy import window_cycles
    from ecg_snn.power.harness import build_harness
    from ecg_snn.power.saif import read_saif

    v = spi_verilog(artifact.spec, config, artifact, work_clock=True)
    exe = build_harness(v, SPI_TOP, work / "harness")
    _, bad = send_beats(exe, artifact, x, rr, work / "saif")

    def window(name: str) -> dict:
        path = work / "saif" / f"{name}.saif"
        saif = subtract(read_saif(path), read_saif(f"{path}.init", active_only=True))
        cycles, period = window_cycles(saif, SPI_TOP)
        t1 = saif.nets[(f"{SIM_ROOT}/{SPI_TOP}", "core_en")].t1
        return {"cycles": cycles, "core_enabled": sum(t1.values()) / period}

    per = {w: [window(f"beat{k}_{w}") for k in range(len(x))] for w in WINDOWS[1:]}
    out = {
        w: {k: float(np.mean([r[k] for r in rows])) for k in ("cycles", "core_enabled")}
        for w, rows in per.items()
    }
    return {"mismatches": bad, "windows": out, "idle": window("idle")}


def work_clock_estimate(core_idle_nj: float, rtl: dict) -> dict:
    """What stopping the core's clock while it waits would save per beat: the cycles with the
    core's clock enable low (`rtl`, `core_enable`'s report of the work-clocked shell: exact)
    times the core's energy per idle cycle `core_idle_nj` (gate level: its clock tree,
    `static_idle`, or the idle window of a full run)."""
    w = rtl["windows"]
    off = {k: v["cycles"] - v["core_enabled"] for k, v in w.items()}
    return {
        "core_idle_nj_per_cycle": core_idle_nj,
        "core_clock_off_cycles": off,
        "saved_active_nj_at_most": core_idle_nj * sum(off.values()),
    }


def idle_clock_tree(flat, lib, clock: str = "clk") -> dict[int, str]:
    """The nets that toggle in a cycle where nothing happens, each with the part it serves:
    the clock port's net and every net reached from it forward through combinational cells
    (clock buffers, each clock gate's inverter) up to the flip-flop and latch clock pins,
    stopping at the clock gates' AND (its latch holds the enable low, so the gated clock behind
    it stays still). A net is "core" when every clock pin it reaches is in the accelerator
    core (`accel/`), "shell" when none is, else "shared" (the trunk)."""
    from ecg_snn.power.sta_power import _port_net

    by_input: dict[int, list[tuple[str, str]]] = {}
    for path, ctype, conns in flat.instances:
        for pin, ref in conns.items():
            if isinstance(ref, int) and pin in lib.cells[ctype].inputs:
                by_input.setdefault(ref, []).append((path, ctype))
    leaves: dict[int, set[bool]] = {}

    def walk(net: int) -> set[bool]:  # iterative post-order: the tree is deep
        stack = [(net, False)]
        while stack:
            n, done = stack.pop()
            if n in leaves and not done:
                continue
            kids, ends = [], set()
            for path, ctype in by_input.get(n, []):
                cell = lib.cells[ctype]
                if cell.seq_kind is not None or (
                    path in flat.clock_cells and ctype.startswith("AND")
                ):
                    ends.add("/accel/" in f"/{path}/")
                    continue
                for pin in cell.outputs:
                    ref = flat.conns_of(path).get(pin)
                    if isinstance(ref, int):
                        kids.append(ref)
            if done:
                leaves[n] = ends.union(*(leaves.get(k, set()) for k in kids))
            else:
                leaves[n] = set()  # visiting: a loop through a cycle adds nothing
                stack.append((n, True))
                stack += [(k, False) for k in kids if k not in leaves]
        return leaves[net]

    walk(_port_net(flat, clock))
    names = {frozenset({True}): "core", frozenset({False}): "shell"}
    return {n: names.get(frozenset(v), "shared") for n, v in leaves.items()}


def idle_clock_nets(flat, lib, clock: str = "clk") -> set[int]:
    """The nets of `idle_clock_tree`."""
    return set(idle_clock_tree(flat, lib, clock))


def static_idle(gate_json: Path) -> dict:
    """The energy of one idle cycle from the mapped netlist alone, in nJ, per part of the clock
    tree (`idle_clock_tree`: core, shell, shared trunk): every such net toggles twice, at the
    Liberty cost of `net_costs` (driver, pins, 1/2 C V^2). Exact for a cycle whose only
    activity is the clock with every clock gate closed (`tests/power/test_gate_tiny.py`); the
    leakage (library, cells under `accel/` or not) and the flip-flop counts come with it."""
    from ecg_snn.flow.asic.liberty import load_liberty
    from ecg_snn.flow.asic.pdk import OSU018
    from ecg_snn.power.gate_energy import buffer_fanout, flatten, net_costs

    lib = load_liberty(OSU018.liberty())
    flat = flatten(gate_json, lib)  # as `gate_run.gate_flat`, without the simulation model
    buffer_fanout(flat, lib)
    costs = net_costs(flat, lib)
    tree = idle_clock_tree(flat, lib)
    out: dict = {p: {"idle_nj_per_cycle": 0.0} for p in ("core", "shell", "shared")}
    for gid, part in tree.items():
        if gid in costs:
            out[part]["idle_nj_per_cycle"] += 2 * costs[gid].pj / 1000
    scale = lib.leakage_unit_w / 1e-9
    leak = {"core": 0.0, "shell": 0.0}
    for path, ctype in flat.cells:
        leak["core" if "/accel/" in f"/{path}/" else "shell"] += lib.cells[ctype].leakage * scale
    out["leakage_nw"] = leak
    ffs = [p for p, t in flat.cells if lib.cells[t].seq_kind == "ff"]
    out["flip_flops"] = {
        "core": sum(1 for p in ffs if "/accel/" in f"/{p}/"),
        "shell": sum(1 for p in ffs if "/accel/" not in f"/{p}/"),
    }
    out["clock_gates"] = sum(1 for _, t in flat.cells if t == "LATCH")
    out["cells"] = len(flat.cells)
    out["idle_clock_nets"] = len(tree)
    return out


def bounds(static: dict, rtl: dict, inference: dict, clock_hz: float) -> dict:
    """Energy per heartbeat at 75 bpm from what is measured when the full gate-level run is not
    (`report.power.heartbeats` renders it): the inference at gate level (`make power GATE=1`,
    the accelerator alone: `inference` = {"nj", "cycles"}), the chip's idle cycle per part of
    its clock tree and its leakage (`static_idle`), the cycles per window at RTL
    (`core_enable`). Per beat, A = 2 (wake) + transfer + compute + read cycles, of which the
    core works C_inf; e = e_core + e_shell + e_shared per idle cycle:

        clock enables only:          E >= E_inf + e * (A - C_inf) + P_leak * A / f
        root gate on the core:       E >= E_inf + (e_shell + e_shared) * (A - C_inf)
                                          + P_leak * A / f

    A clock enable alone stops the core's banks, not its clock tree: its idle cycle is the
    free-running one's (every clock gate closed), so only the clock gate at the root of the
    core's tree (`work_clock`'s ASIC build), opened by the same enable, removes e_core
    (`root_gate`). Plus the standby of
    `budget` (clock running / stopped / power-gated). Lower bounds: the shell's data toggles
    and its clocking during the C_inf cycles are not in them."""
    w = rtl["windows"]
    a = 2 + sum(v["cycles"] for v in w.values())
    e = {p: static[p]["idle_nj_per_cycle"] for p in ("core", "shell", "shared")}
    p_leak = sum(static["leakage_nw"].values())
    leak = p_leak * a / clock_hz
    idle = a - inference["cycles"]
    active = {
        "clock_enables": inference["nj"] + sum(e.values()) * idle + leak,
        "root_gate": inference["nj"] + (e["shell"] + e["shared"]) * idle + leak,
    }
    standby_s = BEAT_S_75_BPM - a / clock_hz
    standby = {
        "clock_running": (sum(e.values()) * clock_hz + p_leak) * standby_s,
        "clock_stopped": p_leak * standby_s,
        "power_gated": 0.0,
    }
    return {
        "active_cycles": a,
        "idle_nj_per_cycle": e,
        "active_nj_at_least": active,
        "standby_nj": standby,
        "uj_per_heartbeat_at_least": {
            d: {k: (x + v) / 1000 for k, v in standby.items()} for d, x in active.items()
        },
        "target_uj": TARGET_UJ,
    }


def _git_head(root: Path) -> str | None:
    """The commit the measurement ran on (None outside a git checkout)."""
    import subprocess

    r = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False
    )
    return r.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    from ecg_snn.data.dataset import load_dataset
    from ecg_snn.data.errors import DataError
    from ecg_snn.data.files import write_atomic
    from ecg_snn.data.paths import repo_path
    from ecg_snn.flow.tools import add_engine_option, add_lanes_option
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.model.contract.artifact import ArtifactError, load_artifact
    from ecg_snn.model.contract.frontend import preprocess_beats
    from ecg_snn.model.shipped import shipped
    from ecg_snn.power.sample import stratified

    root = Path(__file__).resolve().parents[1]
    ap = Parser(prog="python -m ecg_snn.power.heartbeat")
    ap.add_argument("--model", default=str(shipped("inter")))
    ap.add_argument("--beats", type=int, default=2, help="DS2 beats sent over SPI (default 2)")
    ap.add_argument(
        "--work-clock",
        action="store_true",
        help="measure the shell whose core is clocked only while it has work (hw/spi.py) at "
        "gate level (default: the core clocked on every cycle)",
    )
    ap.add_argument(
        "--rtl-work-clock",
        action="store_true",
        help="only the work-clocked shell at RTL: the cycles its core is clocked per window "
        "(build/reports/heartbeat_rtl_work.json; seconds, no gate level)",
    )
    ap.add_argument(
        "--static-idle",
        type=Path,
        metavar="GATE_JSON",
        help="only the idle cycle and leakage of a mapped netlist (the gate.json of this "
        "command's synthesis): build/reports/heartbeat_static.json",
    )
    add_engine_option(ap)
    add_lanes_option(ap)
    ap.add_argument(
        "--out",
        type=Path,
        help="default build/reports/heartbeat[_work][_fused].json for the default 2 beats, "
        "heartbeat[...]-beats<N>.json for any other number (a quick run never replaces it)",
    )
    args = ap.parse_args(argv)
    fused = args.engine == "fused"
    name = "heartbeat_work" if args.work_clock else "heartbeat"
    if args.rtl_work_clock:
        name = "heartbeat_rtl_work"
    if args.static_idle:
        name = "heartbeat_static"
    name += "_fused" if fused else ""
    beats = "" if args.beats == 2 else f"-beats{args.beats}"
    args.out = args.out or root / "build" / "reports" / f"{name}{beats}.json"
    try:
        if args.beats < 1:
            raise ValueError(f"--beats must be >= 1, not {args.beats}")
        config = HwConfig(lanes=args.lanes, rom=True, engine=args.engine)
        artifact = load_artifact(Path(args.model))
        pre = artifact.spec.preprocess
        ds = load_dataset(config=pre.beat_config(), progress=False)  # the chip's cut (make power)
    except (ArtifactError, ValueError, DataError) as e:
        print(f"heartbeat: {e}", file=sys.stderr)
        return 2
    # DS2 beats; each one's inputs (patient features too) are the device's after every earlier
    # beat of its record
    part = np.flatnonzero(ds.part_mask("DS2"))
    idx = part[stratified(ds.label[part], args.beats, np.random.default_rng(2))]
    x, rr = preprocess_beats(pre, ds.window, ds.rr, ds.record, idx)
    work = root / "build" / "power" / name.replace("_", "-")
    if args.static_idle:
        r = static_idle(args.static_idle)
        r["netlist"] = repo_path(args.static_idle)
    elif args.rtl_work_clock:
        r = {
            "beats": len(x),
            **core_enable(artifact, x[:, 0, :], rr, work / "rtl-work", config),
        }
    else:
        r = measure(artifact, x[:, 0, :], rr, work, args.work_clock, config=config)
    r["model"] = repo_path(args.model)
    r["commit"] = _git_head(root)
    r["model_sha256"] = artifact.checksum()
    flag = " --work-clock" if args.work_clock else ""
    flag += " --rtl-work-clock" if args.rtl_work_clock else ""
    flag += f" --static-idle {repo_path(args.static_idle)}" if args.static_idle else ""
    flag += " --engine fused" if fused else ""
    flag += f" --lanes {args.lanes}" if args.lanes != HwConfig().lanes else ""
    r["command"] = f"python -m ecg_snn.power.heartbeat --beats {args.beats}{flag}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, json.dumps(r, indent=1, sort_keys=True) + "\n")
    if args.static_idle:
        print(f"idle cycle (nJ): {[(p, r[p]) for p in ('core', 'shell', 'shared')]}")
        return 0
    if args.rtl_work_clock:
        print(f"work-clocked shell at RTL ({r['mismatches']} mismatches): {r['windows']}")
        return 1 if r["mismatches"] else 0
    b = r["budget_75_bpm"]
    print(
        f"heartbeat (180 nm, {r['beats']} beats, {r['mismatches']} mismatches): active "
        f"{b['active_nj']:.1f} nJ in {b['active_cycles']} cycles; per heartbeat "
        + ", ".join(f"{k} {v:.3f} uJ" for k, v in b["uj_per_heartbeat"].items())
        + f"; report: {repo_path(args.out)}"
    )
    return 1 if r["mismatches"] else 0
