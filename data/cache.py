"""Crash-safe on-disk cache of a built dataset: ``<stem>.npz`` arrays + ``<stem>.json`` manifest.

Both files are written atomically (`data.files.write_atomic`), the arrays first and the manifest
last. A reader accepts the
cache only if the manifest exists, carries the expected key, and the arrays carry the same key:
a crash at any point leaves either the old complete cache or nothing that would load.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ecg_snn.data.files import write_atomic, write_json_atomic


def save(stem: Path, key: str, arrays: dict[str, np.ndarray], manifest: dict[str, Any]) -> None:
    """Store `arrays` and `manifest` under `stem`, both stamped with `key`."""
    stamped = {**arrays, "cache_key": np.array(key)}
    write_atomic(stem.with_suffix(".npz"), lambda f: np.savez(f, **stamped))
    write_json_atomic(stem.with_suffix(".json"), {"key": key, **manifest})


def load(stem: Path, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and manifest under `stem` if both are present and stamped with `key`."""
    try:
        manifest = json.loads(stem.with_suffix(".json").read_text())
        if manifest.get("key") != key:
            return None
        # open the file ourselves: np.load leaks its handle when the zip is corrupt
        with stem.with_suffix(".npz").open("rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None
    if str(arrays.pop("cache_key", "")) != key:
        return None
    return arrays, manifest
