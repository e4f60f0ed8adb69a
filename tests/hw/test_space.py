"""Constrained-random over the artifact space (`sim/accel/space.py`) on the Amaranth simulation
of the RTL: one random artifact per lane count 1..16 (shapes, widths, T, IF / ssf / IF + ssf,
RR features with and without an RR layer, saturating membranes, ROM or load port), each bit for
bit against the golden model and cycle for cycle against the cycle model, with the simulation
assertions on. The bins of the draw (every lane count, both memories, every neuron mode, RR with
and without a layer) are asserted, so a change to the generator cannot quietly narrow what it
covers; some layer of every point has two or more channel groups and several points have a
one-entry event queue (checked runs of those aborted on a settling glitch while the queue's
assertion was combinational); and the coverage model's lane bins are shown to name a missing
lane count."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.sim.accel import coverage, space
from ecg_snn.sim.accel.limits import limit_vectors
from ecg_snn.sim.accel.space import MAX_LANES, check_point, max_groups, points, queue_depth

# all minimum / RR 0, all maximum / RR max, alternating, one uniform random
PICK = [0, 3, 6, 10]


def test_the_draw_covers_the_space():
    pts = points()
    assert {c.lanes for _, c in pts} == set(range(1, MAX_LANES + 1))
    assert {c.rom for _, c in pts} == {True, False}
    modes = {tuple(sorted({la.neuron for la in a.spec.layers})) for a, _ in pts}
    assert modes == {("if",), ("ssf",), ("if", "ssf")}
    rr = {(a.spec.n_rr > 0, any(la.rr_inputs for la in a.spec.layers)) for a, _ in pts}
    assert rr == {(False, False), (True, False), (True, True)}
    # RR into a later dense layer too (the shipped model's output layer takes it)
    assert any(sum(la.rr_inputs > 0 for la in a.spec.layers) >= 2 for a, _ in pts)
    assert {1, 16} <= {a.spec.T for a, _ in pts}
    # multi-group addressing at every lane count, and one-entry event queues (every fire scan
    # one word: the queue is full as soon as it holds an entry) beside deeper ones
    assert all(max_groups(a, c.lanes) >= 2 for a, c in pts)
    depths = [queue_depth(a, c.lanes) for a, c in pts]
    assert depths.count(1) >= 2 and max(depths) > 1


def test_constraints_are_redrawn_until_they_hold():
    """The unconstrained draw breaks them: at 16 lanes most shapes have one channel group
    everywhere (the constraint is not vacuous), yet every constrained point has two or more."""
    rng = np.random.default_rng(0)
    free = [space._draw(rng, 16, False) for _ in range(20)]
    assert sum(max_groups(a, 16) < 2 for a in free) >= 5
    rng = np.random.default_rng(0)
    assert all(max_groups(space.random_point(rng, 16)[0], 16) >= 2 for _ in range(20))
    deep = [space._draw(rng, 4, True) for _ in range(10)]
    assert all(queue_depth(a, 4) == 1 for a in deep)


@pytest.mark.parametrize("lanes", range(1, MAX_LANES + 1))
def test_random_point_bit_exact(lanes):
    art, config = points()[lanes - 1]
    r = check_point(art, config, limit_vectors(art.spec, 1)[np.array(PICK)])
    assert r["vectors"] == len(PICK) and r["lanes"] == lanes
    assert r["mismatches"] == 0 and r["cycle_mismatches"] == 0, r["first_mismatch"]


def test_a_lane_count_without_a_run_is_an_empty_bin():
    """Every lane count 1..16 is a bin; the points fill them all, and without the 7-lane point
    `lanes=7` is named empty (golden model only: no simulation needed)."""
    runs = []
    for art, config in points():
        v = limit_vectors(art.spec, 0)[:1]
        runs.append({**coverage.measure(art, v.x, v.rr), "lanes": config.lanes})
    lane_bins = [f"lanes={n}" for n in range(1, MAX_LANES + 1)]
    assert set(lane_bins) <= set(coverage.bins(runs))
    assert not set(lane_bins) & set(coverage.empty_bins(coverage.bins(runs)))
    without_7 = coverage.bins([r for r in runs if r["lanes"] != 7])
    assert [b for b in coverage.empty_bins(without_7) if b.startswith("lanes=")] == ["lanes=7"]
