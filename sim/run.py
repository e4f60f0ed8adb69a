"""`make sim`: is this RTL exactly the model? Bit-exact RTL vs golden on real heartbeats.

    python -m ecg_snn.sim.run [--model PATH] [--beats N] [--jobs N] [--random N] [--parts DS2,...]
                      [--vectors FILE.npz] [--waves] [--wave-beat K] [--report FILE]

Environment (what `make sim` passes): MODEL, BEATS, JOBS, WAVES, LANES, ROM (1: the ROM build,
no weight load), SPLIT (`intra` runs the intra-patient test beats instead of DS2), WAVE_BEAT,
VECTORS (a retrain's ``test_beats.npz``: its beats instead of MIT-BIH's, so no MIT-BIH copy is
needed; ``BEATS=0`` runs the random and corner vectors only, also without MIT-BIH).

1. Verilog of the model's hardware configuration (`HwConfig(lanes, rom)`; by default the load port
   is present)
   through the hw emitter, verilated once into `build/sim/` (reused while RTL and spec are
   unchanged).
2. Vectors: the real beats of the chosen part(s) through the integer front end (or the chip
   inputs ``x`` (N, 1, n_samples), ``rr`` (N, n_rr) of `--vectors`, with ``record`` names if
   present, as `model.retrain` writes them), then corner cases and random vectors over the full
   input range (`--random`, default 20,000 in all).
3. JOBS simulator processes, each loading the weight image through the load port and
   classifying its slice; every beat's class and output values are compared exactly with the
   golden model.
4. A summary, `build/reports/sim.json` (atomic; the full DS2 run of a shipped model only,
   every other configuration writes `build/reports/sim-<config>.json`, `report_path`) and
   per-vector results in `build/sim/run/run-<random>/results.npz` (named in the report; the
   shard job files are kept only when something failed). Exit status 1 on any mismatch (the
   message names the first mismatching beat's record, index and differing values), 2 when the
   model, the data or the RTL is missing.
5. The directed limit cases (`sim/accel/limits.py`, each on its own Verilator build) and one
   constrained-random point per lane count 1..16 (`sim/accel/space.py`, `--space`) on the
   Amaranth simulation of the RTL, each against golden; every coverage bin, one per lane count
   among them, must be hit (exit 1 names the empty ones).
6. With WAVES=1, one more run of a single beat (WAVE_BEAT, default the first mismatch, else
   beat 0) on a traced build: `build/sim/waves/<record>-<index>.vcd` (the load, then the beat).
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.sim.run:main", "make sim")

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser, discard_on_interrupt, heartbeat
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import config_key, keyed, repo_path
from ecg_snn.flow.design import accelerator_verilog
from ecg_snn.flow.tools import add_engine_option, add_lanes_option, add_rom_option, env_default
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, load_artifact
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.model.shipped import ARTIFACTS
from ecg_snn.sim.accel import design, limits
from ecg_snn.sim.accel.coverage import bins, empty_bins, measure_run
from ecg_snn.sim.accel.job import Job
from ecg_snn.sim.accel.shards import TEST_MODULE, run_sharded
from ecg_snn.sim.accel.vectors import Vectors, random_and_corners, real_beats
from ecg_snn.sim.tb import runner

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "reports" / "sim.json"
WORK = ROOT / "build" / "sim" / "run"
DEFAULT_RANDOM = 20_000
SPACE_VECTORS = 12  # per random point: the 10 directed limit inputs and 2 uniform ones


class MissingInputError(Exception):
    """An input of the run (model, data, RTL) is not there; the message says how to get it."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = Parser(prog="python -m ecg_snn.sim.run", description=__doc__.split("\n")[0])
    split = os.environ.get("SPLIT", "inter")  # picks the default model and the beats
    default_model = ARTIFACTS / ("intra.json" if split == "intra" else "inter.json")
    ap.add_argument("--model", type=Path, default=Path(os.environ.get("MODEL") or default_model))
    ap.add_argument(
        "--beats",
        type=int,
        default=env_default("BEATS", None),
        help="real beats per part (default: all)",
    )
    ap.add_argument("--jobs", type=int, default=env_default("JOBS", 2))
    ap.add_argument(
        "--random",
        type=int,
        default=DEFAULT_RANDOM,
        help="random and corner vectors (default %(default)s)",
    )
    ap.add_argument("--parts", default="intra_test" if split == "intra" else "DS2")
    ap.add_argument(
        "--vectors",
        type=Path,
        default=Path(os.environ["VECTORS"]) if os.environ.get("VECTORS") else None,
        help="chip inputs to run instead of MIT-BIH beats: an .npz with x, rr (and record), "
        "e.g. build/retrain/NAME/test_beats.npz",
    )
    ap.add_argument("--waves", action="store_true", default=os.environ.get("WAVES") == "1")
    ap.add_argument("--wave-beat", type=int, default=env_default("WAVE_BEAT", None))
    add_lanes_option(ap)
    add_rom_option(ap, False)
    add_engine_option(ap)
    ap.add_argument(
        "--block-ram",
        action="store_true",
        help="the fused engine's FPGA build (`make fpga`'s): its weight banks and dense "
        "accumulators behind synchronous read ports (`HwConfig.block_ram`), also for the "
        "limit cases and random points",
    )
    ap.add_argument(
        "--limits",
        default="all",
        help="directed limit cases to run after the model, comma-separated, or none "
        f"(default: all = {','.join(limits.CASES)}); unless none, every coverage bin must be hit",
    )
    ap.add_argument(
        "--space",
        default="all",
        help="lane counts whose constrained-random point runs on the Amaranth simulator "
        "(sim/accel/space.py), comma-separated, all (1..16) or none (default: all)",
    )
    ap.add_argument(
        "--space-vectors",
        type=int,
        default=SPACE_VECTORS,
        help="vectors per random point: the first N of 10 directed limit inputs and uniform "
        "random ones (default %(default)s)",
    )
    ap.add_argument(
        "--report",
        type=Path,
        help="default build/reports/sim.json for the full run of the shipped model, "
        "build/reports/sim-<config>.json for any other configuration (`report_path`)",
    )
    ap.add_argument(
        "--work",
        type=Path,
        default=WORK,
        help="each run makes its own new directory in here (default build/sim/run)",
    )
    args = ap.parse_args(argv)
    # The fused engine's only build is ROM: its default, unless ROM=0 / --no-rom asks for the
    # loadable one (refused with a one-line error when the configuration is built).
    given = sys.argv[1:] if argv is None else argv
    if args.engine == "fused" and not os.environ.get("ROM", "").strip():
        args.rom = "--no-rom" not in given
    return args


