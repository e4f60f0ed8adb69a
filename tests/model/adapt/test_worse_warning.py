"""`make adapt` warns in one line when the adapted model is worse on the rest of the record."""

from __future__ import annotations

import numpy as np

from ecg_snn.model.adapt import cli
from ecg_snn.model.metrics import classification_metrics

CLASSES = ("N", "S", "V", "F")


def rest_of(base_pred, adapted_pred, y):
    y = np.asarray(y)
    return {
        "beats": len(y),
        "base": classification_metrics(y, np.asarray(base_pred), CLASSES),
        "adapted": classification_metrics(y, np.asarray(adapted_pred), CLASSES),
    }


def test_warns_when_accuracy_and_a_class_drop():
    # 8 N and 4 V; the adapted model misses two V the base caught
    y = [0] * 8 + [2] * 4
    line = cli.worse_warning(rest_of(y, [0] * 8 + [2, 2, 0, 0], y))
    assert line == (
        "adapt: warning: on the rest of the record the adapted model is below the base in "
        "accuracy 100.00% -> 83.33%, V Se 100.0 -> 50.0 %; prefer the base model for this "
        "patient, or label more minutes (MINUTES=, CAL_BEATS=)"
    )


def test_warns_when_a_class_drops_at_equal_accuracy():
    y = [0] * 6 + [2] * 2
    base = [0] * 5 + [2] + [2, 0]  # one N wrong, one V wrong
    adapted = [0] * 6 + [0, 0]  # N all right, both V wrong: same accuracy, V Se 50 -> 0
    line = cli.worse_warning(rest_of(base, adapted, y))
    assert line is not None and "below the base in V Se 50.0 -> 0.0 %" in line
    assert "(accuracy 75.00% -> 75.00% did not fall)" in line and "worse" not in line


def test_a_rise_in_accuracy_is_not_called_worse():
    """Accuracy up (one V missed, two N recovered), V Se down: the line names V Se only."""
    y = [0] * 8 + [2] * 2
    base = [2, 2] + [0] * 6 + [2, 2]  # two N called V
    adapted = [0] * 8 + [2, 0]  # N all right, one V missed: accuracy 80 -> 90 %
    line = cli.worse_warning(rest_of(base, adapted, y))
    assert "below the base in V Se 100.0 -> 50.0 % (accuracy 80.00% -> 90.00% did not fall)" in line
    assert "accuracy 80.00% -> 90.00%;" not in line and "\n" not in line


def test_no_warning_when_the_adapted_model_is_as_good_or_better():
    y = [0] * 8 + [2] * 4
    assert cli.worse_warning(rest_of([0] * 12, y, y)) is None
    assert cli.worse_warning(rest_of(y, y, y)) is None
    assert cli.worse_warning({"beats": 0}) is None


def test_main_prints_the_warning_on_stderr(monkeypatch, capsys):
    y = [0] * 8 + [2] * 4
    report = {
        "record": "p1",
        "gain_assumed": False,
        "calibration": {"kept_base": False, "integers_changed": 9, "chosen": {"mode": "bias"}},
        "artifact": "a.json",
        "weight_image": "a.bin",
        "report": "report.md",
        "rest": rest_of(y, [0] * 12, y),
    }
    monkeypatch.setattr(cli, "adapt", lambda opts: report)
    assert cli.main(["--record", "p1"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the adapted model is below the base in" in err
