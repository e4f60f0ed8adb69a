"""`python -m ecg_snn.model.adapt` on small synthetic records: adapts, keeps the base when
adaptation
does not help, refuses bad input with a clear error and writes nothing then."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.model.adapt.cli import main
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.image import parse_image, weight_image


@pytest.fixture
def run(tmp_path: Path, capsys):
    """Run the CLI in-process with tmp outputs; (status, stdout, stderr, report or None)."""

    def go(*args: str):
        out, reports = tmp_path / "out", tmp_path / "reports"
        status = main(["--out", str(out), "--reports", str(reports), *args])
        o, e = capsys.readouterr()
        found = list(reports.glob("*/report.json"))
        report = json.loads(found[0].read_text()) if found else None
        return status, o, e, report

    return go


def test_adapts_a_patient_whose_wide_beats_the_base_calls_otherwise(write_record, run, base):
    # This patient's wide premature beats are labelled F; the shipped model says V or S.
    db = write_record(x_symbol="F")
    status, out, err, report = run("--db", str(db), "--record", "p1", "--minutes", "1",
                                   "--modes", "bias,last")  # fmt: skip
    assert status == 0, err
    cal, rest = report["calibration"], report["rest"]
    assert not cal["kept_base"] and cal["labelled_per_class"]["F"] >= 5
    assert rest["base"]["accuracy"] < 0.85  # the base never says F
    assert rest["adapted"]["accuracy"] > rest["base"]["accuracy"] + 0.1
    assert rest["adapted"]["per_class"]["F"]["se"] > 0.5
    adapted = load_artifact(report["artifact"])
    assert adapted.spec.hardware_id() == base.spec.hardware_id()
    assert report["hardware_id"] == f"{base.spec.hardware_id():#010x}"
    # the image loads into the base hardware and differs in exactly the integers reported
    words = np.fromfile(report["weight_image"], dtype="<u4")
    new, old = parse_image(words, base.spec), parse_image(weight_image(base), base.spec)
    diff = sum(int(np.count_nonzero(new[k] != old[k])) for k in new)
    assert diff == cal["integers_changed"] > 0
    assert all(k.startswith(base.spec.layers[-1].name) for k in cal["changed_per_tensor"])
    assert "integers changed" in out
    assert "Adapted" in Path(report["report"]).read_text()


def test_keeps_the_base_weights_when_adaptation_cannot_beat_it(write_record, relabel_as, run, base):
    # Labelled as the shipped model classifies them: nothing can beat it.
    db = relabel_as(write_record())
    status, out, err, report = run("--db", str(db), "--record", "p1", "--minutes", "1")
    assert status == 0, err
    assert report["calibration"]["kept_base"] and report["calibration"]["integers_changed"] == 0
    assert report["calibration"]["base_held_back_errors"] == 0
    adapted = load_artifact(report["artifact"])
    assert all(np.array_equal(adapted.tensors[k], base.tensors[k]) for k in base.tensors)
    assert "base weights were kept" in Path(report["report"]).read_text()
    assert "kept the base weights" in out


def test_beats_instead_of_minutes(write_record, run):
    db = write_record(x_symbol="F")
    status, _, err, report = run("--db", str(db), "--record", "p1", "--beats", "60")
    assert status == 0, err
    assert report["calibration"]["labelled_beats"] == 60 and report["name"] == "p1_60beats"


def _refused(run, tmp_path, *args) -> str:
    status, out, err, report = run(*args)
    assert status == 2 and report is None, (status, out, err)
    assert not (tmp_path / "out").exists()  # nothing half-written
    assert err.startswith("adapt: error: ") and err.count("\n") == 1
    return err


def test_too_few_labelled_beats_of_a_second_class(write_record, run, tmp_path):
    db = write_record(every=40)  # one or two V beats in the first minute
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--minutes", "1",
                   "--min-classes", "2")  # fmt: skip
    assert "too few labelled beats" in err and "V 1" in err and "--minutes" in err


def test_too_few_labelled_beats_of_any_class(write_record, run, tmp_path):
    db = write_record()
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--beats", "4")
    assert "too few labelled beats" in err and "N 3" in err


def test_too_few_labelled_beats_of_a_named_class(write_record, run, tmp_path):
    db = write_record(x_symbol="F")
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--minutes", "1",
                   "--classes", "N,S")  # fmt: skip
    assert "too few labelled beats of class S" in err


def test_record_shorter_than_the_requested_minutes(write_record, run, tmp_path):
    db = write_record(n=120)  # about 1.6 minutes
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--minutes", "5")
    assert "shorter than the 5 labelled minutes" in err


def test_more_labelled_beats_than_the_record_has(write_record, run, tmp_path):
    db = write_record(n=120)
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--beats", "500")
    assert "500 labelled beats requested" in err


def test_lead_mismatch(write_record, run, tmp_path):
    db = write_record(leads=("V1", "V2"))
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--lead", "II")
    assert "no lead 'II'" in err and "V1, V2" in err


def test_sampling_rate_mismatch_and_resample(write_record, run, tmp_path):
    db = write_record(fs=250, x_symbol="F")
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--minutes", "1")
    assert "250 Hz" in err and "360 Hz" in err and "--resample" in err
    status, _, err, report = run("--db", str(db), "--record", "p1", "--minutes", "1",
                                 "--resample")  # fmt: skip
    assert status == 0, err
    assert report["fs"] == 250 and not report["calibration"]["kept_base"]


def test_unknown_record(write_record, run, tmp_path):
    db = write_record()
    err = _refused(run, tmp_path, "--db", str(db), "--record", "nope")
    assert "no record 'nope'" in err


def test_finetune_is_one_more_candidate_for_the_same_hardware(write_record, run, base):
    db = write_record(x_symbol="F")
    status, _, err, report = run("--db", str(db), "--record", "p1", "--minutes", "1",
                                 "--modes", "bias,finetune")  # fmt: skip
    assert status == 0, err
    # each candidate with the base's rhythm gate and without it, and the base's integers
    # without it (`gate_off`)
    gate = base.spec.rhythm_gate
    modes = [(c["mode"], c["rhythm_gate"]) for c in report["calibration"]["candidates"]]
    assert modes.count(("finetune", gate)) == 1 and modes.count(("bias", gate)) == 4
    assert modes.count(("finetune", 0)) == 1 and modes.count(("bias", 0)) == 4
    assert modes.count(("gate_off", 0)) == 1 and len(modes) == 11
    assert load_artifact(report["artifact"]).spec.hardware_id() == base.spec.hardware_id()


def test_unknown_mode(write_record, run, tmp_path):
    db = write_record()
    err = _refused(run, tmp_path, "--db", str(db), "--record", "p1", "--modes", "bias,everything")
    assert "--modes: unknown ['everything']" in err and "finetune" in err


def test_a_sum_then_fire_base_adapts_without_the_fine_tuner(write_record, run, tmp_path):
    """Any artifact the contract accepts: here a random ssf model with the default front end.
    bias and last always run; finetune runs if the SNN fine-tuner models ssf, else the report
    says why it was skipped."""
    import dataclasses

    from ecg_snn.model.contract.artifact import Artifact
    from ecg_snn.model.contract.spec import Preprocess
    from ecg_snn.model.random_artifact import random_artifact

    pre = Preprocess()
    art = random_artifact(np.random.default_rng(2), n_samples=pre.n_samples, neuron="ssf",
                          rr_features=pre.rr_features, input_bits=pre.input_bits, T=4)  # fmt: skip
    art = Artifact(dataclasses.replace(art.spec, preprocess=pre), art.tensors, {})
    path = art.save(tmp_path / "ssf.json")
    db = write_record(x_symbol="F")
    status, _, err, report = run("--db", str(db), "--record", "p1", "--minutes", "1",
                                 "--base", str(path))  # fmt: skip
    assert status == 0, err
    cal = report["calibration"]
    tried = {c["mode"] for c in cal["candidates"]}
    assert {"bias", "last"} <= tried  # the output layer adapts whatever the neuron mode
    assert tried | set(cal["modes_skipped"]) == {"bias", "last", "finetune"}  # all accounted
    assert load_artifact(report["artifact"]).spec.hardware_id() == art.spec.hardware_id()


def test_gain_zero_is_said_in_the_output_and_the_report(write_record, run):
    db = write_record()
    hea = db / "p1.hea"
    hea.write_text(hea.read_text().replace("200.0(0)/mV", "0(0)/mV").replace("200(0)/mV", "0/mV"))
    status, _, err, report = run("--db", str(db), "--record", "p1", "--minutes", "1")
    assert status == 0, err
    assert report["gain_assumed"] is True
    assert "gives lead gain 0 (uncalibrated); 200 ADC units per mV was assumed" in err


def test_a_record_path_without_db_is_read_like_make_stream_reads_it(write_record, run):
    """RECORD=/path/to/rec (no DB) names the record's folder and name, as `make stream` takes
    it: the same adaptation as --db folder --record name, not a traceback."""
    db = write_record(x_symbol="F")
    status, _, err, report = run("--record", str(db / "p1"), "--minutes", "1", "--modes", "bias")
    assert status == 0, err
    assert report["record"] == "p1" and report["database"] == str(db)
