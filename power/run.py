"""`make power`: energy per inference of the accelerator on real heartbeats.

    python -m ecg_snn.power [--tech 22nm|45nm|FILE] [--model PATH] [--beats N] [--jobs N]
                        [--lanes N] [--rom | --no-rom] [--out build/reports/power.json]

Environment (the Makefile's knobs): TECH, MODEL, BEATS, JOBS, LANES, ROM (default 1: the weights
as logic ROM, the chip of a fixed model; ROM=0 the loadable build).

1. A class-stratified sample of DS2 beats (`power/sample.py`), through the integer front end.
2. The accelerator's Verilog (the one `make sim` verifies), a SAIF harness around it
   (`power/harness.py`), and one SAIF window per beat (`power/accel.py`), in chunks so
   the SAIF files never pile up on disk; every result word is checked against the golden model.
3. Per beat, the energy equation (`power/energy.py`) on its SAIF; per beat from the golden
   model, spikes and synaptic operations for the op-count comparison (`power/estimates.py`).
4. A silent input (all samples and RR features zero) through the same path.
5. `power/report.py` writes build/reports/power.json (the default run; any other
   configuration power-<config>.json, `report_path`) and the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser, heartbeat
from ecg_snn.data.paths import config_key, keyed
from ecg_snn.flow.asic.gate import SRAM_MIN_DEPTH
from ecg_snn.flow.netlist import Netlist, load_verilog
from ecg_snn.flow.tools import add_engine_option, add_lanes_option, add_rom_option, env_default
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import ArtifactError, load_artifact
from ecg_snn.model.shipped import shipped
from ecg_snn.power.accel import harness_for
from ecg_snn.power.rtl import simulate
from ecg_snn.power.tech import TechError, Technology, available, load_technology

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = shipped("inter")
BUILD = ROOT / "build" / "power"
DEFAULT_OUT = ROOT / "build" / "reports" / "power.json"


GATE_BEATS = 20  # beats simulated gate by gate by default: 10 fit the calibration, 10 check it


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    p = Parser(prog="python -m ecg_snn.power", description=__doc__.split("\n")[0])
    p.add_argument("--tech", default=env.get("TECH") or "22nm", help=f"one of {available()}")
    p.add_argument("--model", default=env.get("MODEL") or str(DEFAULT_MODEL))
    p.add_argument("--beats", type=int, default=env_default("BEATS", 1000))
    p.add_argument("--jobs", type=int, default=env_default("JOBS", 2))
    add_lanes_option(p)
    add_rom_option(p, True)
    add_engine_option(p)
    p.add_argument("--part", default="DS2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--out",
        type=Path,
        help="default build/reports/power.json for the default run of the shipped inter model, "
        "build/reports/power-<config>.json for any other (`report_path`)",
    )
    p.add_argument(
        "--gate",
        action="store_true",
        default=env.get("GATE", "").strip() not in ("", "0"),
        help="also synthesize onto osu018 (180 nm), simulate gate by gate, OpenSTA, calibrate",
    )
    p.add_argument(
        "--gate-beats", type=int, default=env_default("GATE_BEATS", None),
        help=f"beats simulated gate by gate (GATE=1 only; default {GATE_BEATS})",
    )  # fmt: skip
    p.add_argument(
        "--sram-min-depth",
        type=int,
        default=env_default("SRAM_MIN_DEPTH", SRAM_MIN_DEPTH),
        help="GATE=1 memory plan: memories of at least this many words are SRAM macros, smaller "
        f"ones flip-flop register files (default {SRAM_MIN_DEPTH})",
    )
    p.add_argument(
        "--no-gate-sim",
        dest="gate_sim",
        action="store_false",
        default=env.get("GATE_SIM", "1") != "0",
        help="GATE=1 without the gate-level simulation: netlist, leakage and OpenSTA only",
    )
    return p.parse_args(argv)


def report_path(args: argparse.Namespace, artifact) -> Path:
    """`DEFAULT_OUT` for the default run (the shipped inter model, 1000 DS2 beats, seed 0, the
    default lanes, 22 nm; with or without GATE=1, whose report is a superset), else a file keyed
    by what differs (`data.paths.config_key`): a quick BEATS=20 run never replaces it."""
    model = Path(args.model).resolve()
    if model == DEFAULT_MODEL.resolve():
        name = None
    elif model.parent == DEFAULT_MODEL.parent.resolve():
        name = model.stem  # the other shipped model: power-modelintra.json
    else:
        name = artifact.checksum()[:8]
    key = config_key(
        {
            "model": name,
            "beats": None if args.beats == 1000 else args.beats,
            "part": None if args.part == "DS2" else args.part,
            "seed": None if args.seed == 0 else args.seed,
            "lanes": None if args.lanes == HwConfig().lanes else args.lanes,
            "loadable": not args.rom,
            "engine": None if args.engine == "event" else args.engine,
            "tech": None if args.tech == "22nm" else args.tech,
        }
    )
    return keyed(DEFAULT_OUT, key)


def main(argv: list[str] | None = None) -> int:
    from ecg_snn.data.dataset import load_dataset
    from ecg_snn.data.errors import DataError
    from ecg_snn.flow.design import accelerator_verilog
    from ecg_snn.model.contract.frontend import preprocess_beats
    from ecg_snn.power import report
    from ecg_snn.power.sample import stratified, weights

    args = parse_args(argv)
    t0 = time.time()
    try:
        tech = load_technology(args.tech)
    except TechError as e:
        print(f"make power: {e}", file=sys.stderr)
        return 2
    techs = [args.tech] + [t for t in available() if t != args.tech]
    model = Path(args.model)
    try:
        artifact = load_artifact(model)  # ArtifactError names a missing file: one line, exit 2
        args.out = args.out or report_path(args, artifact)
        config = HwConfig(lanes=args.lanes, rom=args.rom, engine=args.engine)
        if config.engine == "fused":
            from ecg_snn.hw.fused.plan import check_supported

            check_supported(artifact.spec, config)  # one line, exit 2
        for name, value in (("BEATS", args.beats), ("JOBS", args.jobs)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, not {value}")
        if args.gate_beats is not None and not args.gate:  # not silently ignored
            raise ValueError(f"GATE_BEATS={args.gate_beats} is the gate-level sample: add GATE=1")
        args.gate_beats = GATE_BEATS if args.gate_beats is None else args.gate_beats
        if args.gate:
            if args.gate_beats < 2:
                raise ValueError(
                    f"GATE_BEATS must be >= 2 (even beats fit the calibration, odd beats check "
                    f"it), not {args.gate_beats}"
                )
            if args.sram_min_depth < 1:
                raise ValueError(f"SRAM_MIN_DEPTH must be >= 1, not {args.sram_min_depth}")
            if args.tech != "22nm":
                raise ValueError(
                    f"GATE=1 calibrates the 22 nm model: use TECH=22nm, not {args.tech}"
                )
            from ecg_snn.flow.asic.pdk import OSU018, sta_binary

            OSU018.liberty()  # fail now, not after the RTL run and the gate-level build
            sta_binary()
        # cut as the artifact's front end cuts them (window, RR averaging: local_rr_beats), so
        # the RR and patient features are the chip's, not those of the dataset's default cut
        ds = load_dataset(config=artifact.spec.preprocess.beat_config(), progress=False)
        in_part = ds.part_mask(args.part)
    except (ArtifactError, ValueError, FileNotFoundError, DataError) as e:
        print(f"make power: {e}", file=sys.stderr)
        return 2
    # the sample is drawn from the part; the inputs of a beat (patient features included) are
    # those the device has after every earlier beat of its record
    part = np.flatnonzero(in_part)
    labels = ds.label[part]
    idx = part[stratified(labels, args.beats, np.random.default_rng(args.seed))]
    pre = artifact.spec.preprocess
    x, rr = preprocess_beats(pre, ds.window, ds.rr, ds.record, idx)
    x = x[:, 0, :]
    print(f"make power: {len(idx)} {args.part} beats, {tech.name}, model {model}")
    print("  the Verilog and its SAIF harness (built once per design, then cached)", flush=True)
    with heartbeat("make power: building"):
        verilog = accelerator_verilog(artifact.spec, config, artifact)
        exe = harness_for(verilog, BUILD / "harness")
    load = not config.rom  # a ROM build has its weights in the Verilog: no weight image
    print(f"  harness ready ({time.time() - t0:.0f} s)")
    work = BUILD / "saif"
    energies, cycles, bad = simulate(
        exe, verilog, artifact, x, rr, techs, args.jobs, work, load=load
    )
    silent_x = np.zeros((1, x.shape[1]), np.int64)
    silent_rr = np.zeros((1, rr.shape[1]), np.int64)
    silent, _, bad_silent = simulate(
        exe, verilog, artifact, silent_x, silent_rr, techs, 1, work, log=lambda *_: None, load=load
    )
    ref = golden.run(artifact, x[:, None, :], rr)
    data = report.Inputs(
        artifact=artifact,
        model=str(model),
        config=config,
        netlist=load_verilog(verilog),
        techs=[load_technology(t) for t in techs],
        labels=ds.label[idx],
        class_names=_class_names(),
        weights=weights(ds.label[idx], labels),
        energies=energies,
        silent=silent[0],
        cycles=cycles,
        spikes=ref.spikes,
        synops=ref.synops,
        mismatches=bad + bad_silent,
        seconds=time.time() - t0,
        x=x,
        rr=rr,
    )
    from ecg_snn.hw import engine

    # what a power-gated sleep between beats must keep (nothing with ROM weights), and every
    # memory of the design with its clocking (`hw/memories.py`), of the engine measured
    memories = engine.memories(artifact.spec, config, artifact)
    extra = {
        "retained_state_bits": engine.retained_state(artifact.spec, config),
        "memories": [m.as_dict() for m in memories],
    }
    if args.gate:
        from ecg_snn.power.gate_report import gate_sections

        body = report.build(data)
        gidx = part[stratified(labels, args.gate_beats, np.random.default_rng(args.seed + 1))]
        gx, grr = preprocess_beats(pre, ds.window, ds.rr, ds.record, gidx)
        names = _class_names()
        per_class = {c: int((ds.label[gidx] == k).sum()) for k, c in enumerate(names)}
        if args.gate_sim:
            print(
                f"make power GATE=1: {len(gidx)} {args.part} beats at gate level on osu018 "
                f"({', '.join(f'{c} {n}' for c, n in per_class.items())})"
            )
            if min(per_class.values()) == 0:
                print(f"  note: GATE_BEATS={len(gidx)} leaves a class out of the gate-level sample")
        else:
            print("make power GATE=1 GATE_SIM=0: the netlist on osu018, its leakage and OpenSTA")
        # one build per memory plan, so that switching plans does not rebuild the default one
        gate_dir = (
            ("gate" if args.sram_min_depth == SRAM_MIN_DEPTH else f"gate-sram{args.sram_min_depth}")
            + ("-rom" if config.rom else "")
            + ("-fused" if config.engine == "fused" else "")
        )
        extra |= gate_sections(
            artifact,
            verilog,
            exe,
            gx[:, 0, :],
            grr,
            BUILD / gate_dir,
            args.jobs,
            body,
            gate_sim=args.gate_sim,
            sram_min_depth=args.sram_min_depth,
            load=load,
            memories=memories,
            weights=weights(ds.label[gidx], labels),
        )
        if args.gate_sim:
            extra["gate_level"]["beats_per_class"] = per_class
        bad += extra["gate_level"]["mismatches"]
    out = report.write(data, args.out, extra)
    print(report.summary(out))
    from ecg_snn.data.paths import repo_path

    rom = "ROM" if config.rom else "loadable"
    print(f"  {config.engine} engine, {config.lanes} lanes, {rom}; report: {repo_path(args.out)}")
    return 1 if bad + bad_silent else 0


def _class_names() -> tuple[str, ...]:
    from ecg_snn.data.aami import CLASSES

    return CLASSES


__all__ = ["Netlist", "Technology", "main"]
