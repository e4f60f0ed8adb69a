"""explore.json from trial results: seeds pooled, the default found, who dominates it, the plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecg_snn.explore import pareto, report
from ecg_snn.explore.space import DEFAULT, Point


def result(point: Point, seed: int, jk: float, uj: float | None) -> dict:
    hw = None if uj is None else {"uj_per_heartbeat": uj, "area_um2": 2e6, "cycles": {"mean": 400}}
    return {"point": point.as_dict(), "label": point.label, "seed": seed,
            "cv": {"j_kappa": jk, "spike_rate": 0.1}, "hw": hw, "error": None}  # fmt: skip


CHEAP = Point(c0=4, T=2)
GOOD = Point(c1=24, dense=48, T=4, engine="fused")


def results() -> list[dict]:
    return [
        result(DEFAULT, 0, 0.40, 5.0),
        result(CHEAP, 0, 0.42, 3.0),  # dominates the default on seed 0
        result(GOOD, 0, 0.50, 8.0),
        result(Point(T=8), 0, 0.30, 9.0),  # dominated
        result(CHEAP, 1, 0.36, None),
        result(CHEAP, 2, 0.36, None),
        result(DEFAULT, 1, 0.42, None),
        result(DEFAULT, 2, 0.41, None),
        {
            "point": Point(T=1).as_dict(),
            "label": Point(T=1).label,
            "seed": 0,
            "cv": None,
            "hw": None,
            "error": "QuantizeError: ...",
        },
    ]


def test_the_report() -> None:
    body = report.build(results(), {"preset": "test"})
    assert body["measured"] == 4 and body["failed"] == 1 and body["preset"] == "test"
    assert [f["label"] for f in body["front"]] == [CHEAP.label, GOOD.label]
    assert body["default"] == DEFAULT.label
    (dom,) = body["dominating_default"]
    assert dom["label"] == CHEAP.label
    assert dom["jk_mean"] == pytest.approx(0.38)  # (0.42 + 0.36 + 0.36) / 3
    assert not dom["robust"]  # its mean is below the default's 0.41
    cheap = next(e for e in body["points"] if e["label"] == CHEAP.label)
    assert cheap["jk_seeds"] == {"0": 0.42, "1": 0.36, "2": 0.36}
    assert cheap["jk_sd"] == pytest.approx(0.034641, abs=1e-6)
    # the rule: GOOD is the best (sd 0: one seed); CHEAP is not within 0 of it
    assert body["rule_pick"] == GOOD.label


def test_the_plot(tmp_path: Path) -> None:
    body = report.build(results(), {})
    pts, idx, default = report.flat_points(body)
    assert [pts[i]["label"] for i in idx] == [CHEAP.label, GOOD.label]
    assert pts[default]["label"] == DEFAULT.label
    out = pareto.plot(pts, idx, default, tmp_path / "p.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert not list(tmp_path.glob("*.tmp.png"))


def test_the_markdown_tables() -> None:
    body = report.build(results(), {})
    for e in body["points"]:  # the per-class figures the front table quotes
        if e["cv"] is not None:
            e["cv"] |= {"per_class": {c: {"se": 0.5, "ppv": 0.25} for c in "NSVF"}}
            e["hw"] |= {"uj_per_heartbeat_gated": 1.0, "dynamic_nj_180nm": 500.0}
    md = report.markdown(body)
    front_rows = [ln for ln in md.splitlines() if ln.startswith(f"| {CHEAP.label}")]
    assert len(front_rows) == 1 and "0.380 ± 0.035 (3)" in front_rows[0]
    assert "dominated by 1 points" in md
    # the front names each point's engine
    (good_row,) = [ln for ln in md.splitlines() if ln.startswith(f"| {GOOD.label} |")]
    assert good_row.split(" | ")[1] == "fused" and front_rows[0].split(" | ")[1] == "event"
    # the neuron x engine x T table: fused T = 2 holds the default, fused T = 4 GOOD
    (row,) = [ln for ln in md.splitlines() if ln.startswith("| ssf | fused | 4 |")]
    assert row.split(" | ")[3:6] == ["1", "0.500", "8.00"]
    (row,) = [ln for ln in md.splitlines() if ln.startswith("| ssf | fused | 2 |")]
    assert row.split(" | ")[3:6] == ["1", "0.400", "5.00"]


def _trial(root: Path, run: str, name: str, point: Point, metrics, error, tune="x") -> None:
    """One trial as Tune records it under root/ray/<tune>: its params (with the run id), its
    results, its error."""
    import json

    d = root / "ray" / tune / f"_trainable_{name}"
    d.mkdir(parents=True)
    (d / "params.json").write_text(json.dumps({"trial": point.as_dict(), "run": run}))
    if metrics is not None:
        (d / "result.json").write_text(json.dumps({"x": 0}) + "\n" + json.dumps(metrics))
    if error is not None:
        (d / "error.txt").write_text("Traceback ...\nQuantizeError: too wide")


def _store(root: Path, *entries: tuple[str, dict]) -> Path:
    import json

    store = root / "points"
    store.mkdir(exist_ok=True)
    for key, r in entries:
        (store / f"{key}.json").write_text(json.dumps(r | {"key": key}))
    return store


def test_a_report_rebuilt_from_the_recorded_trials(tmp_path: Path, monkeypatch) -> None:
    from ecg_snn.explore import search
    from ecg_snn.explore.trial import Settings

    monkeypatch.setattr(search, "BUILD", tmp_path)
    store = _store(tmp_path, ("k1", result(CHEAP, 0, 0.42, 3.0)))
    _trial(tmp_path, "r1", "a", CHEAP, None, None)  # interrupted, then run again in the run
    _trial(tmp_path, "r1", "b", CHEAP, {"key": "k1"}, None)
    _trial(tmp_path, "r1", "c", GOOD, None, "x")
    _trial(tmp_path, "r1", "d", DEFAULT, None, None)  # stopped by the time budget
    runs = search.runs_from_ray("x", "r1")
    assert len(runs) == 3
    results_, unfinished = search.results_of(Settings(0, 0, 0, "", "", str(store)), runs)
    assert unfinished == [DEFAULT.label]
    ok = [r for r in results_ if r["error"] is None]
    bad = [r for r in results_ if r["error"]]
    assert [r["label"] for r in ok] == [CHEAP.label] and ok[0]["cv"]["j_kappa"] == 0.42
    assert [r["label"] for r in bad] == [GOOD.label] and bad[0][
        "error"
    ] == "QuantizeError: too wide"


R1, R2 = "20250101-000000-aaaaaa", "20250102-000000-bbbbbb"


def _two_runs(root: Path) -> Path:
    """Two runs of one name in one folder: r1 measured CHEAP and GOOD, r2 (later) DEFAULT."""
    store = _store(
        root,
        ("k1", result(CHEAP, 0, 0.42, 3.0)),
        ("k2", result(GOOD, 0, 0.50, 8.0)),
        ("k3", result(DEFAULT, 0, 0.40, 5.0)),
    )
    _trial(root, R1, "a", CHEAP, {"key": "k1"}, None, "x-explore")
    _trial(root, R1, "b", GOOD, {"key": "k2"}, None, "x-explore")
    _trial(root, R2, "c", DEFAULT, {"key": "k3"}, None, "x-explore")
    return store


def test_the_rebuild_reads_only_the_run_the_report_names(tmp_path: Path, monkeypatch) -> None:
    """A folder that holds the trials of two runs: the rebuild reads the run the report
    names, then the one --run names; the other run's trials never enter the report."""
    import json

    from ecg_snn.explore import cli, search
    from ecg_snn.explore.trial import Settings

    monkeypatch.setattr(search, "BUILD", tmp_path)
    store = _two_runs(tmp_path)
    monkeypatch.setattr(cli, "_settings_for_store", lambda: Settings(0, 0, 0, "", "", str(store)))
    monkeypatch.setattr(cli, "PRESETS", {"x": search.Preset("x", None, (), 1, 1, 1, 1, 1)})
    # the folder mixes both runs: that is what the run id separates
    assert search.run_ids("x-explore") == [R1, R2]
    out = tmp_path / "explore.json"

    def rebuilt(*argv: str) -> set[str]:
        assert cli.main(["--preset", "x", "--rebuild", "--out", str(out), *argv]) == 0
        return {e["label"] for e in json.loads(out.read_text())["points"]}

    out.write_text(json.dumps({"runs": {"explore": R1}, "sampler": {"distinct": 2}}))
    assert rebuilt() == {CHEAP.label, GOOD.label}
    body = json.loads(out.read_text())
    assert body["runs"] == {"explore": R1} and body["sampler"] == {"distinct": 2}
    assert rebuilt("--run", R2) == {DEFAULT.label}
    assert "sampler" not in json.loads(out.read_text())  # R1's figures are not R2's
    out.unlink()  # no report naming a run: the newest
    assert rebuilt() == {DEFAULT.label}


