"""`make sim` in both neuron modes: an all-ssf and an IF-prefix + ssf-suffix artifact, built by
the generator and run on Verilator against the golden model on real beats and random vectors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import Artifact, derive_widths
from ecg_snn.model.random_artifact import random_artifact


def ssf_suffix(artifact: Artifact, first_ssf: int) -> Artifact:
    """The same weights with layers from `first_ssf` on in ssf mode (power-of-two thresholds,
    widths re-derived for the T-step sums)."""
    spec = artifact.spec
    layers = list(spec.layers)
    for i in range(first_ssf, len(layers)):
        threshold = 1 << (layers[i].threshold.bit_length() - 1)
        layer = dataclasses.replace(
            layers[i], neuron="ssf", threshold=threshold, v_init=threshold // 2
        )
        widths = derive_widths(layer, spec.preprocess, spec.T, artifact.tensors)
        layers[i] = dataclasses.replace(layer, **widths)
    result = Artifact(dataclasses.replace(spec, layers=tuple(layers)), artifact.tensors)
    result.validate()
    return result


@pytest.mark.parametrize("first_ssf", [0, 2], ids=["all-ssf", "if-then-ssf"])
def test_ssf_artifact_is_bit_exact_on_the_rtl(
    first_ssf: int, mitdb_dir: Path, tmp_path: Path
) -> None:
    base = random_artifact(np.random.default_rng(11), T=5, threshold_range=(8, 40))
    model = ssf_suffix(base, first_ssf).save(tmp_path / "ssf.json")
    report = tmp_path / "sim.json"
    argv = [
        "--model",
        str(model),
        "--beats",
        "40",
        "--random",
        "60",
        "--jobs",
        "1",
        "--limits",
        "none",
        "--space",
        "none",
    ]
    assert sim.run.main([*argv, "--report", str(report), "--work", str(tmp_path / "w")]) == 0
    r = json.loads(report.read_text())
    assert (r["beats"], r["random_vectors"], r["mismatches"]) == (40, 60, 0)
