"""What a point's result depends on, hashed, and a directory of results keyed by that hash.

A result is reused when its key is stored. The key covers the point, the seed, the search
settings (epochs, folds, beats), the calibration factors and the source of the code that turns a
point into figures: the modules the measuring entry points import, followed through `ecg_snn.*`
imports (`code_files`), plus the technology tables. So editing the RTL generator (`hw/layer.py`)
or the trainer re-measures, while editing a module that path never imports (the FPGA flow,
`hw/spi.py`, the stream application) does not.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

from ecg_snn.data.files import write_atomic

REPO = Path(__file__).resolve().parents[1]
ENTRY_POINTS = (
    "ecg_snn.explore.evaluate",
    "ecg_snn.explore.hardware",
    "ecg_snn.explore.energy",
    "ecg_snn.hw.top",
    "ecg_snn.flow.design",
    "ecg_snn.power.gate_run",
    "ecg_snn.model.cv",
    "ecg_snn.model.train",
    "ecg_snn.model.network",
    "ecg_snn.model.convert",
    "ecg_snn.model.quantize",
)
DATA_FILES = ("power/tech/*.toml",)


def module_file(name: str, root: Path = REPO) -> Path | None:
    """The source of `ecg_snn.<pkg>.<mod>` in this checkout (None: not ours)."""
    parts = name.split(".")
    if parts[0] != "ecg_snn" or len(parts) < 2:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` of `path` names (functions' bodies too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}  # `from pkg import module`
    return out


def code_files(entry_points: tuple[str, ...] = ENTRY_POINTS, root: Path = REPO) -> list[Path]:
    """The source files reachable from `entry_points` through `ecg_snn.*` imports, sorted."""
    seen: set[Path] = set()
    todo = [p for p in (module_file(m, root) for m in entry_points) if p is not None]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            f = module_file(name, root)
            if f is not None and f not in seen:
                todo.append(f)
    return sorted(seen)


def code_version(
    root: Path = REPO,
    entry_points: tuple[str, ...] = ENTRY_POINTS,
    data: tuple[str, ...] = DATA_FILES,
) -> str:
    """A hash of the measuring code's source and its data tables."""
    h = hashlib.sha256()
    files = code_files(entry_points, root) + sorted(f for p in data for f in root.glob(p))
    for src in files:
        h.update(str(src.relative_to(root)).encode() + b"\0" + src.read_bytes())
    return h.hexdigest()[:16]


def digest(obj: object) -> str:
    """A short stable hash of a JSON-able object."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


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
