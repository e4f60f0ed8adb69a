"""The search on Ray Tune: Optuna's multi-objective sampler over the space, then the front's seeds.

Stage 1 (`explore`): Ray Tune runs `samples` trials, at most `workers` at a time, each one CPU.
The full preset's points are suggested by Optuna's TPE sampler for two objectives (CV jκ up, µJ
per heartbeat down; `OptunaSearch`), after the preset's fixed points (today's default first);
the smoke preset is a fixed grid. Stage 2 (`seeds`): every point on the stage-1 front is trained
again with seeds 1 .. front_seeds - 1 (CV only), so the front is reported as mean ± sd.

Distinct points: `samples` is a number of distinct points, not of proposals. `DistinctSearcher`
wraps Optuna: a proposal whose point (after the space's mapping, `Point.from_dict`) has the
content key of a point already drawn in this run (`trial.trial_key`, the cache's key) is no trial:
it is told to Optuna as pruned (TPE ranks it with the worse group, so it is less likely to be
proposed again) and the sampler is asked again, at most `ATTEMPTS` times per trial; then the
search stops with a message saying the space looks exhausted. A space with fewer distinct points
than `samples` is refused before anything runs (`check_samples`).

Runs: every invocation has a run id (`new_run_id`), stored in every trial's configuration (key
`run`, so in Tune's params.json). Tune keeps every run of a name in one folder
(build/explore/ray/<name>); `runs_from_ray` reads back the trials of one run only.

Ray: `ray.init()` starts a local instance with `workers` CPUs; with `RAY_ADDRESS` set (e.g. after
`ray start --head` on this machine, or a cluster's head) the same command joins it and Ray places
the trials on its nodes (every node needs this checkout installed at the same path). Progress: one
line per finished trial. Resume: results are cached per trial (`trial.evaluate`), so the same
command after Ctrl-C or a crash re-runs only what had not finished.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ecg_snn.explore.presets import Preset
from ecg_snn.explore.space import Point, distinct_points
from ecg_snn.explore.trial import BUILD, Settings, evaluate, objectives, trial_key

OBJECTIVES = ("cv_jk", "uj_per_heartbeat")
MODES = ("max", "min")
ATTEMPTS = 100  # proposals per trial before the space counts as exhausted


class SearchError(RuntimeError):
    """The search could not run (Ray could not start or join the cluster); one line."""


def new_run_id() -> str:
    """A run id that sorts by start time (the newest run is the largest)."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def point_key(config: dict, settings: Settings) -> str:
    """The content key of the point a Tune configuration stands for (its seed-0 trial's key)."""
    return trial_key(Point.from_dict(config.get("trial", config)), 0, settings, True)


def check_samples(preset: Preset) -> None:
    """Refuse a search that asks for more distinct points than its space holds."""
    if preset.space is None:
        if len(set(preset.points)) != len(preset.points):
            raise SearchError(f"preset {preset.name} lists a point twice")
        return
    n = distinct_points(preset.space)
    if preset.samples > n:
        raise SearchError(
            f"preset {preset.name}: its space holds {n} distinct points, {preset.samples} asked"
        )


def _distinct_searcher():
    """`DistinctSearcher`, defined when Ray is imported (module docstring)."""
    from ray.tune.search import Searcher

    class DistinctSearcher(Searcher):
        """Wraps a searcher so that every trial it starts is a point not drawn before in this
        run (module docstring). `key_of(config)`: the point's content key."""

        def __init__(self, searcher, key_of: Callable[[dict], str], attempts: int = ATTEMPTS):
            self.searcher, self.key_of, self.attempts = searcher, key_of, attempts
            self.seen: set[str] = set()
            self.inner_id: dict[str, str] = {}  # Tune's trial id -> the searcher's trial id
            self.repeats = 0
            self.exhausted = False
            super().__init__(metric=searcher.metric, mode=searcher.mode)

        def set_search_properties(self, metric, mode, config, **spec) -> bool:
            return self.searcher.set_search_properties(metric, mode, config, **spec)

        def suggest(self, trial_id: str):
            for n in range(self.attempts):
                inner = trial_id if n == 0 else f"{trial_id}-again{n}"
                config = self.searcher.suggest(inner)
                if config is None or config == Searcher.FINISHED:
                    return config
                key = self.key_of(config)
                if key not in self.seen:
                    self.seen.add(key)
                    self.inner_id[trial_id] = inner
                    return config
                self.repeats += 1  # a repeat adds nothing: pruned, never run
                self.searcher.on_trial_complete(inner, None, error=False)
            self.exhausted = True
            _say(
                f"explore: the sampler proposed only points already drawn in {self.attempts} "
                f"attempts: the space looks exhausted after {len(self.seen)} distinct points"
            )
            return Searcher.FINISHED

        def on_trial_result(self, trial_id: str, result: dict) -> None:
            self.searcher.on_trial_result(self.inner_id.get(trial_id, trial_id), result)

        def on_trial_complete(self, trial_id: str, result=None, error: bool = False) -> None:
            inner = self.inner_id.get(trial_id, trial_id)
            self.searcher.on_trial_complete(inner, result=result, error=error)

        def stats(self) -> dict:
            return {"distinct": len(self.seen), "repeats_skipped": self.repeats,
                    "exhausted": self.exhausted}  # fmt: skip

        # Tune checkpoints each wrapper's state beside the base searcher's (`get_state`)
        def get_state(self) -> dict:
            keep = ("seen", "inner_id", "repeats", "exhausted", "attempts")
            return {k: copy.deepcopy(getattr(self, k)) for k in keep}

        def set_state(self, state: dict) -> None:
            self.__dict__.update(state)

        def save(self, checkpoint_path: str) -> None:
            self.searcher.save(checkpoint_path)

        def restore(self, checkpoint_path: str) -> None:
            self.searcher.restore(checkpoint_path)

    return DistinctSearcher


