"""`make explore`: the co-design search on Ray Tune; build/reports/explore.json and its plot.

    python -m ecg_snn.explore [--preset smoke|full] [--samples N] [--workers N] [--epochs N]
                              [--beats N] [--out build/reports/explore.json]
                              [--rebuild | --seeds-only] [--run RUN_ID]

Every point is trained and scored by DS1 by-patient cross-validation (DS2 is never read) and
measured on the RTL and the osu018 netlist (`explore.trial`); Ray Tune drives the trials
(`explore.search`: local by default, the cluster at RAY_ADDRESS). A re-run reuses every finished
trial (build/explore/points), so it resumes an interrupted search. Each invocation has a run id
(in the report, `runs`); `--rebuild` reads back the trials of the run the report at --out names
(or `--run`), never those of other runs Tune keeps in the same folder. The method, the rule that
picks the default and the figures are in docs/explore.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from ecg_snn.data.cli import Parser
from ecg_snn.explore.presets import PRESETS
from ecg_snn.flow.tools import env_default

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "build" / "reports"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    p = Parser(prog="python -m ecg_snn.explore", description=__doc__.split("\n")[0])
    p.add_argument("--preset", choices=sorted(PRESETS), default=env.get("EXPLORE") or "full")
    p.add_argument("--samples", type=int, help="trials of the search (default: the preset's)")
    p.add_argument("--workers", type=int, default=env_default("JOBS", 2),
                   help="trials at a time (local Ray CPUs; default JOBS or 2)")  # fmt: skip
    p.add_argument("--epochs", type=int, help="epochs per fold (default: the preset's)")
    p.add_argument("--beats", type=int, help="DS1 beats for energy (default: the preset's)")
    p.add_argument("--minutes", type=float, help="time budget of the search stage (default: none)")
    p.add_argument("--out", type=Path, default=REPORTS / "explore.json")
    p.add_argument("--markdown", action="store_true", help="also print the docs' tables")
    p.add_argument(
        "--seeds-only", action="store_true",
        help="skip the search stage: take its recorded trials, run (or read) the seeds stage",
    )  # fmt: skip
    p.add_argument(
        "--rebuild", action="store_true",
        help="write the report again from the recorded trials and the cache; run nothing",
    )  # fmt: skip
    p.add_argument(
        "--run", metavar="RUN_ID",
        help="--rebuild / --seeds-only: the run whose trials are read (default: the run the "
        "report at --out names; without one, the newest)",
    )  # fmt: skip
    args = p.parse_args(argv)
    for name in ("samples", "workers", "epochs", "beats"):
        v = getattr(args, name)
        if v is not None and v < 1:
            p.error(f"--{name} must be >= 1, not {v}")
    return args


def _outputs(args, body: dict) -> dict:
    """Plot and write the report (both atomically)."""
    from ecg_snn.explore import pareto, report

    fig = pareto.plot(*report.flat_points(body), args.out.parent / f"{args.out.stem}_pareto.png")
    body["figure"] = str(fig.relative_to(REPO)) if fig.is_relative_to(REPO) else str(fig)
    report.write(args.out, body)
    print(
        f"explore: {body['measured']} points measured, {body['failed']} failed, "
        f"{len(body.get('unfinished', []))} stopped unfinished, front {len(body['front'])}, "
        f"rule's pick {body['rule_pick']}"
    )
    print(f"report: {args.out}; figure: {fig}")
    return body


def portable(settings: dict) -> dict:
    """A search's settings for its report: without the machine's store and work directories
    (absolute paths; every report reads the same in another clone)."""
    return {k: v for k, v in settings.items() if k not in ("store", "work")}


def rebuild(args, preset) -> int:
    """The report again from the trials one run recorded and the cache, without running any.
    The run: `--run` (every stage), else the runs the report at --out names (per stage: a
    `--seeds-only` invocation has its own), else the newest run."""
    import json

    from ecg_snn.explore import report, search

    old = json.loads(args.out.read_text()) if args.out.is_file() else {}
    stages = {"explore": f"{preset.name}-explore"} | (
        {"seeds": "seeds"} if preset.front_seeds > 1 else {}
    )
    runs = {} if args.run else dict(old.get("runs") or {})
    if not runs:
        run = choose_run(stages["explore"], args.run)
        if run is None:
            where = stages["explore"]
            print(f"make explore --rebuild: no run of {where} recorded", file=sys.stderr)
            return 2
        runs = dict.fromkeys(stages, run)
    results, unfinished = [], []
    for stage, name in stages.items():
        if stage in runs:
            r, u = search.results_of(_settings_for_store(), search.runs_from_ray(name, runs[stage]))
            results, unfinished = results + r, unfinished + u
    keep = ("preset", "settings", "calibration_factors", "ray", "workers", "wall_seconds",
            "method", "sampler")  # fmt: skip
    # the old report's settings and timings describe its own run only
    meta = {k: old[k] for k in keep if k in old} if runs == old.get("runs") else {}
    if "settings" in meta:
        meta["settings"] = portable(meta["settings"])
    meta |= {"unfinished": unfinished, "rebuilt": True, "runs": runs}
    body = _outputs(args, report.build(results, meta))
    if args.markdown:
        print(report.markdown(body))
    return 0


def choose_run(name: str, named: str | None) -> str | None:
    """The run whose trials are read: `named` (by --run or the report), else the newest one
    recorded under that name (said on stdout); None when there is none."""
    from ecg_snn.explore import search

    if named is not None:
        return named
    ids = search.run_ids(name)
    if ids:
        print(f"explore: no run named for {name}: reading the newest, {ids[-1]}")
    return ids[-1] if ids else None


def _settings_for_store():
    """Only the store's directory matters when reading finished trials back."""
    from ecg_snn.explore.trial import Settings

    return Settings(0, 0, 0, "", "")


