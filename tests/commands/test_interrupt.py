"""Ctrl-C on a real command: one line, exit 130, nothing half-written (`data.cli.run`).

The signal goes to the command's whole process group, as a terminal's Ctrl-C does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecg_snn.data.cli import interrupted_line

REPO = Path(__file__).resolve().parents[2]


def start(tmp: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip


def interrupt(proc: subprocess.Popen) -> tuple[int, str, str]:
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the command ended before {path.name} appeared: {proc.stderr.read()}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail(f"{path.name} did not appear in {timeout} s")
        time.sleep(0.05)


def train_args(tmp: Path) -> list[str]:
    return [
        "-m", "ecg_snn.model", "--split", "inter", "--max-beats", "1500", "--epochs", "500",
        "--ft-epochs", "0", "--no-sweeps", "--seeds", "--quiet", "--out", str(tmp / "a.json"),
        "--report-dir", str(tmp / "reports"), "--checkpoint-dir", str(tmp / "ckpt"),
    ]  # fmt: skip


def leftovers(tmp: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*.tmp"))


def test_ctrl_c_while_training(tmp_path, mitdb_dataset):
    """Interrupted between (or during) the atomic checkpoint writes of a real training run."""
    proc = start(tmp_path, *train_args(tmp_path))
    wait_for(tmp_path / "ckpt" / "inter_cnn.pt", proc)
    code, _, err = interrupt(proc)
    assert code == 130, err
    assert err.strip().splitlines() == [interrupted_line("make train")]
    assert leftovers(tmp_path) == []  # no temporary file of an interrupted write
    assert not (tmp_path / "a.json").exists() and not (tmp_path / "reports").exists()
    from ecg_snn.model.train import load_checkpoint  # what was written is whole: it loads

    with pytest.raises(Exception, match="configuration"):  # whole, only not this identity
        load_checkpoint(tmp_path / "ckpt" / "inter_cnn.pt", {"not": "this run"})


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (None, "make train"),  # a package's __main__.py
        (["-m", "ecg_snn.sim.run", "--beats", "1"], "make sim"),  # a module that is its own command
        (["-m", "ecg_snn.report", "--check"], "make report"),
    ],
    ids=["model", "sim.run", "report"],
)
def test_ctrl_c_while_importing(tmp_path, args, name):
    """A Ctrl-C during the seconds of numpy/torch/amaranth imports is caught too (the command
    is imported inside the guard)."""
    args = args or train_args(tmp_path)
    proc = start(tmp_path, "-X", "importtime", *args)
    end = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < end:  # the first imports are logged
        line = proc.stderr.readline()
        if "numpy" in line:
            break
    code, _, err = interrupt(proc)
    lines = [x for x in err.splitlines() if not x.startswith("import time:")]
    assert code == 130 and lines == [interrupted_line(name)], err[-2000:]
    assert list(tmp_path.iterdir()) == []


def test_a_helper_that_swallowed_the_interrupt_would_fail(tmp_path):
    """The checks above can fail: a command killed without the helper's handling (here: the
    default SIGINT action) does not give 130 and the line."""
    proc = start(tmp_path, "-c", "import signal, time; signal.signal(signal.SIGINT, "
                 "signal.SIG_DFL); print('ready', flush=True); time.sleep(60)")  # fmt: skip
    assert proc.stdout.readline() == "ready\n"
    code, _, err = interrupt(proc)
    assert code != 130 and interrupted_line("make train") not in err


def test_a_long_quiet_step_has_a_heartbeat():
    """`data.cli.heartbeat`: a line every `every` seconds while the block runs, none after."""
    import io

    from ecg_snn.data.cli import heartbeat

    out = io.StringIO()
    with heartbeat("make fpga: place and route", every=0.05, out=out):
        time.sleep(0.28)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 3 and lines[0].startswith("make fpga: place and route: still running (")
    n = len(lines)
    time.sleep(0.15)
    assert len(out.getvalue().splitlines()) == n  # stopped with the block


def test_a_quick_step_has_no_heartbeat():
    import io

    from ecg_snn.data.cli import heartbeat

    out = io.StringIO()
    with heartbeat("make verilog: lint", every=5, out=out):
        pass
    assert out.getvalue() == ""
