"""Done-when, RTL half: an adapted artifact runs bit-exactly on the accelerator's RTL.

Slow (a Verilator build of the default accelerator, then a cocotb run): `pytest -m slow
tests/model/adapt/test_rtl.py`. The adapted weight image goes in through the load port and the
vectors are the record's beats after the labelled minute (`rest_beats.npz`), exactly what
`make sim MODEL=...` does with MIT-BIH beats.
"""

import json

import numpy as np
import pytest

from ecg_snn.model.adapt.cli import main
from ecg_snn.model.contract.artifact import load_artifact


@pytest.mark.slow
def test_adapted_artifact_is_bit_exact_on_rtl(write_record, tmp_path):
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.model.contract import golden
    from ecg_snn.sim.accel import design
    from ecg_snn.sim.accel.shards import run_sharded
    from ecg_snn.sim.accel.vectors import Vectors

    db = write_record(x_symbol="F")
    reports = tmp_path / "reports"
    assert main(["--db", str(db), "--record", "p1", "--minutes", "1",
                 "--out", str(tmp_path / "out"), "--reports", str(reports)]) == 0  # fmt: skip
    report = json.loads(next(reports.glob("*/report.json")).read_text())
    assert report["calibration"]["integers_changed"] > 0
    artifact = load_artifact(report["artifact"])
    beats = np.load(report["rest_beats"])
    n = len(beats["x"])
    vectors = Vectors(beats["x"][:, 0, :], beats["rr"], np.full(n, "p1"), np.arange(n))
    build = design.accelerator_build(artifact.spec, HwConfig())
    merged = run_sharded(build, artifact, vectors, tmp_path / "rtl", jobs=1)
    assert merged.failures == [] and merged.mismatches == 0, merged.first_mismatch
    gold = golden.run(artifact, beats["x"], beats["rr"])
    assert np.array_equal(merged.cls, gold.cls) and np.array_equal(merged.values, gold.values)
