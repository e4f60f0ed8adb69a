"""Done-when, RTL half: the retrained artifact runs bit-exactly on the accelerator's RTL.

Slow (a Verilator build of the accelerator for the test's hardware configuration, then a
cocotb run): `pytest -m slow tests/model/retrain/test_rtl.py`. The vectors are the retrained model's
own test beats (`test_beats.npz`), loaded through the load port as its weight image, exactly
what `make sim MODEL=...` does with MIT-BIH beats.
"""

import json

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import load_artifact


@pytest.mark.slow
def test_retrained_artifact_is_bit_exact_on_rtl(write_db, run_cli, tmp_path):
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.model.contract import golden
    from ecg_snn.sim.accel import design
    from ecg_snn.sim.accel.shards import run_sharded
    from ecg_snn.sim.accel.vectors import Vectors

    db = write_db(fs=250, n_records=5, beats=50)
    status, _, err = run_cli("--db", str(db), "--epochs", "1", "--name", "rtl",
                             "--min-train-beats", "5")  # fmt: skip
    assert status == 0, err
    report = json.loads((tmp_path / "reports" / "rtl" / "report.json").read_text())
    artifact = load_artifact(report["artifact"])
    beats = np.load(report["test_beats"])
    n = len(beats["x"])
    vectors = Vectors(beats["x"][:, 0, :], beats["rr"], beats["record"], np.arange(n))
    build = design.accelerator_build(artifact.spec, HwConfig())
    merged = run_sharded(build, artifact, vectors, tmp_path / "rtl", jobs=1)
    assert merged.failures == [] and merged.mismatches == 0, merged.first_mismatch
    gold = golden.run(artifact, beats["x"], beats["rr"])
    assert np.array_equal(merged.cls, gold.cls) and np.array_equal(merged.values, gold.values)
