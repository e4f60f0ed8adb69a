"""The accelerator's RTL against the golden model on Verilator: bit-exact on real beats, random
and corner vectors, through the load port, for two different models on one build; idle
insertion, back-pressure, mid-inference reset; and the checkers' negative tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.cycles import inference_cycles
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.model.variants import perturbed, tied
from ecg_snn.sim.accel import coverage, design, limits
from ecg_snn.sim.accel.job import Job, read_outcome
from ecg_snn.sim.accel.shards import TEST_MODULE
from ecg_snn.sim.accel.vectors import Vectors, random_and_corners, real_beats
from ecg_snn.sim.tb import hdl_player, runner

REAL_BEATS = 200  # per part (DS2 and intra_test): a real slice that keeps `make test` short
RANDOM = 400


def _run(build: runner.Build, job: Job, tests: list[str]) -> list[runner.TestResult]:
    return runner.run(build, TEST_MODULE, test_dir=job.dir / "run", env=job.env(), tests=tests)


def _assert_passed(results: list[runner.TestResult], expected: int) -> None:
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert not failed, "\n".join(failed)
    assert len(results) == expected, [r.name for r in results]


@pytest.fixture(scope="module")
def beats(mitdb_dir: Path, model_artifact: Artifact) -> Vectors:
    """Real beats from both test sets, through the artifact's integer front end."""
    pre = model_artifact.spec.preprocess
    return Vectors.concat(
        [real_beats(pre, "DS2", REAL_BEATS), real_beats(pre, "intra_test", REAL_BEATS)]
    )


def test_bit_exact_real_random_corners(
    accel_build: runner.Build, model_artifact: Artifact, beats: Vectors, sim_dir: Path
) -> None:
    vectors = Vectors.concat([beats, random_and_corners(model_artifact, RANDOM, seed=1)])
    job = Job(sim_dir, ResultLayout.of(model_artifact.spec))
    job.load(model_artifact)
    out = job.classify(model_artifact, vectors)
    _assert_passed(_run(accel_build, job, ["run_job"]), 1)
    got = read_outcome(out)
    assert got.received == len(vectors) and got.mismatches == 0, got.report
    gold = golden.run(model_artifact, vectors.x[:, None, :], vectors.rr)
    np.testing.assert_array_equal(got.cls, gold.cls)  # independent of the scoreboard
    np.testing.assert_array_equal(got.values, gold.values)
    # Cycle accuracy: the RTL's latency per real beat is exactly what the hw cycle model
    # (replayed from the golden spike trace) predicts.
    n = len(beats)
    np.testing.assert_array_equal(
        got.cycles[:n],
        inference_cycles(model_artifact, HwConfig(), beats.x[:, None, :], beats.rr),
    )


def test_second_artifact_same_build(
    accel_build: runner.Build, model_artifact: Artifact, beats: Vectors, sim_dir: Path
) -> None:
    """Load, classify; load a different model (and one whose decisions all tie), classify;
    load the first again: every result follows the model currently loaded."""
    rng = np.random.default_rng(7)
    other = perturbed(model_artifact, rng)
    tie = tied(model_artifact)
    assert not np.array_equal(weight_image(other), weight_image(model_artifact))
    vectors = Vectors.concat([beats[:100], random_and_corners(model_artifact, 150, seed=2)])
    assert (
        coverage.measure(tie, vectors.x, vectors.rr)["ties"] > len(vectors) // 2
    )  # the tie rule is exercised
    job = Job(sim_dir, ResultLayout.of(model_artifact.spec))
    outs = []
    for name, art in (
        ("first", model_artifact),
        ("second", other),
        ("tied", tie),
        ("first_again", model_artifact),
    ):
        job.load(art, name=f"image_{name}")
        outs.append(job.classify(art, vectors, name=name))
    _assert_passed(_run(accel_build, job, ["run_job"]), 1)
    results = [read_outcome(o) for o in outs]
    assert all(r.mismatches == 0 and r.received == len(vectors) for r in results)
    assert not np.array_equal(results[0].values, results[1].values), "the reload changed nothing"
    np.testing.assert_array_equal(results[0].values, results[3].values)


def test_bad_images_rejected(
    accel_build: runner.Build, model_artifact: Artifact, sim_dir: Path
) -> None:
    """Wrong checksum, hardware id, length word or magic: `load_error`, not `loaded`. A
    truncated image leaves the loader waiting (neither flag) until a reset. A good image after
    all that loads and classifies exactly."""
    good = weight_image(model_artifact)
    job = Job(sim_dir, ResultLayout.of(model_artifact.spec))
    for name, word in (("checksum", -1), ("hwid", 1), ("length", 2), ("magic", 0)):
        bad = good.copy()
        bad[word] ^= 0x100
        job.load(model_artifact, name=name, words=bad, expect="error")
    job.load(model_artifact, name="short", words=good[:-2], expect="incomplete")
    job.reset()
    job.load(model_artifact)
    out = job.classify(model_artifact, random_and_corners(model_artifact, 60, seed=3))
    _assert_passed(_run(accel_build, job, ["run_job"]), 1)
    assert read_outcome(out).mismatches == 0


