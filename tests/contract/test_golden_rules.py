"""Each rule of docs/arithmetic.md pinned by a hand-computed case."""

import numpy as np
import pytest

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.frontend import preprocess_rr, preprocess_samples
from ecg_snn.model.contract.spec import LayerSpec, Preprocess
from ecg_snn.model.random_artifact import dense_layer


def layer(**kw) -> LayerSpec:
    base = dict(in_channels=2, out_channels=2, weight_bits=8, bias_bits=8, const_bits=10)
    return dense_layer(**{**base, "membrane_bits": 4, "threshold": 4, **kw})


def test_if_step_integrates_fires_on_equal_and_subtracts():
    spec = layer()
    v, s = golden.if_step(np.array([0, 0, 1]), np.array([3, 2, 0]), np.array([2, 2, 0]), spec)
    # 0+3+2 = 5 >= 4 fires, 5-4 = 1;  0+2+2 = 4 >= 4 fires (compare is >=), 0;  1 < 4 stays
    assert v.tolist() == [1, 0, 1]
    assert s.tolist() == [True, True, False]


def test_if_step_saturates_once_per_step_then_resets():
    spec = layer(membrane_bits=4)  # range [-8, 7]
    v, s = golden.if_step(np.array([6, -7]), np.array([5, -5]), np.array([0, 0]), spec)
    # 6+5 = 11 saturates to 7, fires, 7-4 = 3;  -7-5 = -12 saturates to -8
    assert v.tolist() == [3, -8]
    assert s.tolist() == [True, False]


def test_output_layer_integrates_without_firing():
    v, s = golden.if_step(np.array([3]), np.array([5]), np.array([0]), layer(fires=False))
    assert v.tolist() == [7] and not s.any()


def test_decision_breaks_ties_towards_the_lowest_index():
    assert golden.decide(np.array([[3, 5, 5], [-1, -1, -2]])).tolist() == [1, 0]


def test_conv_connection_matrix_is_channel_major_valid_conv():
    spec = layer(
        kind="conv1d", in_channels=1, in_length=5, out_channels=2, out_length=2, kernel=3, stride=2
    )
    w = np.array([[[1, 2, 3]], [[4, 5, 6]]])
    m = golden.connection_matrix(spec, w)
    assert m.tolist() == [
        [1, 2, 3, 0, 0],  # channel 0, position 0 reads inputs 0..2
        [0, 0, 1, 2, 3],  # channel 0, position 1 reads inputs 2..4 (stride 2)
        [4, 5, 6, 0, 0],
        [0, 0, 4, 5, 6],
    ]
    assert golden.structural_fanout(spec).tolist() == [2, 2, 4, 2, 2]


def tiny_artifact() -> Artifact:
    """conv (1 channel, 4 samples, kernel 2, stride 2, 1 output channel) -> dense 2 -> 2 classes."""
    pre = Preprocess(before=4, after=4, downsample=2, input_bits=8, rr_features=())
    conv = LayerSpec(
        name="c",
        kind="conv1d",
        source="input",
        in_channels=1,
        in_length=4,
        out_channels=1,
        out_length=2,
        kernel=2,
        stride=2,
        weight_bits=4,
        bias_bits=4,
        acc_bits=4,
        const_bits=12,
        membrane_bits=12,
        threshold=10,
        v_init=5,
    )
    out = LayerSpec(
        name="o",
        kind="dense",
        source="spikes",
        in_channels=2,
        in_length=1,
        out_channels=2,
        out_length=1,
        weight_bits=4,
        bias_bits=4,
        acc_bits=5,
        const_bits=4,
        membrane_bits=8,
        threshold=1,
        v_init=0,
        fires=False,
    )
    spec = ModelSpec(T=2, classes=("N", "S"), preprocess=pre, layers=(conv, out))
    tensors = {
        "c.weight": np.array([[[1, 2]]]),
        "c.bias": np.array([-1]),
        "o.weight": np.array([[3, 0], [1, 1]]),
        "o.bias": np.array([0, 1]),
    }
    artifact = Artifact(spec, tensors)
    artifact.validate()
    return artifact


def test_tiny_network_by_hand():
    x = np.array([[[2, 3, 1, 1]]])
    # C = bias + conv: position 0: -1 + 2*1 + 3*2 = 7; position 1: -1 + 1 + 2 = 2; v_init 5.
    # t=0: conv V = [12, 7] -> spikes [1, 0], V = [2, 7];  out: acc = [3, 1], C = [0, 1] -> [3, 2]
    # t=1: conv V = [9, 9]  -> no spikes;                   out: acc = 0 -> [3, 3]
    r = golden.run(tiny_artifact(), x, np.zeros((1, 0)))
    assert r.values.tolist() == [[3, 3]]
    assert r.cls.tolist() == [0]  # tie -> lowest index
    assert r.spikes.tolist() == [[1, 0]]
    assert r.synops.tolist() == [2]  # one spike, fan-out of two output neurons


