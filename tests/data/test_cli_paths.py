"""The shared command ending (`data.cli.run`), the atomic writer's file mode and the report
path helpers (`data.paths`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ecg_snn.data.cli import INTERRUPTED, discard_on_interrupt, interrupted_line, run
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import REPO, config_key, keyed, repo_path


def test_run_exits_with_the_command_code():
    with pytest.raises(SystemExit) as e:
        run(lambda: 3, "make x")
    assert e.value.code == 3


def test_run_turns_ctrl_c_into_one_line_and_130(capsys):
    def command():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as e:
        run(command, "make x")
    assert e.value.code == INTERRUPTED == 130
    err = capsys.readouterr().err
    assert err == interrupted_line("make x") + "\n" and "Traceback" not in err


def test_run_imports_a_named_command_inside_the_guard(monkeypatch, capsys):
    """ "module:function" is imported by `run`, so an interrupt during the import is caught."""
    import importlib

    def interrupted_import(name):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib, "import_module", interrupted_import)
    with pytest.raises(SystemExit) as e:
        run("ecg_snn.model.pipeline:cli", "make train")
    assert e.value.code == 130 and capsys.readouterr().err.startswith("make train: interrupted")


def test_a_folder_being_filled_is_removed_on_ctrl_c_and_kept_otherwise(tmp_path):
    def filling(fail: bool):
        def command():
            work = discard_on_interrupt(tmp_path / ("cut" if fail else "done"))
            work.mkdir()
            (work / "shard0").write_text("half")
            if fail:
                raise KeyboardInterrupt
            return 0

        return command

    for fail, code in ((True, 130), (False, 0)):
        with pytest.raises(SystemExit) as e:
            run(filling(fail), "make sim")
        assert e.value.code == code
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done"]


def test_run_lets_other_errors_through():
    """Only Ctrl-C is turned into a line: a bug still shows its traceback."""
    with pytest.raises(ZeroDivisionError):
        run(lambda: 1 // 0, "make x")


def test_a_ctrl_c_that_a_c_import_turned_into_another_error_is_still_an_interrupt(capsys):
    """numpy's import turns a SIGINT inside its `datetime` capsule import into an ImportError
    (about 1 in 8 interrupt times): after a real SIGINT, any exception is the interrupt."""
    import signal

    def command():
        try:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, through run's handler
        except KeyboardInterrupt:
            raise ImportError("PyCapsule_Import could not import module 'datetime'") from None

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as e:
        run(command, "make sim")
    assert e.value.code == 130
    assert capsys.readouterr().err == interrupted_line("make sim") + "\n"
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_the_same_error_without_a_ctrl_c_shows_its_traceback():
    def command():
        raise ImportError("a real missing module")

    with pytest.raises(ImportError, match="a real missing module"):
        run(command, "make sim")


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_atomic_writer_applies_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        path = write_atomic(tmp_path / "r.json", "{}\n")
        plain = tmp_path / "plain.json"
        plain.write_text("{}\n")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o666 & ~mask == stat.S_IMODE(plain.stat().st_mode)


def test_repo_path_is_relative_inside_the_repository_only(tmp_path):
    assert repo_path(REPO / "model" / "artifacts" / "inter.json") == "model/artifacts/inter.json"
    assert repo_path(tmp_path / "x.json") == str(tmp_path / "x.json")
    assert not repo_path(REPO / "build" / "x").startswith("/")


def test_config_key_names_what_differs():
    assert config_key({"beats": None, "rom": False}) == ""
    assert config_key({"beats": 1, "rom": True, "limits": "a,b"}) == "beats1-rom-limitsa_b"
    assert keyed(Path("build/reports/sim.json"), "") == Path("build/reports/sim.json")
    assert keyed(Path("build/reports/sim.json"), "beats1") == Path("build/reports/sim-beats1.json")
