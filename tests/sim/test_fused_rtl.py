"""`make sim ENGINE=fused`: the fused engine's Verilog on Verilator against the golden model on
real DS2 beats and random vectors, with its own limit cases; its FPGA build (`--block-ram`,
what `make fpga` places); its refusals at the command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.model.shipped import shipped
from ecg_snn.sim import run
from ecg_snn.sim.accel import design
from ecg_snn.sim.accel.job import Job, read_outcome
from ecg_snn.sim.accel.shards import TEST_MODULE
from ecg_snn.sim.accel.vectors import real_beats
from ecg_snn.sim.tb import runner


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


BLOCK_RAM = HwConfig(lanes=1, rom=True, engine="fused", block_ram=True)  # `make fpga`'s build


def test_the_fpga_build_is_bit_exact_on_verilator(mitdb_dir: Path, tmp_path: Path) -> None:
    """`make sim ENGINE=fused LANES=1 ARGS=--block-ram`: the build `make fpga` places (weight
    banks behind synchronous read ports, dense accumulators in block RAM), its limit cases and
    random points in that build too: classes, values and cycles exact."""
    report = tmp_path / "sim.json"
    argv = ["--engine", "fused", "--lanes", "1", "--block-ram", "--beats", "12", "--random"]
    argv += ["30", "--jobs", "1", "--space", "1,2,3", "--space-vectors", "4"]
    argv += ["--report", str(report), "--work", str(tmp_path / "w")]
    assert run.main(argv) in (0, 1)  # 1 only for coverage bins a partial run cannot hit
    r = json.loads(report.read_text())
    assert r["hardware"] == BLOCK_RAM.as_dict()
    assert (r["beats"], r["random_vectors"], r["mismatches"], r["cycle_mismatches"]) == (
        12, 30, 0, 0,
    )  # fmt: skip
    assert [x["hardware"]["block_ram"] for x in r["limits"]] == [True, True]
    assert all(x["mismatches"] == x["cycle_mismatches"] == 0 for x in r["limits"])
    assert [(x["mismatches"], x["cycle_mismatches"]) for x in r["space"]] == [(0, 0)] * 3
    assert all(f.startswith("coverage bins never hit") for f in r["failures"]), r["failures"]


def test_a_wrong_expectation_fails_on_the_fpga_build(mitdb_dir: Path, tmp_path: Path) -> None:
    """Negative test: the FPGA build runs the shipped model, the expectations come from a copy
    with one output bias off by one; the scoreboard reports mismatches, so the passing run
    above really compared this build's results."""
    art = load_artifact(shipped("inter"))
    last = art.spec.layers[-1]
    tensors = dict(art.tensors)
    bias = tensors[f"{last.name}.bias"].copy()
    bias[0] += 1 if bias[0] < (1 << (last.bias_bits - 1)) - 1 else -1
    mutant = dataclasses.replace(art, tensors={**tensors, f"{last.name}.bias": bias})
    mutant.validate()
    build = design.accelerator_build(art.spec, BLOCK_RAM, art)
    beats = real_beats(art.spec.preprocess, "DS2", 10)
    job = Job(tmp_path / "sim", ResultLayout.of(art.spec))
    out = job.classify(mutant, beats, fail_on_mismatch=False)
    runner.run(build, TEST_MODULE, test_dir=job.dir / "run", env=job.env(), tests=["run_job"])
    got = read_outcome(out)
    assert got.received == len(beats) and got.mismatches > 0, got.report


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
    assert load_artifact(shipped("inter")).spec.n_if == 0
