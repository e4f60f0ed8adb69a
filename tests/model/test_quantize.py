"""Integer thresholds, weight ranges and widths of the quantizer; width errors."""

import dataclasses

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import derive_widths
from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS, signed_range
from ecg_snn.model.quantize import QuantizeError, layer_threshold, quantize, rnd

CLASSES = ("N", "S", "V", "F")


def test_round_half_up():
    assert rnd(np.array([-1.5, -0.5, 0.5, 1.5, 2.49])).tolist() == [-1, 0, 1, 2, 2]


def test_threshold_rule_by_hand():
    # qmax = 127: min(127 * 2048 / 0.5, 127 * 64 / 2.0) = min(520192, 4064) -> 4064
    assert layer_threshold(0.5, 2.0, 8, 2048.0, 64.0) == 4064
    assert layer_threshold(3.0, 0.0, 8, 1.0, 64.0) == 42  # floor(127 / 3)
    with pytest.raises(QuantizeError, match=r"layer 'big'.*cannot be represented"):
        layer_threshold(300.0, 0.0, 8, 1.0, 64.0, "big")


@pytest.mark.parametrize("bits", [6, 7, 8, 9, 10], ids=lambda b: f"{b}bit")
def test_weights_use_the_full_signed_range_and_fit(float_layers, bits):
    art = quantize(float_layers, DEFAULT_PREPROCESS, 8, CLASSES, bits)
    lo, hi = signed_range(bits)
    for layer in art.spec.layers:
        w = art.weight(layer)
        ws = [w] + ([art.rr_weight(layer)] if layer.rr_inputs else [])
        peak = max(int(np.abs(t).max()) for t in ws)
        assert lo <= min(int(t.min()) for t in ws) and peak <= hi
        assert peak >= hi - (hi // 64 + 1)  # the per-layer scale uses (almost) the full range
        assert layer.weight_bits == bits
        assert layer.v_init == (int(rnd(layer.threshold / 2)) if layer.fires else 0)
        widths = derive_widths(layer, DEFAULT_PREPROCESS, 8, art.tensors)
        assert {k: getattr(layer, k) for k in widths} == widths


def test_integer_current_over_threshold_is_the_float_current(float_layers):
    art = quantize(float_layers, DEFAULT_PREPROCESS, 8, CLASSES, 10)
    first, spec = float_layers[0], art.spec.layers[0]
    step = 2048 / spec.threshold  # one integer weight step in float units (in_scale = 2048)
    np.testing.assert_allclose(art.weight(spec) * step, first.weight, atol=0.5 * step + 1e-12)
    np.testing.assert_allclose(
        art.bias(spec) / spec.threshold, first.bias, atol=0.5 / spec.threshold
    )


def test_bias_too_wide_for_the_spec_is_refused(float_layers):
    layers = list(float_layers)
    layers[1] = dataclasses.replace(layers[1], bias=layers[1].bias + 1e9)
    with pytest.raises(QuantizeError, match=r"layer .conv1.: bias_bits would be .* more than"):
        quantize(layers, DEFAULT_PREPROCESS, 8, CLASSES, 8)


def test_weight_bits_outside_the_spec_are_refused(float_layers):
    with pytest.raises(QuantizeError, match=r"weight_bits 17 outside 2\.\.16"):
        quantize(float_layers, DEFAULT_PREPROCESS, 8, CLASSES, 17)
