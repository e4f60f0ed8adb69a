"""Other hardware configurations than the default: the RTL generator must be exact for any
artifact within the supported layer types, not just the trained one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.sim.accel import design
from ecg_snn.sim.accel.job import Job, read_outcome
from ecg_snn.sim.accel.shards import TEST_MODULE
from ecg_snn.sim.accel.vectors import random_and_corners
from ecg_snn.sim.tb import runner

CASES = {
    # lanes not dividing the channel count, no RR features, a single timestep
    "lanes3-norr-T1": (
        {
            "n_samples": 20,
            "convs": ((5, 4, 3),),
            "hidden": (7,),
            "n_classes": 3,
            "rr_features": (),
            "T": 1,
        },
        HwConfig(lanes=3),
    ),
    # weights baked in as ROM (load port tied off), one lane
    "rom-lanes1": (
        {"n_samples": 16, "convs": ((4, 5, 2), (6, 3, 2)), "hidden": (10,), "n_classes": 4},
        HwConfig(lanes=1, rom=True),
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_configuration_bit_exact(case: str, sim_dir: Path) -> None:
    kw, config = CASES[case]
    art = random_artifact(np.random.default_rng(11), **kw)
    build = design.accelerator_build(art.spec, config, art, name=f"accel-{case}")
    job = Job(sim_dir, ResultLayout.of(art.spec))
    if not config.rom:
        job.load(art)
    out = job.classify(art, random_and_corners(art, 300, seed=1))
    results = runner.run(
        build,
        TEST_MODULE,
        test_dir=sim_dir / "run",
        env=job.env(),
        tests=["run_job", "reset_mid_inference"],
    )
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert not failed and len(results) == 2, failed
    assert read_outcome(out).mismatches == 0
