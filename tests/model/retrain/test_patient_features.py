"""`make retrain` from a base whose front end has the v3 patient features: it trains and scores
on chip inputs whose template and irregularity ran over every beat of each record in time order
(the record's other beats, in another part of the split, included), as the device computes
them."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from ecg_snn.model.contract.spec import PATIENT_FEATURES

FEATURES = ("prev_ratio", "next_ratio", "prev", "local", *PATIENT_FEATURES)


@pytest.fixture(scope="module")
def v3_base(base_artifact, tmp_path_factory):
    """The test base with the seven RR inputs of model v3 (random RR weights)."""
    from ecg_snn.model.contract.artifact import Artifact, load_artifact

    base = load_artifact(base_artifact)
    pre = dataclasses.replace(base.spec.preprocess, rr_features=FEATURES)
    layers = tuple(
        dataclasses.replace(lay, rr_inputs=len(FEATURES)) if lay.rr_inputs else lay
        for lay in base.spec.layers
    )
    tensors = dict(base.tensors)
    rng = np.random.default_rng(3)
    for lay in layers:
        if lay.rr_inputs:
            tensors[f"{lay.name}.rr_weight"] = rng.integers(-8, 8, (lay.n_out, len(FEATURES)))
    spec = dataclasses.replace(base.spec, preprocess=pre, layers=layers)
    out = Artifact(spec, tensors, base.meta)
    out.validate()
    path = tmp_path_factory.mktemp("v3base") / "v3.json"
    out.save(path)
    return path


def test_retrain_from_a_v3_base_uses_the_record_stream(write_db, run_cli, v3_base, tmp_path):
    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.model.contract.frontend import preprocess_stream
    from ecg_snn.model.retrain.discovery import read_beats

    db = write_db(fs=250, n_records=4)
    status, _, err = run_cli(
        "--db", str(db), "--epochs", "1", "--name", "v3", "--base", str(v3_base)
    )  # fmt: skip
    assert status == 0, err
    report = json.loads((tmp_path / "reports" / "v3" / "report.json").read_text())
    beats = np.load(report["test_beats"])
    base = load_artifact(v3_base)
    pre = base.spec.preprocess
    table = read_beats(db, pre, base.spec.classes, progress=False)
    test = np.isin(table.record, report["split"]["records"]["test"])
    # independent: each test record streamed whole, one patient at a time
    expected = np.concatenate(
        [
            preprocess_stream(pre, table.window[table.record == r], table.rr[table.record == r])[1]
            for r in dict.fromkeys(table.record[test])
        ]
    )
    np.testing.assert_array_equal(beats["rr"], expected)
    cols = [FEATURES.index(f) for f in PATIENT_FEATURES]
    assert (beats["rr"][:, cols] > 0).mean() > 0.5  # the features are live, not all zero
