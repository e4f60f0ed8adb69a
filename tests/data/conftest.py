"""Helpers for the data tests: tiny synthetic WFDB records written into tmp_path."""

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb

# A symbol outside WFDB's table must be declared as a custom label to survive a write/read.
_CUSTOM = pd.DataFrame({"label_store": [42], "symbol": ["Z"], "description": ["unknown"]})


def spikes(n: int, r: Sequence[int], height: int = 400, width: float = 4.0) -> np.ndarray:
    """A synthetic lead: Gaussian 'R waves' of `height` ADC units at positions `r`, plus a tilt."""
    t = np.arange(n)
    x = 5 * np.sin(t / 50.0)
    for pos in r:
        x += height * np.exp(-0.5 * ((t - pos) / width) ** 2)
    return np.rint(x).astype(np.int64)


WriteRecord = Callable[..., Path]


@pytest.fixture
def write_record(tmp_path: Path) -> WriteRecord:
    """Write record `name` into tmp_path (or `directory`); return the directory.

    `signals` is (n, leads) int ADC samples, stored in format 16 unless `fmt` says otherwise.
    """

    def write(
        name: str,
        signals: np.ndarray,
        ann_sample: Sequence[int],
        ann_symbol: Sequence[str],
        fs: int = 360,
        leads: Sequence[str] = ("MLII",),
        gain: float = 200.0,
        baseline: int = 0,
        fmt: str = "16",
        directory: Path | None = None,
    ) -> Path:
        directory = directory or tmp_path
        directory.mkdir(parents=True, exist_ok=True)
        signals = np.asarray(signals).reshape(len(signals), -1)
        n_sig = signals.shape[1]
        wfdb.wrsamp(
            name,
            fs=fs,
            units=["mV"] * n_sig,
            sig_name=list(leads),
            d_signal=signals,
            fmt=[fmt] * n_sig,
            adc_gain=[gain] * n_sig,
            baseline=[baseline] * n_sig,
            write_dir=str(directory),
        )
        custom = _CUSTOM if "Z" in ann_symbol else None
        wfdb.wrann(
            name,
            "atr",
            np.asarray(ann_sample, dtype=np.int64),
            symbol=list(ann_symbol),
            write_dir=str(directory),
            custom_labels=custom,
        )
        return directory

    return write