def distinct(searcher, settings: Settings, attempts: int = ATTEMPTS):
    """`searcher` wrapped so that it starts distinct points only (`DistinctSearcher`)."""
    key_of = functools.partial(point_key, settings=settings)
    return _distinct_searcher()(searcher, key_of, attempts)


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
    run: str,
    budget_s: float | None = None,
) -> list[tuple[dict, dict | None, str | None]]:
    """Run one Tuner; (config, metrics or None, error or None) per trial. Every trial's
    configuration carries the run id (`run`)."""
    from ray import tune

    param_space = param_space | {"run": run}
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
        out.append((_point_config(r.config), r.metrics or None, err))
    return out


def _point_config(config: dict) -> dict:
    """The point's fields (and seed) of a trial's configuration, without the run id."""
    return {k: v for k, v in config.get("trial", config).items() if k != "run"}


def explore_stage(
    preset: Preset, settings: Settings, workers: int, run: str, budget_s: float | None = None
) -> tuple[list, dict]:
    """Stage 1 (module docstring); `budget_s`: Tune stops starting and running trials then.
    Returns the trials and the distinctness figures (distinct points proposed, repeats
    skipped, whether the space ran out)."""
    from ray import tune

    check_samples(preset)
    name = f"{preset.name}-explore"
    if preset.space is None:  # a fixed list of distinct points: a grid
        space = {"trial": tune.grid_search([p.as_dict() for p in preset.points])}
        n = len(preset.points)
        runs = _tune(space, None, 1, settings, workers, name, n, run, budget_s)
        return runs, {"distinct": n, "repeats_skipped": 0, "exhausted": False}
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna_search = OptunaSearch(
        metric=list(OBJECTIVES),
        mode=list(MODES),
        sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=10),
        points_to_evaluate=[p.as_dict() for p in preset.points],
    )
    searcher = distinct(optuna_search, settings)
    space = {k: tune.choice(list(v)) for k, v in preset.space.items()}
    runs = _tune(space, searcher, preset.samples, settings, workers, name, preset.samples, run,
                 budget_s)  # fmt: skip
    return runs, searcher.stats()


def seeds_stage(points: list[Point], seeds: range, settings: Settings, workers: int, run: str):
    """Stage 2: the CV of `points` with each of `seeds` (no hardware)."""
    from ray import tune

    trials = [p.as_dict() | {"seed": s, "hardware": False} for p in points for s in seeds]
    if not trials:
        return []
    space = {"trial": tune.grid_search(trials)}
    return _tune(space, None, 1, settings, workers, "seeds", len(trials), run)


def _recorded(name: str):
    """(params, trial directory) of every trial Tune recorded under build/explore/ray/<name>."""
    for f in sorted((BUILD / "ray" / name).glob("*/params.json")):  # a folder per trial
        try:
            yield json.loads(f.read_text()), f.parent
        except (FileNotFoundError, json.JSONDecodeError):
            continue


def run_ids(name: str) -> list[str]:
    """The run ids recorded under build/explore/ray/<name>, oldest first."""
    return sorted({p["run"] for p, _ in _recorded(name) if "run" in p})


def runs_from_ray(name: str, run: str) -> list[tuple[dict, dict | None, str | None]]:
    """The trials run `run` recorded under build/explore/ray/<name> (trials of other runs of
    that name, which Tune keeps in the same folder, are not read), one per (point, seed): a
    finished one when there is one. For rebuilding a report without Ray."""
    best: dict[tuple, tuple[dict, dict | None, str | None]] = {}
    for params, d in _recorded(name):
        if params.get("run") != run:
            continue
        config = _point_config(params)
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
