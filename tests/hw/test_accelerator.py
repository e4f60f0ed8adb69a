"""Whole accelerator in the Amaranth simulator against the golden model, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.hw.config import HwConfig, LayerGeometry
from ecg_snn.hw.cycles import inference_cycles
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.image import weight_image
from ecg_snn.sim.pysim import simulate

CASES = [
    ("small", 4, False),
    ("small", 8, True),
    ("odd", 3, False),
    ("odd", 1, True),
    ("norr", 2, False),
    ("tiny", 1, False),
    ("tiny", 2, True),
]


def check(artifact, config, x, rr):
    dut = Accelerator(artifact.spec, config, artifact=artifact, checks=True)
    image = None if config.rom else weight_image(artifact)
    got = simulate(dut, list(zip(x[:, 0], rr, strict=True)), image)
    want = golden.run(artifact, x, rr)
    assert [g[0] for g in got] == want.cls.tolist()
    assert [g[1] for g in got] == want.values.tolist()
    return np.array([g[2] for g in got])


@pytest.mark.parametrize(
    ("shape", "lanes", "rom"),
    CASES,
    ids=[f"{s}-lanes{n}-{'rom' if r else 'load'}" for s, n, r in CASES],
)
def test_matches_golden(artifact_factory, beats_factory, rng, shape, lanes, rom):
    artifact = artifact_factory(shape, seed=lanes)
    x, rr = beats_factory(artifact, rng, 3)
    cycles = check(artifact, HwConfig(lanes=lanes, rom=rom), x, rr)
    # The cycle model replays the RTL's schedule from the golden spike trace: exact.
    assert cycles.tolist() == inference_cycles(artifact, HwConfig(lanes=lanes), x, rr).tolist()


def test_saturating_membranes(artifact_factory, beats_factory, rng):
    """Narrow membranes force the one-saturation-per-step rule to act."""
    import dataclasses

    artifact = artifact_factory("small", seed=7)
    layers = [
        dataclasses.replace(la, membrane_bits=max(la.threshold.bit_length() + 1, 6))
        for la in artifact.spec.layers
    ]
    layers = [
        dataclasses.replace(la, v_init=min(la.v_init, (1 << (la.membrane_bits - 1)) - 1))
        for la in layers
    ]
    artifact.spec = dataclasses.replace(artifact.spec, layers=tuple(layers))
    artifact.validate()
    x, rr = beats_factory(artifact, rng, 3)
    check(artifact, HwConfig(lanes=4, rom=True), x, rr)


def test_default_shape_cycles(artifact_factory, beats_factory, rng):
    """The default model's shape at 8 lanes: exact, and prints the cycle figures."""
    artifact = artifact_factory("default")
    x, rr = beats_factory(artifact, rng, 3)
    cycles = check(artifact, HwConfig(lanes=8, rom=True), x, rr)
    assert cycles.tolist() == inference_cycles(artifact, HwConfig(lanes=8), x, rr).tolist()
    print(
        f"\ndefault shape, 8 lanes: cycles silent={cycles[0]} sparse={cycles[1]} random={cycles[2]}"
    )


@pytest.mark.parametrize("split", ["inter", "intra"])
def test_real_beats(split):
    """A few real beats through a trained artifact, when it and the dataset exist."""
    path = Path(__file__).resolve().parents[2] / "model" / "artifacts" / f"{split}.json"
    if not path.exists():
        pytest.skip(f"no trained artifact (model/artifacts/{split}.json) yet")
    from ecg_snn.data.dataset import load_dataset
    from ecg_snn.data.errors import DataError
    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.model.contract.frontend import preprocess_beats

    artifact = load_artifact(path)
    pre = artifact.spec.preprocess
    try:
        ds = load_dataset(config=pre.beat_config(), progress=False)
    except DataError as e:
        pytest.skip(f"dataset not available: {e}")
    idx = np.linspace(0, len(ds.window) - 1, 4).astype(int)
    # the patient features (model v3) see every earlier beat of the beat's record
    x, rr = preprocess_beats(pre, ds.window, ds.rr, ds.record, idx)
    cycles = check(artifact, HwConfig(lanes=8), x, rr)
    assert cycles.tolist() == inference_cycles(artifact, HwConfig(lanes=8), x, rr).tolist()
    print(f"\nreal beats, {split} model, 8 lanes: cycles {cycles.tolist()}")


def test_silent_input_costs_almost_nothing(artifact_factory, rng):
    """With no bias and no initial charge nothing spikes on a silent input: the inference is
    one cycle per input word plus the lanes-parallel fire scans, no synaptic operation."""
    import dataclasses

    artifact = artifact_factory("default")
    for key in list(artifact.tensors):
        if key.endswith(".bias"):
            artifact.tensors[key] = np.zeros_like(artifact.tensors[key])
    layers = tuple(dataclasses.replace(la, v_init=0) for la in artifact.spec.layers)
    artifact.spec = dataclasses.replace(artifact.spec, layers=layers)
    artifact.validate()
    pre, config = artifact.spec.preprocess, HwConfig(lanes=8, rom=True)
    x = np.zeros((2, 1, pre.n_samples), np.int64)
    rr = np.zeros((2, artifact.spec.n_rr), np.int64)
    x[1, 0, 20] = 1000  # one non-zero sample: one event, a few operations more
    cycles = check(artifact, config, x, rr)
    words = pre.n_samples + artifact.spec.n_rr
    geos = [LayerGeometry(layer, config.lanes) for layer in artifact.spec.layers]
    scans = artifact.spec.T * sum(g.depth + 2 for g in geos)
    assert golden.run(artifact, x[:1], rr[:1]).synops[0] == 0
    assert cycles[0] == words + scans
    print(
        f"\nsilent input, default shape, 8 lanes: {cycles[0]} cycles = {words} input words + "
        f"{scans} fire-scan cycles; one non-zero sample: {cycles[1]}"
    )
