"""The C reference against the golden model: exact class, output values, spike counts and
synaptic operations, on many artifacts and thousands of inputs each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.data.dataset import load_dataset
from ecg_snn.firmware.host import DriverError
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.frontend import preprocess, preprocess_stream
from ecg_snn.model.contract.spec import PATIENT_FEATURES, signed_range

TRAINED = Path(__file__).resolve().parents[2] / "model" / "artifacts" / "inter.json"


def assert_same(c: dict, g: golden.GoldenResult) -> None:
    np.testing.assert_array_equal(c["values"], g.values)
    np.testing.assert_array_equal(c["cls"], g.cls)
    np.testing.assert_array_equal(c["spikes"], g.spikes)
    np.testing.assert_array_equal(c["synops"], g.synops)


def test_reference_matches_golden_on_random_and_corner_inputs(variant, host_lib, make_inputs):
    artifact = variant
    x, rr = make_inputs(artifact.spec, 3000, seed=1)
    g = golden.run(artifact, x, rr)
    assert g.spikes[:, :-1].sum() > 0, "a model that never spikes would test little"
    assert_same(host_lib(artifact).reference(x, rr), g)


def test_saturating_variant_really_saturates(make_variant, make_inputs):
    artifact = make_variant("saturating")
    x, rr = make_inputs(artifact.spec, 3000, seed=1)
    values = golden.run(artifact, x, rr).values
    lo, hi = signed_range(artifact.spec.layers[-1].membrane_bits)
    assert (values == lo).any() and (values == hi).any()


def test_ties_variant_really_ties_and_the_lowest_index_wins(host_lib, make_variant, make_inputs):
    artifact = make_variant("ties")
    x, rr = make_inputs(artifact.spec, 3000, seed=1)
    c = host_lib(artifact).reference(x, rr)
    tied = c["values"][:, 0] == c["values"].max(axis=1)
    assert tied.any() and (c["values"][:, 1] == c["values"][:, 0]).all()
    assert (c["cls"][tied] == 0).all() and not (c["cls"] == 1).any()


def test_a_corrupted_expectation_fails(make_variant, make_inputs):
    """The comparison is not vacuous: one changed value is caught."""
    artifact = make_variant("default")
    x, rr = make_inputs(artifact.spec, 50, seed=0)
    g = golden.run(artifact, x, rr)
    wrong = {"cls": g.cls, "values": g.values.copy(), "spikes": g.spikes, "synops": g.synops}
    wrong["values"][7, 2] += 1
    with pytest.raises(AssertionError):
        assert_same(wrong, g)


@pytest.mark.parametrize(
    ("sample", "rr_value"), [("below", 0), ("above", 0), (0, "above")], ids=str
)
def test_inputs_outside_their_width_are_refused(host_lib, make_variant, sample, rr_value):
    artifact = make_variant("default")
    lib = host_lib(artifact)
    pre = artifact.spec.preprocess
    lo, hi = signed_range(pre.input_bits)
    x = np.zeros((1, 1, pre.n_samples), np.int64)
    rr = np.zeros((1, artifact.spec.n_rr), np.int64)
    x[0, 0, 3] = {"below": lo - 1, "above": hi + 1}.get(sample, 0)
    rr[0, 1] = (1 << pre.rr_bits) if rr_value == "above" else 0
    with pytest.raises(DriverError, match="outside its width"):
        lib.reference(x, rr)


def test_reference_matches_golden_on_real_beats(host_lib, mitdb_dir, default_pre_artifact):
    """Real MIT-BIH beats, through the C front end and the C reference, against the Python
    front end and the golden model. Uses the trained artifact when it exists; a random model
    with the default preprocessing otherwise, so the real-beat path is always exercised."""
    artifact = load_artifact(TRAINED) if TRAINED.is_file() else default_pre_artifact
    pre = artifact.spec.preprocess
    # the beats as this artifact's front end cuts them (window, RR averaging)
    ds = load_dataset(mitdb_dir, config=pre.beat_config(), progress=False)
    lib = host_lib(artifact)
    if any(f in PATIENT_FEATURES for f in pre.rr_features):
        # the patient features (model v3) need each record's beats in time order: the first
        # 5000 beats (two whole records and the start of a third) through the stateful C path
        pick = np.arange(5000)
        windows, rr3, record = ds.window[pick], ds.rr[pick], ds.record[pick]
        x_c, rr_c, _ = lib.stream(windows, rr3, record)
        x, rr = preprocess_stream(pre, windows, rr3, record)
    else:
        pick = np.random.default_rng(0).choice(len(ds), 5000, replace=False)
        windows, rr3 = ds.window[pick], ds.rr[pick]
        x_c, rr_c = lib.frontend(windows, rr3)
        x, rr = preprocess(pre, windows, rr3)
    np.testing.assert_array_equal(x_c, x)
    np.testing.assert_array_equal(rr_c, rr)
    g = golden.run(artifact, x, rr)
    assert g.spikes[:, 0].sum() > 0
    assert_same(lib.reference(x_c, rr_c), g)


@pytest.mark.parametrize("name", ["if", "ssf", "t1-rr-input", "t-max"])
def test_reference_matches_golden_on_the_limit_artifacts(host_lib, name):
    """The directed limit artifacts (`sim/accel/limits.py`): every membrane saturating at both
    ends, registers at their last bit, ties, T = 1 and T = 1024: the C reference is exact."""
    from ecg_snn.sim.accel import limits

    artifact, _, v = limits.case(name)
    x = v.x[:, None, :]
    assert_same(host_lib(artifact).reference(x, v.rr), golden.run(artifact, x, v.rr))
