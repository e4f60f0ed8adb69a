"""`make sim` (`python -m sim.run`): report, exit status and messages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sim.run
from model.contract.artifact import Artifact
from sim.accel import limits
from sim.accel.shards import Merged
from sim.tb import runner

KEYS = {
    "model",
    "beats",
    "random_vectors",
    "mismatches",
    "cycles_per_inference",
    "wall_seconds",
    "beats_per_second",
}


def test_small_run_writes_the_report(
    accel_build: runner.Build,
    model_artifact: Artifact,
    mitdb_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = model_artifact.save(tmp_path / "model.json")
    report = tmp_path / "sim.json"
    argv = [
        "--model",
        str(model),
        "--beats",
        "20",
        "--random",
        "40",
        "--jobs",
        "2",
        "--report",
        str(report),
    ]
    assert sim.run.main(argv) == 0
    r = json.loads(report.read_text())
    assert set(r) >= KEYS
    assert (r["beats"], r["random_vectors"], r["mismatches"]) == (20, 40, 0)
    c = r["cycles_per_inference"]
    assert 0 < c["mean"] <= c["max"] and c["p50"] <= c["max"]
    out = capsys.readouterr().out
    assert "0 mismatches" in out
    # The directed limit cases ran on their own builds, exactly, and filled every bin.
    assert [x["case"] for x in r["limits"]] == list(limits.CASES)
    assert all(x["mismatches"] == 0 and not x["failures"] for x in r["limits"])
    assert r["coverage"]["empty_bins"] == [] and all(r["coverage"]["bins"].values())
    assert f"{len(r['coverage']['bins'])} of {len(r['coverage']['bins'])} bins hit" in out


def test_an_empty_coverage_bin_fails_the_run(
    accel_build: runner.Build,
    model_artifact: Artifact,
    mitdb_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without the T = 1024 and the T = 1 cases, their bins stay empty: exit 1, named."""
    model = model_artifact.save(tmp_path / "model.json")
    argv = ["--model", str(model), "--beats", "5", "--random", "20", "--limits", "if,ssf"]
    assert sim.run.main([*argv, "--report", str(tmp_path / "sim.json")]) == 1
    err = capsys.readouterr().err
    assert "coverage bins never hit: " in err and "T=1024" in err and "T=1," in err


def test_missing_model_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert sim.run.main(["--model", str(tmp_path / "none.json")]) == 2
    assert "no model at" in capsys.readouterr().err


def test_mismatch_fails_with_the_first_beat(
    accel_build: runner.Build,
    model_artifact: Artifact,
    mitdb_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The exit path on a mismatch (the detection itself is tested on the DUT elsewhere)."""

    def fake(build, artifact, vectors, workdir, **kw) -> Merged:
        from model.contract import golden

        gold = golden.run(artifact, vectors.x[:, None, :], vectors.rr)
        values = gold.values.copy()
        values[3, 0] += 1
        msg = f"record {vectors.record[3]} beat {vectors.index[3]}: values: [0] ..."
        return Merged(gold.cls, values, np.ones(len(vectors), np.int64), 1, msg, [])

    monkeypatch.setattr(sim.run, "run_sharded", fake)
    model = model_artifact.save(tmp_path / "model.json")
    argv = [
        "--model",
        str(model),
        "--beats",
        "5",
        "--random",
        "30",
        "--limits",
        "none",
        "--report",
        str(tmp_path / "sim.json"),
    ]
    assert sim.run.main(argv) == 1
    err = capsys.readouterr().err
    assert "first mismatch: record DS2:" in err and "beat 3: values: [0]" in err
