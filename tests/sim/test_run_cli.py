"""`make sim` (`python -m ecg_snn.sim.run`): report, exit status and messages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.sim import run
from ecg_snn.sim.accel import limits
from ecg_snn.sim.accel.shards import Merged
from ecg_snn.sim.tb import runner

KEYS = {
    "model",
    "beats",
    "random_vectors",
    "mismatches",
    "cycles_per_inference",
    "wall_seconds",
    "beats_per_second",
    "sim_cpu_seconds",
    "cpu_seconds",
    "load_average",
}


def _sim(tmp_path: Path, argv: list[str]) -> int:
    """`python -m ecg_snn.sim.run` with its work folder in the test's tmp_path (not build/)."""
    return run.main([*argv, "--work", str(tmp_path / "work")])


def _small_run(model_artifact: Artifact, tmp_path: Path, *extra: str) -> dict:
    """`make sim` on 20 DS2 beats and 40 random/corner vectors, 2 jobs; its report."""
    model = model_artifact.save(tmp_path / "model.json")
    report = tmp_path / "sim.json"
    argv = ["--model", str(model), "--beats", "20", "--random", "40", "--jobs", "2"]
    assert _sim(tmp_path, [*argv, "--report", str(report), *extra]) == 0
    r = json.loads(report.read_text())
    assert set(r) >= KEYS
    assert (r["beats"], r["random_vectors"], r["mismatches"]) == (20, 40, 0)
    c = r["cycles_per_inference"]
    assert 0 < c["mean"] <= c["max"] and c["p50"] <= c["max"]
    # The simulator processes' CPU is counted (each one's start-up alone takes ~1 s).
    assert 0.5 < r["sim_cpu_seconds"] <= r["cpu_seconds"]
    # every Verilator run's cycles equal the cycle model's, not only the random points'
    assert r["cycle_mismatches"] == 0
    return r


def test_small_run_writes_the_report(accel_build, model_artifact, mitdb_dir, tmp_path, capsys):
    """Without the limit cases and the random points (`make test-fast`): the bins they would
    fill are reported, not failed."""
    r = _small_run(model_artifact, tmp_path, "--limits", "none", "--space", "none")
    assert "0 mismatches" in capsys.readouterr().out
    assert r["limits"] == [] and r["space"] == [] and not r["failures"]
    assert "lanes=7" in r["coverage"]["empty_bins"]


