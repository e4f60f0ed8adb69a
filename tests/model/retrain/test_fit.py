"""Quantizing into the base hardware: round trip, deliberate rescaling, refusal."""

import dataclasses

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.retrain.errors import RetrainError
from ecg_snn.model.retrain.finetune import arch_from_spec, float_layers_from_artifact
from ecg_snn.model.retrain.fit import fit_to_base


def test_base_round_trips_through_the_cnn(base_artifact):
    """Artifact -> float layers -> fit gives back the base artifact, integer for integer."""
    base = load_artifact(base_artifact)
    new, notes = fit_to_base(float_layers_from_artifact(base), base.spec)
    assert new.spec.hardware_config() == base.spec.hardware_config()
    assert new.spec == base.spec  # thresholds and v_init too
    assert all(np.array_equal(new.tensors[k], base.tensors[k]) for k in base.tensors)
    assert not any(n["rescaled"] for n in notes)


def test_layers_that_do_not_fit_are_rescaled(base_artifact):
    base = load_artifact(base_artifact)
    layers = float_layers_from_artifact(base)
    # biases far beyond what bias_bits holds at the natural threshold
    layers[2].bias = layers[2].bias * 2.0 ** base.spec.layers[2].bias_bits
    new, notes = fit_to_base(layers, base.spec)
    note = notes[2]
    assert note["rescaled"] and "bias_bits" in note["limited_by"]
    assert note["threshold"] < note["natural_threshold"]
    assert note["resolution_bits_lost"] >= 1
    assert new.spec.hardware_config() == base.spec.hardware_config()
    new.validate()


def test_a_layer_that_cannot_fit_is_refused(base_artifact):
    base = load_artifact(base_artifact)
    layers = float_layers_from_artifact(base)
    layers[1].bias = layers[1].bias + 1e12
    with pytest.raises(RetrainError, match=r"layer 'conv1'.*do not fit the base hardware"):
        fit_to_base(layers, base.spec)


def test_rr_on_another_layer_cannot_be_trained(base_artifact):
    base = load_artifact(base_artifact)
    layers = list(base.spec.layers)
    layers[2] = dataclasses.replace(layers[2], rr_inputs=0)
    layers[3] = dataclasses.replace(layers[3], rr_inputs=base.spec.n_rr)
    spec = dataclasses.replace(base.spec, layers=tuple(layers))
    with pytest.raises(RetrainError, match="feeds them to the first dense layer"):
        arch_from_spec(spec)


def test_mixed_neuron_modes_are_refused_and_all_ssf_is_trainable(base_artifact):
    base = load_artifact(base_artifact)
    layers = list(base.spec.layers)
    mixed = [dataclasses.replace(layers[1], neuron="ssf" if layers[1].neuron == "if" else "if")]
    spec = dataclasses.replace(base.spec, layers=tuple(layers[:1] + mixed + layers[2:]))
    with pytest.raises(RetrainError, match=r"mixes neuron modes \['if', 'ssf'\]"):
        arch_from_spec(spec)
    all_ssf = [dataclasses.replace(lay, neuron="ssf") for lay in layers]
    assert arch_from_spec(dataclasses.replace(base.spec, layers=tuple(all_ssf))).n_rr
