"""Op-count and dense-QNN estimates, the stratified sample and its weights."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from ecg_snn.model.contract.spec import count_bits
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.power.estimates import dense_qnn_nj, op_count_nj
from ecg_snn.power.sample import stratified, weights
from ecg_snn.power.tech import load_technology


@pytest.mark.parametrize(("T", "bits"), [(1, 1), (3, 2), (4, 3), (7, 3), (8, 4), (15, 4)])
def test_count_bits(T, bits):
    assert count_bits(T) == bits


def test_op_count():
    assert np.allclose(op_count_nj(np.array([0, 1000]), 0.054), [0.0, 0.054])


def test_dense_qnn_by_hand():
    """A conv input layer 1 -> 2 channels (kernel 3 over 3 samples: one position) and the
    output layer 2 -> 2, 1 lane, 45 nm.

    MACs: 6 at input_bits x weight_bits and 4 at ceil(log2(T+1)) x weight_bits; weights read
    once from one-weight words; the hidden layer's 2 activations written and read once."""
    rng = np.random.default_rng(0)
    a = random_artifact(
        rng, n_samples=3, convs=((2, 3, 1),), hidden=(), n_classes=2, rr_features=(), T=3
    )
    tech = load_technology("45nm")
    l0, l1 = a.spec.layers
    k = 2
    mac = 6 * (
        tech.mult_pj(l0.weight_bits, a.spec.preprocess.input_bits) + tech.add_pj(l0.acc_bits)
    )
    mac += 4 * (tech.mult_pj(l1.weight_bits, k) + tech.add_pj(l1.acc_bits))
    mem = 6 * tech.mem_read_pj(l0.weight_bits, 6) + 4 * tech.mem_read_pj(l1.weight_bits, 4)
    mem += 2 * 2 * tech.mem_read_pj(k, 2)
    got = dense_qnn_nj(a, tech, lanes=1)
    assert got["macs"] == 10 and got["activation_bits"] == k
    assert math.isclose(got["total_nj"], (mac + mem) / 1000, rel_tol=1e-12)


def test_dense_qnn_grows_with_time_steps():
    rng = np.random.default_rng(1)
    a = random_artifact(rng, T=3)
    b = dataclasses.replace(a, spec=dataclasses.replace(a.spec, T=15))
    tech = load_technology("22nm")
    assert dense_qnn_nj(b, tech, 8)["total_nj"] > dense_qnn_nj(a, tech, 8)["total_nj"]


def test_stratified_sample_and_weights():
    labels = np.array([0] * 900 + [1] * 80 + [2] * 20)
    idx = stratified(labels, 90, np.random.default_rng(0))
    got = np.bincount(labels[idx], minlength=3)
    assert got.tolist() == [40, 30, 20]  # 30 each (20 is all of class 2), the rest to class 0
    assert len(set(idx.tolist())) == len(idx) == 90
    w = weights(labels[idx], labels)
    assert math.isclose(w.sum(), 1.0)
    for c, share in ((0, 0.9), (1, 0.08), (2, 0.02)):
        assert math.isclose(w[labels[idx] == c].sum(), share)
    assert stratified(labels, 5000, np.random.default_rng(0)).tolist() == list(range(1000))


def _tiny(T=3):
    rng = np.random.default_rng(0)
    return random_artifact(
        rng, n_samples=3, convs=((2, 3, 1),), hidden=(), n_classes=2, rr_features=(), T=T
    )


def test_input_layer_macs_by_hand():
    """Kernel 3 over 3 samples, 2 output channels: every sample feeds 2 MACs; zeros none."""
    from ecg_snn.power.estimates import input_macs

    a = _tiny()
    x = np.array([[1, 0, 2], [0, 0, 0]])
    assert input_macs(a, x, np.zeros((2, 0), np.int64)).tolist() == [4, 0]


def test_op_count_adds_the_input_layer():
    assert np.allclose(op_count_nj(np.array([1000]), 0.05, np.array([100]), 0.3), [0.08])


def test_zero_skip_qnn_skips_zeros():
    """A silent input reads no input-layer weight and does no input MAC; a non-zero one does."""
    from ecg_snn.power.estimates import zero_skip_qnn_nj

    a = _tiny()
    tech = load_technology("45nm")
    rr = np.zeros((2, 0), np.int64)
    x = np.array([[0, 0, 0], [5, -3, 7]])
    zs = zero_skip_qnn_nj(a, tech, 1, x, rr)
    assert zs["mac_nj"][0] == 0 and zs["weight_reads_nj"][0] == 0
    assert zs["mac_nj"][1] > 0 and zs["total_nj"][1] > zs["total_nj"][0]


def test_zero_skip_qnn_on_a_sum_then_fire_model():
    """An all-ssf model records no time steps: its activations come from ssf_fire; silence
    still reads no input-layer weight."""
    from ecg_snn.power.estimates import zero_skip_qnn_nj

    rng = np.random.default_rng(2)
    a = random_artifact(rng, T=4, neuron="ssf")
    n = a.spec.preprocess.n_samples
    x = np.vstack([np.zeros((1, n), np.int64), rng.integers(-50, 50, size=(2, n))])
    rr = np.zeros((3, a.spec.n_rr), np.int64)
    zs = zero_skip_qnn_nj(a, load_technology("22nm"), 8, x, rr)
    assert zs["total_nj"].shape == (3,) and zs["mac_nj"][1] > 0
    assert zs["total_nj"][1] > zs["total_nj"][0]
