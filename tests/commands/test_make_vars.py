"""Make variables: one vocabulary, documented in `make help`, forwarded, and checked (an
unknown or unused variable on the command line is a one-line error, not silence)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAKEFILE = (REPO / "Makefile").read_text()
PY_TARGETS = sorted(  # every target whose recipe runs a Python command
    t
    for t, body in re.findall(r"^([a-z-]+):.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    if "$(PY) -m" in body
)


# Every knob the Makefile takes: `make test-fast JOBS=4 ARGS=...` puts them in this process's
# environment, and the commands under test would echo them.
KNOBS = set(
    re.search(r"^KNOBS := ((?:.*\\\n)*.*)$", MAKEFILE, re.M)[1].replace("\\\n", " ").split()
)


def make(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", *KNOBS}
    env = {k: v for k, v in os.environ.items() if k not in drop} | extra_env
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=REPO, capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip


def test_every_python_target_is_found():
    assert {"train", "ship", "sim", "verilog", "fpga", "power", "explore", "stream"} <= set(
        PY_TARGETS
    )


@pytest.mark.parametrize("target", PY_TARGETS)
def test_args_reach_every_python_command(target):
    """`make -n` prints the commands: ARGS is on the Python command line of every target."""
    r = make("-n", target, "ARGS=--zz-forwarded", *(["DB=d"] if target == "retrain" else []),
             *(["RECORD=208"] if target in ("adapt", "stream") else []))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert any("-m " in line and "--zz-forwarded" in line for line in r.stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "FOO=1"], "make train: FOO unknown variable; it takes: ARGS SPLIT"),
        (["train", "MODEL=x.json"], "make train: MODEL not taken by this target"),
        (["verilog", "BEATS=3"], "make verilog: BEATS not taken by this target"),
        (["adapt", "RECORD=208", "BEATS=300"], "BEATS not taken by this target"),
        (["verilog", "ROM=yes"], "ROM=yes: expected 0 or 1"),
        (["sim", "SPLIT=both"], "SPLIT=both: expected inter or intra"),
        (["help", "LANES=4"], "make help: LANES not taken by this target"),
        (["sim", "BEATS=x"], "BEATS=x: expected a whole number"),
        (["power", "JOBS=2 3"], "JOBS=2 3: expected a whole number"),
        (["sim", "BEATS=-5"], "BEATS=-5: expected a whole number"),
        (["adapt", "RECORD=208", "MINUTES=five"], "MINUTES=five: expected a number of minutes"),
    ],
    ids=[
        "unknown",
        "unused",
        "other-target",
        "adapt-beats",
        "flag",
        "split",
        "help",
        "count",
        "count-two-words",
        "count-negative",
        "minutes",
    ],
)
def test_a_variable_the_target_does_not_take_is_a_one_line_error(args, message):
    r = make("-n", *args)
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and r.stdout == ""


def test_the_variables_of_several_targets_add_up():
    r = make("-n", "train", "verilog", "SPLIT=intra", "LANES=4")
    assert r.returncode == 0, r.stderr
    assert "--split intra" in r.stdout and "--lanes 4" in r.stdout


def test_quick_sim_knobs_are_make_variables():
    r = make("-n", "sim", "RANDOM=0", "LIMITS=none", "SPACE=none", "BEATS=5")
    assert r.returncode == 0, r.stderr
    assert "-m ecg_snn.sim.run --random 0 --limits none --space none" in r.stdout


def test_flags_are_off_at_0():
    assert "--rom" not in make("-n", "verilog", "ROM=0").stdout
    assert "--rom" in make("-n", "verilog", "ROM=1").stdout


def test_lead_is_one_variable_for_every_target_that_reads_a_record():
    for target, extra in (("data", []), ("retrain", ["DB=d"]), ("adapt", ["RECORD=1"]),
                          ("stream", ["RECORD=1"])):  # fmt: skip
        assert '--lead "II"' in make("-n", target, "LEAD=II", *extra).stdout, target


def test_calibration_length_is_minutes_or_cal_beats():
    r = make("-n", "adapt", "RECORD=208", "CAL_BEATS=300")
    assert "--beats 300" in r.stdout and "--minutes" not in r.stdout


def test_help_documents_every_variable_and_what_each_target_takes():
    out = make("help").stdout
    lines = re.findall(r"^VARS_[a-z-]+\s*:=\s*(.*)$", MAKEFILE, re.M)
    taken = {v for line in lines for v in re.findall(r"\b[A-Z][A-Z_]+\b", line)} - {"VARS"}
    documented = set(re.findall(r"^  ([A-Z_]+) {2,}\S", out, re.M))
    assert len(taken) > 20 and taken <= documented, taken - documented
    sim_vars = r"\[SPLIT MODEL BEATS JOBS LANES ENGINE ROM RANDOM LIMITS SPACE"
    assert re.search(r"make sim .*\n\s+" + sim_vars, out)


@pytest.mark.parametrize(
    ("module", "knob", "option"),
    [
        ("ecg_snn.sim.run", "BEATS", "--beats"),
        ("ecg_snn.power.run", "BEATS", "--beats"),
        ("ecg_snn.explore.cli", "JOBS", "--workers"),
    ],
)
def test_a_bad_knob_in_the_environment_is_a_usage_error(module, knob, option, monkeypatch, capsys):
    """BEATS=x (JOBS=x) reaches the command as an option default; argparse refuses it in one
    line."""
    import importlib

    monkeypatch.setenv(knob, "x")
    with pytest.raises(SystemExit) as e:
        importlib.import_module(module).parse_args([])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument {option}: invalid int value: 'x' (--help lists the options)\n" in err
    assert err.count("\n") == 1 and "usage:" not in err


def test_the_echoed_command_carries_the_knobs_it_reads_from_the_environment():
    """The line make echoes is the full command: pasted into a shell it repeats the run."""
    r = make("-n", "sim", "BEATS=100", "MODEL=my model.json", "ROM=1")
    line = next(x for x in r.stdout.splitlines() if "-m ecg_snn.sim.run" in x)
    assert line.startswith("MODEL='my model.json' BEATS=100 ROM=1 .venv/bin/python -m"), line
    bare = next(x for x in make("-n", "sim").stdout.splitlines() if "-m ecg_snn.sim.run" in x)
    assert bare.startswith(".venv/bin/python -m"), bare  # nothing given, nothing prefixed
    # an outer make (`make test`) exports every knob, most of them empty: those say nothing
    empty = make("-n", "sim", JOBS="", SPLIT="", ENGINE="").stdout.splitlines()
    line = next(x for x in empty if "-m ecg_snn.sim.run" in x)
    assert line.startswith(".venv/bin/python -m"), line
    r = make("-n", "power", BEATS="7")  # exported in the shell, not on make's command line
    assert "BEATS=7 .venv/bin/python -m ecg_snn.power" in r.stdout
    train = make("-n", "train", "SPLIT=intra").stdout.splitlines()
    assert train[0] == "SPLIT=intra .venv/bin/python -m ecg_snn.model --split intra "


def test_make_setup_is_never_silent_for_long():
    """pip runs without --quiet (its Collecting / Installing lines are shown) beside a line
    every 10 s, and a failed install shows the log's tail and exits with pip's code."""
    recipe = make("-n", "setup", "-B").stdout
    assert "pip install" in recipe and "--quiet" not in recipe
    assert "while sleep 10" in recipe and "still working" in recipe
    assert 'grep --line-buffered -E "^(Collecting|Installing|Successfully|ERROR)"' in recipe
    assert "exit $rc" in recipe and "tail -n 20 .venv/pip.log" in recipe
