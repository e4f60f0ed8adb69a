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
        (["--gate", "--sram-min-depth", "0"], "SRAM_MIN_DEPTH >= 1"),
        (["--gate", "--tech", "45nm"], "TECH=22nm"),
        (["--beats", "0"], "BEATS and JOBS must be >= 1"),
    ],
)
def test_bad_knobs_exit_2(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("GATE", raising=False)
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