def _stages(preset, settings, args, run: str) -> tuple[list[dict], list[str], float, dict]:
    """Stage 1, then the seeds of its front (`explore.search`); results, unfinished, seconds,
    and the run id of each stage and the sampler's distinctness figures (`meta`)."""
    from ecg_snn.explore import pareto, search
    from ecg_snn.explore.space import DEFAULT, Point

    t0 = time.time()
    budget = None if args.minutes is None else 60 * args.minutes
    meta: dict = {"runs": {"explore": run}}
    name = f"{preset.name}-explore"
    if args.seeds_only:  # stage 1 as one run recorded it (its trials are cached)
        first = choose_run(name, args.run)
        meta["runs"]["explore"] = first
        runs = search.runs_from_ray(name, first) if first else []
    else:
        runs, meta["sampler"] = search.explore_stage(preset, settings, args.workers, run, budget)
    results, unfinished = search.results_of(settings, runs)
    t1 = search.wall(t0)
    ok = [r for r in results if pareto.measured(r)]
    flat = [pareto.flat(r) for r in ok]
    again = [Point.from_dict(ok[i]["point"]) for i in pareto.front(flat)]
    if any(r["label"] == DEFAULT.label for r in ok) and DEFAULT not in again:
        again.append(DEFAULT)  # the default's spread too: "dominates the default" needs both
    if preset.front_seeds > 1:
        seeds = range(1, preset.front_seeds)
        print(f"explore: {len(again)} points (the front, the default); seeds {list(seeds)}")
        more = search.seeds_stage(again, seeds, settings, args.workers, run)
        meta["runs"]["seeds"] = run
        extra, stopped = search.results_of(settings, more)
        results, unfinished = results + extra, unfinished + stopped
    return results, unfinished, t1, meta


def main(argv: list[str] | None = None) -> int:
    from ecg_snn.explore import report, search
    from ecg_snn.explore.cache import code_version, digest
    from ecg_snn.explore.hardware import engine_factors
    from ecg_snn.explore.trial import Settings
    from ecg_snn.flow.asic.pdk import OSU018

    args = parse_args(argv)
    preset = PRESETS[args.preset]
    preset = dataclasses.replace(
        preset,
        samples=args.samples or preset.samples,
        epochs=args.epochs or preset.epochs,
        beats=args.beats or preset.beats,
    )
    if args.rebuild:
        return rebuild(args, preset)
    try:
        OSU018.liberty()
        factors = engine_factors()  # each engine's own: the key covers both
    except (FileNotFoundError, RuntimeError) as e:
        print(f"make explore: {e}", file=sys.stderr)
        return 2
    settings = Settings(preset.epochs, preset.folds, preset.beats, code_version(), digest(factors))
    t0 = time.time()
    run = search.new_run_id()
    try:
        if not args.seeds_only:
            search.check_samples(preset)  # before Ray starts: one line
        where = search.start_ray(args.workers)
    except search.SearchError as e:
        print(f"make explore: {e}", file=sys.stderr)
        return 2
    print(
        f"explore: preset {preset.name}: {preset.samples} distinct points, {preset.folds} folds "
        f"x {preset.epochs} epochs, energy on {preset.beats} DS1 beats, {args.workers} workers, "
        f"run {run}"
    )
    try:
        results, unfinished, t1, stage_meta = _stages(preset, settings, args, run)
    finally:  # the local instance stops with the command (a cluster keeps running)
        import ray

        ray.shutdown()
    meta = {
        "preset": preset.name,
        "settings": portable(dataclasses.asdict(settings)) | {"samples": preset.samples},
        "calibration_factors": factors,
        "ray": where,
        "workers": args.workers,
        "unfinished": unfinished,
        "wall_seconds": {"explore": t1, "total": search.wall(t0)},
        "method": "each point trained on DS1 by-patient folds (model.cv machinery), scored by "
        "the pooled OOF predictions of its integer model (golden); hardware of fold 0's "
        "artifact on DS1 beats of fold 0's held-out patients, on the point's engine (event: "
        "loadable build; fused: ROM weights), calibrated by that engine's gate-level run; DS2 "
        "never read",
    } | stage_meta
    body = _outputs(args, report.build(results, meta))
    if args.markdown:
        print(report.markdown(body))
    return 1 if body["failed"] else 0
