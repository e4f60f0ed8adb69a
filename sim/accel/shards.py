"""Run one set of vectors across N simulator processes and merge what they saw.

Each shard is its own job (load the image through the load port, then classify a contiguous
slice of the vectors) in its own simulator process on the shared build; threads only wait on
the subprocesses, so N shards use N cores.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.sim.accel.job import Job, Outcome, read_outcome
from ecg_snn.sim.accel.vectors import Vectors
from ecg_snn.sim.tb import runner

TEST_MODULE = "ecg_snn.sim.accel.cocotb_tests"


@dataclass
class Merged:
    cls: np.ndarray
    values: np.ndarray
    cycles: np.ndarray
    mismatches: int
    first_mismatch: str  # of the lowest-numbered shard that has one, i.e. in vector order
    # cocotb test failures (mismatch reports, hangs, load failures) and simulator crashes, each
    # naming its shard and why; a shard without results counts all its vectors as mismatches
    failures: list[str]


def split(n: int, jobs: int) -> list[slice]:
    """`jobs` contiguous, nearly equal slices of range(n) (fewer if n is small)."""
    jobs = max(1, min(jobs, n)) if n else 1
    edges = np.linspace(0, n, jobs + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def run_sharded(
    build: runner.Build,
    artifact: Artifact,
    vectors: Vectors,
    workdir: Path,
    *,
    jobs: int = 2,
    in_pauses: str = "none",
    out_pauses: str = "none",
    expected: tuple[np.ndarray, np.ndarray] | None = None,
    load: bool = True,
) -> Merged:
    """Shard `vectors` over `jobs` simulator processes; `expected` = the golden (cls, values)
    of all vectors if already computed (else each shard runs the golden model on its slice);
    `load=False` for a ROM build (the load port is tied off)."""
    layout = ResultLayout.of(artifact.spec)
    plans = []
    for i, sl in enumerate(split(len(vectors), jobs)):
        job = Job(workdir / f"shard{i}", layout)
        if load:
            job.load(artifact)
        exp = None if expected is None else (expected[0][sl], expected[1][sl])
        out = job.classify(
            artifact,
            vectors[sl],
            in_pauses=in_pauses,
            out_pauses=out_pauses,
            seed=i,
            expected=exp,
        )
        plans.append((job, out))

    def one(plan: tuple[Job, Path]) -> tuple[list[str], Outcome | None]:
        job, out = plan
        try:
            results = runner.run(
                build, TEST_MODULE, test_dir=job.dir / "sim", env=job.env(), tests=["run_job"]
            )
        except RuntimeError as e:  # the simulator crashed: no results file
            return [f"{job.dir.name}: {e}"], None
        failed = [f"{job.dir.name}: {r.message.strip()}" for r in results if not r.passed]
        if not out.exists():
            log = job.dir / "sim" / "sim.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            failed.append(f"{job.dir.name} wrote no results; see {log}:\n{tail}")
            return failed, None
        return failed, read_outcome(out)

    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        done = list(pool.map(one, plans))
    failures, outcomes = [], []
    for (job, _), (failed, outcome) in zip(plans, done, strict=True):
        failures += failed
        if outcome is None:  # a shard that failed: its vectors count as not received
            n = len(np.load(job.dir / "beats.npz")["exp_cls"])
            width = layout.n_classes
            outcome = Outcome(np.full(n, -1), np.zeros((n, width), np.int64),
                              np.zeros(n, np.int64), 0, n, "", "no results")  # fmt: skip
        outcomes.append(outcome)
    firsts = [o.first_mismatch for o in outcomes if o.first_mismatch]
    return Merged(
        cls=np.concatenate([o.cls for o in outcomes]),
        values=np.concatenate([o.values for o in outcomes]),
        cycles=np.concatenate([o.cycles for o in outcomes]),
        mismatches=sum(o.mismatches for o in outcomes),
        first_mismatch=firsts[0] if firsts else "",
        failures=failures,
    )
