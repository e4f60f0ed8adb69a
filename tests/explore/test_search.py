"""The search starts distinct points only: repeats of the sampler are skipped (told to it as
pruned) and a space that runs out stops the search with a message; no Ray cluster needed."""

from __future__ import annotations

import pytest
from ray.tune.search import Searcher

from ecg_snn.explore import search
from ecg_snn.explore.presets import Preset
from ecg_snn.explore.space import DEFAULT, ENGINES, NEURONS, Point
from ecg_snn.explore.trial import Settings

SETTINGS = Settings(1, 2, 4, "code", "cal")
IF_EVENT = Point(neuron="if").as_dict()
IF_FUSED = IF_EVENT | {"engine": "fused"}  # the space maps it onto IF_EVENT
SSF_EVENT = DEFAULT.as_dict() | {"engine": "event"}


class Scripted(Searcher):
    """Proposes `configs` in order, then FINISHED; records what it is told."""

    def __init__(self, configs: list[dict]) -> None:
        super().__init__(metric="cv_jk", mode="max")
        self.configs, self.asked, self.told = list(configs), [], []

    def suggest(self, trial_id: str):
        self.asked.append(trial_id)
        return self.configs.pop(0) if self.configs else Searcher.FINISHED

    def on_trial_complete(self, trial_id: str, result=None, error: bool = False) -> None:
        self.told.append((trial_id, result, error))


def test_a_repeated_point_is_not_a_trial() -> None:
    inner = Scripted([DEFAULT.as_dict(), DEFAULT.as_dict(), IF_EVENT, IF_FUSED, SSF_EVENT])
    s = search.distinct(inner, SETTINGS)
    assert s.suggest("t1") == DEFAULT.as_dict()
    assert s.suggest("t2") == IF_EVENT  # the repeat of the default was skipped
    assert s.suggest("t3") == SSF_EVENT  # IF on fused is IF on event: a repeat too
    assert s.stats() == {"distinct": 3, "repeats_skipped": 2, "exhausted": False}
    # each repeat was told to the sampler as pruned (no result, no error), under its own id
    assert inner.told == [("t2", None, False), ("t3", None, False)]
    assert inner.asked == ["t1", "t2", "t2-again1", "t3", "t3-again1"]
    # Tune's completion of t2 reaches the sampler under the id that proposed the point
    s.on_trial_complete("t2", {"cv_jk": 0.5})
    assert inner.told[-1] == ("t2-again1", {"cv_jk": 0.5}, False)
    assert s.suggest("t4") == Searcher.FINISHED  # the sampler's own end passes through


def test_distinct_points_are_all_started() -> None:
    """The negative case: proposals that differ in any field are all trials."""
    configs = [Point(lanes=n).as_dict() for n in (4, 8, 16)]
    s = search.distinct(Scripted(configs), SETTINGS)
    assert [s.suggest(f"t{i}") for i in range(3)] == configs
    assert s.stats()["repeats_skipped"] == 0


def test_an_exhausted_space_stops_the_search_with_a_message(capsys) -> None:
    s = search.distinct(Scripted([DEFAULT.as_dict()] * 10), SETTINGS, attempts=4)
    assert s.suggest("t1") == DEFAULT.as_dict()
    assert s.suggest("t2") == Searcher.FINISHED
    assert s.stats() == {"distinct": 1, "repeats_skipped": 4, "exhausted": True}
    out = capsys.readouterr().out
    assert "only points already drawn in 4 attempts" in out and "after 1 distinct points" in out


def test_optuna_draws_every_point_of_a_small_space_once(capsys) -> None:
    """Optuna's own sampler on neuron x engine (3 distinct points once IF x fused is mapped):
    three distinct trials, then the search stops instead of repeating one."""
    import optuna
    from ray import tune
    from ray.tune.search.optuna import OptunaSearch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    inner = OptunaSearch(
        metric=list(search.OBJECTIVES), mode=list(search.MODES),
        sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=10),
    )  # fmt: skip
    s = search.distinct(inner, SETTINGS)
    space = {k: tune.choice([v]) for k, v in DEFAULT.as_dict().items()}  # every field fixed
    space |= {"neuron": tune.choice(list(NEURONS)), "engine": tune.choice(list(ENGINES))}
    s.set_search_properties(None, None, space | {"run": "r"})
    points = []
    for i in range(4):
        config = s.suggest(f"t{i}")
        if config == Searcher.FINISHED:
            break
        points.append(Point.from_dict(config))
        s.on_trial_complete(f"t{i}", {"cv_jk": 0.5, "uj_per_heartbeat": 1.0 + i})
    assert len(points) == 3 == len(set(points)) and s.stats()["exhausted"]
    assert "space looks exhausted after 3 distinct points" in capsys.readouterr().out


def test_a_search_that_asks_for_more_points_than_its_space_holds_is_refused() -> None:
    small = Preset("tiny", {"neuron": NEURONS, "engine": ENGINES}, (), 4, 1, 2, 4, 1)
    with pytest.raises(search.SearchError, match="holds 3 distinct points, 4 asked"):
        search.check_samples(small)
    search.check_samples(Preset("tiny", small.space, (), 3, 1, 2, 4, 1))  # 3 fit
    twice = Preset("grid", None, (DEFAULT, DEFAULT), 2, 1, 2, 4, 1)
    with pytest.raises(search.SearchError, match="lists a point twice"):
        search.check_samples(twice)


def test_run_ids_sort_by_start_time() -> None:
    a = search.new_run_id()
    assert len(a.split("-")) == 3 and search.new_run_id() != a
