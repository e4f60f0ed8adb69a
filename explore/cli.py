"""`make explore`: sweep neuron mode x T x weight bits x lanes, measured on the RTL.

    python -m ecg_snn.explore [--split inter|intra|both] [--modes if,ssf] [--T 2,4,8]
                          [--bits 8] [--lanes 8] [--beats N] [--jobs 2] [--tech 22nm] [--quick]

Without --T/--bits/--lanes the default grid (`explore.grid.default_grid`) runs; with any of
them, the cartesian product (unset axes take the defaults 2,4,8 / 8 / 8). Writes
build/reports/explore.json and build/reports/explore_pareto.png; per-point results are cached
in build/explore/points, synthesis in build/explore/synth (a re-run skips what it has).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.explore import grid, pareto
from ecg_snn.explore.artifacts import REPO, MissingTrainedError, load_trained, point_artifact
from ecg_snn.explore.cache import Store, code_version
from ecg_snn.explore.measure import Bench, Sample
from ecg_snn.explore.sweep import run_sweep, write_report
from ecg_snn.flow.tools import env_default

BUILD = REPO / "build" / "explore"
REPORTS = REPO / "build" / "reports"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    p = Parser(prog="python -m ecg_snn.explore", description=__doc__.split("\n")[0])
    split = env.get("SPLIT") or "both"
    p.add_argument("--split", choices=("inter", "intra", "both"), default=split)
    p.add_argument("--modes", default="if,ssf")
    p.add_argument("--T", type=_ints)
    p.add_argument("--bits", type=_ints)
    p.add_argument("--lanes", type=_ints)
    p.add_argument("--beats", type=int, default=env_default("BEATS", 100))
    p.add_argument("--jobs", type=int, default=env_default("JOBS", 2))
    p.add_argument("--tech", default=env.get("TECH") or "22nm")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="T 2,4 at 8 bits, 8 lanes; 30 beats")
    p.add_argument("--out", type=Path, default=REPORTS / "explore.json")
    return p.parse_args(argv)


def grid_of(args: argparse.Namespace) -> list[grid.Point]:
    modes = tuple(m for m in args.modes.split(",") if m)
    if args.quick:
        return grid.full_grid(modes, (2, 4), (grid.DEFAULT_BITS,), (grid.DEFAULT_LANES,))
    if args.T is None and args.bits is None and args.lanes is None:
        return grid.default_grid(modes)
    return grid.full_grid(
        modes,
        args.T or grid.DEFAULT_T,
        args.bits or (grid.DEFAULT_BITS,),
        args.lanes or (grid.DEFAULT_LANES,),
    )


def real_bench(splits: tuple[str, ...], beats: int, seed: int, tech: str) -> Bench:
    """Test sets of every split; a class-stratified sample of the hardware split's test set."""
    from ecg_snn.model.splits import load_split
    from ecg_snn.power.sample import stratified, weights

    tests = {}
    for split in splits:
        tests[split] = load_split(split, load_trained(split).preprocess).test
    hw = splits[0]
    t = tests[hw]
    idx = stratified(t.y, beats, np.random.default_rng(seed))
    sample = Sample(t.x[idx], t.rr[idx], t.y[idx], weights(t.y[idx], t.y))
    return Bench(tests, hw, sample, tech, BUILD / "synth", BUILD / "work")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.beats = min(args.beats, 30)
    splits = ("inter", "intra") if args.split == "both" else (args.split,)
    points = grid_of(args)
    t0 = time.time()
    try:
        trained = {s: load_trained(s) for s in splits}
    except MissingTrainedError as e:
        print(f"make explore: {e}", file=sys.stderr)
        return 2
    if args.jobs > 1:  # one BLAS thread per worker: the points are the parallelism
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    settings = {"tech": args.tech, "beats": args.beats, "seed": args.seed, "splits": splits}
    meta = {
        "method": (
            "every point re-quantizes the same trained network (model.quantize.quantize_neurons of "
            "the fine-tuned SNN checkpoints "
            + ", ".join(t.source for t in trained.values())
            + "); no retraining per point. Accuracy: golden model on the whole test sets "
            "(inter: DS2, intra: intra_test). Hardware (cycles, synthesis, energy) of the "
            f"{splits[0]} artifact; energy on {args.beats} class-stratified test beats, "
            "class-weighted mean."
        ),
    }
    report = run_sweep(
        points,
        lambda p: {s: point_artifact(trained[s], p) for s in splits},
        functools.partial(real_bench, splits, args.beats, args.seed, args.tech),
        settings,
        code_version(),
        Store(BUILD / "points"),
        args.out,
        jobs=args.jobs,
        meta=meta,
        current_code=code_version,
    )
    fig = pareto.plot(report["points"], args.out.parent / f"{args.out.stem}_pareto.png")
    report = write_report(
        args.out,
        report["points"],
        {k: v for k, v in report.items() if k not in ("points", "best")}
        | {"figures": [str(fig.relative_to(REPO)) if fig.is_relative_to(REPO) else str(fig)]},
    )
    failed = [p for p in report["points"] if p["error"]]
    print(f"explore: {len(points)} points, {len(failed)} failed, {time.time() - t0:.0f} s")
    print(f"report: {args.out}; figure: {fig}")
    return 1 if failed else 0