def test_pauses_reset_and_negative(
    accel_build: runner.Build, model_artifact: Artifact, beats: Vectors, sim_dir: Path
) -> None:
    """Idle insertion x back-pressure (9 crossings), reset mid-beat and mid-inference followed
    by clean back-to-back beats, and a corrupted expectation that must be reported."""
    job = Job(sim_dir, ResultLayout.of(model_artifact.spec))
    job.load(model_artifact)
    job.classify(model_artifact, beats)
    results = _run(
        accel_build,
        job,
        ["pauses_crossed", "reset_mid_inference", "corrupted_expectation_is_caught"],
    )
    _assert_passed(results, 9 + 2)


def test_mutated_artifact_is_caught(
    accel_build: runner.Build, model_artifact: Artifact, beats: Vectors, sim_dir: Path
) -> None:
    """Negative test: the chip runs the real model, the expectations come from a copy with one
    output bias off by one; the scoreboard must report mismatches, naming record and beat."""
    last = model_artifact.spec.layers[-1]
    tensors = dict(model_artifact.tensors)
    bias = tensors[f"{last.name}.bias"].copy()
    bias[0] += 1 if bias[0] < (1 << (last.bias_bits - 1)) - 1 else -1
    tensors[f"{last.name}.bias"] = bias
    mutant = dataclasses.replace(model_artifact, tensors=tensors)
    mutant.validate()
    job = Job(sim_dir, ResultLayout.of(model_artifact.spec))
    job.load(model_artifact)
    out = job.classify(mutant, beats[:50], fail_on_mismatch=False)
    _assert_passed(_run(accel_build, job, ["run_job"]), 1)
    got = read_outcome(out)
    assert got.mismatches > 0, got.report
    first = got.first_mismatch
    assert first.startswith(f"record {beats.record[0]} beat {beats.index[0]}: values: [0]"), first


def test_player_equals_python_driver(
    accel_build: runner.Build, model_artifact: Artifact, beats: Vectors, sim_dir: Path
) -> None:
    """The wrapper's stream players and result recorder (`sim/tb/hdl_player.py`, what `make sim`
    runs) and the Python driver and sink (what the pause tests run) give the same class, values
    and cycles on the same beats; and the player really played them."""
    vectors = Vectors.concat([beats[:40], random_and_corners(model_artifact, 40, seed=4)])
    job = Job(sim_dir, ResultLayout.of(model_artifact.spec))
    job.load(model_artifact)
    played = job.classify(model_artifact, vectors, name="played")
    driven = job.classify(model_artifact, vectors, name="driven", player=False)
    _assert_passed(_run(accel_build, job, ["run_job"]), 1)
    a, b = read_outcome(played), read_outcome(driven)
    assert a.received == b.received == len(vectors) and a.mismatches == b.mismatches == 0
    np.testing.assert_array_equal(a.cls, b.cls)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.cycles, b.cycles)
    # The played run left its files: every sample word, and one result line per beat.
    run_dir = job.dir / "run"
    pre = model_artifact.spec.preprocess
    words = (vectors.x & ((1 << pre.input_bits) - 1)).ravel()
    width = hdl_player.word_bytes(pre.input_bits)
    got = np.frombuffer((run_dir / hdl_player.play_file("i_sample")).read_bytes(), np.uint8)
    assert len(got) == len(words) * width
    payloads, _ = hdl_player.read_recorded(run_dir / hdl_player.rec_file("o_result"))
    assert len(payloads) == len(vectors)


def test_hang_is_reported_through_player(
    accel_build: runner.Build, model_artifact: Artifact, sim_dir: Path
) -> None:
    """Negative: beats offered to a chip with no model loaded never get a result; the played
    run reports a hang after the watchdog instead of waiting forever."""
    job = Job(sim_dir, ResultLayout.of(model_artifact.spec))
    job.classify(model_artifact, random_and_corners(model_artifact, 2, seed=5)[:2])
    results = _run(accel_build, job, ["run_job"])
    assert len(results) == 1 and not results[0].passed
    assert "no result for" in results[0].message and "of 2 beats" in results[0].message


@pytest.mark.parametrize("name", ["if", "ssf"])
def test_limit_case_bit_exact(name: str, sim_dir: Path) -> None:
    """A directed limit artifact (`sim/accel/limits.py`: every membrane saturating at both ends,
    every register needing its last bit, ties) on Verilator: exact, also after a reset in the
    middle of an inference."""
    art, config, vectors = limits.case(name)
    cov = coverage.measure(art, vectors.x, vectors.rr)
    assert all(la["saturated_high"] + la["saturated_low"] for la in cov["layers"].values()), cov
    build = design.accelerator_build(art.spec, config, art, name=f"accel-limit-{name}")
    job = Job(sim_dir, ResultLayout.of(art.spec))
    if not config.rom:
        job.load(art)
    out = job.classify(art, vectors)
    _assert_passed(_run(build, job, ["run_job", "reset_mid_inference"]), 2)
    assert read_outcome(out).mismatches == 0


def test_a_load_that_never_happens_is_reported(sim_dir: Path) -> None:
    """Negative: an image offered to a ROM build (load port tied off) is a reported failure
    after a bounded wait, not a hang; its classify phase never runs."""
    art, config, vectors = limits.case("t1-rr-input")
    assert config.rom
    build = design.accelerator_build(art.spec, config, art, name="accel-limit-t1-rr-input")
    job = Job(sim_dir, ResultLayout.of(art.spec))
    job.load(art)
    job.classify(art, vectors[:2])
    results = _run(build, job, ["run_job"])
    assert len(results) == 1 and not results[0].passed
    assert "the load port took no image" in results[0].message, results[0].message
