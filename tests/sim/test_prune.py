"""`make clean-cache` (`sim.prune`): the newest content-keyed build of each kind stays, older
ones and stale temporaries go, and nothing that is not a keyed build is touched."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ecg_snn.sim import prune


def made(path: Path, age_s: float, size: int = 10, now: float | None = None) -> Path:
    """A build folder (or a file) of `size` bytes, last modified `age_s` ago."""
    now = time.time() if now is None else now
    if path.suffix:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    else:
        path.mkdir(parents=True)
        (path / "f").write_bytes(b"x" * size)
    os.utime(path, (now - age_s, now - age_s))
    return path


def tree(build: Path) -> dict[str, Path]:
    sim = build / "sim"
    return {
        "accel_new": made(sim / "accel-aaaaaaaaaaaa", 10),
        "accel_old": made(sim / "accel-bbbbbbbbbbbb", 1000),
        "accel_lock": made(sim / ".accel-bbbbbbbbbbbb.lock", 1000),
        "spi_only": made(sim / "spi-cccccccccccc", 5000),
        "rtl_new": made(sim / "rtl" / "dddddddddddd", 10),
        "rtl_old": made(sim / "rtl" / "eeeeeeeeeeee", 100),
        "run_new": made(sim / "run" / "run-x1", 10),
        "run_old": made(sim / "run" / "run-x2", 100),
        "waves": made(sim / "waves", 5000),  # not keyed: kept
        "report": made(build / "reports" / "sim.json", 5000),
        "stale_tmp": made(build / "reports" / ".sim.json.abc.tmp", 7200),
        "young_tmp": made(build / "reports" / ".power.json.abc.tmp", 60),
        "partial": made(build / ".verilog.partial", 7200),
    }


def test_keeps_the_newest_of_each_kind_and_removes_the_rest(tmp_path, capsys):
    t = tree(tmp_path)
    assert prune.main(["--build", str(tmp_path)]) == 0
    gone = {k for k, p in t.items() if not p.exists()}
    assert gone == {"accel_old", "accel_lock", "rtl_old", "run_old", "stale_tmp", "partial"}
    out = capsys.readouterr().out
    assert out.startswith("make clean-cache: 5 builds and temporaries, freed")


def test_dry_run_removes_nothing_and_keep_2_keeps_more(tmp_path):
    t = tree(tmp_path)
    prune.main(["--build", str(tmp_path), "--dry-run"])
    assert all(p.exists() for p in t.values())
    doomed = set(prune.plan(tmp_path, keep=2))
    assert t["accel_old"] not in doomed and t["rtl_old"] not in doomed
    assert t["stale_tmp"] in doomed


def test_bad_keep_is_one_line(tmp_path, capsys):
    assert prune.main(["--build", str(tmp_path), "--keep", "-1"]) == 2
    assert capsys.readouterr().err == "make clean-cache: KEEP must be >= 0, not -1\n"
