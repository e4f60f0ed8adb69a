"""`make sim ENGINE=fused`: the fused engine's Verilog on Verilator against the golden model on
real DS2 beats and random vectors, with its own limit cases; its refusals at the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecg_snn.model.shipped import shipped
from ecg_snn.sim import run


def test_shipped_model_is_bit_exact_on_verilator(mitdb_dir: Path, tmp_path: Path) -> None:
    """The shipped all-ssf model, ROM (the fused engine's default build): real beats, random
    vectors, the fused limit cases (counts clipped at T, ties, T = 1024) and one random point,
    classes, values and cycles (against `hw/fused/cycles.py`) all exact."""
    report = tmp_path / "sim.json"
    argv = ["--engine", "fused", "--beats", "12", "--random", "30", "--jobs", "1"]
    argv += ["--space", "3", "--space-vectors", "4", "--report", str(report)]
    argv += ["--work", str(tmp_path / "w")]
    assert run.main(argv) in (0, 1)  # 1 only for coverage bins a partial run cannot hit
    r = json.loads(report.read_text())
    assert r["hardware"] == {"lanes": 8, "rom": True, "engine": "fused"}
    assert (r["beats"], r["random_vectors"], r["mismatches"], r["cycle_mismatches"]) == (
        12, 30, 0, 0,
    )  # fmt: skip
    assert [x["case"] for x in r["limits"]] == ["ssf", "t-max-ssf"]
    assert all(x["mismatches"] == x["cycle_mismatches"] == 0 for x in r["limits"])
    # a partial run misses coverage corners; nothing else may fail
    assert all(f.startswith("coverage bins never hit") for f in r["failures"]), r["failures"]


def test_a_loadable_fused_build_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["--engine", "fused", "--no-rom", "--report", str(tmp_path / "s.json")]
    assert run.main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("make sim: the fused engine bakes the weights in") and err.count("\n") == 1
    )
    assert not (tmp_path / "s.json").exists()


def test_an_if_artifact_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from tests.artifacts import make_artifact

    model = make_artifact("small").save(tmp_path / "if.json")
    argv = ["--engine", "fused", "--model", str(model), "--report", str(tmp_path / "s.json")]
    assert run.main(argv) == 2
    err = capsys.readouterr().err
    assert "all-sum-then-fire artifacts only" in err and err.count("\n") == 1


def test_the_shipped_model_is_all_ssf() -> None:
    """The default model is what the fused engine runs (else `make sim ENGINE=fused` fails)."""
    from ecg_snn.model.contract.artifact import load_artifact

    assert load_artifact(shipped("inter")).spec.n_if == 0
