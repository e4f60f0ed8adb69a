"""A trial is stored under its key before it returns, and a re-run reads it instead of training."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ecg_snn.explore.evaluate import Scored
from ecg_snn.explore.space import DEFAULT, Point
from ecg_snn.explore.trial import Settings, evaluate, objectives, trial_key
from ecg_snn.model.splits import Beats


class Stages:
    """Stand-ins for training and hardware, counting their calls."""

    def __init__(self) -> None:
        self.trained = self.measured = 0

    def score(self, point, epochs, folds, seed, log=print) -> Scored:
        self.trained += 1
        n = 40
        held = Beats(np.zeros((n, 1, 64), np.int64), np.zeros((n, 4), np.int64),
                     np.arange(n) % 4, np.array(["101"] * n))  # fmt: skip
        jk = 0.4 + 0.01 * seed + 0.001 * point.c0
        return Scored({"j_kappa": jk, "spike_rate": 0.1, "seed": seed}, None, held)

    def measure(self, artifact, config, sample, work: Path) -> dict:
        self.measured += 1
        self.configs = [*getattr(self, "configs", []), config]
        return {"uj_per_heartbeat": 2.0 + config.lanes, "area_um2": 1.5e6,
                "cycles": {"mean": 400.0}}  # fmt: skip


def settings(tmp: Path, **kw) -> Settings:
    s = Settings(3, 4, 12, "code1", "cal1", str(tmp / "points"), str(tmp / "work"))
    return replace(s, **kw)


def test_a_finished_trial_is_reused(tmp_path: Path) -> None:
    st, s = Stages(), settings(tmp_path)
    first = evaluate(DEFAULT, 0, s, True, st.score, st.measure, log=lambda _: None)
    again = evaluate(DEFAULT, 0, s, True, st.score, st.measure, log=lambda _: None)
    assert (st.trained, st.measured) == (1, 1)
    assert not first["cached"] and again["cached"]
    assert again["cv"] == first["cv"] and again["hw"] == first["hw"]
    o = objectives(again)
    assert o["cv_jk"] == first["cv"]["j_kappa"] and o["uj_per_heartbeat"] == 2.0 + DEFAULT.lanes
    assert o["area_mm2"] == 1.5 and o["cycles"] == 400.0


def test_the_hardware_measured_is_the_points_engine(tmp_path: Path) -> None:
    """The measurement gets the point's accelerator: the fused engine with ROM weights, the
    event engine as the loadable build; and the engine is part of the key."""
    st, s = Stages(), settings(tmp_path)
    fused, event = Point(engine="fused"), Point()
    evaluate(fused, 0, s, True, st.score, st.measure, log=lambda _: None)
    evaluate(event, 0, s, True, st.score, st.measure, log=lambda _: None)
    assert [(c.engine, c.rom, c.lanes) for c in st.configs] == [
        ("fused", True, 8), ("event", False, 8)]  # fmt: skip
    assert trial_key(fused, 0, s, True) != trial_key(event, 0, s, True)


def test_a_seed_without_hardware_trains_only(tmp_path: Path) -> None:
    st, s = Stages(), settings(tmp_path)
    r = evaluate(DEFAULT, 1, s, False, st.score, st.measure, log=lambda _: None)
    assert (st.trained, st.measured) == (1, 0) and r["hw"] is None
    assert np.isnan(objectives(r)["uj_per_heartbeat"])


def test_the_key_covers_point_seed_settings_and_code(tmp_path: Path) -> None:
    s = settings(tmp_path)
    k = trial_key(DEFAULT, 0, s, True)
    assert k == trial_key(DEFAULT, 0, settings(tmp_path / "elsewhere"), True)  # paths: not
    assert k != trial_key(Point(lanes=16), 0, s, True)
    assert k != trial_key(DEFAULT, 1, s, True)
    assert k != trial_key(DEFAULT, 0, s, False)
    for field, value in (("epochs", 4), ("folds", 3), ("beats", 13), ("code", "x"),
                         ("calibration", "y")):  # fmt: skip
        assert k != trial_key(DEFAULT, 0, replace(s, **{field: value}), True), field
