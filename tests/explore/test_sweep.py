"""run_sweep: the JSON schema, failure recording, and skipping points already measured."""

from __future__ import annotations

import json
from pathlib import Path

from ecg_snn.explore.cache import Store
from ecg_snn.explore.grid import Point, full_grid
from ecg_snn.explore.sweep import FIELDS
from ecg_snn.explore.sweep import run_sweep as _run
from tests.explore.conftest import Calls, make_bench, tiny_artifact

POINTS = full_grid(("if", "ssf"), (2, 4), (6,), (8,))
SETTINGS = {"tech": "22nm", "beats": 8, "seed": 0}


def sweep(calls: Calls, tmp: Path, points=POINTS, settings=SETTINGS, artifacts_of=None) -> dict:
    return _run(
        points,
        artifacts_of or (lambda p: {"inter": tiny_artifact(p), "intra": tiny_artifact(p)}),
        lambda: make_bench(calls, tmp),
        settings,
        "code-v1",
        Store(tmp / "points"),
        tmp / "explore.json",
        jobs=1,
        log=lambda _: None,
    )


def test_schema(calls: Calls, tmp_path: Path) -> None:
    body = sweep(calls, tmp_path)
    on_disk = json.loads((tmp_path / "explore.json").read_text())
    assert on_disk["points"] == json.loads(json.dumps(body["points"]))
    assert len(on_disk["points"]) == len(POINTS)
    for p in on_disk["points"]:
        for k in ("mode", "T", "weight_bits", "lanes", "error", *FIELDS):
            assert k in p, k
        assert p["error"] is None
        assert 0 <= p["accuracy_inter"] <= 1 and 0 <= p["accuracy_intra"] <= 1
        assert set(p["cycles"]) == {"mean", "max"} and p["cycles"]["max"] > 0
        assert p["cells"] == 8000 and p["dense_qnn_nj"] == 3.0
        assert p["spikes_per_inference"] >= 0 and p["synops_per_inference"] >= 0
    assert on_disk["best"]["pareto_front"]
    assert on_disk["settings"]["tech"] == "22nm" and on_disk["code_version"] == "code-v1"


def test_failure_is_recorded_and_others_complete(calls: Calls, tmp_path: Path) -> None:
    calls.fail = {("ssf", 4)}

    def artifacts_of(p: Point) -> dict:
        if p.mode == "if" and p.T == 2:
            raise ValueError("cannot quantize")
        return {"inter": tiny_artifact(p), "intra": tiny_artifact(p)}

    body = sweep(calls, tmp_path, artifacts_of=artifacts_of)
    by = {(p["mode"], p["T"]): p for p in body["points"]}
    assert "mock failure" in by["ssf", 4]["error"] and by["ssf", 4]["nj_per_inference"] is None
    assert "cannot quantize" in by["if", 2]["error"]
    assert by["if", 4]["error"] is None and by["ssf", 2]["error"] is None
    assert by["if", 4]["nj_per_inference"] > 0
    # failures are not cached: a re-run retries them, and only them
    calls.fail = set()
    before = calls.energy
    body = sweep(calls, tmp_path)
    assert calls.energy - before == 2  # (ssf, 4) and (if, 2)
    assert all(p["error"] is None for p in body["points"])


def test_rerun_skips_and_inputs_change_the_key(calls: Calls, tmp_path: Path) -> None:
    sweep(calls, tmp_path)
    assert calls.energy == len(POINTS)
    body = sweep(calls, tmp_path)
    assert calls.energy == len(POINTS)  # nothing re-measured
    assert all(p["cached"] for p in body["points"])
    sweep(calls, tmp_path, settings=SETTINGS | {"beats": 16})  # another beat sample
    assert calls.energy == 2 * len(POINTS)
    sweep(calls, tmp_path, points=[*POINTS, Point("if", 2, 6, 16)])  # only the new point
    assert calls.energy == 2 * len(POINTS) + 1


def test_code_change_during_a_point_is_an_error(calls: Calls, tmp_path: Path) -> None:
    body = _run(
        POINTS[:1],
        lambda p: {"inter": tiny_artifact(p), "intra": tiny_artifact(p)},
        lambda: make_bench(calls, tmp_path),
        SETTINGS,
        "code-v1",
        Store(tmp_path / "points"),
        tmp_path / "explore.json",
        jobs=1,
        log=lambda _: None,
        current_code=lambda: "code-v2",
    )
    assert "code changed" in body["points"][0]["error"]
    assert not list((tmp_path / "points").glob("*.json"))
