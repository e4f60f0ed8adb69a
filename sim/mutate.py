"""`make mutate`: plant one-line bugs one at a time and check the tests catch each: in `hw/`, and at
the chip's boundaries (the SPI shell, the load port, the hardware id, the QRS detector in the
contract and in C, the benches' players and recorder, the C driver).

    python -m ecg_snn.sim.mutate [--only ID,ID] [--list] [--timeout-factor F] [--report FILE]

The mutants are listed in `tests/mutants.toml`: an id, a file of the tree, an exact snippet
that must occur exactly once in it, its replacement and the pytest selection that should kill
it. The tool

1. refuses (exit 2, naming every stale entry) when a snippet no longer occurs exactly once, so
   a refactored `hw/` cannot silently turn the list into no-ops;
2. copies the tree (every package, `tests/`, `pyproject.toml`) into a temporary directory
   (sharing `build/cache`, with `MITDB_DIR` set to this tree's MIT-BIH) and runs the union of
   the selections there unmutated: they must pass, none may skip (a skipped test kills
   nothing), or a "kill" would mean nothing;
3. for each mutant, a fresh copy with the one line changed, its selection run with
   `PYTHONPATH` pointing at the copy (ahead of the editable install): *killed* when a test
   fails, *timeout* (also killed: a hang is caught) when it runs longer than
   `--timeout-factor` x the unmutated time, *survived* when everything passes, *error* when
   pytest could not run the selection at all.

The working tree is never modified. Report: `build/reports/mutate.json` (atomic), with the
status, seconds and first failing test of every mutant and the kill rate. Exit status 1 if any
mutant survived or errored.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.sim.mutate:main", "make mutate")

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "tests" / "mutants.toml"
REPORT = ROOT / "build" / "reports" / "mutate.json"
# Every package of the project (a folder with an `__init__.py`), the tests and the settings.
COPY = (*sorted(p.parent.name for p in ROOT.glob("*/__init__.py")), "tests", "pyproject.toml")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "artifacts_cache")


class MutantError(Exception):
    """The mutant list does not apply to this tree; the message says which entries and why."""


@dataclass
class Mutant:
    id: str
    file: str
    find: str
    replace: str
    why: str = ""
    tests: list[str] = field(default_factory=list)


def load(path: Path = MUTANTS, root: Path = ROOT) -> list[Mutant]:
    """The mutants of `path`, each checked to apply exactly once to `root`; MutantError lists
    every entry that does not."""
    body = tomllib.loads(path.read_text())
    default = list(body.get("default_tests", []))
    mutants, problems, seen = [], [], set()
    for entry in body.get("mutant", []):
        try:
            m = Mutant(**entry)
        except TypeError as e:
            problems.append(f"{entry.get('id', '?')}: bad entry ({e})")
            continue
        m.tests = m.tests or default
        if m.id in seen:
            problems.append(f"{m.id}: duplicate id")
        seen.add(m.id)
        target = root / m.file
        if not target.is_file():
            problems.append(f"{m.id}: no file {m.file}")
            continue
        n = target.read_text().count(m.find)
        if n != 1:
            problems.append(
                f"{m.id}: the snippet {m.find!r} occurs {n} times in {m.file}, not exactly once "
                f"(hw/ changed: update it in {path.name})"
            )
        if m.find == m.replace or not m.tests:
            problems.append(f"{m.id}: the replacement changes nothing or no tests are named")
        mutants.append(m)
    if problems:
        raise MutantError("\n".join(problems))
    return mutants


def copy_tree(dest: Path, root: Path = ROOT) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORE, symlinks=True)
        elif src.exists():
            shutil.copy2(src, dest / name)
    # The beat dataset cache (built from MIT-BIH, which no mutant touches; written atomically):
    # shared, so a selection on real beats does not rebuild it for every mutant.
    cache = root / "build" / "cache"
    if cache.is_dir():
        (dest / "build").mkdir(exist_ok=True)
        (dest / "build" / "cache").symlink_to(cache, target_is_directory=True)
    return dest


def data_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with `MITDB_DIR` pointing at the MIT-BIH copy this tree finds: the copy lives
    elsewhere, where the relative default (`../shared/data/mitdb`) finds nothing, and a test
    that skips for want of data would let its mutant survive."""
    from ecg_snn.data.errors import DataError
    from ecg_snn.data.locate import find_mitdb

    if "MITDB_DIR" not in env:
        with contextlib.suppress(DataError):
            env["MITDB_DIR"] = str(find_mitdb(download=False))
    return env


