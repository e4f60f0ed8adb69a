"""Constrained-random points of the artifact space: shapes, widths, T, neuron modes (IF, ssf, IF
prefix + ssf suffix), RR features with and without a layer that takes them (the first dense
layer, and later ones with probability 1/2, `rr_layers`), membranes at or
below the range analysis (saturating), and a hardware configuration (lanes 1..16, ROM or load
port); constrained so that some layer of every point has two or more channel groups, and a
quarter of the points has a one-entry event queue (every fire scan one word). Every point is a
valid artifact: the range analysis still proves `acc` and `const` fit, exactly as for a trained
model.

`points` draws one point per lane count 1..16 from a fixed seed; `check_point` runs one on the
Amaranth simulation of the RTL (simulation assertions on: the event queue never overflows)
against the golden model, value for value, and the cycle model, cycle for cycle. `make sim`
runs every point (`sim/run.py`, `--space`) and counts each lane count as a coverage bin;
`tests/hw/test_space.py` runs them too.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecg_snn.hw.config import HwConfig, LayerGeometry
from ecg_snn.hw.cycles import inference_cycles
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract.artifact import Artifact, derive_widths
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.spec import RR_FEATURES, signed_range
from ecg_snn.model.random_artifact import random_artifact
from ecg_snn.sim.accel.coverage import LANES, measure_run
from ecg_snn.sim.accel.vectors import Vectors
from ecg_snn.sim.pysim import simulate

MAX_LANES = max(LANES)
SEED = 14


ONE_DEEP = 0.25  # share of points whose every fire scan is one word: a one-entry event queue
MIN_GROUPS = 2  # some layer of every point has at least this many channel groups
MAX_DRAWS = 100


def queue_depth(art: Artifact, lanes: int) -> int:
    """The event queue depth `hw.top.Accelerator` builds: the longest fire scan."""
    firing = art.spec.layers[:-1]
    return max((LayerGeometry(la, lanes).depth for la in firing), default=1)


def max_groups(art: Artifact, lanes: int) -> int:
    """The most channel groups (ceil(channels / lanes)) of any layer."""
    return max(LayerGeometry(la, lanes).groups for la in art.spec.layers)


def _shape(rng: np.random.Generator, lanes: int, one_deep: bool) -> dict:
    """Layer shapes. `one_deep`: every firing layer is one neuron group at one position (convs
    cover their whole input, at most `lanes` channels; hidden layers at most `lanes` wide), so
    every fire scan is one word and the event queue one entry deep; the output layer is free."""
    n_samples = int(rng.integers(10, 24))
    convs, length = [], n_samples
    for k in range(int(rng.integers(1, 3))):
        if one_deep:
            convs.append((int(rng.integers(1, lanes + 1)), length if k == 0 else 1, 1))
            length = 1
            continue
        kernel = int(rng.integers(1, min(6, length) + 1))
        stride = int(rng.integers(1, 4))
        convs.append((int(rng.integers(1, 7)), kernel, stride))
        length = (length - kernel) // stride + 1
    widest = lanes + 1 if one_deep else max(12, 2 * lanes + 1)
    hidden = tuple(int(rng.integers(1 if one_deep else 2, widest)) for _ in range(rng.integers(3)))
    n_classes = int(rng.integers(2, 2 * lanes + 1 if one_deep else 6))
    return dict(n_samples=n_samples, convs=tuple(convs), hidden=hidden, n_classes=max(n_classes, 2))


def rr_layers(rng: np.random.Generator, n_dense: int) -> tuple[int, ...]:
    """Which of `n_dense` dense layers take the RR features: the first, and each later one with
    probability 1/2 (the shipped model's RR also enters its output layer)."""
    return (0, *(j for j in range(1, n_dense) if rng.random() < 0.5))


def _draw(rng: np.random.Generator, lanes: int, one_deep: bool) -> Artifact:
    """One random artifact of the point's shape kind (see `random_point`)."""
    shape = _shape(rng, lanes, one_deep)
    n_rr = int(rng.integers(0, 4))
    rr_features = tuple(rng.choice(RR_FEATURES, n_rr, replace=False).tolist())
    rr_dense = rr_layers(rng, len(shape["hidden"]) + 1)
    T = int(rng.choice([1, 2, 3, 5, 8, 16]))
    wb = int(rng.integers(2, 9))
    mode = str(rng.choice(["if", "ssf", "mixed"]))
    art = random_artifact(
        rng,
        **shape,
        rr_features=rr_features,
        rr_dense=rr_dense,
        T=T,
        weight_bits=wb,
        input_bits=int(rng.integers(3, 13)),
        threshold_range=(1, 30),
        neuron="ssf" if mode == "ssf" else "if",
    )
    spec, tensors = art.spec, dict(art.tensors)
    layers = list(spec.layers)
    if n_rr and rng.random() < 0.3:  # RR features in the front end that no layer takes
        i = next(i for i, la in enumerate(layers) if la.rr_inputs)
        del tensors[f"{layers[i].name}.rr_weight"]
        layers[i] = dataclasses.replace(layers[i], rr_inputs=0)
    first_ssf = int(rng.integers(1, len(layers))) if mode == "mixed" else len(layers)
    for i, la in enumerate(layers):
        if i >= first_ssf:
            th = 1 << (la.threshold.bit_length() - 1)
            la = dataclasses.replace(la, neuron="ssf", threshold=th, v_init=th // 2)
        la = dataclasses.replace(la, **derive_widths(la, spec.preprocess, T, tensors))
        if rng.random() < 0.5:  # narrower than the range analysis: the membrane saturates
            mb = max(la.threshold.bit_length() + 1, la.membrane_bits - int(rng.integers(1, 6)))
            hi = signed_range(mb)[1]
            la = dataclasses.replace(la, membrane_bits=mb, v_init=min(la.v_init, hi))
        layers[i] = la
    out = Artifact(
        dataclasses.replace(spec, layers=tuple(layers)), tensors, {"origin": "sim.accel.space"}
    )
    out.validate()
    return out


def random_point(rng: np.random.Generator, lanes: int | None = None) -> tuple[Artifact, HwConfig]:
    """One random (artifact, configuration); `lanes` fixes the lane count (else 1..16).

    Constraints (drawn again until they hold): some layer has at least `MIN_GROUPS` channel
    groups, so multi-group addressing runs at every lane count; a share `ONE_DEEP` of the
    points has only one-word fire scans, so the event queue is one entry deep."""
    lanes = int(rng.integers(1, MAX_LANES + 1)) if lanes is None else lanes
    one_deep = bool(rng.random() < ONE_DEEP)
    for _ in range(MAX_DRAWS):
        art = _draw(rng, lanes, one_deep)
        if max_groups(art, lanes) >= MIN_GROUPS and (queue_depth(art, lanes) == 1) >= one_deep:
            return art, HwConfig(lanes=lanes, rom=bool(rng.random() < 0.3))
    raise RuntimeError(f"no point with {MIN_GROUPS} channel groups in {MAX_DRAWS} draws")


def points(seed: int = SEED) -> list[tuple[Artifact, HwConfig]]:
    """One random point per lane count 1..MAX_LANES, drawn in that order from one seeded
    stream (the same points on every run)."""
    rng = np.random.default_rng(seed)
    return [random_point(rng, lanes) for lanes in range(1, MAX_LANES + 1)]


def describe(art: Artifact, config: HwConfig) -> dict:
    """What a point is: lanes, memory, neuron modes, T, RR features and RR layers."""
    return {
        "lanes": config.lanes,
        "memory": "rom" if config.rom else "load port",
        "neurons": "+".join(dict.fromkeys(la.neuron for la in art.spec.layers)),
        "T": art.spec.T,
        "rr_features": art.spec.n_rr,
        "rr_layers": sum(la.rr_inputs > 0 for la in art.spec.layers),
    }


def check_point(art: Artifact, config: HwConfig, vectors: Vectors) -> dict:
    """Run `vectors` on the Amaranth simulation of `Accelerator(art.spec, config, checks=True)`
    (loading the weight image through the load port unless ROM) and compare each class and
    output value with the golden model and each cycle count with `hw.cycles.inference_cycles`.

    Returns `describe(...)` plus `vectors`, `mismatches` (class or values), `cycle_mismatches`,
    `first_mismatch` (a message, or None) and `coverage` (`measure_run`, with `lanes`). A
    simulation assertion (e.g. an event queue overflow) raises."""
    cov, gold = measure_run(art, vectors.x, vectors.rr)
    cov["lanes"] = config.lanes
    dut = Accelerator(art.spec, config, artifact=art, checks=True)
    image = None if config.rom else weight_image(art)
    got = simulate(dut, list(zip(vectors.x, vectors.rr, strict=True)), image)
    model = inference_cycles(art, HwConfig(lanes=config.lanes), vectors.x[:, None, :], vectors.rr)
    return compare(art, config, vectors, got, model, cov, gold)


def compare(
    art: Artifact, config: HwConfig, vectors: Vectors, got: list, model, cov: dict, gold
) -> dict:
    """A point's report from its simulation: `got` the (class, values, cycles) of each of
    `vectors`, against the golden run `gold` and the cycle model's counts `model`; `cov` its
    coverage (`measure_run`)."""
    first, bad, slow = None, 0, 0
    for k, (cls, values, cycles) in enumerate(got):
        want = (int(gold.cls[k]), gold.values[k].tolist())
        if (cls, values) != want:
            bad += 1
            first = first or (
                f"{vectors.record[k]} (vector {k}): got class {cls} values {values}, "
                f"expected {want[0]} {want[1]}"
            )
        if cycles != int(model[k]):
            slow += 1
            first = first or f"{vectors.record[k]} (vector {k}): {cycles} cycles, model {model[k]}"
    return {
        **describe(art, config),
        "vectors": len(got),
        "mismatches": bad,
        "cycle_mismatches": slow,
        "first_mismatch": first,
        "coverage": cov,
    }
