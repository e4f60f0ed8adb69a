"""Constrained-random all-sum-then-fire points for the fused engine (`hw/fused/`), checked on
the Amaranth simulation against the golden model and the fused cycle model.

A point draws the shape (`sim.accel.space._shape`: 1-2 conv layers of random kernel, stride
and channels, 0-2 hidden dense layers, 2-5 classes), T in {1, 2, 3, 5, 8, 16}, weight bits
2..8, input bits 3..12, 0-3 RR features, every layer sum-then-fire with widths re-derived by the range analysis, and
for half the layers a membrane narrower than that analysis (the membrane saturates), with a
lane count 1..16 and the ROM build (the fused engine's only build).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact, derive_widths
from ecg_snn.model.contract.spec import RR_FEATURES, signed_range
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.sim.accel.space import _shape

SEED = 27
MAX_LANES = 16


def draw(rng: np.random.Generator, lanes: int) -> Artifact:
    """One random all-ssf artifact (module docstring)."""
    shape = _shape(rng, lanes, one_deep=False)
    n_rr = int(rng.integers(0, 4))
    T = int(rng.choice([1, 2, 3, 5, 8, 16]))
    art = random_artifact(
        rng,
        **shape,
        rr_features=tuple(rng.choice(RR_FEATURES, n_rr, replace=False).tolist()),
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


def points(seed: int = SEED, n: int = MAX_LANES) -> list[tuple[Artifact, HwConfig]]:
    """`n` points, lane counts 1, 2, ... (cycling over 1..16), from one seeded stream."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        lanes = k % MAX_LANES + 1
        out.append((draw(rng, lanes), HwConfig(lanes=lanes, rom=True, engine="fused")))
    return out


def check_point(art: Artifact, config: HwConfig, x: np.ndarray, rr: np.ndarray) -> dict:
    """Run (x, rr) on the Amaranth simulation of the fused engine; compare with the golden
    model and the cycle model. Returns the counts of mismatches and the first one."""
    from ecg_snn.hw.fused.cycles import inference_cycles
    from ecg_snn.hw.fused.top import FusedAccelerator
    from ecg_snn.model.contract import golden
    from ecg_snn.sim.pysim import simulate

    dut = FusedAccelerator(art.spec, config, art)
    got = simulate(dut, list(zip(x[:, 0], rr, strict=True)))
    want = golden.run(art, x, rr)
    model = inference_cycles(art, config, x, rr)
    bad = [k for k, (c, v, _) in enumerate(got) if c != want.cls[k] or v != want.values[k].tolist()]
    slow = [k for k, (_, _, cyc) in enumerate(got) if cyc != model[k]]
    first = None
    if bad:
        k = bad[0]
        first = f"vector {k}: got {got[k][:2]}, golden {want.cls[k]}, {want.values[k].tolist()}"
    elif slow:
        k = slow[0]
        first = f"vector {k}: {got[k][2]} cycles, the cycle model says {model[k]}"
    return {
        "lanes": config.lanes,
        "T": art.spec.T,
        "layers": [la.kind for la in art.spec.layers],
        "vectors": len(x),
        "mismatches": len(bad),
        "cycle_mismatches": len(slow),
        "first_mismatch": first,
    }
