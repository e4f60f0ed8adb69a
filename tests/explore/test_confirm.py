"""`python -m ecg_snn.explore.confirm`: the pick read from a search report, the verdict its
figures support, and a one-line error without a report (training itself: `test_smoke.py`)."""

from __future__ import annotations

import pytest

from ecg_snn.explore import confirm
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
    r = {"epochs": 20, "seeds": 3, "default": _entry(DEFAULT, 0.64)}
    assert "the default stays" in confirm.table({**r, "pick": _entry(Point(T=1), 0.57)})
    assert "may replace the default" in confirm.table({**r, "pick": _entry(Point(T=1), 0.66)})


def test_no_search_report_is_one_line(tmp_path, capsys):
    assert confirm.main(["--report", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("explore.confirm: ") and err.count("\n") == 1
