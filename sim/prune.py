"""`make clean-cache`: prune the content-keyed builds that pile up in build/ (past 1 GB).

Every change of the RTL generator, a model or a build option makes a new Verilator build, a
new Verilog file and a new run directory, each named by a content hash (`sim.tb.runner.build_key`,
`sim.accel.design.design_key`) and never deleted, since an identical later run reuses it. This
command keeps, for each kind of build, the newest `--keep` (by modification time) and removes
the rest:

- ``build/sim/<kind>-<key>/`` Verilator builds (accel, spi, limit cases, ...) and their lock files,
  and Yosys synthesis results (``synth-<key>``, `flow.verilog.synthesize`);
- ``build/sim/hdl_clock/<key>/`` clock wrappers and ``build/sim/rtl/[spi-]<key>/`` Verilog;
- ``build/sim/run/run-*/`` the per-run result folders of `make sim`;
- temporaries that an interrupted write left behind (``.*.tmp`` files, ``.*.partial`` and ``.*.old``
  folders) older than an hour (a younger one may belong to a running command).

A removed build is rebuilt when it is needed again; reports, artifacts, checkpoints, the dataset
cache and anything not named by a content key are never touched. Run it while no simulation is
running (a build in use could be removed under it).
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.sim.prune:main", "make clean-cache")

import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

from ecg_snn.data.cli import Parser
from ecg_snn.data.paths import REPO, repo_path

KEYED = re.compile(r"^(?P<kind>.*?)-?(?P<key>[0-9a-f]{12})$")
KEYED_ROOTS = ("sim", "sim/hdl_clock", "sim/rtl", "stream")
RUN_ROOTS = ("sim/run",)
STALE_SECONDS = 3600


def _newest_first(paths: list[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True)


def keyed_builds(root: Path, keep: int) -> list[Path]:
    """The content-keyed folders in `root` beyond the newest `keep` of each kind."""
    kinds: dict[str, list[Path]] = defaultdict(list)
    for entry in root.iterdir() if root.is_dir() else ():
        m = KEYED.match(entry.name)
        if entry.is_dir() and m:
            kinds[m["kind"]].append(entry)
    return [p for group in kinds.values() for p in _newest_first(group)[keep:]]


def stale_temporaries(build: Path, now: float) -> list[Path]:
    """What an interrupted atomic write or staged build left behind, older than an hour."""
    found = [*build.rglob(".*.tmp"), *build.rglob(".*.partial"), *build.rglob(".*.old")]
    return [p for p in found if now - p.stat().st_mtime > STALE_SECONDS]


def plan(build: Path, keep: int, now: float | None = None) -> list[Path]:
    """Everything `make clean-cache` removes from `build` (module docstring)."""
    if keep < 0:
        raise ValueError(f"KEEP must be >= 0, not {keep}")
    doomed = [p for r in KEYED_ROOTS for p in keyed_builds(build / r, keep)]
    for r in RUN_ROOTS:
        runs = [p for p in (build / r).glob("run-*") if p.is_dir()]
        doomed += _newest_first(runs)[keep:]
    return doomed + stale_temporaries(build, time.time() if now is None else now)


def size(path: Path) -> int:
    """Bytes under `path` (a file or a folder)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def remove(path: Path) -> None:
    """Remove a build folder (and the lock file beside it) or a temporary file."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    (path.parent / f".{path.name}.lock").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.sim.prune", description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=int, default=1, help="newest builds kept per kind (default 1)")
    ap.add_argument("--build", type=Path, default=REPO / "build", help="the build folder")
    ap.add_argument("--dry-run", action="store_true", help="list what would go, remove nothing")
    args = ap.parse_args(argv)
    try:
        doomed = plan(args.build, args.keep)
    except ValueError as e:
        print(f"make clean-cache: {e}", file=sys.stderr)
        return 2
    freed = 0
    for path in doomed:
        freed += size(path)
        if args.dry_run:
            print(f"would remove {repo_path(path)}")
        else:
            remove(path)
    verb = "would free" if args.dry_run else "freed"
    print(
        f"make clean-cache: {len(doomed)} builds and temporaries, {verb} {freed / 1e6:.1f} MB "
        f"(kept the newest {args.keep} of each kind in {repo_path(args.build)})"
    )
    return 0
