"""Dominance, the front and the rule that picks the default, on hand-computed points."""

from __future__ import annotations

from ecg_snn.explore.pareto import dominates, front, pick


def pt(jk: float, e: float, area: float = 1.0, cycles: float = 100.0) -> dict:
    return {"cv_jk": jk, "uj_per_heartbeat": e, "area_mm2": area, "cycles": cycles}


def test_dominance_needs_one_strict() -> None:
    assert dominates(pt(0.5, 1.0), pt(0.4, 1.0))
    assert dominates(pt(0.5, 1.0), pt(0.5, 2.0))
    assert not dominates(pt(0.5, 1.0), pt(0.5, 1.0))  # equal: neither
    assert not dominates(pt(0.6, 2.0), pt(0.5, 1.0))  # a trade-off: neither
    assert not dominates(pt(0.5, 1.0), pt(0.6, 2.0))


def test_the_front() -> None:
    ps = [pt(0.40, 1.0), pt(0.50, 2.0), pt(0.45, 3.0), pt(0.60, 5.0), pt(0.30, 1.5)]
    # 2 is dominated by 1 (better jκ, less energy), 4 by 0
    assert front(ps) == [0, 1, 3]
    assert front([]) == []


def test_the_rule_takes_the_cheapest_point_within_one_sd_of_the_best() -> None:
    ps = [pt(0.40, 1.0), pt(0.55, 2.0), pt(0.60, 5.0)]
    f = front(ps)
    assert pick(ps, f, {2: 0.01}) == 2  # 0.55 is not within 0.01 of 0.60: the best point
    assert pick(ps, f, {2: 0.05}) == 1  # within one sd: the cheaper one
    assert pick(ps, f, {2: 0.25}) == 0
    tie = [pt(0.5, 1.0, area=2.0), pt(0.5, 1.0, area=1.0)]
    assert pick(tie, [0, 1], {}) == 1  # equal energy: the smaller chip
    assert pick(ps, [], {}) is None


def test_the_rule_reads_the_seed_mean_not_the_seed_0_draw() -> None:
    lucky = pt(0.61, 1.0) | {"jk_mean": 0.49}  # seed 0 high, the other seeds far lower
    steady = pt(0.62, 2.0) | {"jk_mean": 0.59}
    best = pt(0.63, 5.0) | {"jk_mean": 0.62}
    ps = [lucky, steady, best]
    sd = {0: 0.1, 1: 0.04, 2: 0.04}
    assert pick(ps, front(ps), sd) == 1  # by seed-0 scores it would be the lucky 0
    assert pick([p | {"jk_mean": None} for p in ps], front(ps), sd) == 0  # one seed: its score
