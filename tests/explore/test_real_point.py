"""One tiny random point end to end: real cycles, Yosys synthesis and RTL toggle energy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.explore.cache import Store
from ecg_snn.explore.grid import Point
from ecg_snn.explore.measure import Bench, Sample
from ecg_snn.explore.sweep import run_sweep
from tests.explore.conftest import tiny_artifact, tiny_beats


@pytest.mark.slow  # ~1 min on an idle machine (Yosys + Verilator builds), minutes when loaded
def test_tiny_point_end_to_end(tmp_path: Path) -> None:
    point = Point("ssf", 2, 6, 4)
    art = tiny_artifact(point)
    beats = tiny_beats(art, n=6)
    sample = Sample(beats.x[:3], beats.rr[:3], beats.y[:3], np.full(3, 1 / 3))
    bench = Bench({"inter": beats}, "inter", sample, "22nm", tmp_path / "s", tmp_path / "w")
    body = run_sweep(
        [point],
        lambda p: {"inter": art},
        lambda: bench,
        {"beats": 3},
        "v",
        Store(tmp_path / "p"),
        tmp_path / "explore.json",
        jobs=1,
        log=lambda _: None,
    )
    (p,) = body["points"]
    assert p["error"] is None, p["error"]
    assert p["cells"] > 0 and p["flip_flops"] > 0 and p["memory_bits"] > 0
    assert p["nj_per_inference"] > 0 and p["dense_qnn_nj"] > 0
    assert p["energy"]["rtl_golden_mismatches"] == 0
    assert p["cycles"]["max"] > 0 and p["energy"]["rtl_cycles"]["max"] > 0
