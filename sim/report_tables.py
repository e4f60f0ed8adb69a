"""The generated sections of the docs: one renderer per `<!-- report:NAME -->` marker.

Each renderer turns the report snapshots (`docs/reports/<name>.json`, see `sim/report.py`) into
Markdown; a figure that has no report yet is shown as "not measured" with the command to run.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.results import results_table
from sim.stream import tables as stream_tables

Reports = dict[str, dict]
Renderer = Callable[[Reports], str]

# The reports the docs quote: build/reports/<name>.json is snapshotted to docs/reports/<name>.json.
QUOTED: tuple[str, ...] = (
    "data",
    "train_inter",
    "train_intra",
    "sim",
    "verilog",
    "firmware",
    "stream",
)


def _from(name: str, command: str, render: Callable[[dict], str]) -> Renderer:
    """A renderer of report `name`, or the command that makes it while there is none."""
    return lambda reports: (
        render(reports[name]) if name in reports else f"Not measured yet: run `{command}`."
    )


RENDERERS: dict[str, Renderer] = {
    "results": results_table,
    **{
        key: _from("stream", "make stream-eval && make report", fn)
        for key, fn in stream_tables.SECTIONS.items()
    },
}