def apply(m: Mutant, tree: Path) -> None:
    path = tree / m.file
    text = path.read_text()
    if text.count(m.find) != 1:  # checked by load(), again on the copy
        raise MutantError(f"{m.id}: snippet not found exactly once in the copy of {m.file}")
    path.write_text(text.replace(m.find, m.replace))


def run_tests(tree: Path, tests: list[str], timeout: float | None) -> tuple[str, float, str]:
    """Run the pytest selection in `tree`: (passed | failed | timeout | error, seconds, the
    first failure line)."""
    env = data_env(dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1"))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
           "-x", "--no-header", *tests]  # fmt: skip
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0, f"no result after {timeout:.0f} s"
    secs = time.perf_counter() - t0
    out = p.stdout + p.stderr
    failed = [ln for ln in out.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    status = {0: "passed", 1: "failed"}.get(p.returncode, "error")
    if status == "passed" and re.search(r"\d+ skipped", out):
        # a skipped test kills nothing: the selection must run in full
        status, first = "error", "tests skipped: " + out.strip().splitlines()[-1]
        return status, secs, first
    first = failed[0] if failed else ("" if status == "passed" else out.strip()[-400:])
    return status, secs, first


def check_copy_imports_itself(tree: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree))
    code = "import hw, sim; print(hw.__file__)"
    got = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True,
                         text=True).stdout.strip()  # fmt: skip
    if not got.startswith(str(tree)):
        raise RuntimeError(f"the copy at {tree} imports hw from {got}, not from itself")


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.sim.mutate", description=__doc__.split("\n")[0])
    ap.add_argument("--mutants", type=Path, default=MUTANTS)
    ap.add_argument("--only", default="", help="comma-separated mutant ids")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--timeout-factor", type=float, default=5.0)
    ap.add_argument("--report", type=Path, default=REPORT)
    args = ap.parse_args(argv)
    try:
        mutants = load(args.mutants)
    except (MutantError, tomllib.TOMLDecodeError, FileNotFoundError) as e:
        print(f"make mutate: the mutant list does not apply to this tree:\n{e}", file=sys.stderr)
        return 2
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m.id for m in mutants}
        if unknown:
            print(f"make mutate: unknown mutant ids {sorted(unknown)}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.id in wanted]
    if args.list:
        for m in mutants:
            print(f"{m.id:32s} {m.file:16s} {m.why}")
        return 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        base = copy_tree(Path(tmp) / "base")
        check_copy_imports_itself(base)
        selections = sorted({t for m in mutants for t in m.tests})
        print(f"mutate: unmutated run of {len(selections)} test selections ...", flush=True)
        status, base_secs, first = run_tests(base, selections, None)
        if status != "passed":
            print(f"make mutate: the tests fail without a mutant: {first}", file=sys.stderr)
            return 2
        timeout = max(60.0, args.timeout_factor * base_secs)
        shutil.rmtree(base)
        results = []
        for k, m in enumerate(mutants, 1):
            tree = copy_tree(Path(tmp) / f"m{k}")
            apply(m, tree)
            status, secs, first = run_tests(tree, m.tests, timeout)
            verdict = {"failed": "killed", "timeout": "timeout", "passed": "survived"}.get(
                status, "error"
            )
            results.append({"id": m.id, "file": m.file, "why": m.why, "status": verdict,
                            "seconds": round(secs, 1), "tests": m.tests,
                            "first_failure": re.sub(r"\s+", " ", first)[:300]})  # fmt: skip
            print(f"[{k}/{len(mutants)}] {m.id}: {verdict} ({secs:.0f} s)", flush=True)
            shutil.rmtree(tree)
    killed = sum(r["status"] in ("killed", "timeout") for r in results)
    report = {
        "mutants": len(results),
        "killed": killed,
        "kill_rate": round(killed / len(results), 3) if results else None,
        "survived": [r["id"] for r in results if r["status"] == "survived"],
        "errors": [r["id"] for r in results if r["status"] == "error"],
        "unmutated_seconds": round(base_secs, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "results": results,
    }
    write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    print(f"mutate: {killed} of {len(results)} mutants killed; report: {args.report}")
    if report["survived"] or report["errors"]:
        print(f"make mutate: FAILED: survived {report['survived']}, errors {report['errors']}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0
