"""The pieces of the calibration: the output layer is affine in the counts the golden model
reports, an integer change moves the outputs by exactly what it should, changes stay within the
hardware's widths, the held-back split, and the jκ index by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ecg_snn.model.adapt.calibrate import holdout_mask
from ecg_snn.model.adapt.fit import apply_change, output_inputs
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, changed_integers
from ecg_snn.model.contract.frontend import uniform_inputs
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.random_artifact import random_artifact


def with_rr_into_output(art: Artifact, rng: np.random.Generator) -> Artifact:
    """`art` with the RR features also driving the output layer (as model v2 does)."""
    last = art.spec.layers[-1]
    n_rr = art.spec.n_rr
    layer = dataclasses.replace(last, rr_inputs=n_rr, const_bits=last.const_bits + 8)
    spec = dataclasses.replace(art.spec, layers=(*art.spec.layers[:-1], layer))
    tensors = {
        **art.tensors,
        f"{last.name}.rr_weight": rng.integers(-1, 2, (last.out_channels, n_rr)),
    }
    out = Artifact(spec=spec, tensors=tensors, meta={})
    out.validate()
    return out


@pytest.mark.parametrize("neuron", ["if", "ssf"])
@pytest.mark.parametrize("rr_out", [False, True], ids=["", "rr-into-output"])
def test_output_values_are_affine_in_the_counts_into_the_output_layer(neuron, rr_out):
    art = random_artifact(np.random.default_rng(3), neuron=neuron, T=5)
    if rr_out:
        art = with_rr_into_output(art, np.random.default_rng(5))
    x, rr = uniform_inputs(art.spec.preprocess, 300, np.random.default_rng(4))
    x //= 8  # quieter inputs and RR: fewer saturated membranes
    rr //= 8
    inputs = output_inputs(art, x, rr)
    last = art.spec.layers[-1]
    predicted = last.v_init + inputs.counts @ art.weight(last).T + art.spec.T * art.bias(last)
    if rr_out:
        assert inputs.rr.shape == rr.shape
        predicted += art.spec.T * (rr @ art.rr_weight(last).T)
        # the design matrix carries the RR term: [counts | T rr | T]
        np.testing.assert_array_equal(inputs.design[:, last.in_channels : -1], art.spec.T * rr)
    lo, hi = last.membrane_range
    unsaturated = (np.abs(predicted) < min(-lo, hi)).all(axis=1)
    assert unsaturated.mean() > 0.9 and inputs.counts.sum() > 0
    np.testing.assert_array_equal(predicted[unsaturated], inputs.values[unsaturated])


def test_an_integer_change_moves_the_outputs_by_exactly_its_effect(base, write_record):
    from ecg_snn.model.adapt.beats import read_patient

    db = write_record()
    beats = read_patient(db, "p1", base.spec.preprocess, base.spec.classes, minutes=1)
    last = base.spec.layers[-1]
    change = np.zeros((last.out_channels, last.in_channels + last.rr_inputs + 1))
    change[1, -1] = -3  # bias of class 1 (3 of the 3-bit range -4..3: downwards)
    change[2, 5] = -2  # one weight of class 2
    new = apply_change(base, change)
    assert changed_integers(new, base) == {f"{last.name}.bias": 1, f"{last.name}.weight": 1}
    before, after = output_inputs(base, beats.x, beats.rr), golden.run(new, beats.x, beats.rr)
    expect = before.values.copy()
    expect[:, 1] -= base.spec.T * 3
    expect[:, 2] -= 2 * before.counts[:, 5]
    np.testing.assert_array_equal(after.values, expect)
    assert new.spec.hardware_id() == base.spec.hardware_id()


def test_a_change_is_kept_within_the_widths(base):
    last = base.spec.layers[-1]
    shape = (last.out_channels, last.in_channels + last.rr_inputs + 1)
    everything, biases = np.full(shape, 1e6), np.zeros(shape)
    biases[:, -1] = 1e6
    for change in (everything, biases):
        new = apply_change(base, change)
        new.validate()  # widths and the range analysis (acc_bits, const_bits) hold
        lo, hi = last.bias_range
        bias = new.tensors[f"{last.name}.bias"]
        assert bias.max() <= hi and bias.min() >= lo
    assert (bias > base.bias(last)).any()  # the biases moved up as far as the widths allow


def test_holdout_takes_every_fourth_beat_of_each_class():
    y = np.array([0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0])
    held = holdout_mask(y, 4)
    assert np.flatnonzero(held).tolist() == [4, 7, 11]  # 4th N (index 4), 4th S (7), 8th N


def test_kappa_and_j_kappa_by_hand():
    # rows true N S V F: p_o 0.95, p_e (80·85 + 10·5 + 10·10) / 100² = 0.695
    y = np.repeat([0, 0, 1, 1, 2], [80, 0, 5, 5, 10])
    y_pred = np.repeat([0, 1, 0, 1, 2], [80, 0, 5, 5, 10])
    m = classification_metrics(y, y_pred, ("N", "S", "V", "F"))
    kappa = (0.95 - 0.695) / (1 - 0.695)
    assert m["kappa"] == pytest.approx(kappa)
    assert m["j_kappa"] == pytest.approx(0.5 * kappa + 0.125 * (0.5 + 1.0 + 1.0 + 1.0))