def report_path(args: argparse.Namespace, art: Artifact) -> Path:
    """Where this configuration's report goes: `REPORT` only for the full run (every real beat
    of the default part, the default random, limit and space sets, the default lanes) of the
    shipped model; any other configuration gets its own file keyed by what differs
    (`data.paths.config_key`), so a quick ``--beats 1`` never overwrites the full run's report."""
    shipped = args.model.resolve().parent == ARTIFACTS.resolve()
    key = config_key(
        {
            "model": None if shipped else art.checksum()[:8],
            "parts": None if args.parts == "DS2" else args.parts,  # SPLIT=intra: its own file
            "vectors": None if args.vectors is None else file_key(args.vectors),
            "beats": args.beats,
            "random": None if args.random == DEFAULT_RANDOM else args.random,
            "limits": None if args.limits == "all" else args.limits,
            "space": None if args.space == "all" else args.space,
            "lanes": None if args.lanes == HwConfig().lanes else args.lanes,
            "rom": args.rom,
            "engine": None if args.engine == "event" else args.engine,
            "block_ram": args.block_ram or None,
        }
    )
    return keyed(REPORT, key)


def file_key(path: Path) -> str:
    """A short content key of a vectors file (its name alone could be reused by another run)."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]


def load_vectors(path: Path, artifact: Artifact, limit: int | None) -> Vectors:
    """The chip inputs of an .npz file (module docstring), checked against the artifact's
    input shape and ranges; the first `limit` of them."""
    pre = artifact.spec.preprocess
    if not path.is_file():
        raise MissingInputError(
            f"no vectors at {path}: pass VECTORS= the test_beats.npz a retrain wrote "
            "(build/retrain/NAME/test_beats.npz)"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            x, rr = np.asarray(npz["x"]), np.asarray(npz["rr"])
            record = np.asarray(npz["record"]).astype(str) if "record" in npz else None
    except (OSError, ValueError, KeyError, EOFError) as e:
        raise MissingInputError(
            f"cannot read vectors from {path} ({type(e).__name__}: {e}); it needs arrays x "
            "(N, 1, n_samples) and rr (N, n_rr), as model.retrain writes test_beats.npz"
        ) from e
    x = x.reshape(len(x), -1) if x.ndim == 3 and x.shape[1] == 1 else x
    n_rr = pre.n_rr
    if x.ndim != 2 or x.shape[1] != pre.n_samples or rr.shape != (len(x), n_rr):
        raise MissingInputError(
            f"{path}: x {x.shape} and rr {rr.shape} do not fit this model's inputs "
            f"(N, 1, {pre.n_samples}) and (N, {n_rr}): were they written for another model?"
        )
    lo, hi = pre.input_range
    rr_hi = pre.rr_range[1]
    if len(x) and (x.min() < lo or x.max() > hi or rr.min() < 0 or rr.max() > rr_hi):
        raise MissingInputError(
            f"{path}: values outside the model's input ranges (x in [{lo}, {hi}], rr in "
            f"[0, {rr_hi}]): these are not chip inputs of this model"
        )
    n = len(x) if limit is None else min(limit, len(x))
    name = np.char.add(f"{path.stem}:", record[:n] if record is not None else np.full(n, "beat"))
    return Vectors(x[:n].astype(np.int64), rr[:n].astype(np.int64), name, np.arange(n))


def gather(
    artifact: Artifact,
    parts: list[str],
    beats: int | None,
    n_random: int,
    vectors: Path | None = None,
) -> tuple[Vectors, int]:
    """Real beats of every part (or of `vectors`), then the random and corner vectors; and the
    real count. `beats` 0 takes no real beat (and needs no MIT-BIH)."""
    from ecg_snn.data.errors import DataError

    pre = artifact.spec.preprocess
    real = []
    if vectors is not None:
        real.append(load_vectors(vectors, artifact, beats))
        parts = []
    if beats == 0:
        parts = []
    for part in parts:
        try:
            real.append(real_beats(pre, part, beats))
        except DataError as e:
            raise MissingInputError(f"no MIT-BIH beats for {part}: {e} (run `make data`)") from e
    n_real = sum(len(v) for v in real)
    return Vectors.concat([*real, random_and_corners(artifact, n_random)]), n_real


def stats(cycles: np.ndarray) -> dict:
    if not len(cycles):
        return {"mean": 0.0, "p50": 0, "max": 0}
    return {
        "mean": round(float(cycles.mean()), 2),
        "p50": int(np.median(cycles)),
        "max": int(cycles.max()),
    }


def waves(art: Artifact, cfg: HwConfig, vectors: Vectors, beat: int, work: Path) -> Path:
    """Re-run one vector on a traced build; return the VCD file."""
    b = design.accelerator_build(art.spec, cfg, art, name="accel-waves", waves=True)
    job = Job(work, ResultLayout.of(art.spec))
    if not cfg.rom:
        job.load(art)
    job.classify(art, vectors[beat : beat + 1], fail_on_mismatch=False)
    runner.run(b, TEST_MODULE, test_dir=work / "sim", env=job.env(), tests=["run_job"], waves=True)
    rec, idx = str(vectors.record[beat]).replace(":", "-").replace("/", "-"), vectors.index[beat]
    out = ROOT / "build" / "sim" / "waves" / f"{rec}-{idx}.vcd"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(work / "sim" / "dump.vcd", out)
    return out


def cycle_check(
    art: Artifact, config: HwConfig, vectors: Vectors, cycles: np.ndarray
) -> tuple[int, str | None]:
    """The simulator's cycles per inference against the cycle model (`hw.cycles`, replayed
    from the golden spike trace): (mismatches, the first one). Every Verilator run of `make
    sim` is checked, so the cycles-per-inference figure cannot drift from the model unseen."""
    from ecg_snn.hw.engine import inference_cycles

    # the event engine's cycles do not depend on ROM; the fused engine's model takes its config
    cfg = config if config.engine == "fused" else HwConfig(lanes=config.lanes)
    model = inference_cycles(art, cfg, vectors.x[:, None, :], vectors.rr)
    bad = np.nonzero(np.asarray(cycles) != model)[0]
    if not len(bad):
        return 0, None
    k = int(bad[0])
    return len(bad), (
        f"record {vectors.record[k]} beat {vectors.index[k]} (vector {k}): "
        f"{int(cycles[k])} cycles, the cycle model says {int(model[k])}"
    )


def limit_case(name: str, engine: str, block_ram: bool = False) -> tuple:
    """(artifact, config, vectors) of a limit case: `sim/accel/limits.py` for the event
    engine, `sim.accel.fused_space.limit_cases` for the fused one (`block_ram`: its FPGA
    build)."""
    if engine != "fused":
        return limits.case(name)
    from ecg_snn.sim.accel.fused_space import limit_cases

    art, config, n_random = limit_cases(block_ram)[name]
    return art, config, limits.limit_vectors(art.spec, n_random)


def limit_names(engine: str) -> list[str]:
    if engine != "fused":
        return list(limits.CASES)
    from ecg_snn.sim.accel.fused_space import limit_cases

    return list(limit_cases())


def run_limit_cases(
    names: list[str], work: Path, jobs: int, engine: str = "event", block_ram: bool = False
) -> list[dict]:
    """The directed limit cases (`sim/accel/limits.py`), each on its own Verilator build of its
    own hardware configuration, `jobs` cases at a time: per case its coverage (golden model),
    mismatches and the first one, and the failures of its simulator run."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> dict:
        art, config, vectors = limit_case(name, engine, block_ram)
        cov, gold = measure_run(art, vectors.x, vectors.rr)
        b = design.accelerator_build(art.spec, config, art, name=f"accel-limit-{name}")
        exp = (gold.cls, gold.values)
        merged = run_sharded(
            b, art, vectors, work / name, jobs=1, expected=exp, load=not config.rom
        )
        bad = (merged.cls != gold.cls) | (merged.values != gold.values).any(axis=1)
        slow, first_slow = cycle_check(art, config, vectors, merged.cycles)
        return {
            "case": name,
            "hardware": config.as_dict(),
            "T": art.spec.T,
            "vectors": len(vectors),
            "mismatches": int(bad.sum()),
            "first_mismatch": merged.first_mismatch or None,
            "cycle_mismatches": slow,
            "first_cycle_mismatch": first_slow,
            "failures": merged.failures,
            "coverage": {**cov, "lanes": config.lanes},
        }

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, names))


