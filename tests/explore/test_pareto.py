"""The Pareto front, the best points, the break-even fit and the plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ecg_snn.explore.measure import break_even
from ecg_snn.explore.pareto import best, pareto_front, plot


def pt(mode: str, T: int, acc: float, nj: float | None, error: str | None = None) -> dict:
    return {
        "mode": mode,
        "T": T,
        "weight_bits": 8,
        "lanes": 8,
        "accuracy_inter": acc,
        "accuracy_intra": acc,
        "nj_per_inference": nj,
        "dense_qnn_nj": 2.0,
        "error": error,
    }


POINTS = [
    pt("if", 2, 0.80, 10.0),  # 0 dominated by 2
    pt("if", 8, 0.90, 50.0),  # 1 front (most accurate)
    pt("ssf", 2, 0.85, 5.0),  # 2 front
    pt("ssf", 4, 0.88, 6.0),  # 3 front
    pt("ssf", 8, 0.88, 7.0),  # 4 dominated by 3 (same accuracy, more energy)
    pt("ssf", 16, 0.99, None, error="boom"),  # 5 failed: ignored
]


def test_front() -> None:
    assert pareto_front(POINTS) == [2, 3, 1]


def test_best() -> None:
    b = best(POINTS, target_nj=10)
    assert [(p["mode"], p["T"]) for p in b["pareto_front"]] == [("ssf", 2), ("ssf", 4), ("if", 8)]
    assert (b["most_accurate"]["mode"], b["most_accurate"]["T"]) == ("if", 8)
    assert b["most_accurate_within_10_nj"]["T"] == 4
    assert b["accuracy_per_nj"]["T"] == 2 and b["accuracy_per_nj"]["mode"] == "ssf"
    assert b["per_mode"]["if"]["T"] == 8
    assert best([pt("if", 2, 0.5, None, "x")])["pareto_front"] == []


def test_break_even() -> None:
    spikes = np.arange(10.0)
    r = break_even(spikes, 1.0 + 0.5 * spikes, qnn_nj=3.0, slots=100)
    assert np.isclose(r["spikes"], 4.0) and np.isclose(r["spike_rate"], 0.04)
    never = break_even(spikes, 4.0 + 0.5 * spikes, qnn_nj=3.0, slots=100)
    assert never["spike_rate"] is None and np.isclose(never["intercept_nj"], 4.0)


def test_plot(tmp_path: Path) -> None:
    path = plot(POINTS, tmp_path / "p.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
