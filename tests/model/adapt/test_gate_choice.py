"""The held-back check decides whether a patient's adapted model keeps the rhythm gate: the
errors are counted on the classes the device reports (the chip's through the gate)."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.model.adapt.calibrate import Settings, calibrate
from ecg_snn.model.adapt.run import DEFAULT_BASE
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.patient import gate


@pytest.fixture(scope="module")
def real_beats(mitdb_dataset):
    """1,000 DS1 beats (record 209's first, S-rich) as the shipped model's chip inputs."""
    from ecg_snn.model.splits import to_beats

    pre = load_artifact(DEFAULT_BASE).spec.preprocess
    beats = to_beats(mitdb_dataset.part("DS1"), pre, 4)
    return beats.take(np.flatnonzero(beats.record == "209")[:1000])


def _case(real_beats):
    """The shipped model's own classes as labels on real beats, all in an 'irregular' rhythm
    (rhythm far above the gate), so the gate turns every chip S into N."""
    base = load_artifact(DEFAULT_BASE)
    chip = golden.run(base, real_beats.x, real_beats.rr).cls
    rhythm = np.full(len(chip), 63)
    assert base.spec.rhythm_gate and (chip == base.spec.classes.index("S")).sum() >= 20
    return base, chip, rhythm


def test_a_patient_whose_s_calls_are_right_gets_the_gate_off(real_beats):
    base, chip, rhythm = _case(real_beats)
    cal = calibrate(base, real_beats.x, real_beats.rr, chip, rhythm, Settings(modes=("bias",)))
    s = cal.summary
    assert not s["kept_base"] and s["chosen"]["mode"] == "gate_off"
    assert s["integers_changed"] == 0 and cal.artifact.spec.rhythm_gate == 0
    assert cal.artifact.tensors.keys() == base.tensors.keys()


def test_a_patient_whose_s_calls_the_gate_fixes_keeps_the_base(real_beats):
    base, chip, rhythm = _case(real_beats)
    labels = gate(base.spec.classes, base.spec.rhythm_gate, chip, rhythm)  # the gate is right
    cal = calibrate(base, real_beats.x, real_beats.rr, labels, rhythm, Settings(modes=("bias",)))
    assert cal.summary["kept_base"] and cal.artifact is base
    assert cal.summary["base_held_back_errors"] == 0 and cal.summary["rhythm_gate"] == 7
