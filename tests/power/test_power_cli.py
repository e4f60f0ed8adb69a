"""`make power` refuses bad knobs at once, with a one-line error and exit 2, before any
simulation or synthesis: each case builds its own arguments."""

from __future__ import annotations

import pytest

from ecg_snn.power import run


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--gate", "--gate-beats", "1"], "GATE_BEATS must be >= 2"),
        (["--gate", "--gate-beats", "-3"], "GATE_BEATS must be >= 2"),
        (["--gate", "--sram-min-depth", "0"], "SRAM_MIN_DEPTH must be >= 1, not 0"),
        (["--gate", "--tech", "45nm"], "TECH=22nm"),
        (["--beats", "0"], "BEATS must be >= 1, not 0"),
        (["--jobs", "0"], "JOBS must be >= 1, not 0"),
        (["--gate-beats", "100"], "GATE_BEATS=100 is the gate-level sample: add GATE=1"),
    ],
)
def test_bad_knobs_exit_2(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("GATE", raising=False)
    monkeypatch.delenv("GATE_BEATS", raising=False)
    assert run.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_missing_opensta_is_found_before_the_run(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `sta` on it
    assert run.main(["--gate"]) == 2
    assert "make tech" in capsys.readouterr().err


@pytest.mark.parametrize("value, on", [("1", True), ("yes", True), ("0", False), ("", False)])
def test_gate_knob(value, on, monkeypatch):
    monkeypatch.setenv("GATE", value)
    assert run.parse_args([]).gate is on


def test_beats_are_cut_as_the_artifacts_front_end_cuts_them(capsys, monkeypatch):
    """The RR averaging (local_rr_beats 128 of the shipped model, not the dataset default 10)
    decides the RR and patient features: the dataset is loaded with the artifact's cut."""
    from ecg_snn.data import dataset
    from ecg_snn.data.beats import DEFAULT_CONFIG
    from ecg_snn.data.errors import DataError
    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.model.shipped import shipped

    seen = []

    def fake_load(*args, config=DEFAULT_CONFIG, **kw):
        seen.append(config)
        raise DataError("no data in this test")

    monkeypatch.delenv("GATE", raising=False)
    monkeypatch.setattr(dataset, "load_dataset", fake_load)
    assert run.main([]) == 2 and "no data in this test" in capsys.readouterr().err
    want = load_artifact(shipped("inter")).spec.preprocess.beat_config()
    assert seen == [want] and want.local_rr_beats != DEFAULT_CONFIG.local_rr_beats


def test_gate_beats_from_make_without_gate_is_refused(capsys, monkeypatch):
    """`make power GATE_BEATS=100` (no GATE=1) would run the RTL model alone and drop the knob."""
    monkeypatch.delenv("GATE", raising=False)
    monkeypatch.setenv("GATE_BEATS", "100")
    assert run.main([]) == 2
    assert "add GATE=1" in capsys.readouterr().err
