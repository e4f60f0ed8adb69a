"""Atomic file writes: every output file of the flow is created on a temporary sibling and renamed
into place, so a crash or Ctrl-C never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


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
    """The process's umask, read from /proc (Linux >= 4.7): `os.umask` can only read it by
    setting it, a process-wide change another thread creating a file at that moment would see."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # no /proc: the only other way, racy only against file-creating threads
    os.umask(mask)
    return mask


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write `obj` as indented JSON to `path` atomically."""
    text = json.dumps(obj, indent=2, sort_keys=False) + "\n"
    write_atomic(path, text)
