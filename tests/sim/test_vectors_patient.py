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
