"""`make program`: the programmer's command per board, and one-line errors when the bitstream,
the tool or the board is missing (fake tools on PATH stand in for a board on USB)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from ecg_snn.flow import program as pg


def fake_tool(folder: Path, name: str, output: str, code: int) -> Path:
    """An executable `name` in `folder` that prints `output` and exits with `code`."""
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\nexit {code}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


@pytest.fixture
def bit(tmp_path) -> Path:
    path = tmp_path / "snn_fpga.bin"
    path.write_bytes(b"\x00" * 64)
    return path


def run(monkeypatch, capsys, tools: Path | None, *argv: str) -> tuple[int, str, str]:
    """`main(argv)` with the fake tools of `tools` first on PATH (the real ones behind them)."""
    if tools is not None:
        monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    code = pg.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_of_each_board():
    p = Path("b")
    assert pg.command("icebreaker", "iceprog", p, flash=False) == ["iceprog", "-S", "b"]
    assert pg.command("icebreaker", "iceprog", p, flash=True) == ["iceprog", "b"]
    ofl = "openFPGALoader"
    assert pg.command("ulx3s", ofl, p, flash=False) == [ofl, "-b", "ulx3s", "-m", "b"]
    assert pg.command("ulx3s", ofl, p, flash=True) == [ofl, "-b", "ulx3s", "-f", "b"]


ABSENT = {
    "icebreaker": ("iceprog", "init..\nCan't find iCE FTDI USB device (0x0403).\nABORT.", 2),
    "ulx3s": ("openFPGALoader", "unable to open ftdi device: -3 (device not found)\nJTAG init "
              "failed with: unable to open ftdi device", 1),
}  # fmt: skip


@pytest.mark.parametrize("board", sorted(ABSENT))
def test_no_board_on_usb_is_one_line_and_exit_1(board, bit, tmp_path, monkeypatch, capsys):
    tool, output, code = ABSENT[board]
    fake_tool(tmp_path / "bin", tool, output, code)
    code, out, err = run(monkeypatch, capsys, tmp_path / "bin", "--board", board,
                         "--bitstream", str(bit))  # fmt: skip
    assert code == 1
    assert err.startswith(f"make program: no {board} found on USB ({tool}: ")
    assert err.count("\n") == 1 and "Traceback" not in out + err


def test_a_loaded_board_says_so(bit, tmp_path, monkeypatch, capsys):
    fake_tool(tmp_path / "bin", "iceprog", "init..\nprogramming..\nBye.", 0)
    code, out, err = run(monkeypatch, capsys, tmp_path / "bin", "--bitstream", str(bit))
    assert code == 0 and err == ""
    assert "iceprog -S" in out and "iceprog: Bye." in out
    assert out.endswith("make program: icebreaker loaded into its configuration memory\n")


def test_another_failure_of_the_tool_gives_its_last_line(bit, tmp_path, monkeypatch, capsys):
    fake_tool(tmp_path / "bin", "iceprog", "init..\nflash ID: 0xFF\nverify failed", 1)
    code, _, err = run(monkeypatch, capsys, tmp_path / "bin", "--flash", "--bitstream", str(bit))
    assert code == 1 and err == "make program: iceprog failed on the icebreaker (verify failed)\n"


def test_no_bitstream_says_which_make_fpga_to_run(tmp_path, monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, None, "--board", "ulx3s",
                       "--bitstream", str(tmp_path / "none.bit"))  # fmt: skip
    assert code == 2 and "run `make fpga BOARD=ulx3s` first" in err and err.count("\n") == 1


def test_an_unknown_board_is_one_line(capsys, monkeypatch):
    code, _, err = run(monkeypatch, capsys, None, "--board", "de10")
    assert (
        code == 2 and err == "make program: unknown BOARD 'de10'; one of ['icebreaker', 'ulx3s']\n"
    )


def test_a_missing_tool_names_the_debian_package(bit, tmp_path, monkeypatch, capsys):
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(pg.os, "geteuid", lambda: 1000)  # not root: no install attempt
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no iceprog anywhere
    code, _, err = run(monkeypatch, capsys, None, "--bitstream", str(bit))
    assert code == 2
    assert (
        err
        == "make program: iceprog is missing; install it: sudo apt-get install -y fpga-icestorm\n"
    )


@pytest.mark.skipif(shutil.which("iceprog") is None, reason="Debian's fpga-icestorm not installed")
def test_the_real_iceprog_without_a_board(bit, monkeypatch, capsys):
    """The real tool: with no iCEBreaker on USB (CI, this machine) the error is one line."""
    code, _, err = run(monkeypatch, capsys, None, "--bitstream", str(bit))
    assert code == 1 and err.startswith("make program: no icebreaker found on USB (iceprog: ")
