"""The command line: --help explains every option; make retrain without DB fails clearly."""

import subprocess
from pathlib import Path

import pytest

from ecg_snn.model.retrain.cli import parser

REPO = Path(__file__).resolve().parents[3]


def test_help_explains_every_option():
    p = parser()
    text = p.format_help()
    for action in p._actions:
        for flag in action.option_strings:
            assert flag in text
        if action.option_strings and action.dest != "help":
            assert action.help and len(action.help) > 10, action.dest
    assert "docs/retrain.md" in text and "report.json" in text


def test_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as e:
        parser().parse_args(["--help"])
    assert e.value.code == 0
    assert "--from-scratch" in capsys.readouterr().out


def test_make_retrain_needs_db():
    out = subprocess.run(
        ["make", "-s", "retrain", "DB="], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert out.returncode != 0
    assert "set DB to the folder of your WFDB recordings" in out.stdout + out.stderr
