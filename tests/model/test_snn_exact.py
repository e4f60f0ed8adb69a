"""The torch integer SNN equals the golden model bit for bit; the float SNN is consistent."""

import numpy as np
import pytest

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS
from ecg_snn.model.quantize import quantize
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.model.snn_finetune import SNNNet
from ecg_snn.model.snn_torch import run_float, run_int


def assert_same(artifact, x, rr):
    g, t = golden.run(artifact, x, rr), run_int(artifact, x, rr)
    np.testing.assert_array_equal(t.cls, g.cls)
    np.testing.assert_array_equal(t.values, g.values)
    np.testing.assert_array_equal(t.spikes, g.spikes)
    np.testing.assert_array_equal(t.synops, g.synops)
    return g


@pytest.mark.parametrize("T", [4, 8], ids=["T4", "T8"])
def test_torch_int_equals_golden_on_real_beats(float_layers, real_beats, T):
    art = quantize(float_layers, DEFAULT_PREPROCESS, T, ("N", "S", "V", "F"), 8)
    g = assert_same(art, real_beats.x, real_beats.rr)
    assert g.spikes[:, :3].sum(1).mean() > 10  # the check exercises real spiking


def test_torch_int_equals_golden_on_random_artifacts():
    rng = np.random.default_rng(3)
    for _ in range(3):
        art = random_artifact(rng)
        pre = art.spec.preprocess
        x = rng.integers(
            -(1 << (pre.input_bits - 1)), 1 << (pre.input_bits - 1), (50, 1, pre.n_samples)
        )
        rr = rng.integers(0, 1 << pre.rr_bits, (50, art.spec.n_rr))
        assert_same(art, x, rr)


def test_corrupted_expectation_is_detected(float_layers, real_beats):
    art = quantize(float_layers, DEFAULT_PREPROCESS, 8, ("N", "S", "V", "F"), 8)
    art.tensors["dense3.bias"] = art.tensors["dense3.bias"] + 1
    t = run_int(art, real_beats.x, real_beats.rr)
    art.tensors["dense3.bias"] = art.tensors["dense3.bias"] - 1
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(t.values, golden.run(art, real_beats.x, real_beats.rr).values)


def test_finetune_forward_is_the_float_snn(float_layers, real_beats):
    """SNNNet without weight quantization reproduces run_float's classes (float32 vs float64:
    allow a handful of spike-tie differences)."""
    import torch

    x_f, rr_f = real_beats.scaled(DEFAULT_PREPROCESS)
    net = SNNNet(float_layers, DEFAULT_PREPROCESS, 8, None).eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(x_f), torch.from_numpy(rr_f)).numpy()
    ref = run_float(float_layers, 8, x_f, rr_f)
    assert (logits.argmax(1) == ref.cls).mean() >= 0.99