def test_a_rebuild_without_any_recorded_run_is_one_line(tmp_path: Path, monkeypatch, capsys):
    from ecg_snn.explore import cli, search

    monkeypatch.setattr(search, "BUILD", tmp_path)
    monkeypatch.setattr(cli, "PRESETS", {"x": search.Preset("x", None, (), 1, 1, 1, 1, 1)})
    out = tmp_path / "explore.json"
    assert cli.main(["--preset", "x", "--rebuild", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == "make explore --rebuild: no run of x-explore recorded\n" and not out.exists()


def test_a_point_the_sampler_proposed_twice_is_one_point() -> None:
    """A repeated trial (its result comes back from the cache) counts as a trial, not as a
    second point: one entry, one front row, and the markdown says how many are distinct."""
    rs = results()
    again = next(r for r in rs if r["seed"] == 0 and r.get("hw") is not None)
    body = report.build([*rs, dict(again)], {})
    labels = [e["label"] for e in body["points"]]
    assert len(labels) == len(set(labels)) and body["trials"] == len(labels) + 1
    for e in body["points"]:  # the per-class figures the front table quotes
        if e["cv"] is not None:
            e["cv"] |= {"per_class": {c: {"se": 0.5, "ppv": 0.25} for c in "NSVF"}}
            e["hw"] |= {"uj_per_heartbeat_gated": 1.0, "dynamic_nj_180nm": 500.0}
    text = report.markdown(body)
    assert f"{body['measured']} distinct points measured in {body['trials']} trials" in text
