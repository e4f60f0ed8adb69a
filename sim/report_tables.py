"""The generated sections of the docs: one renderer per `<!-- report:NAME -->` marker.

Each renderer turns the report snapshots (`docs/reports/<name>.json`, see `sim/report.py`) into
Markdown; a figure that has no report yet is shown as "not measured" with the command to run.
"""

from __future__ import annotations

from collections.abc import Callable

from model import cv
from sim.power import doc as power_doc
from sim.results import comparison, results_table
from sim.stream import tables as stream_tables

Reports = dict[str, dict]
Renderer = Callable[[Reports], str]

# The reports the docs quote: build/reports/<name>.json is snapshotted to docs/reports/<name>.json.
QUOTED: tuple[str, ...] = (
    "data",
    "train_inter",
    "train_intra",
    "sim",
    "mutate",
    "verilog",
    "firmware",
    "cv",
    "power",
    "power_intra",
    "stream",
)


def _from(name: str, command: str, render: Callable[[dict], str]) -> Renderer:
    """A renderer of report `name`, or the command that makes it while there is none."""
    return lambda reports: (
        render(reports[name]) if name in reports else f"Not measured yet: run `{command}`."
    )


RENDERERS: dict[str, Renderer] = {
    "results": results_table,
    "comparison": comparison,
    "cv": _from("cv", "python -m model.cv --name NAME && make report", cv.table),
    "power": _from("power", "make power GATE=1 && make report", power_doc.markdown),
    "power-intra": _from(
        "power_intra",
        "python -m sim.power --model model/artifacts/intra.json "
        "--out build/reports/power_intra.json && make report",
        power_doc.intra,
    ),
    **{
        key: _from("stream", "make stream-eval && make report", fn)
        for key, fn in stream_tables.SECTIONS.items()
    },
}
