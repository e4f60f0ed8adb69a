"""Small synthetic WFDB records for the adaptation tests (written with wfdb.wrsamp / wrann).

A record is a beat sequence at `fs` Hz: N beats (narrow upright QRS, P wave, regular RR) and
"X" beats (wide, inverted QRS without P wave, premature, then a compensatory pause: a PVC). The
test decides how the X beats are labelled, so it controls whether the shipped model is right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_snn.model.adapt.run import DEFAULT_BASE
from ecg_snn.model.contract.artifact import load_artifact
from tests.ecg_synth import MORPHOLOGY, beat_sequence

# the adaptation tests' two kinds: N, and X drawn like a PVC (the test decides its label)
SHAPES = {"N": MORPHOLOGY["N"], "X": MORPHOLOGY["V"]}


def synth(kinds: Sequence[str], fs: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(signal in mV, R samples) of a beat sequence, with 1 s lead-in and lead-out."""
    rng = np.random.default_rng(seed)
    return beat_sequence(kinds, fs, rng, morphology=SHAPES, pause_after="X")


WriteRecord = Callable[..., Path]


@pytest.fixture
def write_record(tmp_path: Path) -> WriteRecord:
    """Write record `name` with `n` beats (every `every`-th an X beat, labelled `x_symbol`);
    return its folder."""

    def write(name: str = "p1", n: int = 240, every: int = 5, x_symbol: str = "V",
              fs: int = 360, leads: Sequence[str] = ("MLII",), seed: int = 0) -> Path:  # fmt: skip
        kinds = ["X" if i % every == every - 1 else "N" for i in range(n)]
        sig, r = synth(kinds, fs, seed)
        d = np.rint(sig * 200).astype(np.int64)
        wfdb.wrsamp(name, fs=fs, units=["mV"] * len(leads), sig_name=list(leads),
                    d_signal=np.stack([d] * len(leads), axis=1), fmt=["16"] * len(leads),
                    adc_gain=[200.0] * len(leads), baseline=[0] * len(leads),
                    write_dir=str(tmp_path))  # fmt: skip
        symbols = [x_symbol if k == "X" else "N" for k in kinds]
        wfdb.wrann(name, "atr", r, symbol=symbols, write_dir=str(tmp_path))
        return tmp_path

    return write


@pytest.fixture(scope="session")
def base():
    return load_artifact(DEFAULT_BASE)


SYMBOL = {"N": "N", "S": "A", "V": "V", "F": "F"}


@pytest.fixture
def relabel_as(base):
    """Rewrite a record's annotations with what an artifact answers (default: the shipped
    model), so that model is right on every beat whatever it makes of the synthetic shapes."""
    from ecg_snn.model.adapt.beats import read_patient
    from ecg_snn.model.contract import golden

    def relabel(directory: Path, name: str = "p1", artifact=None) -> Path:
        artifact = artifact or base
        beats = read_patient(directory, name, artifact.spec.preprocess, artifact.spec.classes,
                             minutes=None, beats=1)  # fmt: skip
        ann = wfdb.rdann(str(directory / name), "atr")
        assert len(beats.y) == len(ann.sample) - 2  # every beat but the first and last is kept
        cls = golden.run(artifact, beats.x, beats.rr).cls
        symbols = ["N", *(SYMBOL[artifact.spec.classes[c]] for c in cls), "N"]
        wfdb.wrann(name, "atr", ann.sample, symbol=symbols, write_dir=str(directory))
        return directory

    return relabel
