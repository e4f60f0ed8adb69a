"""The shipped models: the artifacts the repository (and the wheel) ships, one per split."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SPLITS = ("inter", "intra")


def shipped(split: str = "inter") -> Path:
    """Path of the shipped artifact of `split` ("inter" or "intra")."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, not {split!r}")
    return ARTIFACTS / f"{split}.json"
