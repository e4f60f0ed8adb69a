"""The testbench pieces on a FIFO: in-order delivery under pauses, negative test, reset."""

from __future__ import annotations

from pathlib import Path

from ecg_snn.sim.tb import runner


def test_tb_selftest(demo_build: runner.Build, sim_dir: Path) -> None:
    results = runner.run(demo_build, "ecg_snn.sim.tb.selftest", test_dir=sim_dir)
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert len(results) == 3 * 3 + 2, [r.name for r in results]
    assert not failed, "\n".join(failed)