def space_lanes(arg: str) -> list[int]:
    """The lane counts of `--space`: all, none or a comma-separated list within 1..16."""
    from ecg_snn.sim.accel.space import MAX_LANES

    if arg in ("all", "none"):
        return list(range(1, MAX_LANES + 1)) if arg == "all" else []
    try:
        lanes = [int(n) for n in arg.split(",") if n]
    except ValueError:
        lanes = [0]
    if not lanes or not all(1 <= n <= MAX_LANES for n in lanes):
        raise ValueError(f"--space takes all, none or lane counts in 1..{MAX_LANES}, not {arg!r}")
    return lanes


def run_space(
    lanes: list[int], n_vectors: int, engine: str = "event", block_ram: bool = False
) -> list[dict]:
    """The constrained-random point of each lane count (`sim.accel.space.check_point`; the
    all-sum-then-fire points of `sim.accel.fused_space` for the fused engine, `block_ram`: in
    its FPGA build) on `n_vectors` vectors, with a progress line per point."""
    if engine == "fused":
        from ecg_snn.sim.accel.fused_space import check_point, points

        pts = points(block_ram=block_ram)
    else:
        from ecg_snn.sim.accel.space import check_point, points

        pts = points()
    out = []
    tty = sys.stdout.isatty()  # a progress line that rewrites itself, or one line per point
    start = "\r" if tty else ""
    for k, n in enumerate(lanes, 1):
        art, config = pts[n - 1]
        r = check_point(art, config, limits.limit_vectors(art.spec, 2)[:n_vectors])
        out.append(r)
        print(
            f"{start}space [{k}/{len(lanes)}] lanes {n} ({r['memory']}, "
            f"{r['neurons']}, T={r['T']}): {r['mismatches'] + r['cycle_mismatches']} mismatches",
            end="\n" if k == len(lanes) or not tty else "",
            flush=True,
        )
    return out


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of every child it has waited for (the
    simulator processes): on a shared machine a steadier measure of cost than wall time."""
    who = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, who))


@dataclass
class Plan:
    """What one `make sim` run checks, validated before any simulator starts."""

    art: Artifact
    cfg: HwConfig
    vectors: Vectors
    n_real: int  # the first n_real vectors are real beats, the rest random and corner vectors
    parts: list[str]
    limit_cases: list[str]
    lanes: list[int]  # one constrained-random point per lane count


def plan(args: argparse.Namespace) -> Plan:
    """Check the arguments, load the model and gather the vectors; raise a one-line error
    (MissingInputError, ArtifactError, RuntimeError, ValueError) on anything wrong."""
    if args.jobs < 1:
        raise ValueError(f"JOBS must be >= 1, not {args.jobs}")
    for name, value in (("BEATS", args.beats), ("RANDOM", args.random)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0, not {value}")
    if not 1 <= args.space_vectors <= SPACE_VECTORS:
        raise ValueError(f"--space-vectors must be in 1..{SPACE_VECTORS}, not {args.space_vectors}")
    lanes = space_lanes(args.space)
    if not args.model.exists():
        raise MissingInputError(
            f"no model at {args.model}; train one with `make train` or pass "
            f"MODEL=path/to/artifact.json"
        )
    art = load_artifact(args.model)
    parts = [p for p in args.parts.split(",") if p]
    vectors, n_real = gather(art, parts, args.beats, args.random, args.vectors)
    if args.vectors is not None or args.beats == 0:
        parts = [str(args.vectors)] if args.vectors is not None else []
    # ValueError names a bad lane count, or what the chosen engine cannot build
    cfg = HwConfig(lanes=args.lanes, rom=args.rom, engine=args.engine, block_ram=args.block_ram)
    print(f"make sim: {len(vectors):,} vectors; the {cfg.engine} engine's Verilog", flush=True)
    accelerator_verilog(art.spec, cfg, art)  # fails early if the RTL generator is missing
    names = [] if args.limits == "none" else [n for n in args.limits.split(",") if n]
    known = limit_names(args.engine)
    if args.limits == "all":
        names = known
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise MissingInputError(f"unknown limit cases {unknown}; known: {known}")
    return Plan(art, cfg, vectors, n_real, parts, names, lanes)


def check_model(p: Plan, args: argparse.Namespace) -> tuple[dict, list[str], np.ndarray]:
    """Step 1-3: the model's vectors on the Verilator build against one golden run. Returns the
    report's entries, the failures and the indices numpy finds mismatching."""
    # One golden run: the expectations of every shard, the numpy check and the coverage.
    print(f"make sim: golden model on {len(p.vectors):,} vectors", flush=True)
    cov, gold = measure_run(p.art, p.vectors.x, p.vectors.rr)
    cov["lanes"] = p.cfg.lanes
    print("make sim: the Verilator model (built once per design, then cached)", flush=True)
    with heartbeat("make sim: Verilator build"):
        b = design.accelerator_build(p.art.spec, p.cfg, p.art)
    print(f"make sim: simulating {len(p.vectors):,} vectors on {args.jobs} jobs", flush=True)
    t_sim, cpu_sim = time.perf_counter(), cpu_seconds()
    with heartbeat("make sim: simulating"):  # minutes without output otherwise
        merged = run_sharded(
            b,
            p.art,
            p.vectors,
            args.work,
            jobs=args.jobs,
            expected=(gold.cls, gold.values),
            load=not p.cfg.rom,
        )
    sim_seconds = time.perf_counter() - t_sim
    # An independent check of the scoreboard: the golden results compared in numpy.
    bad = np.nonzero((merged.cls != gold.cls) | (merged.values != gold.values).any(axis=1))[0]
    if len(bad) != merged.mismatches:
        merged.failures.append(
            f"the scoreboards counted {merged.mismatches} mismatches, numpy finds {len(bad)}"
        )
    slow, first_slow = cycle_check(p.art, p.cfg, p.vectors, merged.cycles)
    if slow:
        merged.failures.append(f"{slow} cycle mismatches, first: {first_slow}")
    args.work.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.work / "results.npz",
        record=p.vectors.record,
        index=p.vectors.index,
        cls=merged.cls,
        values=merged.values,
        cycles=merged.cycles,
    )
    report = {
        "model": repo_path(args.model),
        "model_sha256": p.art.checksum(),
        "hardware": p.cfg.as_dict(),
        "parts": p.parts,
        "vectors": None if args.vectors is None else repo_path(args.vectors),
        "beats": p.n_real,
        "random_vectors": len(p.vectors) - p.n_real,
        "mismatches": merged.mismatches,
        "first_mismatch": merged.first_mismatch or None,
        "cycle_mismatches": slow,
        "cycles_per_inference": stats(merged.cycles[: p.n_real]),
        "cycles_random": stats(merged.cycles[p.n_real :]),
        # Which corners the vectors reached (`sim/accel/coverage.py`, from the golden model).
        "coverage": {"model": cov},
        "results": repo_path(args.work / "results.npz"),
        "jobs": args.jobs,
        "sim_seconds": round(sim_seconds, 2),
        "beats_per_second": round(len(p.vectors) / sim_seconds, 1),
        "sim_cpu_seconds": round(cpu_seconds() - cpu_sim, 2),
    }
    if merged.mismatches:
        merged.failures.insert(
            0, f"RTL differs from the golden model; first mismatch: {merged.first_mismatch}"
        )
    return report, merged.failures, bad


