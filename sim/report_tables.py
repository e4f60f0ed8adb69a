"""The generated sections of the docs: one renderer per `<!-- report:NAME -->` marker.

Each renderer turns the report snapshots (`docs/reports/<name>.json`, see `sim/report.py`) into
Markdown; a figure that has no report yet is shown as "not measured" with the command to run.
"""

from __future__ import annotations

from collections.abc import Callable

Reports = dict[str, dict]
Renderer = Callable[[Reports], str]

# The reports the docs quote: build/reports/<name>.json is snapshotted to docs/reports/<name>.json.
QUOTED: tuple[str, ...] = ()

RENDERERS: dict[str, Renderer] = {}
