"""The artifact file: round trip, checksum, schema version and the overflow proof."""

import dataclasses
import hashlib
import json

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import SCHEMA_VERSION, ArtifactError, load_artifact
from ecg_snn.model.contract.spec import LayerSpec, Preprocess
from ecg_snn.model.random_artifact import random_artifact


@pytest.fixture
def artifact():
    return random_artifact(np.random.default_rng(7))


def test_round_trip_keeps_every_integer_and_the_spec(artifact, tmp_path):
    path = artifact.save(tmp_path / "m.json")
    back = load_artifact(path)
    assert back.spec == artifact.spec
    assert back.tensors.keys() == artifact.tensors.keys()
    for key, value in artifact.tensors.items():
        np.testing.assert_array_equal(back.tensors[key], value)
    assert back.spec.hardware_id() == artifact.spec.hardware_id()


def test_hardware_id_ignores_loadable_values_but_not_shapes(artifact):
    first = artifact.spec.layers[0]
    retrained = dataclasses.replace(first, threshold=first.threshold + 1)
    same_hw = dataclasses.replace(artifact.spec, layers=(retrained, *artifact.spec.layers[1:]))
    assert same_hw.hardware_id() == artifact.spec.hardware_id()
    assert dataclasses.replace(artifact.spec, T=artifact.spec.T + 1).hardware_id() != (
        artifact.spec.hardware_id()
    )


def test_truncated_file_is_rejected(artifact, tmp_path):
    path = artifact.save(tmp_path / "m.json")
    path.write_text(path.read_text()[: len(path.read_text()) // 2])
    with pytest.raises(ArtifactError, match="truncated or corrupt"):
        load_artifact(path)


def test_modified_file_fails_its_checksum(artifact, tmp_path):
    path = artifact.save(tmp_path / "m.json")
    body = json.loads(path.read_text())
    body["tensors"]["conv0.bias"]["data"][0] += 1
    path.write_text(json.dumps(body))
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        load_artifact(path)


def test_other_schema_version_is_rejected(artifact, tmp_path):
    path = artifact.save(tmp_path / "m.json")
    body = json.loads(path.read_text())
    body["version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(body))
    with pytest.raises(ArtifactError, match=f"schema version {SCHEMA_VERSION + 1}"):
        load_artifact(path)


def test_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ArtifactError, match="make train"):
        load_artifact(tmp_path / "none.json")


def test_weight_outside_its_width_is_rejected(artifact):
    artifact.tensors["conv1.weight"][0, 0, 0] = 1 << 10
    with pytest.raises(ArtifactError, match="outside the 6-bit range"):
        artifact.validate()


def test_accumulator_too_narrow_for_the_weights_does_not_fit(artifact):
    layer = artifact.spec.layers[1]
    narrow = dataclasses.replace(layer, acc_bits=layer.acc_bits - 1)
    layers = list(artifact.spec.layers)
    layers[1] = narrow
    artifact.spec = dataclasses.replace(artifact.spec, layers=tuple(layers))
    with pytest.raises(ArtifactError, match="does not fit this hardware configuration"):
        artifact.validate()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "maxpool", "unsupported kind 'maxpool'"),
        ("weight_bits", 17, "weight_bits 17 outside"),
        ("membrane_bits", 40, "membrane_bits 40 outside"),
        ("threshold", 0, "threshold 0 outside"),
    ],
    ids=["layer-kind", "weight-width", "membrane-width", "threshold"],
)
def test_spec_limits_are_enforced(artifact, field, value, message):
    layers = list(artifact.spec.layers)
    layers[1] = dataclasses.replace(layers[1], **{field: value})
    artifact.spec = dataclasses.replace(artifact.spec, layers=tuple(layers))
    with pytest.raises(ArtifactError, match=message):
        artifact.validate()


