"""`make train` leaves the shipped artifact alone; `make ship` checks before it replaces one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ecg_snn.model import pipeline, ship
from ecg_snn.model.contract.artifact import load_artifact

SHIPPED = Path(__file__).resolve().parents[2] / "model" / "artifacts" / "inter.json"
TINY = ["--split", "inter", "--max-beats", "150", "--epochs", "1", "--ft-epochs", "0",
        "--no-sweeps", "--seeds", "--quiet"]  # fmt: skip


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, mitdb_dataset):
    """A tiny real training run (150 beats per set, one epoch) with the default artifact path,
    in a stand-in repository: where it writes is what the test is about."""
    root = tmp_path_factory.mktemp("repo")
    before = sha(SHIPPED)
    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline, "REPO", root)
    try:
        argv = [*TINY, "--report-dir", str(root / "r"), "--checkpoint-dir", str(root / "c")]
        assert pipeline.cli(argv) == 0
    finally:
        mp.undo()
    return root, before


def test_train_writes_build_and_never_the_shipped_artifact(tiny, capsys):
    root, before = tiny
    assert (root / "build" / "artifacts" / "inter.json").is_file()
    assert not (root / "model").exists()  # the stand-in's shipped folder was never created
    assert sha(SHIPPED) == before  # and the real one is byte for byte the same
    report = json.loads((root / "r" / "train.json").read_text())
    assert report["artifact_sha256"] == load_artifact(report["artifact"]).checksum()


def test_ship_refuses_a_smoke_model_and_leaves_the_target(tiny, tmp_path, capsys):
    root, _ = tiny
    target = tmp_path / "shipped.json"
    target.write_bytes(SHIPPED.read_bytes())
    new = root / "build" / "artifacts" / "inter.json"
    assert ship.main(["--model", str(new), "--to", str(target)]) == 1
    err = capsys.readouterr().err
    assert "not shipped" in err and "--max-beats 150" in err and err.count("\n") == 1
    assert target.read_bytes() == SHIPPED.read_bytes()


def test_ship_checks_then_replaces_in_one_line(tiny, tmp_path, capsys):
    root, _ = tiny
    target = tmp_path / "shipped.json"
    target.write_bytes(SHIPPED.read_bytes())
    new = root / "build" / "artifacts" / "inter.json"
    assert ship.main(["--model", str(new), "--to", str(target), "--force"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("make ship: shipped:")
    assert "reproduced by the golden model" in out and "the replaced one" in out
    assert "DS2 look" in out
    assert target.read_bytes() == new.read_bytes()


def test_ship_refuses_integers_that_were_not_scored(tiny, tmp_path, capsys):
    """An artifact whose recorded figures the golden model does not reproduce (its integers
    changed after training, re-saved with a valid checksum) is refused."""
    root, _ = tiny
    art = load_artifact(root / "build" / "artifacts" / "inter.json")
    name = next(k for k in art.tensors if k.endswith("bias"))
    art.tensors[name] = art.tensors[name] + 7  # a different model, same shape and widths
    art.meta["metrics"]["snn_int"]["accuracy"] = 0.123  # cannot be what the golden gives
    new = art.save(tmp_path / "edited.json")
    target = tmp_path / "shipped.json"
    target.write_bytes(SHIPPED.read_bytes())
    assert ship.main(["--model", str(new), "--to", str(target), "--force"]) == 1
    assert "the integers are not the ones that were scored" in capsys.readouterr().err
    assert target.read_bytes() == SHIPPED.read_bytes()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text[:-200], "truncated or corrupt"),
        (lambda text: text.replace('"split": "inter"', '"split": "intra"', 1), "checksum"),
    ],
    ids=["truncated", "edited"],
)
def test_ship_refuses_a_bad_file(tiny, tmp_path, capsys, edit, message):
    root, _ = tiny
    bad = tmp_path / "bad.json"
    bad.write_text(edit((root / "build" / "artifacts" / "inter.json").read_text()))
    target = tmp_path / "shipped.json"
    target.write_bytes(b"old")
    assert ship.main(["--model", str(bad), "--to", str(target), "--force"]) == 1
    assert message in capsys.readouterr().err
    assert target.read_bytes() == b"old"


def test_ship_without_a_new_artifact_names_the_target_to_run(tmp_path, capsys):
    assert ship.main(["--split", "intra", "--model", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert "run `make train SPLIT=intra` first" in err and err.count("\n") == 1


def test_ship_names_the_shipped_file_in_the_runs_training_report(tmp_path):
    """After shipping, the training report of that artifact (matched by checksum) names the
    shipped file, the one the docs quote, and keeps where the run wrote it; a report of
    another artifact is left alone."""
    art = load_artifact(SHIPPED)
    mine = {"artifact": "build/artifacts/inter.json", "artifact_sha256": art.checksum()}
    other = {"artifact": "build/artifacts/inter.json", "artifact_sha256": "0" * 64}
    (tmp_path / "train_inter.json").write_text(json.dumps(mine))
    (tmp_path / "train.json").write_text(json.dumps(other))
    assert ship.name_shipped("inter", art, SHIPPED, tmp_path) == [tmp_path / "train_inter.json"]
    r = json.loads((tmp_path / "train_inter.json").read_text())
    assert r["artifact"] == "model/artifacts/inter.json"
    assert r["trained_to"] == "build/artifacts/inter.json"
    assert json.loads((tmp_path / "train.json").read_text()) == other