def check_limits(
    names: list[str], work: Path, jobs: int, config: HwConfig
) -> tuple[list[dict], list[str]]:
    """Step 5a: the directed limit cases, each on its own build (of `config`'s engine and
    `block_ram`); their runs and failures."""
    runs = run_limit_cases(names, work, jobs, config.engine, config.block_ram)
    failures = []
    for r in runs:
        failures += [f"limit case {r['case']}: {f}" for f in r["failures"]]
        if r["mismatches"]:
            failures.append(
                f"limit case {r['case']}: {r['mismatches']} mismatches, first: "
                f"{r['first_mismatch']}"
            )
        if r["cycle_mismatches"]:
            failures.append(
                f"limit case {r['case']}: {r['cycle_mismatches']} cycle mismatches, first: "
                f"{r['first_cycle_mismatch']}"
            )
    return runs, failures


def check_space(lanes: list[int], n_vectors: int, config: HwConfig) -> tuple[list[dict], list[str]]:
    """Step 5b: one constrained-random point per lane count (of `config`'s engine and
    `block_ram`); their runs and failures."""
    runs = run_space(lanes, n_vectors, config.engine, config.block_ram)
    failures = [
        f"random point lanes={r['lanes']}: {r['mismatches']} mismatches, "
        f"{r['cycle_mismatches']} cycle mismatches, first: {r['first_mismatch']}"
        for r in runs
        if r["mismatches"] or r["cycle_mismatches"]
    ]
    return runs, failures


