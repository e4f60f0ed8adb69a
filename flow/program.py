"""`make program`: load the bitstream `make fpga` built into the board on USB.

    python -m ecg_snn.flow.program [--board icebreaker|ulx3s] [--flash] [--bitstream PATH]

The programmer of each board is the one its `amaranth-boards` platform names, from Debian
(`make program` installs the package when the tool is missing and it runs as root; otherwise
one line says which `apt-get install` to run):

- icebreaker: `build/fpga/icebreaker/snn_fpga.bin` with `iceprog` (Debian's fpga-icestorm):
  `iceprog -S` loads the configuration memory, `--flash`: `iceprog` writes the flash;
- ulx3s: `build/fpga/ulx3s/snn_fpga.bit` with `openFPGALoader` (Debian's openfpgaloader):
  `-b ulx3s -m` (configuration memory), `--flash`: `-b ulx3s -f`.

Loading the configuration memory is quick and lasts until power-off; `--flash` writes the
board's SPI flash, which configures the FPGA at every power-up. A line every 10 s says the tool
is still at work (a flash write takes tens of seconds); the tool's last line closes the run.

Errors, one line each: no bitstream (run `make fpga BOARD=...` first) and an unknown board exit
2; the tool missing and not installable exits 2; no board on USB, and any other failure of the
tool, exit 1 with the tool's own reason. Nothing is written.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the imports below is caught too

    run("ecg_snn.flow.program:main", "make program")

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ecg_snn.data.cli import Parser
from ecg_snn.data.paths import REPO, repo_path

TIMEOUT_S = 600  # a flash write of a UP5K or an 85F takes well under a minute


class ProgramError(Exception):
    """`make program` cannot load the board; `code` is the exit status (module docstring)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Programmer:
    """How one board is programmed: the tool, its Debian package, its arguments."""

    tool: str
    package: str
    bitstream: str  # file name in build/fpga/<board>/
    sram: tuple[str, ...]  # arguments before the bitstream: configuration memory
    flash: tuple[str, ...]  # the same for the SPI flash
    absent: tuple[str, ...]  # what the tool prints when no board is on USB


PROGRAMMERS = {
    "icebreaker": Programmer(
        "iceprog", "fpga-icestorm", "snn_fpga.bin", ("-S",), (), ("Can't find iCE FTDI USB",)
    ),
    "ulx3s": Programmer(
        "openFPGALoader",
        "openfpgaloader",
        "snn_fpga.bit",
        ("-b", "ulx3s", "-m"),
        ("-b", "ulx3s", "-f"),
        ("unable to open ftdi device", "JTAG init failed", "No cable or board"),
    ),
}


def bitstream(board: str, path: Path | None = None) -> Path:
    """The bitstream to load: `path`, or the one `make fpga BOARD=board` wrote."""
    prog = PROGRAMMERS[board]
    path = path or REPO / "build" / "fpga" / board / prog.bitstream
    if not path.is_file():
        raise ProgramError(
            f"no bitstream {repo_path(path)}; run `make fpga BOARD={board}` first", 2
        )
    return path


def ensure_tool(prog: Programmer, install: bool = True) -> str:
    """The tool's path; installed from Debian first when missing and `install` (as root)."""
    found = shutil.which(prog.tool)
    if found:
        return found
    how = f"apt-get install -y {prog.package}"
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ProgramError(f"{prog.tool} is missing; install it: sudo {how}", 2)
    print(f"make program: {prog.tool} is missing; installing Debian's {prog.package}", flush=True)
    install_cmd = ["apt-get", "install", "-y", "-q", prog.package]
    if subprocess.run(install_cmd, capture_output=True, check=False).returncode != 0:
        # most often an old package list: update it and try once more
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        subprocess.run(install_cmd, capture_output=True, check=False)
    found = shutil.which(prog.tool)
    if not found:
        raise ProgramError(f"{prog.tool} is missing and `{how}` did not install it", 2)
    return found


def command(board: str, tool: str, path: Path, flash: bool) -> list[str]:
    """The programmer's command line (module docstring's table)."""
    prog = PROGRAMMERS[board]
    return [tool, *(prog.flash if flash else prog.sram), str(path)]


def program(
    board: str, path: Path | None = None, flash: bool = False, install: bool = True
) -> list[str]:
    """Load the board; returns the command that did it. Raises `ProgramError`."""
    if board not in PROGRAMMERS:
        raise ProgramError(f"unknown BOARD {board!r}; one of {sorted(PROGRAMMERS)}", 2)
    prog = PROGRAMMERS[board]
    path = bitstream(board, path)
    cmd = command(board, ensure_tool(prog, install), path, flash)
    print(f"make program: {board}: {' '.join([*cmd[:-1], repo_path(path)])}", flush=True)
    lines = _run(cmd)
    if lines is None:
        return cmd
    said = [line for line in lines if line.strip()]
    if any(mark in line for line in said for mark in prog.absent):
        reason = next(line for line in said if any(mark in line for mark in prog.absent))
        raise ProgramError(
            f"no {board} found on USB ({prog.tool}: {reason.strip()}); plug it in, or check "
            "the USB permissions (udev rules) and the cable"
        )
    last = said[-1].strip() if said else "no output"
    raise ProgramError(f"{prog.tool} failed on the {board} ({last})")


def _run(cmd: list[str]) -> list[str] | None:
    """Run the tool (a line every 10 s while it works); None on success, else its lines."""
    name, start = Path(cmd[0]).name, time.monotonic()
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as proc:
        while True:
            try:
                out, _ = proc.communicate(timeout=10)  # retrying loses no output
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - start
                if elapsed > TIMEOUT_S:
                    proc.kill()
                    raise ProgramError(f"{name} gave no answer in {TIMEOUT_S} s") from None
                print(f"make program: {name} is still working ({elapsed:.0f} s)", flush=True)
    lines = out.replace("\r", "\n").splitlines()
    if proc.returncode == 0:
        last = next((x.strip() for x in reversed(lines) if x.strip()), "")
        print(f"  {name}: {last}" if last else f"  {name}: done", flush=True)
        return None
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.flow.program", description=__doc__.splitlines()[0])
    ap.add_argument("--board", default=os.environ.get("BOARD") or "icebreaker")
    ap.add_argument("--flash", action="store_true", help="write the SPI flash (kept at power-off)")
    ap.add_argument("--bitstream", type=Path, help="default: build/fpga/BOARD/snn_fpga.bin|bit")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        program(args.board, args.bitstream, args.flash)
    except ProgramError as e:
        print(f"make program: {e}", file=sys.stderr)
        return e.code
    where = "SPI flash (kept at power-off)" if args.flash else "configuration memory"
    print(f"make program: {args.board} loaded into its {where}")
    return 0
