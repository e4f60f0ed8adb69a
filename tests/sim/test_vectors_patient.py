"""`make sim`'s real-beat vectors for an artifact with the v3 patient features: the features are
computed over the part's beats in record and time order (causal), the plain RR columns are
those of the per-beat front end."""

import dataclasses

import numpy as np

from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS
from ecg_snn.sim.accel.vectors import real_beats


def test_real_beats_with_patient_features(mitdb_dataset):
    plain = ("prev_ratio", "local")
    pre = dataclasses.replace(DEFAULT_PREPROCESS, rr_features=(*plain, "tmpl_qrs", "irreg"))
    v = real_beats(pre, "DS2", 3000)
    base = real_beats(dataclasses.replace(pre, rr_features=plain), "DS2", 3000)
    np.testing.assert_array_equal(v.x, base.x)
    np.testing.assert_array_equal(v.rr[:, :2], base.rr)
    # 3,000 beats span two records: the state resets at the second (its first beat reads 0)
    first = np.flatnonzero(v.record[1:] != v.record[:-1]) + 1
    assert len(first) == 1 and (v.rr[[0, first[0]], 2:] == 0).all()
    assert (v.rr[:, 2] > 0).mean() > 0.9 and (v.rr[:, 3] > 0).any()


def test_intra_part_features_run_over_every_beat_of_the_record(mitdb_dataset):
    """The intra parts take every 5th-ish beat of each record: the patient state must still see
    all of the record's beats (the device does), not only the part's."""
    from ecg_snn.data.dataset import load_dataset
    from ecg_snn.model.contract.frontend import preprocess_stream

    pre = dataclasses.replace(DEFAULT_PREPROCESS, rr_features=("prev_ratio", "tmpl_dist", "irreg"))
    v = real_beats(pre, "intra_test", 400)
    ds = load_dataset(config=pre.beat_config(), progress=False)  # the beats the vectors cut
    first = np.flatnonzero(ds.record == ds.record[0])  # record 100, whole, from beat 0 on
    _, full = preprocess_stream(pre, ds.window[first], ds.rr[first])
    part = np.flatnonzero(ds.part_mask("intra_test")[first])[: len(v)]
    assert len(part) > 50
    np.testing.assert_array_equal(v.rr[: len(part)], full[part])
    # the part streamed alone (what the vectors did before) gives other irregularities
    alone = preprocess_stream(pre, ds.window[part], ds.rr[part])[1]
    assert (alone[:, 2] != v.rr[: len(part), 2]).any()
