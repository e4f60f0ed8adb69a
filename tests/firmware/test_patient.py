"""The C patient-relative front end (firmware/src/snn_patient.c) against
model/contract/patient.py: every MIT-BIH beat in record order, and made-up streams with the
corners (a record shorter than the warm-up, gaps, a flat line, a lead change, full-scale and
negative samples, RR intervals at the uint32 limits)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ecg_snn.model.contract import patient
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.frontend import preprocess_stream
from ecg_snn.model.contract.spec import PATIENT_FEATURES
from tests.firmware.test_frontend import random_windows

FEATURES = ("prev_ratio", "tmpl_dist", "irreg", "local", "tmpl_qrs")  # mixed order on purpose
GATE = 7  # the rhythm gate of the patient artifact


@pytest.fixture(scope="module")
def patient_artifact(default_pre_artifact) -> Artifact:
    """The default-window random model with the patient features among its RR inputs."""
    base = default_pre_artifact
    pre = dataclasses.replace(base.spec.preprocess, rr_features=FEATURES)
    layers = tuple(
        dataclasses.replace(lay, rr_inputs=len(FEATURES)) if lay.rr_inputs else lay
        for lay in base.spec.layers
    )
    tensors = dict(base.tensors)
    rng = np.random.default_rng(12)
    for lay in layers:
        if lay.rr_inputs:
            tensors[f"{lay.name}.rr_weight"] = rng.integers(-8, 8, (lay.n_out, len(FEATURES)))
    spec = dataclasses.replace(base.spec, preprocess=pre, layers=layers, rhythm_gate=GATE)
    out = Artifact(spec=spec, tensors=tensors, meta=base.meta)
    out.validate()
    return out


def corner_stream(window: int, fs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows, RR triples and record names of made-up patients, each a corner of the rules."""
    rng = np.random.default_rng(21)
    beat = np.zeros(window, np.int64)
    beat[window // 3 : window // 3 + 8] = [50, 400, 1200, 300, -200, -100, -20, 0]
    parts = []

    def add(name, windows, rr):
        parts.append((np.asarray(windows), np.asarray(rr), np.full(len(rr), name)))

    n = 60
    rr = np.stack([rng.integers(250, 320, n), rng.integers(250, 320, n), np.full(n, 290)], 1)
    noisy = beat + rng.integers(-30, 30, (n, window))
    add("normal", noisy, rr)
    add("short", noisy[:3], rr[:3])  # shorter than the warm-up
    lead = noisy.copy()
    lead[n // 2 :] = -lead[n // 2 :]  # a lead change half-way: rejects, then a new template
    add("lead", lead, rr)
    add("flat", np.zeros((n, window), np.int64), rr)
    flat_then = np.concatenate([np.zeros((40, window), np.int64), noisy[:40]])
    add("flat_then_signal", flat_then, np.concatenate([rr[:40], rr[:40]]))
    gaps = rr.copy()
    gaps[10, 0] = patient.GAP_SECONDS * fs  # exactly the limit: no reset
    gaps[20, 0] = patient.GAP_SECONDS * fs + 1  # a reset
    gaps[21:25, 0] = [(1 << 32) - 1, 0, 1, (1 << 32) - 1]
    gaps[30, 2] = 0  # local 0: the divisions take max(local, 1)
    add("gaps", noisy, gaps)
    premature = rr.copy()
    premature[::3, 0] = 200  # every third beat premature, with another shape
    ectopic = noisy.copy()
    ectopic[::3] = np.roll(beat, 5) * 2
    add("bigeminy", ectopic, premature)
    af = np.stack([rng.integers(150, 600, n), rng.integers(150, 600, n), np.full(n, 350)], 1)
    add("af", noisy, af)
    wild = random_windows(window, 30, seed=5)
    add("wild", wild, np.tile([300, 300, 300], (len(wild), 1)))
    w, r, rec = (np.concatenate(p) for p in zip(*parts, strict=True))
    return w, r, rec


def test_corner_streams_match_the_contract(patient_artifact, host_lib):
    pre = patient_artifact.spec.preprocess
    lib = host_lib(patient_artifact)
    windows, rr3, record = corner_stream(pre.window, pre.fs)
    x_c, rr_c, rhythm_c = lib.stream(windows, rr3, record)
    x_py, rr_py = preprocess_stream(pre, windows, rr3, record)
    rhythm_py = patient.rhythm_values(pre, rr3, record)
    np.testing.assert_array_equal(x_c, x_py)
    np.testing.assert_array_equal(rr_c, rr_py)
    np.testing.assert_array_equal(rhythm_c, rhythm_py)
    # the rhythm measure reaches 0, mid values and saturation, and both sides of the gate
    assert {0, pre.rr_range[1]} <= set(rhythm_py.tolist())
    assert ((rhythm_py > 0) & (rhythm_py < GATE)).any() and (rhythm_py == GATE).any()
    cols = [FEATURES.index(f) for f in PATIENT_FEATURES]
    # the streams reach the corners: saturation, zeros, mid values of every patient feature
    for j in cols:
        assert (rr_py[:, j] == pre.rr_range[1]).any() and (rr_py[:, j] == 0).any()
        assert ((rr_py[:, j] > 0) & (rr_py[:, j] < pre.rr_range[1])).any()


def test_the_comparison_can_fail(patient_artifact, host_lib, monkeypatch):
    """A one-step change of one rule in the contract is seen by the same comparison."""
    pre = patient_artifact.spec.preprocess
    lib = host_lib(patient_artifact)
    windows, rr3, record = corner_stream(pre.window, pre.fs)
    _, rr_c, rhythm_c = lib.stream(windows, rr3, record)
    monkeypatch.setattr(patient, "ACCEPT_MAX", patient.ACCEPT_MAX - 1)
    monkeypatch.setattr(patient, "RHYTHM_BEATS", patient.RHYTHM_BEATS - 1)
    _, rr_py = preprocess_stream(pre, windows, rr3, record)
    assert (rr_c != rr_py).any()
    assert (rhythm_c != patient.rhythm_values(pre, rr3, record)).any()


def test_rhythm_gate_matches_the_contract_at_the_threshold_and_off(
    patient_artifact, default_pre_artifact, host_lib
):
    classes = patient_artifact.spec.classes
    cls = np.tile(np.arange(len(classes)), 64)
    rhythm = np.repeat(np.arange(64), len(classes))
    on = host_lib(patient_artifact).gate(cls, rhythm)
    np.testing.assert_array_equal(on, patient.gate(classes, GATE, cls, rhythm))
    s, n = classes.index("S"), classes.index("N")
    assert (on[(cls == s) & (rhythm >= GATE)] == n).all() and (on[cls == s] == s).any()
    off = host_lib(default_pre_artifact).gate(cls, rhythm)  # rhythm_gate 0
    np.testing.assert_array_equal(off, cls)


def test_plain_rr_entry_point_refuses_patient_features(patient_artifact, host_lib):
    from ecg_snn.firmware.host import DriverError

    lib = host_lib(patient_artifact)
    pre = patient_artifact.spec.preprocess
    with pytest.raises(DriverError):
        lib.frontend(np.zeros((1, pre.window), np.int64), np.array([[300, 300, 300]]))


def test_real_beats_in_record_order(patient_artifact, host_lib, mitdb_dataset):
    """Every beat of the cached MIT-BIH dataset, record by record, through both front ends."""
    pre = patient_artifact.spec.preprocess
    lib = host_lib(patient_artifact)
    d = mitdb_dataset
    x_c, rr_c, rhythm_c = lib.stream(d.window, d.rr, d.record)
    x_py, rr_py = preprocess_stream(pre, d.window, d.rr, d.record)
    np.testing.assert_array_equal(x_c, x_py)
    np.testing.assert_array_equal(rr_c, rr_py)
    np.testing.assert_array_equal(rhythm_c, patient.rhythm_values(pre, d.rr, d.record))


def test_reference_equals_golden_on_streamed_real_beats(patient_artifact, host_lib, mitdb_dataset):
    """The chip inputs of the C front end (with the patient features) through the C reference
    and the golden model: classes and output values agree."""
    from ecg_snn.model.contract import golden

    lib = host_lib(patient_artifact)
    d = mitdb_dataset
    n = 4000  # two records and the start of a third
    x, rr, _ = lib.stream(d.window[:n], d.rr[:n], d.record[:n])
    c = lib.reference(x, rr)
    g = golden.run(patient_artifact, x, rr)
    np.testing.assert_array_equal(c["cls"], g.cls)
    np.testing.assert_array_equal(c["values"], g.values)


def test_firmware_bench_streams_real_beats_for_patient_features(patient_artifact):
    """`make firmware`'s timing inputs for an artifact with patient features (the plain
    per-beat front end refuses them)."""
    from ecg_snn.firmware.build import _bench_inputs

    x, rr, what = _bench_inputs(patient_artifact, 300, True)
    assert what == "300 MIT-BIH beats" and rr.shape == (300, len(FEATURES)) and len(x) == 300
