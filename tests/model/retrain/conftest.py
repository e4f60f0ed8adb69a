"""Synthetic WFDB databases and a small base artifact for the retraining tests.

`write_db` writes records whose beat classes differ in morphology and rhythm, so a few hundred
beats are learnable in a couple of epochs:

- N: narrow upright QRS with P and T waves, regular RR;
- S: the same QRS, inverted P, premature (short previous RR);
- V: wide, inverted QRS without P, premature, then a compensatory pause;
- F: a mid-width, low QRS (fusion), slightly premature.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import wfdb

from tests.ecg_synth import beat_sequence

CLASS_SYMBOL = {"N": "N", "S": "A", "V": "V", "F": "F"}


def write_wfdb(
    directory: Path,
    name: str,
    signal_mv: np.ndarray,
    r: np.ndarray,
    symbols: Sequence[str],
    fs: int,
    leads: Sequence[str] = ("MLII",),
    gain: float = 200.0,
    annotator: str = "atr",
    digital: np.ndarray | None = None,
) -> None:
    """Write one record (every lead a scaled copy of `signal_mv`) and its annotations."""
    directory.mkdir(parents=True, exist_ok=True)
    if digital is None:
        d = np.rint(signal_mv * gain).astype(np.int64)
        digital = np.stack([d] * len(leads), axis=1)
    wfdb.wrsamp(
        name,
        fs=fs,
        units=["mV"] * len(leads),
        sig_name=list(leads),
        d_signal=digital,
        fmt=["16"] * len(leads),
        adc_gain=[gain] * len(leads),
        baseline=[0] * len(leads),
        write_dir=str(directory),
    )
    if annotator:
        wfdb.wrann(
            name, annotator, np.asarray(r, np.int64), symbol=list(symbols), write_dir=str(directory)
        )


WriteDb = Callable[..., Path]


@pytest.fixture
def write_db(tmp_path: Path) -> WriteDb:
    """Write a synthetic database; return its directory (see the module docstring)."""

    def write(
        fs: int = 250,
        n_records: int = 6,
        beats: int = 70,
        mix: dict[str, float] | None = None,
        leads: Sequence[str] = ("MLII",),
        gain: float = 200.0,
        directory: Path | None = None,
        seed: int = 0,
        annotator: str = "atr",
    ) -> Path:
        directory = directory or tmp_path / f"db{fs}"
        mix = mix or {"N": 0.4, "S": 0.2, "V": 0.2, "F": 0.2}
        rng = np.random.default_rng(seed)
        for k in range(n_records):
            classes = list(rng.choice(list(mix), beats, p=list(mix.values())))
            sig, r = beat_sequence(classes, fs, rng)
            symbols = [CLASS_SYMBOL[c] for c in classes]
            write_wfdb(directory, f"r{k:02d}", sig, r, symbols, fs, leads, gain, annotator)
        return directory

    return write


@pytest.fixture(scope="session")
def base_artifact(tmp_path_factory) -> Path:
    """A base artifact with the default architecture and realistic widths (random weights)."""
    import dataclasses

    import torch

    from ecg_snn.model.contract.artifact import ModelSpec
    from ecg_snn.model.contract.spec import Preprocess
    from ecg_snn.model.convert import convert
    from ecg_snn.model.network import ArchConfig, ConvNet
    from ecg_snn.model.quantize import quantize

    torch.manual_seed(0)
    pre = Preprocess()
    net = ConvNet(ArchConfig(n_samples=pre.n_samples, n_rr=len(pre.rr_features)), 8).eval()
    artifact = quantize(convert(net), pre, 8, ("N", "S", "V", "F"))
    widths = {"bias_bits": 16, "acc_bits": 16, "const_bits": 24, "membrane_bits": 24}
    layers = tuple(
        dataclasses.replace(lay, **{k: max(v, getattr(lay, k)) for k, v in widths.items()})
        for lay in artifact.spec.layers
    )
    artifact.spec = ModelSpec(artifact.spec.T, artifact.spec.classes, pre, layers)
    path = tmp_path_factory.mktemp("base") / "base.json"
    artifact.save(path)
    return path


@pytest.fixture
def records():
    """The record writers, for tests that build a special record by hand."""
    from types import SimpleNamespace

    return SimpleNamespace(synth=beat_sequence, write=write_wfdb, symbol=CLASS_SYMBOL)


@pytest.fixture
def run_cli(base_artifact: Path, tmp_path: Path, capsys):
    """Run `python -m ecg_snn.model.retrain` in-process with the test base and tmp outputs.

    Returns (exit status, stdout, stderr)."""
    from ecg_snn.model.retrain.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        argv = [
            "--base", str(base_artifact), "--out", str(tmp_path / "out"),
            "--reports", str(tmp_path / "reports"), "--no-progress", *args,
        ]  # fmt: skip
        status = main(argv)
        out, err = capsys.readouterr()
        return status, out, err

    return run
