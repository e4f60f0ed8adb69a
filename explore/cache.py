"""What a point's result depends on, hashed, and a directory of results keyed by that hash.

A point is skipped on a re-run when its key is already stored. The key covers the artifacts
(their checksums: weights, thresholds, widths, T, mode), the hardware configuration (lanes),
the technology, the beat sample (size and seed) and the code version: the source of everything
that turns an artifact into a measurement (`CODE`), so an RTL or energy-model change re-measures.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ecg_snn.data.files import write_atomic
from ecg_snn.model.contract.artifact import Artifact

REPO = Path(__file__).resolve().parents[1]
CODE = (
    "hw/*.py",
    "flow/verilog.py",
    "flow/netlist.py",
    "flow/asic/*.py",
    "model/contract/golden.py",
    "model/contract/frontend.py",
    "power/*.py",
    "explore/measure.py",
    "explore/energy.py",
    "explore/synth.py",
)


def code_version(root: Path = REPO, patterns: tuple[str, ...] = CODE) -> str:
    """A hash of the measuring code's source."""
    h = hashlib.sha256()
    for pattern in patterns:
        for src in sorted(root.glob(pattern)):
            h.update(str(src.relative_to(root)).encode() + b"\0" + src.read_bytes())
    return h.hexdigest()[:16]


def digest(obj: object) -> str:
    """A short stable hash of a JSON-able object."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def point_key(point: dict, artifacts: dict[str, Artifact], settings: dict, code: str) -> str:
    """The key of one point: `settings` holds the technology and the beat sample."""
    return digest(
        {
            "point": point,
            "artifacts": {s: a.checksum() for s, a in sorted(artifacts.items())},
            "settings": settings,
            "code": code,
        }
    )


class Store:
    """JSON results in a directory, one file per key, written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self.path(key).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def put(self, key: str, value: dict) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return write_atomic(self.path(key), json.dumps(value, indent=1, sort_keys=True) + "\n")