def test_run_rejects_inputs_outside_the_input_range():
    with pytest.raises(ValueError, match="outside the 8-bit range"):
        golden.run(tiny_artifact(), np.array([[[128, 0, 0, 0]]]), np.zeros((1, 0)))


def test_preprocess_samples_floor_semantics_and_saturation():
    pre = Preprocess(before=3, after=3, downsample=2, input_shift=1, input_bits=4, rr_features=())
    w = np.array([[0, -1, 4, 5, 40, 0]])
    # d = [-1, 9, 40]; base = 48 // 3 = 16; d - base = [-17, -7, 24]
    # >> 1 floors: [-9, -4, 12]; saturate to 4 bits [-8, 7]: [-8, -4, 7]
    assert preprocess_samples(pre, w)[0, 0].tolist() == [-8, -4, 7]
    w = np.array([[0, -1, 0, 0, 0, 0]])  # d = [-1, 0, 0]; base = -1 // 3 = -1 (floor)
    assert preprocess_samples(pre, w)[0, 0].tolist() == [0, 0, 0]  # [0, 1, 1] >> 1


def test_preprocess_rr_ratios_shifts_and_saturation():
    pre = Preprocess(
        rr_features=("prev_ratio", "next_ratio", "prev", "next", "local"),
        rr_bits=10,
        ratio_shift=8,
        rr_shift=1,
    )
    rr = np.array([[300, 450, 360], [100, 5000, 0]])
    # 300*256//360 = 213, 450*256//360 = 320, 300>>1, 450>>1, 360>>1
    # local 0 -> divide by 1; 100*256 = 25600 and 5000*256 saturate at 1023; 5000>>1 = 2500 too
    assert preprocess_rr(pre, rr).tolist() == [
        [213, 320, 150, 225, 180],
        [1023, 1023, 50, 1023, 0],
    ]


def test_ssf_fire_sums_counts_then_fires_clipped_floor():
    spec = layer(neuron="ssf", threshold=4, v_init=2, membrane_bits=12)
    w_t = np.array([[2], [1]])  # one output neuron reading two inputs
    counts_in = np.array([[1, 3], [0, 0], [3, 3]])
    # V = 2 + (2*1 + 1*3) + 3*1 = 10 -> 10 // 4 = 2;  V = 2 + 0 + 3*(-2) = -4 -> floor -1 -> 0;
    # V = 2 + 9 + 3*5 = 26 -> 6, clipped to T = 3
    const = np.array([[1], [-2], [5]])
    v, c = golden.ssf_fire(counts_in, w_t, const, spec, T=3)
    assert v.ravel().tolist() == [10, -4, 26]
    assert c.ravel().tolist() == [2, 0, 3]


def test_ssf_input_layer_counts_equal_if_counts_for_constant_current():
    """With v_init in [0, threshold) and no saturation, an IF neuron driven by a constant current
    C fires clip((v_init + T*C) // threshold, 0, T) times: exactly what ssf computes at once."""
    from ecg_snn.model.random_artifact import random_artifact

    x = np.random.default_rng(6).integers(-128, 128, (500, 1, 16))
    rr = np.random.default_rng(7).integers(0, 1024, (500, 2))
    first_layer_spikes = []
    for neuron in ("if", "ssf"):
        art = random_artifact(
            np.random.default_rng(5), T=6, neuron=neuron, threshold_range=(64, 64)
        )
        first_layer_spikes.append(golden.run(art, x, rr).spikes[:, 0])
    np.testing.assert_array_equal(*first_layer_spikes)
    assert first_layer_spikes[0].max() > 0


def test_ssf_layer_may_not_feed_an_if_layer():
    import dataclasses

    from ecg_snn.model.contract.artifact import ArtifactError
    from ecg_snn.model.random_artifact import random_artifact

    art = random_artifact(np.random.default_rng(5))
    first = dataclasses.replace(art.spec.layers[0], neuron="ssf", threshold=1 << 12)
    art.spec = dataclasses.replace(art.spec, layers=(first, *art.spec.layers[1:]))
    with pytest.raises(ArtifactError, match="only ssf layers can use them"):
        art.validate()


def test_ssf_threshold_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power-of-two threshold"):
        layer(neuron="ssf", threshold=6, membrane_bits=8).validate()


def test_rr_inputs_of_the_wrong_width_are_a_one_line_error():
    """The shipped model takes 7 RR inputs: 4 columns are refused naming the model's features
    (not numpy's reshape message)."""
    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.model.shipped import shipped

    art = load_artifact(shipped("inter"))
    x = np.zeros((1, 1, art.spec.preprocess.n_samples), np.int64)
    with pytest.raises(ValueError, match=r"rr must be \(N, 7\) for this model's RR inputs") as e:
        golden.run(art, x, np.zeros((1, 4), np.int64))
    assert "\n" not in str(e.value) and "tmpl_dist" in str(e.value)
    assert golden.run(art, x, np.zeros((1, 7), np.int64)).cls.shape == (1,)
