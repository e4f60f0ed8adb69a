"""The per-patient evaluation on two small synthetic records: pooled base vs adapted on the same
remaining beats, per-record outcomes, and the tables the docs are generated from."""

from __future__ import annotations

import numpy as np

from ecg_snn.model.adapt.evaluate import evaluate, records_table, table, targets_table
from ecg_snn.model.adapt.run import DEFAULT_BASE


def test_evaluate_pools_the_remaining_beats_of_every_record(write_record, relabel_as):
    db = write_record(name="pf", x_symbol="F")  # the base never says F: adaptation fixes it
    relabel_as(write_record(name="pv", seed=1), "pv")  # labelled as the base says: kept
    report = evaluate(("pf", "pv"), ("2min",), DEFAULT_BASE, db, progress=False)
    p = report["protocols"]["2min"]
    rows = {r["record"]: r for r in p["per_record"]}
    assert rows["pf"]["status"] == "adapted" and rows["pf"]["integers_changed"] > 0
    assert rows["pv"]["status"] == "kept base" and rows["pv"]["integers_changed"] == 0
    assert rows["pv"]["accuracy"]["base"] == rows["pv"]["accuracy"]["adapted"] == 1.0
    assert rows["pf"]["accuracy"]["adapted"] > rows["pf"]["accuracy"]["base"]
    assert p["scored_beats"] == sum(r["scored_beats"] for r in rows.values())
    assert p["base"]["n"] == p["adapted"]["n"] == p["scored_beats"]  # the same beats
    assert p["adapted"]["j_kappa"] > p["base"]["j_kappa"]
    assert np.sum(p["adapted"]["confusion"]) == p["scored_beats"]
    assert p["status_counts"] == {"adapted": 1, "kept base": 1, "refused": 0}
    assert "| 2min | adapted |" in table(report)
    assert "| pf |" in records_table(report, "2min")
    assert "missed by" in targets_table(report, "2min")  # F beats: S/V targets unmet here
