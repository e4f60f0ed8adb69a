"""Crash-safe on-disk cache of a built dataset: ``<stem>.npz`` arrays + ``<stem>.json`` manifest.

Both files are written to a temporary file in the same directory and moved into place with
``os.replace`` (atomic on POSIX), the arrays first and the manifest last. A reader accepts the
cache only if the manifest exists, carries the expected key, and the arrays carry the same key:
a crash at any point leaves either the old complete cache or nothing that would load.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np


def write_atomic(path: str | Path, content: str | bytes | Callable[[IO[bytes]], None]) -> Path:
    """Create `path` with `content` (text, bytes, or a `write(file)` callback) on a temporary
    sibling, then rename it into place: the one atomic-write mechanism of the flow, so a crash
    never leaves a half-written file. The file gets the mode a plain `open()` would give it
    (0666 minus the umask, e.g. 0644), not mkstemp's private 0600. Returns `path`."""
    path = Path(path)
    if isinstance(content, str | bytes):
        data = content.encode() if isinstance(content, str) else content
        content = lambda f: f.write(data)  # noqa: E731
    write = content
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; a file gets what open() gives
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def current_umask() -> int:
    """The process's umask (reading it means setting it; it is put straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write `obj` as indented JSON to `path` atomically."""
    text = json.dumps(obj, indent=2, sort_keys=False) + "\n"
    write_atomic(path, text)


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
