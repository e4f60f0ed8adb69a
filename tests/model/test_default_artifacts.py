"""The committed default artifacts load and the golden model reproduces their recorded accuracy."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import SCHEMA_VERSION, ArtifactError, load_artifact
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.splits import CLASSES, TEST_PART, to_beats

ARTIFACTS = Path(__file__).resolve().parents[2] / "model" / "artifacts"


def dataset_for(pre, mitdb_dir):
    """The beats cut as the artifact's preprocessing says (window, RR averaging)."""
    from ecg_snn.data.beats import BeatConfig
    from ecg_snn.data.dataset import load_dataset

    config = BeatConfig(
        before=pre.before, after=pre.after, fs=pre.fs, gain=pre.gain,
        local_rr_beats=pre.local_rr_beats,
    )  # fmt: skip
    return load_dataset(mitdb_dir, config=config, progress=False)


@pytest.mark.parametrize("split", ["inter", "intra"])
def test_golden_reproduces_the_recorded_accuracy(split, mitdb_dir):
    art = load_artifact(ARTIFACTS / f"{split}.json")
    assert art.meta["split"] == split and art.spec.classes == CLASSES[split]
    pre = art.spec.preprocess
    ds = dataset_for(pre, mitdb_dir)
    # the patient features (v3) see every beat of a record, also those of the other part
    beats = to_beats(ds, pre, len(CLASSES[split]), ds.part_mask(TEST_PART[split][1]))
    res = golden.run(art, beats.x, beats.rr)
    reported = beats.reported(art.spec, res.cls)  # the chip's class through the rhythm gate
    m = classification_metrics(beats.y, reported, art.spec.classes)
    recorded = art.meta["metrics"]["snn_int"]
    assert m["accuracy"] == recorded["accuracy"]
    assert m["confusion"] == recorded["confusion"]
    # the inter model's gate acts on real beats (and the figures need it); intra has none
    assert (art.spec.rhythm_gate > 0) == (split == "inter")
    assert (reported != res.cls).any() == (split == "inter")
    without = dataclasses.replace(beats, rhythm=None)
    if art.spec.rhythm_gate:
        with pytest.raises(ValueError, match="rhythm measure"):
            without.reported(art.spec, res.cls)
    assert np.isclose(res.spikes.sum(1).mean(), art.meta["spikes_per_inference"])


@pytest.fixture
def inter_copy(tmp_path):
    path = tmp_path / "inter.json"
    path.write_text((ARTIFACTS / "inter.json").read_text())
    return path


def test_truncated_default_artifact_is_rejected(inter_copy):
    text = inter_copy.read_text()
    inter_copy.write_text(text[: len(text) - 100])
    with pytest.raises(ArtifactError, match="truncated or corrupt"):
        load_artifact(inter_copy)


def test_other_schema_version_is_rejected(inter_copy):
    body = json.loads(inter_copy.read_text())
    body["version"] = SCHEMA_VERSION + 1
    inter_copy.write_text(json.dumps(body))
    with pytest.raises(ArtifactError, match="schema version"):
        load_artifact(inter_copy)


def test_tampered_threshold_fails_the_checksum(inter_copy):
    body = json.loads(inter_copy.read_text())
    body["spec"]["layers"][0]["threshold"] += 1
    inter_copy.write_text(json.dumps(body))
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        load_artifact(inter_copy)


def test_widths_beyond_the_spec_are_rejected(inter_copy):
    body = json.loads(inter_copy.read_text())
    body["spec"]["layers"][1]["membrane_bits"] = 40
    body.pop("sha256")
    from ecg_snn.model.contract.artifact import _digest

    body["sha256"] = _digest(body)
    inter_copy.write_text(json.dumps(body))
    with pytest.raises(ArtifactError, match=r"membrane_bits 40 outside 2\.\.32"):
        load_artifact(inter_copy)
