"""How reports name files: relative to the repository, so a report reads the same in every clone.

`repo_path(p)` is ``p`` relative to the repository root (``model/artifacts/inter.json``) when
``p`` lies inside it, else ``p`` as given (a user's own recordings elsewhere on disk keep
their absolute path: there is no shorter name that still finds them). A report that names a
model also records its sha256 (`model.contract.artifact.Artifact.checksum`), so "which model" is
answered by content, never by where the file happened to be.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def repo_path(path: str | Path) -> str:
    """`path` relative to the repository root if it is inside it, else unchanged (module doc)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def config_key(options: dict[str, object]) -> str:
    """The readable key of a non-default configuration: ``{"beats": 1, "rom": True}`` ->
    ``"beats1-rom"`` (a True flag is its name alone; None and False are left out); "" for the
    default configuration. Outputs of different configurations then never share a file."""
    parts = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        parts.append(name if value is True else f"{name}{value}")
    return "-".join(parts).replace("/", "_").replace(",", "_")


def keyed(path: str | Path, key: str) -> Path:
    """`path` for the configuration `key`: ``build/reports/sim.json`` + ``"beats1"`` ->
    ``build/reports/sim-beats1.json``; the default configuration (key "") keeps `path`."""
    path = Path(path)
    return path if not key else path.with_name(f"{path.stem}-{key}{path.suffix}")
