"""`make adapt` with a front end that has the v3 patient features: the template and the
irregularity run over the whole record in time order (as the device's firmware does), not
restarted at the calibration boundary, and do not depend on how many beats are labelled."""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.model.adapt.beats import read_patient
from ecg_snn.model.contract import patient

FEATURES = ("prev_ratio", "tmpl_dist", "tmpl_qrs", "irreg")
DIST, IRREG = 1, 3


def test_patient_features_run_over_the_whole_record(write_record, base):
    db = write_record(n=120, every=5)  # every 5th beat a premature wide inverted (PVC-like) beat
    pre = dataclasses.replace(base.spec.preprocess, rr_features=FEATURES)
    classes = base.spec.classes
    few = read_patient(db, "p1", pre, classes, minutes=None, beats=10)
    many = read_patient(db, "p1", pre, classes, minutes=None, beats=60)
    np.testing.assert_array_equal(few.rr, many.rr)  # the labelled share changes nothing
    rr, pvc = few.rr, few.y == classes.index("V")
    warm = np.arange(len(rr)) >= 2 * patient.WARMUP
    # the template is the patient's normal beat: the PVCs lie far from it, the N beats near
    assert np.median(rr[warm & pvc, DIST]) > 4 * max(np.median(rr[warm & ~pvc, DIST]), 1)
    # no restart after the labelled beats: the first unlabelled beat meets a warm template
    # and a full irregularity ring (a restart reads 0 for both)
    first = np.flatnonzero(~few.labelled)[0]
    assert rr[first, DIST] > 0 or rr[first + 1, DIST] > 0
    assert (rr[first:, IRREG] > 0).all()
