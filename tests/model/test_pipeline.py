"""A tiny end-to-end run (a few hundred beats, one epoch): files, report keys, resume, errors."""

import json

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.looks import rows
from ecg_snn.model.pipeline import cli
from ecg_snn.model.train import CheckpointError, load_checkpoint


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, mitdb_dataset):
    root = tmp_path_factory.mktemp("train")
    args = [
        "--split", "inter", "--max-beats", "300", "--epochs", "1", "--ft-epochs", "1",
        "--T", "4", "--no-sweeps", "--quiet", "--out", str(root / "m.json"),
        "--report-dir", str(root / "reports"), "--checkpoint-dir", str(root / "ckpt"),
    ]  # fmt: skip
    assert cli(args) == 0
    return root, args


def test_tiny_run_writes_artifact_and_report(tiny_run):
    root, _ = tiny_run
    report = json.loads((root / "reports" / "train.json").read_text())
    for key in ("split", "T", "weight_bits", "conversion_loss_pp", "spikes_per_inference",
                "synops_per_inference", "spike_rate", "train_seconds"):  # fmt: skip
        assert key in report, key
    for view in ("cnn_float", "snn_float", "snn_int"):
        assert set(report[view]["per_class"]) == {"N", "S", "V", "F"}
        assert set(report[view]["per_class"]["S"]) == {"se", "ppv", "f1"}
    assert report["torch_int_matches_golden"] is True
    art = load_artifact(root / "m.json")
    assert art.meta["metrics"]["snn_int"]["accuracy"] == report["snn_int"]["accuracy"]
    assert art.spec.T == 4 and art.meta["split"] == "inter"


def test_make_train_defaults_are_the_shipped_inter_recipe(tiny_run):
    """`make train` (no options) trains the shipped model's front end and head: v3's seven RR
    inputs, the S row untied, no output offsets."""
    from ecg_snn.model.shipped import shipped

    root, _ = tiny_run
    art, ship = load_artifact(root / "m.json"), load_artifact(shipped("inter"))
    report = json.loads((root / "reports" / "train.json").read_text())
    assert art.spec.preprocess == ship.spec.preprocess
    # the same layers and RR inputs (widths come from each run's range analysis)
    shape = [(lay.name, lay.kind, lay.rr_inputs, lay.neuron) for lay in art.spec.layers]
    assert shape == [(lay.name, lay.kind, lay.rr_inputs, lay.neuron) for lay in ship.spec.layers]
    assert report["tie_out"] == [] and art.meta["output_offsets"] == [0.0] * 4


def test_resume_from_checkpoint_gives_the_same_model(tiny_run):
    root, args = tiny_run
    first = load_artifact(root / "m.json")
    assert cli([*args, "--resume"]) == 0  # every epoch is done: loads, trains nothing
    again = load_artifact(root / "m.json")
    for key, value in first.tensors.items():
        np.testing.assert_array_equal(again.tensors[key], value)


def test_truncated_checkpoint_is_a_clear_error(tiny_run, tmp_path):
    root, _ = tiny_run
    data = (root / "ckpt" / "inter_cnn.pt").read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="unreadable checkpoint"):
        load_checkpoint(bad, {})


def test_checkpoint_of_another_configuration_is_refused(tiny_run):
    root, _ = tiny_run
    with pytest.raises(CheckpointError, match="another configuration"):
        load_checkpoint(root / "ckpt" / "inter_cnn.pt", {"train": "other"})


def test_v3_front_end_untied_tiny_run(tmp_path, mitdb_dataset):
    """--rr-features with the patient features and --untie reach the artifact and the report."""
    features = ["prev_ratio", "next_ratio", "prev", "local", "tmpl_dist", "tmpl_qrs", "irreg"]
    args = [
        "--split", "inter", "--max-beats", "300", "--epochs", "1", "--ft-epochs", "1",
        "--seeds", "--untie", "--rr-features", *features, "--no-sweeps", "--quiet",
        "--out", str(tmp_path / "m.json"), "--report-dir", str(tmp_path / "reports"),
        "--checkpoint-dir", str(tmp_path / "ckpt"),
    ]  # fmt: skip
    assert cli(args) == 0
    report = json.loads((tmp_path / "reports" / "train.json").read_text())
    assert report["tie_out"] == [] and report["torch_int_matches_golden"] is True
    art = load_artifact(tmp_path / "m.json")
    assert list(art.spec.preprocess.rr_features) == features
    assert all(lay.rr_inputs in (0, len(features)) for lay in art.spec.layers)


def test_unknown_rr_feature_is_a_one_line_error_before_any_work(tmp_path):
    with pytest.raises(SystemExit, match="make train: preprocess: unknown RR features"):
        cli(["--rr-features", "prev_ratio", "tmpl_nope", "--out", str(tmp_path / "m.json")])
    assert not (tmp_path / "m.json").exists()


def test_a_ds2_run_logs_its_look(tiny_run, ds2_look_log):
    root, _ = tiny_run
    report = json.loads((root / "reports" / "train.json").read_text())
    logged = [r for r in rows(ds2_look_log.read_text()) if "make train" in r]
    assert logged and report["artifact_sha256"][:12] in logged[0]


def test_an_explore_points_train_args_train_its_network(tmp_path, mitdb_dataset):
    """`Point.train_args()` (what `make train` needs to ship a search's pick) reach the artifact:
    its conv channels and kernels, dense width, T, weight bits and neuron mode."""
    from ecg_snn.explore.space import Point

    point = Point(c0=4, k0=5, c1=8, k1=3, dense=16, T=2, weight_bits=6, lanes=4)
    args = [
        *point.train_args(), "--split", "inter", "--max-beats", "300", "--epochs", "1",
        "--ft-epochs", "1", "--seeds", "--no-sweeps", "--quiet", "--out", str(tmp_path / "m.json"),
        "--report-dir", str(tmp_path / "reports"), "--checkpoint-dir", str(tmp_path / "ckpt"),
    ]  # fmt: skip
    assert cli(args) == 0
    spec = load_artifact(tmp_path / "m.json").spec
    assert [lay.out_channels for lay in spec.layers[:3]] == [4, 8, 16]
    assert [lay.kernel for lay in spec.layers[:2]] == [5, 3]
    assert spec.T == 2 and {lay.weight_bits for lay in spec.layers} == {6}
    assert all(lay.neuron == "ssf" for lay in spec.layers[:3])


@pytest.mark.parametrize("shape", [["8", "99", "8", "3", "48"], ["0", "7", "8", "3", "48"]])
def test_a_shape_the_converter_cannot_take_is_a_one_line_error(tmp_path, shape):
    with pytest.raises(SystemExit, match="make train: --shape: "):
        cli(["--shape", *shape, "--out", str(tmp_path / "m.json")])
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [("--weight-bits", "0"), ("--weight-bits", "17"), ("--dropout", "1.5"), ("--eta", "-1")],
)
def test_an_option_out_of_range_is_a_one_line_error_before_training(tmp_path, option, value):
    with pytest.raises(SystemExit, match=f"make train: {option} must be in "):
        cli([option, value, "--out", str(tmp_path / "m.json")])
    assert not (tmp_path / "m.json").exists()
