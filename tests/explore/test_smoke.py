"""`make explore EXPLORE=smoke` for real: Ray Tune, DS1 CV, Verilator and Yosys on 3 tiny points.

The first run trains and measures (minutes on 2 cores); the second must read every trial back
from the cache (the resume path) and write the same report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecg_snn.data.splits import DS1
from ecg_snn.explore import cli, pareto
from ecg_snn.explore.presets import SMOKE_POINTS
from ecg_snn.flow.asic.pdk import OSU018

DS1_BEATS = 50_969  # N, S, V, F beats of the 22 DS1 records (docs/model.md, the CV's OOF set)


def _liberty() -> bool:
    try:
        OSU018.liberty()
    except FileNotFoundError:
        return False
    return True


def _firing_slots(p: dict) -> int:
    """c0 x L0 + c1 x L1 + dense, times T: the spike rate's denominator, from the point alone."""
    l0 = (64 - p["k0"]) // 2 + 1
    l1 = (l0 - p["k1"]) // 2 + 1
    return (p["c0"] * l0 + p["c1"] * l1 + p["dense"]) * p["T"]


@pytest.mark.slow
@pytest.mark.skipif(not _liberty(), reason="no osu018 library: make tech")
def test_smoke_search(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    out = tmp_path / "explore.json"
    assert cli.main(["--preset", "smoke", "--workers", "2", "--out", str(out)]) == 0
    body = json.loads(out.read_text())
    assert body["measured"] == len(SMOKE_POINTS) and body["failed"] == 0
    assert body["distinct_points"] == body["trials"] == len(SMOKE_POINTS)
    # each point measured on its own engine: the fused one with ROM weights
    engines = {e["label"]: (e["hw"]["engine"], e["hw"]["rom"]) for e in body["points"]}
    assert engines == {p.label: (p.engine, p.engine == "fused") for p in SMOKE_POINTS}
    for e in body["points"]:
        cv, hw, p = e["cv"], e["hw"], e["point"]
        # the CV pools every DS1 beat once, over folds that partition the 22 patients
        assert cv["n_beats"] == DS1_BEATS == sum(map(sum, cv["confusion"]))
        folds = [r for f in cv["folds"] for r in f]
        assert sorted(folds) == sorted(DS1)
        assert cv["spike_rate"] == pytest.approx(cv["spikes_per_inference"] / _firing_slots(p))
        # the heartbeat is the calibrated dynamic energy plus 0.8 s of the netlist's leakage
        e_beat = (hw["dynamic_nj_180nm"] + hw["leakage_nw"] * 0.8) / 1000
        assert hw["uj_per_heartbeat"] == pytest.approx(e_beat)
        assert hw["uj_per_heartbeat_gated"] < hw["uj_per_heartbeat"]
        assert 0 < hw["flip_flops"] < hw["cells"] and hw["cycles"]["mean"] <= hw["cycles"]["max"]
    pts = [pareto.flat(e) for e in body["points"]]
    on_front = {f["label"] for f in body["front"]}
    for e, p in zip(body["points"], pts, strict=True):
        dominated = any(pareto.dominates(q, p) for q in pts)
        assert (e["label"] in on_front) == (not dominated)
    assert (tmp_path / "explore_pareto.png").stat().st_size > 10_000
    # the resume path: every trial read back, the same figures
    assert cli.main(["--preset", "smoke", "--workers", "2", "--out", str(out)]) == 0
    again = json.loads(out.read_text())
    assert [e["cv"] for e in again["points"]] == [e["cv"] for e in body["points"]]
    assert [e["hw"] for e in again["points"]] == [e["hw"] for e in body["points"]]
    assert again["runs"]["explore"] != body["runs"]["explore"]  # a run id per invocation
    # the rebuild reads the run the report names: the same points again
    assert cli.main(["--preset", "smoke", "--rebuild", "--out", str(out)]) == 0
    rebuilt = json.loads(out.read_text())
    assert rebuilt["runs"] == again["runs"] and rebuilt["distinct_points"] == len(SMOKE_POINTS)
    assert [e["hw"] for e in rebuilt["points"]] == [e["hw"] for e in body["points"]]
