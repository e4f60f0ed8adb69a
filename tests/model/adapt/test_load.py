"""An adapted weight image is a field update: the C driver built for the *base* model (the
silicon) loads the .bin the command wrote and then answers as the golden model of the adapted
artifact, bit for bit. The RTL half is `test_rtl.py` (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ecg_snn.firmware.build import build_library
from ecg_snn.firmware.host import HostLib
from ecg_snn.model.adapt.cli import main
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import load_artifact

OK = 0


def test_the_c_driver_of_the_base_loads_the_adapted_image(write_record, base, tmp_path: Path):
    db = write_record(x_symbol="F")
    reports = tmp_path / "reports"
    assert main(["--db", str(db), "--record", "p1", "--minutes", "1",
                 "--out", str(tmp_path / "out"), "--reports", str(reports)]) == 0  # fmt: skip
    report = json.loads(next(reports.glob("*/report.json")).read_text())
    adapted = load_artifact(report["artifact"])
    rest = np.load(report["rest_beats"])
    x, rr = rest["x"].astype(np.int64), rest["rr"].astype(np.int64)

    lib = HostLib(build_library(base, tmp_path / "fw"))  # the base chip's firmware
    lib.power_on()
    assert lib.load_bytes(Path(report["weight_image"]).read_bytes()) == OK
    got = lib.driver(x, rr)
    want = golden.run(adapted, x, rr)
    np.testing.assert_array_equal(got["cls"], want.cls)
    np.testing.assert_array_equal(got["values"], want.values)
    # the load changed the answers: the base model classifies these beats otherwise
    assert not np.array_equal(want.cls, golden.run(base, x, rr).cls)
