"""Constrained-random over the artifact space (`sim/accel/space.py`) on the Amaranth simulation
of the RTL: one random artifact per lane count 1..16 (shapes, widths, T, IF / ssf / IF + ssf,
RR features with and without an RR layer, saturating membranes, ROM or load port), each bit for
bit against the golden model and cycle for cycle against the cycle model. The bins of the draw
(every lane count, both memories, every neuron mode, RR with and without a layer) are asserted,
so a change to the generator cannot quietly narrow what it covers."""

from __future__ import annotations

import numpy as np
import pytest

from hw.config import HwConfig
from hw.cycles import inference_cycles
from hw.top import Accelerator
from model.contract import golden
from model.contract.image import weight_image
from sim.accel.limits import limit_vectors
from sim.accel.space import MAX_LANES, random_point
from sim.pysim import simulate

SEED = 14
# all minimum / RR 0, all maximum / RR max, alternating, one uniform random
PICK = [0, 3, 6, 10]


def points() -> list:
    rng = np.random.default_rng(SEED)
    return [random_point(rng, lanes) for lanes in range(1, MAX_LANES + 1)]


def test_the_draw_covers_the_space():
    pts = points()
    assert {c.lanes for _, c in pts} == set(range(1, MAX_LANES + 1))
    assert {c.rom for _, c in pts} == {True, False}
    modes = {tuple(sorted({la.neuron for la in a.spec.layers})) for a, _ in pts}
    assert modes == {("if",), ("ssf",), ("if", "ssf")}
    rr = {(a.spec.n_rr > 0, any(la.rr_inputs for la in a.spec.layers)) for a, _ in pts}
    assert rr == {(False, False), (True, False), (True, True)}
    assert {1, 16} <= {a.spec.T for a, _ in pts}


@pytest.mark.parametrize("lanes", range(1, MAX_LANES + 1))
def test_random_point_bit_exact(lanes):
    art, config = points()[lanes - 1]
    v = limit_vectors(art.spec, 1)[np.array(PICK)]
    x, rr = v.x[:, None, :], v.rr
    dut = Accelerator(art.spec, config, artifact=art)
    got = simulate(dut, list(zip(v.x, rr, strict=True)), None if config.rom else weight_image(art))
    want = golden.run(art, x, rr)
    assert [g[0] for g in got] == want.cls.tolist()
    assert [g[1] for g in got] == want.values.tolist()
    model = inference_cycles(art, HwConfig(lanes=lanes), x, rr)
    assert [g[2] for g in got] == model.tolist()
