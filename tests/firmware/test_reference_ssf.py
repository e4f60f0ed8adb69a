"""The C reference in sum-then-fire mode against the golden model: exact class, output values,
spikes per layer and synaptic operations, for all-ssf artifacts and for IF-prefix + ssf-suffix
artifacts of several shapes, widths and T, including saturating membranes and tied outputs.

ssf (docs/arithmetic.md, "Sum-then-fire layers"): V = sat(v_init + sum_m W c_in + T*C),
c = clip(V >> k, 0, T) for threshold 2^k; synops = one per non-zero count and synapse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from ecg_snn.firmware.generate import model_header
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, derive_widths
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.spec import signed_range
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.model.variants import narrowest, tied

from .conftest import chip_inputs
from .test_reference import assert_same


def ssf_from(artifact: Artifact, first: int) -> Artifact:
    """Layers `first..` of an IF artifact turned into ssf layers: threshold rounded down to a
    power of two, v_init = threshold / 2 (0 for the output layer), widths re-derived with T."""
    spec = artifact.spec
    layers = list(spec.layers)
    for i in range(first, len(layers)):
        lay = layers[i]
        theta = 1 << (lay.threshold.bit_length() - 1)
        lay = dataclasses.replace(
            lay, neuron="ssf", threshold=theta, v_init=theta // 2 if lay.fires else 0
        )
        widths = derive_widths(lay, spec.preprocess, spec.T, artifact.tensors)
        layers[i] = dataclasses.replace(lay, **widths)
    out = Artifact(
        spec=dataclasses.replace(spec, layers=tuple(layers)),
        tensors=artifact.tensors,
        meta={"origin": f"ssf_from({first})"},
    )
    out.validate()
    return out


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


SSF_VARIANTS: dict[str, Callable[[], Artifact]] = {
    "all-ssf-default": lambda: random_artifact(_rng(21), neuron="ssf"),
    "all-ssf-deep-T12": lambda: random_artifact(
        _rng(22),
        n_samples=40,
        convs=((5, 7, 1), (6, 5, 2), (4, 3, 3)),
        hidden=(9, 7),
        T=12,
        threshold_range=(2, 30),
        neuron="ssf",
    ),
    "all-ssf-wide-T3": lambda: random_artifact(
        _rng(23), weight_bits=12, input_bits=16, T=3, neuron="ssf"
    ),
    "all-ssf-T1-no-rr": lambda: random_artifact(
        _rng(24), T=1, n_classes=3, rr_features=(), neuron="ssf"
    ),
    "all-ssf-small-thresholds": lambda: random_artifact(
        _rng(25), convs=((5, 4, 3),), hidden=(12, 8), T=6, threshold_range=(2, 12), neuron="ssf"
    ),
    "all-ssf-saturating": lambda: narrowest(
        random_artifact(_rng(26), threshold_range=(2, 12), neuron="ssf")
    ),
    "all-ssf-ties": lambda: tied(
        random_artifact(_rng(31), n_classes=5, neuron="ssf"), ((0, 1), (2, 3))
    ),
    "if-conv0-then-ssf": lambda: ssf_from(random_artifact(_rng(31), T=8), 1),
    "if-convs-then-ssf": lambda: ssf_from(
        random_artifact(_rng(32), hidden=(12, 8), T=6, threshold_range=(4, 40)), 2
    ),
    "if-all-hidden-ssf-output": lambda: ssf_from(
        random_artifact(_rng(33), T=5, threshold_range=(4, 40)), 3
    ),
    "if-deep-then-ssf-saturating": lambda: narrowest(
        ssf_from(
            random_artifact(
                _rng(34),
                n_samples=40,
                convs=((5, 7, 1), (6, 5, 2)),
                hidden=(9,),
                T=10,
                threshold_range=(2, 30),
            ),
            2,
        )
    ),
}


@pytest.fixture(params=list(SSF_VARIANTS), ids=list(SSF_VARIANTS))
def ssf_variant(request) -> Artifact:
    return SSF_VARIANTS[request.param]()


def test_ssf_reference_matches_golden(ssf_variant, host_lib):
    artifact = ssf_variant
    assert any(lay.neuron == "ssf" for lay in artifact.spec.layers)
    x, rr = chip_inputs(artifact.spec, 3000, seed=2)
    g = golden.run(artifact, x, rr)
    assert g.spikes[:, :-1].sum() > 0, "a model that never spikes would test little"
    assert_same(host_lib(artifact).reference(x, rr), g)


def test_ssf_counts_reach_both_clips(host_lib):
    """In the first layer, V // threshold falls below 0 and above T on some beats (both clips
    of clip(V >> k, 0, T) matter) and counts strictly between 0 and T occur."""
    artifact = SSF_VARIANTS["all-ssf-small-thresholds"]()
    x, rr = chip_inputs(artifact.spec, 3000, seed=3)
    first, T = artifact.spec.layers[0], artifact.spec.T
    const = golden.constant_current(first, artifact, x, rr)
    v, counts = golden.ssf_fire(None, None, const, first, T)
    assert (v // first.threshold < 0).any() and (v // first.threshold > T).any()
    assert ((counts > 0) & (counts < T)).any()
    assert_same(host_lib(artifact).reference(x, rr), golden.run(artifact, x, rr))


def test_ssf_saturating_variants_really_saturate():
    for name in ("all-ssf-saturating", "if-deep-then-ssf-saturating"):
        artifact = SSF_VARIANTS[name]()
        x, rr = chip_inputs(artifact.spec, 3000, seed=2)
        values = golden.run(artifact, x, rr).values
        lo, hi = signed_range(artifact.spec.layers[-1].membrane_bits)
        assert (values == lo).any() and (values == hi).any(), name


def test_ssf_ties_lowest_index_wins(host_lib):
    artifact = SSF_VARIANTS["all-ssf-ties"]()
    x, rr = chip_inputs(artifact.spec, 3000, seed=2)
    c = host_lib(artifact).reference(x, rr)
    tied = c["values"][:, 0] == c["values"].max(axis=1)
    assert tied.any() and (c["values"][:, 1] == c["values"][:, 0]).all()
    assert (c["cls"][tied] == 0).all() and not (c["cls"] == 1).any()


def test_generated_descriptor_names_the_neuron_mode():
    artifact = SSF_VARIANTS["if-convs-then-ssf"]()
    text = model_header(artifact)
    assert text.count("SNN_NEURON_IF,") == 2 and text.count("SNN_NEURON_SSF,") == 3


@pytest.mark.parametrize("name", ["all-ssf-default", "if-convs-then-ssf"])
def test_driver_on_the_host_accelerator_runs_ssf_images(host_lib, name):
    """The host accelerator model runs the values received through the load port with the
    compiled-in neuron modes: the driver's answers equal golden's for an ssf image."""
    artifact = SSF_VARIANTS[name]()
    lib = host_lib(artifact)
    lib.power_on()
    assert lib.load(weight_image(artifact)) == 0
    x, rr = chip_inputs(artifact.spec, 300, seed=5)
    got, g = lib.driver(x, rr), golden.run(artifact, x, rr)
    np.testing.assert_array_equal(got["cls"], g.cls)
    np.testing.assert_array_equal(got["values"], g.values)
