"""`python -m ecg_snn.explore.confirm`: the pick read from a search report, the verdict its
figures support, and a one-line error without a report (training itself: `test_smoke.py`)."""

from __future__ import annotations

import pytest

from ecg_snn.explore import confirm
from ecg_snn.explore.presets import SMOKE_POINTS
from ecg_snn.explore.space import DEFAULT, Point


def _entry(point: Point, jk: float) -> dict:
    runs = [{"seed": s, "j_kappa": jk, "accuracy": 0.9, "S": [0, 0], "V": [0, 0]} for s in range(3)]
    return {"label": point.label, "point": point.as_dict(), "runs": runs, "jk_mean": jk,
            "jk_sd": 0.0}  # fmt: skip


def test_the_pick_is_the_rules_point():
    p = Point(c0=4, T=1, neuron="if")
    body = {"rule_pick": p.label, "points": [{"label": p.label, "point": p.as_dict()}]}
    assert confirm.picked(body) == p
    with pytest.raises(ValueError, match="names no measured pick"):
        confirm.picked({"rule_pick": "x", "points": []})


def test_the_verdict_follows_the_figures():
    r = {"epochs": 20, "seeds": 3, "default": _entry(Point(T=4), 0.64)}
    assert "the default stays" in confirm.table({**r, "pick": _entry(Point(T=1), 0.57)})
    assert "may replace the default" in confirm.table({**r, "pick": _entry(Point(T=1), 0.66)})
    # once shipped (the pick is today's chip), the table says so and `make train` is enough
    shipped = confirm.table({**r, "pick": _entry(DEFAULT, 0.66)})
    assert "is the shipped chip" in shipped and "ARGS=" not in shipped
    # confirmed again once shipped: pick and default are one point, one row
    again = confirm.table({**r, "pick": _entry(DEFAULT, 0.66), "default": _entry(DEFAULT, 0.66)})
    assert again.count("| pick |") == 1 and "| default |" not in again
    assert "is today's default and the shipped chip" in again


def test_no_search_report_is_one_line(tmp_path, capsys):
    assert confirm.main(["--report", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("explore.confirm: ") and err.count("\n") == 1


@pytest.mark.slow
def test_confirm_trains_each_seed_on_ray_and_reads_them_back(tmp_path, monkeypatch):
    """For real (DS1, Ray): a tiny point at 1 epoch x 2 folds over 2 seeds, twice; the second
    call trains nothing (every trial is read back from the store) and gives the same figures."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    point = SMOKE_POINTS[0]
    first = confirm.confirm([point, point], 1, 2, 2, folds=2, store=tmp_path)
    assert [r["seed"] for r in first[0]["runs"]] == [0, 1] and first[0] == first[1]
    assert len(list(tmp_path.glob("*.json"))) == 2  # one stored trial per seed, not per entry
    stamps = {f: f.stat().st_mtime_ns for f in tmp_path.glob("*.json")}
    again = confirm.confirm([point], 1, 2, 2, folds=2, store=tmp_path)
    assert again[0] == first[0]
    assert {f: f.stat().st_mtime_ns for f in tmp_path.glob("*.json")} == stamps  # none rewritten