def test_save_is_atomic_and_refuses_an_invalid_artifact(artifact, tmp_path):
    artifact.tensors["conv0.bias"] = artifact.tensors["conv0.bias"][:1]
    with pytest.raises(ArtifactError, match="shape"):
        artifact.save(tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def _changed(value: object, field: str) -> object:
    """Another value of the same kind (the id is computed on it, not validated)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, tuple):
        return value[:-1] if value else ("prev",)
    return {
        "neuron": {"if": "ssf", "ssf": "if"},
        "kind": {"dense": "conv1d", "conv1d": "dense"},
    }.get(field, {}).get(value, f"{value}x")


LAYER_FIELDS = [f.name for f in dataclasses.fields(LayerSpec)]
PRE_FIELDS = [f.name for f in dataclasses.fields(Preprocess)]


@pytest.mark.parametrize("field", LAYER_FIELDS, ids=LAYER_FIELDS)
def test_hardware_id_covers_every_layer_field_but_the_loadable_ones(artifact, field):
    """One artifact per field: any layer field but threshold and v_init (loaded as data) fixes
    the RTL, so changing it must change the id the loader and driver check (a neuron mode
    left out would let an IF chip load an ssf model)."""
    spec = artifact.spec
    for i, layer in enumerate(spec.layers):
        other = dataclasses.replace(layer, **{field: _changed(getattr(layer, field), field)})
        layers = (*spec.layers[:i], other, *spec.layers[i + 1 :])
        same = dataclasses.replace(spec, layers=layers).hardware_id() == spec.hardware_id()
        assert same == (field in ("threshold", "v_init")), f"layer {i}: {field}"


@pytest.mark.parametrize("field", [*PRE_FIELDS, "T", "classes", "decision"])
def test_hardware_id_covers_the_front_end_and_the_model_fields(artifact, field):
    spec = artifact.spec
    if field in PRE_FIELDS:
        pre = spec.preprocess
        changed = dataclasses.replace(
            spec,
            preprocess=dataclasses.replace(pre, **{field: _changed(getattr(pre, field), field)}),
        )
    elif field == "classes":
        changed = dataclasses.replace(spec, classes=(*spec.classes, "Z"))
    else:
        changed = dataclasses.replace(spec, **{field: _changed(getattr(spec, field), field)})
    assert changed.hardware_id() != spec.hardware_id()


def test_rhythm_gate_round_trips_is_named_only_when_on_and_leaves_the_chip_alone(
    artifact, tmp_path
):
    assert "rhythm_gate" not in artifact.spec.to_json()  # off: the file is as before the field
    # the random artifact's two RR inputs, one of them a patient feature (the gate needs one)
    pre = dataclasses.replace(artifact.spec.preprocess, rr_features=("prev_ratio", "irreg"))
    artifact = dataclasses.replace(
        artifact, spec=dataclasses.replace(artifact.spec, preprocess=pre)
    )
    gated = dataclasses.replace(artifact, spec=dataclasses.replace(artifact.spec, rhythm_gate=7))
    assert gated.spec.to_json()["rhythm_gate"] == 7
    back = load_artifact(gated.save(tmp_path / "gated.json"))
    assert back.spec.rhythm_gate == 7 and back.checksum() == gated.checksum()
    assert back.checksum() != artifact.checksum()
    assert back.spec.hardware_id() == artifact.spec.hardware_id()
    assert back.chip_checksum() == artifact.chip_checksum()
    moved = dataclasses.replace(artifact, tensors=dict(artifact.tensors), meta={"other": 1})
    assert moved.chip_checksum() == artifact.chip_checksum()  # meta is not the chip
    name = next(k for k in artifact.tensors if k.endswith(".bias"))
    moved.tensors[name] = moved.tensors[name] * 0
    assert moved.chip_checksum() != artifact.chip_checksum()


@pytest.mark.parametrize(
    ("classes", "gate", "message"),
    [
        (("N", "S", "V", "F"), -1, "rhythm_gate must be in 0.."),
        (("N", "S", "V", "F"), 1 << 20, "rhythm_gate must be in 0.."),
        (("N", "V"), 7, "needs the classes N and S"),
        (("N", "S", "V", "F"), 7, "needs the patient front end"),
    ],
)
def test_a_bad_rhythm_gate_is_refused(artifact, classes, gate, message):
    from ecg_snn.model.contract.spec import SpecError

    pre = artifact.spec.preprocess
    if "patient" not in message:  # give the others the patient front end the gate runs in
        pre = dataclasses.replace(pre, rr_features=(*pre.rr_features, "irreg"))
    spec = dataclasses.replace(artifact.spec, rhythm_gate=gate, classes=classes, preprocess=pre)
    with pytest.raises(SpecError, match=message):
        spec.validate()


@pytest.mark.parametrize("value", [7.9, "7", True, None])
def test_a_rhythm_gate_that_is_not_an_integer_is_refused_on_load(artifact, tmp_path, value):
    body = artifact.body()
    body["spec"]["rhythm_gate"] = value
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    body["sha256"] = hashlib.sha256(canonical.encode()).hexdigest()  # a well-formed file
    path = tmp_path / "m.json"
    path.write_text(json.dumps(body))
    with pytest.raises(ArtifactError, match="rhythm_gate must be an integer"):
        load_artifact(path)
