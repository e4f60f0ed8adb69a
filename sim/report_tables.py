"""The generated sections of the docs: one renderer per `<!-- report:NAME -->` marker.

Each renderer turns the report snapshots (`docs/reports/<name>.json`, see `sim/report.py`) into
Markdown; a figure that has no report yet is shown as "not measured" with the command to run.
"""

from __future__ import annotations

from collections.abc import Callable

from model.adapt import evaluate as adapt

Reports = dict[str, dict]
Renderer = Callable[[Reports], str]

# The reports the docs quote: build/reports/<name>.json is snapshotted to docs/reports/<name>.json.
QUOTED: tuple[str, ...] = ("adapt", "adapt_ds1_bias", "adapt_ds1_last", "adapt_ds1_c1")

ADAPT_DESIGN = {  # the DS1 runs behind the choices of docs/adapt.md, in the order they were made
    "adapt_ds1_bias": "bias only",
    "adapt_ds1_last": "bias, then last layer",
    "adapt_ds1_c1": "... also with one class",
}


def _missing(name: str, command: str) -> str:
    return f"*Not measured yet: run `{command}` then `make report` ({name}.json).*\n"


def _adapt(reports: Reports) -> str:
    if "adapt" not in reports:
        return _missing("adapt", "make adapt-eval")
    return adapt.table(reports["adapt"])


def _adapt_records(reports: Reports) -> str:
    if "adapt" not in reports:
        return _missing("adapt", "make adapt-eval")
    return adapt.records_table(reports["adapt"], "5min")


def _adapt_targets(reports: Reports) -> str:
    if "adapt" not in reports:
        return _missing("adapt", "make adapt-eval")
    return adapt.targets_table(reports["adapt"], "5min")


def _adapt_design(reports: Reports) -> str:
    runs = {label: reports[name] for name, label in ADAPT_DESIGN.items() if name in reports}
    if not runs:
        return _missing("adapt_ds1_*", "python -m model.adapt.evaluate --records ds1 ...")
    return adapt.design_table(runs)


RENDERERS: dict[str, Renderer] = {
    "adapt": _adapt,
    "adapt-records": _adapt_records,
    "adapt-design": _adapt_design,
    "adapt-targets": _adapt_targets,
}
