"""The search on Ray Tune: Optuna's multi-objective sampler over the space, then the front's seeds.

Stage 1 (`explore`): Ray Tune runs `samples` trials, at most `workers` at a time, each one CPU.
The full preset's points are suggested by Optuna's TPE sampler for two objectives (CV jκ up, µJ
per heartbeat down; `OptunaSearch`), after the preset's fixed points (today's default first);
the smoke preset is a fixed grid. Stage 2 (`seeds`): every point on the stage-1 front is trained
again with seeds 1 .. front_seeds - 1 (CV only), so the front is reported as mean ± sd.

Ray: `ray.init()` starts a local instance with `workers` CPUs; with `RAY_ADDRESS` set (e.g. after
`ray start --head` on this machine, or a cluster's head) the same command joins it and Ray places
the trials on its nodes (every node needs this checkout installed at the same path). Progress: one
line per finished trial. Resume: results are cached per trial (`trial.evaluate`), so the same
command after Ctrl-C or a crash re-runs only what had not finished.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ecg_snn.explore.presets import Preset
from ecg_snn.explore.space import Point
from ecg_snn.explore.trial import BUILD, Settings, evaluate, objectives

OBJECTIVES = ("cv_jk", "uj_per_heartbeat")
MODES = ("max", "min")


class SearchError(RuntimeError):
    """The search could not run (Ray could not start or join the cluster); one line."""


def _trainable(config: dict, settings: Settings) -> None:
    """A Tune function trainable: one (point, seed), one report."""
    from ray import tune

    spec = config.get("trial", config)
    point = Point.from_dict(spec)
    seed, hardware = int(spec.get("seed", 0)), bool(spec.get("hardware", True))
    result = evaluate(point, seed, settings, hardware, log=lambda s: print(s, flush=True))
    tune.report(objectives(result))


def start_ray(workers: int, log: Callable[[str], None] = print) -> str:
    """`ray.init()`: local with `workers` CPUs, or the cluster at RAY_ADDRESS. Returns where."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
    # Ray lowers its workers' priority by 15 on top of the command's own; the user sets that
    # (`nice -n 10 make explore`), so the workers keep it instead of starving at nice 19
    os.environ.setdefault("RAY_worker_niceness", "0")
    import ray

    address = os.environ.get("RAY_ADDRESS") or None
    try:
        if address:
            ray.init(address=address, log_to_driver=True, logging_level="ERROR")
        else:
            ray.init(
                num_cpus=workers,
                include_dashboard=False,
                object_store_memory=200 * 1024**2,
                log_to_driver=True,
                logging_level="ERROR",
            )
    except (ConnectionError, RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SearchError(
            f"Ray did not start ({'RAY_ADDRESS=' + address if address else 'local'}): {first}"
        ) from None
    where = address or f"local ({workers} CPUs)"
    log(f"explore: Ray {ray.__version__} on {where}")
    return where


def _say(line: str) -> None:
    """Progress output of the driver (a module function: Tune pickles its callbacks)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _progress_callback(total: int):
    from ray import tune

    class Progress(tune.Callback):
        """One line per finished or failed trial."""

        def __init__(self) -> None:
            self.done = 0

        def on_trial_result(self, iteration, trials, trial, result, **info):
            self.done += 1
            cfg = trial.config.get("trial", trial.config)
            label = Point.from_dict(cfg).label
            e = result.get("uj_per_heartbeat", math.nan)
            hw = "" if math.isnan(e) else f", {e:.2f} µJ/beat, {result['area_mm2']:.2f} mm²"
            tag = " (cached)" if result.get("cached") else ""
            _say(
                f"[{self.done}/{total}] {label} seed {cfg.get('seed', 0)}: CV jκ "
                f"{result['cv_jk']:.3f}{hw}{tag}"
            )

        def on_trial_error(self, iteration, trials, trial, **info):
            self.done += 1
            _say(f"[{self.done}/{total}] {trial.config} FAILED (see {trial.local_path})")

    return Progress()


def _tune(
    param_space: dict,
    search_alg,
    samples: int,
    settings: Settings,
    workers: int,
    name: str,
    total: int,
    budget_s: float | None = None,
) -> list[tuple[dict, dict | None, str | None]]:
    """Run one Tuner; (config, metrics or None, error or None) per trial."""
    from ray import tune

    trainable = tune.with_resources(tune.with_parameters(_trainable, settings=settings), {"cpu": 1})
    tuner = tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            search_alg=search_alg,
            num_samples=samples,
            max_concurrent_trials=workers,
            time_budget_s=budget_s,
        ),
        run_config=tune.RunConfig(
            name=name,
            storage_path=str(BUILD / "ray"),
            verbose=0,
            callbacks=[_progress_callback(total)],
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )
    grid = tuner.fit()
    out = []
    for r in grid:
        err = None if r.error is None else str(r.error).strip().splitlines()[-1][:300]
        out.append((r.config.get("trial", r.config), r.metrics or None, err))
    return out


def explore_stage(
    preset: Preset, settings: Settings, workers: int, budget_s: float | None = None
) -> list:
    """Stage 1 (module docstring); `budget_s`: Tune stops starting and running trials then."""
    from ray import tune

    if preset.space is None:  # a fixed list of points: a grid
        space = {"trial": tune.grid_search([p.as_dict() for p in preset.points])}
        n = len(preset.points)
        return _tune(space, None, 1, settings, workers, f"{preset.name}-explore", n, budget_s)
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    searcher = OptunaSearch(
        metric=list(OBJECTIVES),
        mode=list(MODES),
        sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=10),
        points_to_evaluate=[p.as_dict() for p in preset.points],
    )
    space = {k: tune.choice(list(v)) for k, v in preset.space.items()}
    name = f"{preset.name}-explore"
    return _tune(space, searcher, preset.samples, settings, workers, name, preset.samples, budget_s)


def seeds_stage(points: list[Point], seeds: range, settings: Settings, workers: int):
    """Stage 2: the CV of `points` with each of `seeds` (no hardware)."""
    from ray import tune

    trials = [p.as_dict() | {"seed": s, "hardware": False} for p in points for s in seeds]
    if not trials:
        return []
    space = {"trial": tune.grid_search(trials)}
    return _tune(space, None, 1, settings, workers, "seeds", len(trials))


def runs_from_ray(name: str) -> list[tuple[dict, dict | None, str | None]]:
    """The trials Tune recorded under build/explore/ray/<name> (every run of that name), one per
    (point, seed): a finished one when there is one. For rebuilding a report without Ray."""
    import json

    best: dict[tuple, tuple[dict, dict | None, str | None]] = {}
    for d in sorted((BUILD / "ray" / name).glob("_trainable_*")):
        try:
            params = json.loads((d / "params.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            continue
        config = params.get("trial", params)
        lines = (
            (d / "result.json").read_text().splitlines() if (d / "result.json").is_file() else []
        )
        metrics = json.loads(lines[-1]) if lines else None
        err_file = d / "error.txt"
        error = err_file.read_text().strip().splitlines()[-1][:300] if err_file.is_file() else None
        ident = (Point.from_dict(config).label, int(config.get("seed", 0)))
        if ident not in best or (metrics and not best[ident][1]):
            best[ident] = (config, metrics, None if metrics else error)
    return list(best.values())


def wall(t0: float) -> float:
    return round(time.time() - t0, 1)


def results_of(settings: Settings, runs: list) -> tuple[list[dict], list[str]]:
    """The stored result of every finished trial and an error record for every failed one; and
    the labels of the trials that were stopped unfinished (time budget, Ctrl-C), not failures."""
    from ecg_snn.explore.cache import Store

    store = Store(Path(settings.store))
    out, unfinished = [], []
    for config, metrics, error in runs:
        hit = store.get(metrics["key"]) if metrics and "key" in metrics else None
        if hit is not None:
            out.append(hit | {"error": None})
        elif error is None:
            unfinished.append(Point.from_dict(config).label)
        else:
            p = Point.from_dict(config)
            out.append(
                {"point": p.as_dict(), "label": p.label, "seed": int(config.get("seed", 0)),
                 "cv": None, "hw": None, "error": error}
            )  # fmt: skip
    return out, unfinished
