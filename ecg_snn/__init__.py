"""The ECG SNN flow from Python: classify raw ECG, and drive the chip flow.

    >>> import numpy as np, ecg_snn
    >>> beats = ecg_snn.classify(signal_mv, fs=250)          # NumPy array, any rate
    >>> beats.sample, beats.symbol                             # R peaks at 250 Hz, AAMI letters
    >>> beats = ecg_snn.classify_record("path/to/rec", lead="II")   # a WFDB record
    >>> chip = ecg_snn.Chip.shipped(lanes=8)                   # the chip of the shipped model
    >>> chip.predict(beats.x, beats.rr, engine="rtl")          # golden, C or Verilator
    >>> ecg_snn.evaluate(db="path/to/wfdb_folder")             # Se/+P/jκ of the shipped model

The names follow wfdb and neurokit2: a signal and its rate in, sample indices at that rate out.

Every package of the project is a subpackage of this one (`ecg_snn.model`, `ecg_snn.hw`, ...),
so an installed wheel adds one name to site-packages. The wheel puts them inside this folder; a
checkout keeps them as the repository's top-level folders, beside it, and `__path__` below
finds them there.
"""

from pathlib import Path

# The repository root when running from a checkout (where outputs such as build/ go), else
# None: an installed wheel holds its subpackages in this folder.
_root = Path(__file__).resolve().parents[1]
_installed = (Path(__file__).parent / "model").is_dir()
CHECKOUT: Path | None = None if _installed or not (_root / "pyproject.toml").is_file() else _root
if CHECKOUT is not None:
    __path__.append(str(CHECKOUT))  # the package's own search path

# The API loads on first use: every tool of the flow imports this package first (it is their
# namespace), and none of them should pay for the API's imports.
_API = {
    "Chip": "ecg_snn.chip",
    "Classification": "ecg_snn.classifier",
    "classify": "ecg_snn.classifier",
    "classify_record": "ecg_snn.classifier",
    "evaluate": "ecg_snn.model.evaluate",
    "plot": "ecg_snn.classifier",
}
__all__ = list(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'ecg_snn' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_API[name]), name)
