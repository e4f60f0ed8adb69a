"""`ecg-snn`: the subcommands are the make targets' tools; help, unknown commands, Ctrl-C."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ecg_snn import cli


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name}" in out for name in cli.COMMANDS)


def test_every_command_names_a_real_entry_point():
    import importlib

    for name, (target, _) in cli.COMMANDS.items():
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func)), name


def test_an_unknown_command_is_a_one_line_error(capsys):
    assert cli.main(["simulate"]) == 2
    assert capsys.readouterr().err == (
        "ecg-snn: unknown command 'simulate'; `ecg-snn --help` lists them\n"
    )


def test_a_command_runs_with_its_arguments():
    """`ecg-snn report --check` is `make report`'s tool: the shipped docs are in sync."""
    p = subprocess.run(
        [sys.executable, "-m", "ecg_snn", "report", "--check"], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    assert "in sync" in p.stdout


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "boom", ("ecg_snn.cli:usage", "test"))
    monkeypatch.setattr(cli, "usage", interrupted)
    with pytest.raises(SystemExit) as e:
        cli.main(["boom"])
    assert e.value.code == 130
    assert capsys.readouterr().err == "ecg-snn boom: interrupted (Ctrl-C)\n"


@pytest.mark.parametrize("argv", [["sim", "--lanes", "x"], ["power", "--beats", "x"]])
def test_argument_errors_come_from_the_tool(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2


def test_every_make_target_tool_has_a_command():
    """The README says `ecg-snn` runs the tool behind each make target: every module a make
    recipe runs with `python -m` is one of the commands' modules."""
    import re
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run_by_make = set(re.findall(r"-m (ecg_snn[\w.]*)", makefile))
    ours = {target.split(":")[0] for target, _ in cli.COMMANDS.values()}
    ours |= {m.rsplit(".", 1)[0] for m in ours if m.endswith(("__main__", ".cli", ".run"))}
    ours |= {m.rsplit(".", 1)[0] for m in ours if m.endswith((".pipeline", ".build", ".render"))}
    assert run_by_make - ours == set()