def add_runs(report: dict, key: str, runs: list[dict], label) -> None:
    """File the runs under `key` and their coverage under `label(run)`."""
    report[key] = [{k: v for k, v in r.items() if k != "coverage"} for r in runs]
    for r in runs:
        report["coverage"][label(r)] = r["coverage"]


def summary(report: dict, args: argparse.Namespace) -> list[str]:
    """The lines `make sim` prints on success or failure."""
    c = report["cycles_per_inference"]
    lines = [
        f"sim: {report['beats']} beats ({','.join(report['parts']) or 'none'}) + "
        f"{report['random_vectors']} random/corner vectors, {report['mismatches']} mismatches; "
        f"cycles/inference mean {c['mean']} p50 {c['p50']} max {c['max']}; "
        f"{report['beats_per_second']} vectors/s on {args.jobs} jobs, "
        f"{report['wall_seconds']} s; report: {repo_path(args.report)}"
    ]
    if report["limits"]:
        lines.append(
            f"limit cases: {', '.join(r['case'] for r in report['limits'])}: "
            f"{sum(r['vectors'] for r in report['limits'])} vectors, "
            f"{sum(r['mismatches'] for r in report['limits'])} mismatches"
        )
    if report["space"]:
        lines.append(
            f"random points (Amaranth simulator), lanes {args.space}: "
            f"{sum(r['vectors'] for r in report['space'])} vectors, "
            f"{sum(r['mismatches'] + r['cycle_mismatches'] for r in report['space'])} mismatches"
        )
    hit, empty = report["coverage"]["bins"], report["coverage"]["empty_bins"]
    lines.append(
        f"coverage: {len(hit) - len(empty)} of {len(hit)} bins hit"
        + (f"; EMPTY: {', '.join(empty)}" if empty else "")
    )
    if "waves" in report:
        lines.append(f"waves: {report['waves']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    args = parse_args(argv)
    os.environ.pop("WAVES", None)  # cocotb's runner would apply it to builds without traces
    try:
        p = plan(args)
    except (MissingInputError, ArtifactError, RuntimeError, ValueError) as e:
        print(f"make sim: {e}", file=sys.stderr)
        return 2
    args.report = args.report or report_path(args, p.art)
    # A new directory per run, inside --work: concurrent runs (other people, other models) never
    # touch each other's files, and nothing this run did not create is ever deleted.
    args.work.mkdir(parents=True, exist_ok=True)
    args.work = discard_on_interrupt(Path(tempfile.mkdtemp(prefix="run-", dir=args.work)).resolve())
    report, failures, bad = check_model(p, args)
    limit_runs, limit_failures = check_limits(p.limit_cases, args.work / "limits", args.jobs, p.cfg)
    add_runs(report, "limits", limit_runs, lambda r: f"limit:{r['case']}")
    t_space = time.perf_counter()
    space_runs, space_failures = check_space(p.lanes, args.space_vectors, p.cfg)
    report["space_seconds"] = round(time.perf_counter() - t_space, 2)
    add_runs(report, "space", space_runs, lambda r: f"space:lanes={r['lanes']}")
    failures += limit_failures + space_failures
    runs = [report["coverage"]["model"], *(r["coverage"] for r in limit_runs + space_runs)]
    report["coverage"]["bins"] = hit = bins(runs)
    report["coverage"]["empty_bins"] = empty = empty_bins(hit)
    if empty and (p.limit_cases or p.lanes):  # with --limits none --space none: reported only
        failures.append(
            f"coverage bins never hit: {', '.join(empty)} (the vectors, limit cases and random "
            f"points do not reach these corners; run all of them: --limits all --space all)"
        )
    report["failures"] = failures
    if args.waves:
        beat = args.wave_beat
        if beat is None:
            beat = int(bad[0]) if len(bad) else 0
        report["waves"] = repo_path(waves(p.art, p.cfg, p.vectors, beat, args.work / "waves"))
    report["wall_seconds"] = round(time.perf_counter() - t0, 2)
    report["cpu_seconds"] = round(cpu_seconds() - cpu0, 2)
    # Other people's jobs on the machine (1-minute load average at the end of the run).
    report["load_average"] = round(os.getloadavg()[0], 2)
    write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    print("\n".join(summary(report, args)))
    if not failures:
        for shard in args.work.glob("shard*"):
            shutil.rmtree(shard)  # tens of MB of stimulus; nothing to debug
        return 0
    for failure in failures:
        print(f"make sim: FAILED: {failure}", file=sys.stderr)
    return 1
