"""Constrained-random all-sum-then-fire points for the fused engine (`hw/fused/`), checked on
the Amaranth simulation against the golden model and the fused cycle model.

A point draws the shape (`sim.accel.space._shape`: 1-2 conv layers of random kernel, stride
and channels, 0-2 hidden dense layers, 2-5 classes), T from {1, 2, 3, 5, 8, 16} in turn, weight
bits 2..8, input bits 3..12, 0-3 RR features (into the first dense layer, and into each later
one with probability 1/2, `space.rr_layers`), every layer sum-then-fire with widths re-derived by
the range analysis, and for half the layers a membrane narrower than that analysis (the
membrane saturates), with a lane count 1..16 and the ROM build (the fused engine's only one).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact, derive_widths
from ecg_snn.model.contract.spec import RR_FEATURES, signed_range
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.sim.accel.space import _shape, rr_layers
from ecg_snn.sim.accel.vectors import Vectors

SEED = 27
MAX_LANES = 16


def config(lanes: int, block_ram: bool = False) -> HwConfig:
    """The fused engine's ROM build at `lanes` (`block_ram`: its FPGA build)."""
    return HwConfig(lanes=lanes, rom=True, engine="fused", block_ram=block_ram)


TS = (1, 2, 3, 5, 8, 16)  # the points' T, in turn: every one is drawn (a coverage bin each)


def draw(rng: np.random.Generator, lanes: int, T: int) -> Artifact:
    """One random all-ssf artifact at `T` (module docstring)."""
    shape = _shape(rng, lanes, one_deep=False)
    n_rr = int(rng.integers(0, 4))
    art = random_artifact(
        rng,
        **shape,
        rr_features=tuple(rng.choice(RR_FEATURES, n_rr, replace=False).tolist()),
        rr_dense=rr_layers(rng, len(shape["hidden"]) + 1),
        T=T,
        weight_bits=int(rng.integers(2, 9)),
        input_bits=int(rng.integers(3, 13)),
        threshold_range=(1, 30),
        neuron="ssf",
    )
    spec, layers = art.spec, list(art.spec.layers)
    for i, la in enumerate(layers):
        la = dataclasses.replace(la, v_init=la.threshold // 2)
        la = dataclasses.replace(la, **derive_widths(la, spec.preprocess, T, art.tensors))
        if rng.random() < 0.5:  # narrower than the range analysis: the membrane saturates
            mb = max(la.threshold.bit_length() + 1, la.membrane_bits - int(rng.integers(1, 6)))
            la = dataclasses.replace(
                la, membrane_bits=mb, v_init=min(la.v_init, signed_range(mb)[1])
            )
        layers[i] = la
    out = Artifact(
        dataclasses.replace(spec, layers=tuple(layers)), art.tensors, {"origin": "fused_space"}
    )
    out.validate()
    return out


def points(
    seed: int = SEED, n: int = MAX_LANES, block_ram: bool = False
) -> list[tuple[Artifact, HwConfig]]:
    """`n` points, lane counts 1, 2, ... (cycling over 1..16), from one seeded stream;
    `block_ram`: the FPGA build (`HwConfig.block_ram`) of the same artifacts."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        lanes = k % MAX_LANES + 1
        out.append((draw(rng, lanes, TS[k % len(TS)]), config(lanes, block_ram)))
    return out


def t_max_ssf() -> Artifact:
    """The largest legal T (1024) on the fused engine: an ssf conv input layer (threshold 1:
    its counts clip at T, 11-bit counts) into the tied ssf output layer of `limits.t_max`."""
    from ecg_snn.sim.accel.limits import _L, WMAX, WMIN, _artifact, _conv0, _output_tied, _pre

    conv_w = np.array([[[WMAX] * 3], [[WMIN] * 3]])
    c0 = _conv0(2, "ssf")
    w1, b1 = _output_tied(c0.n_out)
    return _artifact(
        _pre(),
        1024,
        [
            _L(c0, conv_w, np.array([WMAX, WMIN]), membrane_bits=8, threshold=1, v_init=0),
            _L(_dense_out(c0.n_out), w1, b1, v_init="min"),
        ],
        3,
        "fused t-max",
    )


def _dense_out(n_in: int) -> object:
    from ecg_snn.sim.accel.limits import _dense

    return _dense("out", n_in, 3, "ssf", fires=False)


def limit_cases(block_ram: bool = False) -> dict[str, tuple]:
    """The directed limit cases the fused engine runs (`sim/accel/limits.py` has the event
    engine's; its IF ones are refused here): name -> (artifact, config, n_random);
    `block_ram`: in the FPGA build (`HwConfig.block_ram`)."""
    from ecg_snn.sim.accel.limits import ssf_limits

    return {
        "ssf": (ssf_limits(), config(2, block_ram), 24),
        "t-max-ssf": (t_max_ssf(), config(4, block_ram), 2),
    }


def check_point(art: Artifact, config: HwConfig, vectors: Vectors) -> dict:
    """`sim.accel.space.check_point` for the fused engine: `vectors` on the Amaranth
    simulation of `FusedAccelerator`, each class and output value against the golden model and
    each cycle count against `hw.fused.cycles.inference_cycles`. Returns `describe(...)` plus
    `vectors`, `mismatches`, `cycle_mismatches`, `first_mismatch` and `coverage`."""
    from ecg_snn.hw.fused.cycles import inference_cycles
    from ecg_snn.hw.fused.top import FusedAccelerator
    from ecg_snn.sim.accel.coverage import measure_run
    from ecg_snn.sim.accel.space import compare
    from ecg_snn.sim.pysim import simulate

    cov, gold = measure_run(art, vectors.x, vectors.rr)
    cov["lanes"] = config.lanes
    dut = FusedAccelerator(art.spec, config, art)
    got = simulate(dut, list(zip(vectors.x, vectors.rr, strict=True)))
    model = inference_cycles(art, config, vectors.x[:, None, :], vectors.rr)
    return compare(art, config, vectors, got, model, cov, gold)
