"""Summarise a built dataset as ``build/reports/data.json`` and a few human-readable lines.

The report is what later stages and reviewers check against the published MIT-BIH figures:
annotations per AAMI class before any drop (must equal the table in REFERENCES.md), beats per
class in each part after dropping, and every dropped beat by reason and record.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ecg_snn.data.aami import CLASSES, class_counts
from ecg_snn.data.beats import DROP_REASONS
from ecg_snn.data.dataset import PARTS, BeatDataset
from ecg_snn.data.errors import DataError
from ecg_snn.data.files import write_json_atomic
from ecg_snn.data.locate import REPO
from ecg_snn.data.paths import repo_path
from ecg_snn.data.splits import DS1, DS2


def _named(path: str | None) -> str | None:
    """A path for the report: repo-relative inside the repository (`data.paths`)."""
    return None if path is None else repo_path(path)


DEFAULT_REPORT = REPO / "build" / "reports" / "data.json"


def _sum(counts: list[dict[str, int]], keys: tuple[str, ...]) -> dict[str, int]:
    return {k: sum(c.get(k, 0) for c in counts) for k in keys}


def make_report(ds: BeatDataset, seconds: float) -> dict[str, Any]:
    """The report as a JSON-ready dict (`seconds`: wall time of building or loading `ds`)."""
    groups = {"DS1": DS1, "DS2": DS2, "all": tuple(ds.records)}
    annotations = {
        group: _sum([ds.annotations[r] for r in ds.records if r in names], CLASSES)
        for group, names in groups.items()
    }
    parts = {}
    for name in PARTS:
        try:
            parts[name] = class_counts(ds.part(name).label)
        except DataError:  # DS1/DS2 do not exist for a non-MIT-BIH database
            parts[name] = None
    by_reason = _sum(list(ds.dropped.values()), DROP_REASONS)
    return {
        "records": len(ds.records),
        "beats": len(ds),
        "beats_per_class": parts,
        "annotations_per_class": annotations,
        "dropped": {
            "total": sum(by_reason.values()),
            "by_reason": by_reason,
            "per_record": {r: d for r, d in ds.dropped.items() if any(d.values())},
        },
        "leads": ds.leads,
        "seconds": round(seconds, 3),
        "build_seconds": ds.info.get("build_seconds"),
        "cache": ds.info.get("cache"),
        "cache_file": _named(ds.info.get("cache_file")),
        "source": _named(ds.info.get("source")),
        "config": dataclasses.asdict(ds.config),
    }


def write_report(report: dict[str, Any], path: Path = DEFAULT_REPORT) -> None:
    """Write `report` atomically (a reader never sees half a file)."""
    write_json_atomic(Path(path), report)


def summary(report: dict[str, Any]) -> str:
    """A short human-readable summary of `report`."""
    lines = [f"{report['records']} records, {report['beats']} beats kept ({report['cache']})"]
    for name, counts in report["annotations_per_class"].items():
        lines.append(f"  annotations {name:<11} {_fmt(counts)}")
    for name, counts in report["beats_per_class"].items():
        if counts is not None:
            lines.append(f"  beats       {name:<11} {_fmt(counts)}")
    reasons = ", ".join(f"{k} {v}" for k, v in report["dropped"]["by_reason"].items() if v)
    lines.append(f"  dropped {report['dropped']['total']} beats ({reasons or 'none'})")
    other = {r: lead for r, lead in report["leads"].items() if lead != "MLII"}
    lines.append(f"  leads: MLII except {other or 'none'}")
    lines.append(f"  {report['seconds']:.2f} s (building took {report['build_seconds']} s)")
    return "\n".join(lines)


def _fmt(counts: dict[str, int]) -> str:
    body = " ".join(f"{c} {n:>6}" for c, n in counts.items())
    return f"{body}  total {sum(counts.values()):>6}"


def parts_table(report: dict[str, Any]) -> str:
    """docs/data.md's figures: annotations per class before any drop, the drops, and the kept
    beats per part and class."""
    ann = report["annotations_per_class"]
    drops = report["dropped"]
    why = ", ".join(f"{n} `{k}`" for k, n in drops["by_reason"].items() if n) or "none"
    lines = [
        "Annotations per class before any drop: "
        + "; ".join(f"{part} {sum(c.values()):,}" for part, c in ann.items())
        + f". Dropped: {drops['total']} beats ({why}). Kept beats:",
        "",
        "| Part | " + " | ".join(CLASSES) + " | total |",
        "|---|" + "---|" * (len(CLASSES) + 1),
    ]
    for part, counts in report["beats_per_class"].items():
        cells = [f"{counts.get(c, 0):,}" for c in CLASSES]
        lines.append(f"| {part} | {' | '.join(cells)} | {sum(counts.values()):,} |")
    return "\n".join(lines)