@pytest.mark.slow
def test_small_run_with_every_limit_case_and_random_point(
    accel_build: runner.Build,
    model_artifact: Artifact,
    mitdb_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    r = _small_run(model_artifact, tmp_path, "--space-vectors", "1")
    out = capsys.readouterr().out
    assert "0 mismatches" in out
    # The directed limit cases ran on their own builds, exactly, and filled every bin.
    assert [x["case"] for x in r["limits"]] == list(limits.CASES)
    assert all(x["mismatches"] == 0 and not x["failures"] for x in r["limits"])
    assert all(x["cycle_mismatches"] == 0 for x in r["limits"])
    # One random point per lane count 1..16 on the Amaranth simulator, exactly.
    assert [x["lanes"] for x in r["space"]] == list(range(1, 17))
    assert all(x["mismatches"] == x["cycle_mismatches"] == 0 for x in r["space"])
    assert r["coverage"]["empty_bins"] == [] and all(r["coverage"]["bins"].values())
    assert {f"lanes={n}" for n in range(1, 17)} <= set(r["coverage"]["bins"])
    assert f"{len(r['coverage']['bins'])} of {len(r['coverage']['bins'])} bins hit" in out


def test_an_empty_coverage_bin_fails_the_run(
    accel_build: runner.Build,
    model_artifact: Artifact,
    mitdb_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without the T = 1024 case, and with random points on 1 and 16 lanes only, those bins stay
    empty: exit 1, named (T=1024 and the lane counts no run used)."""
    model = model_artifact.save(tmp_path / "model.json")
    argv = ["--model", str(model), "--beats", "5", "--random", "20", "--limits", "if,ssf",
            "--space", "1,16", "--space-vectors", "1"]  # fmt: skip
    assert _sim(tmp_path, [*argv, "--report", str(tmp_path / "sim.json")]) == 1
    err = capsys.readouterr().err
    assert "coverage bins never hit: " in err and "T=1024" in err
    empty = json.loads((tmp_path / "sim.json").read_text())["coverage"]["empty_bins"]
    assert "T=1024" in empty
    # model: 8 lanes; limit cases if, ssf: 3 and 2 lanes; random points: 1 and 16
    lanes = {b for b in empty if b.startswith("lanes=")}
    assert lanes == {f"lanes={n}" for n in (4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15)}
    assert "lanes=15" in err


def test_bad_space_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for bad in ("0", "17", "x"):
        assert _sim(tmp_path, ["--space", bad, "--report", str(tmp_path / "s.json")]) == 2
        assert "--space takes all, none or lane counts in 1..16" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


def test_missing_model_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert _sim(tmp_path, ["--model", str(tmp_path / "none.json")]) == 2
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
        from ecg_snn.model.contract import golden

        gold = golden.run(artifact, vectors.x[:, None, :], vectors.rr)
        values = gold.values.copy()
        values[3, 0] += 1
        msg = f"record {vectors.record[3]} beat {vectors.index[3]}: values: [0] ..."
        return Merged(gold.cls, values, np.ones(len(vectors), np.int64), 1, msg, [])

    monkeypatch.setattr(run, "run_sharded", fake)
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
        "--space",
        "none",
        "--report",
        str(tmp_path / "sim.json"),
    ]
    assert _sim(tmp_path, argv) == 1
    err = capsys.readouterr().err
    assert "first mismatch: record DS2:" in err and "beat 3: values: [0]" in err


def test_a_cycle_count_off_the_model_fails_the_run(
    model_artifact: Artifact,
    mitdb_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Right classes and values, one beat a cycle slower than the cycle model: the Verilator
    run fails and names the beat (a bench or RTL change that moved the cycles-per-inference
    figure cannot pass)."""
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.hw.cycles import inference_cycles

    def fake(build, artifact, vectors, workdir, **kw) -> Merged:
        from ecg_snn.model.contract import golden

        gold = golden.run(artifact, vectors.x[:, None, :], vectors.rr)
        cycles = inference_cycles(artifact, HwConfig(), vectors.x[:, None, :], vectors.rr)
        cycles[2] += 1
        return Merged(gold.cls, gold.values, cycles, 0, "", [])

    monkeypatch.setattr(run, "run_sharded", fake)
    model = model_artifact.save(tmp_path / "model.json")
    argv = ["--model", str(model), "--beats", "5", "--random", "30", "--limits", "none"]
    argv += ["--space", "none", "--report", str(tmp_path / "sim.json")]
    assert _sim(tmp_path, argv) == 1
    err = capsys.readouterr().err
    assert "1 cycle mismatches, first: record DS2:" in err and "(vector 2)" in err
    assert json.loads((tmp_path / "sim.json").read_text())["cycle_mismatches"] == 1


@pytest.fixture
def no_mitdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No MIT-BIH anywhere, and no network: any attempt to read or fetch it fails loudly."""
    from ecg_snn.data import locate

    monkeypatch.delenv("MITDB_DIR", raising=False)
    nowhere = tmp_path / "nowhere"
    monkeypatch.setattr(locate, "candidate_dirs", lambda: [nowhere / "mitdb"])

    def offline(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr("wfdb.dl_database", offline)
    return nowhere


def _test_beats(artifact: Artifact, path: Path, n: int = 6) -> Path:
    """A retrain's test_beats.npz for `artifact`: chip inputs of beat-like windows."""
    from ecg_snn.model.contract.frontend import preprocess_beats

    pre = artifact.spec.preprocess
    t = np.arange(pre.window)
    windows = np.array([(200 + 40 * k) * np.exp(-0.5 * ((t - pre.before) / 4) ** 2)
                        for k in range(n)]).astype(np.int64)  # fmt: skip
    rr = np.tile([[300, 310, 305]], (n, 1))
    record = np.array([f"p/r{k}" for k in range(n)])
    x, feats = preprocess_beats(pre, windows, rr, record)  # one beat per record
    np.savez_compressed(path, x=x.astype(np.int32), rr=feats.astype(np.int32),
                        y=np.zeros(n, np.int32), record=record)  # fmt: skip
    return path


def test_vectors_and_random_only_run_without_mitdb(
    accel_build: runner.Build,
    model_artifact: Artifact,
    no_mitdb: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`make sim MODEL=... VECTORS=test_beats.npz` and `BEATS=0` never touch MIT-BIH."""
    model = model_artifact.save(tmp_path / "model.json")
    beats = _test_beats(model_artifact, tmp_path / "test_beats.npz")
    report = tmp_path / "sim.json"
    common = ["--model", str(model), "--random", "20", "--jobs", "1", "--report", str(report),
              "--limits", "none", "--space", "none"]  # fmt: skip
    assert _sim(tmp_path, [*common, "--vectors", str(beats)]) == 0, capsys.readouterr().err
    r = json.loads(report.read_text())
    assert (r["beats"], r["random_vectors"], r["mismatches"]) == (6, 20, 0)
    assert r["vectors"] == str(beats) and r["parts"] == [str(beats)]
    assert _sim(tmp_path, [*common, "--beats", "0"]) == 0
    assert json.loads(report.read_text())["beats"] == 0
    assert not no_mitdb.exists()  # nothing downloaded, no empty folder left


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"x": np.zeros((3, 1, 5)), "rr": np.zeros((3, 4))}, "do not fit this model's inputs"),
        ({"rr": np.zeros((3, 4))}, "needs arrays x"),
        (None, "no vectors at"),
    ],
    ids=["shape", "no-x", "missing"],
)
def test_bad_vectors_file(
    model_artifact: Artifact, no_mitdb: Path, tmp_path: Path, capsys, arrays, match
) -> None:
    model = model_artifact.save(tmp_path / "model.json")
    path = tmp_path / "v.npz"
    if arrays is not None:
        np.savez(path, **arrays)
    work = tmp_path / "work"
    argv = ["--model", str(model), "--vectors", str(path), "--work", str(work),
            "--report", str(tmp_path / "sim.json")]  # fmt: skip
    assert _sim(tmp_path, argv) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert not work.exists() and not (tmp_path / "sim.json").exists()


def test_out_of_range_vectors_are_refused(model_artifact: Artifact, tmp_path: Path) -> None:
    path = _test_beats(model_artifact, tmp_path / "v.npz")
    arrays = dict(np.load(path))
    arrays["x"] = arrays["x"] * 0 + model_artifact.spec.preprocess.input_range[1] + 1
    np.savez(path, **arrays)
    with pytest.raises(run.MissingInputError, match="outside the model's input ranges"):
        run.load_vectors(path, model_artifact, None)
