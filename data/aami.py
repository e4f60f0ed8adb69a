"""Beat annotation symbols -> AAMI EC57 classes.

The default mapping is the usual one for MIT-BIH (de Chazal 2004):

    N = {N, L, R, e, j}   S = {A, a, J, S}   V = {V, E}   F = {F}   Q = {/, f, Q}

with class indices N=0, S=1, V=2, F=3, Q=4 (`CLASSES`).

Every annotation symbol falls in exactly one of four kinds (`classify`):

- ``BEAT``: in the mapping; it gets a class and is a candidate for the dataset.
- ``UNMAPPED_BEAT``: a WFDB beat label without a class in the mapping (B, r, n, ? by default,
  none of which occur in MIT-BIH). It is still a QRS complex, so it anchors the RR intervals of
  its neighbours, but it is dropped from the dataset and counted.
- ``NON_BEAT``: a known WFDB non-beat code (rhythm ``+``, noise ``~``, artifact ``|``, flutter
  wave ``!``, blocked P ``x``, comment ``"`` ...). Ignored silently: these are not heartbeats.
- ``UNKNOWN``: anything else. We cannot tell whether it is a beat, so it is skipped and counted
  (reported as ``unknown_symbol``) rather than guessed at or treated as fatal; a user with such
  symbols should supply an override mapping.

An override mapping (a dict or a JSON file ``{"symbol": "class letter"}``) replaces the default
one entirely, so users can label their own databases; symbols it maps become beats.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ecg_snn.data.errors import DataError

CLASSES: tuple[str, ...] = ("N", "S", "V", "F", "Q")
CLASS_INDEX: dict[str, int] = {c: i for i, c in enumerate(CLASSES)}

DEFAULT_MAPPING: dict[str, str] = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}

# WFDB annotation codes (ecgcodes.h, wfdb.io.annotation.ann_label_table): the beat labels
# (isqrs) and the non-beat labels.
WFDB_BEAT_SYMBOLS: frozenset[str] = frozenset("NLRBAaJSVrFejnE/fQ?")
WFDB_NON_BEAT_SYMBOLS: frozenset[str] = frozenset('~|sT*D"=p^t+u![]@x() ')


class Kind(enum.IntEnum):
    """What an annotation symbol is, see the module docstring."""

    BEAT = 0
    UNMAPPED_BEAT = 1
    NON_BEAT = 2
    UNKNOWN = 3


def load_mapping(source: Mapping[str, str] | str | Path | None) -> dict[str, str]:
    """Return a validated symbol -> class-letter mapping.

    `source` is None (the default AAMI mapping), a dict, or the path of a JSON object file.
    """
    if source is None:
        return dict(DEFAULT_MAPPING)
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            loaded = json.loads(path.read_text())
        except OSError as e:
            raise DataError(f"cannot read the label mapping file {path}: {e}") from e
        except json.JSONDecodeError as e:
            raise DataError(f"label mapping file {path} is not valid JSON: {e}") from e
        if not isinstance(loaded, dict):
            raise DataError(
                f"label mapping file {path} must hold a JSON object "
                '{"symbol": "class"}, not ' + type(loaded).__name__
            )
        source = loaded
    mapping = dict(source)
    for symbol, cls in mapping.items():
        if not isinstance(symbol, str) or len(symbol) != 1:
            raise DataError(
                f"label mapping key {symbol!r} must be a one-character annotation symbol"
            )
        if cls not in CLASS_INDEX:
            raise DataError(
                f"label mapping sends {symbol!r} to {cls!r}; the class must be one of {CLASSES}"
            )
    return mapping


def classify(symbols: np.ndarray, mapping: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Kinds and class indices of annotation symbols.

    Returns `(kind, label)`: `kind` is an int8 array of `Kind` values; `label` is the int8 class
    index for ``BEAT`` entries and -1 elsewhere.
    """
    kind = np.full(len(symbols), Kind.UNKNOWN, dtype=np.int8)
    label = np.full(len(symbols), -1, dtype=np.int8)
    for symbol in np.unique(symbols) if len(symbols) else []:
        at = symbols == symbol
        if symbol in mapping:
            kind[at] = Kind.BEAT
            label[at] = CLASS_INDEX[mapping[symbol]]
        elif symbol in WFDB_BEAT_SYMBOLS:
            kind[at] = Kind.UNMAPPED_BEAT
        elif symbol in WFDB_NON_BEAT_SYMBOLS:
            kind[at] = Kind.NON_BEAT
    return kind, label


def class_counts(labels: np.ndarray) -> dict[str, int]:
    """Count of each class letter (all five, zeros included) in an array of class indices."""
    counts = np.bincount(labels[labels >= 0].astype(np.int64), minlength=len(CLASSES))
    return {c: int(n) for c, n in zip(CLASSES, counts, strict=True)}
