"""The DS2 look log: every command that scores anything on DS2 appends one row to `docs/model.md`.

DS2 is the test set of the inter-patient protocol (de Chazal 2004); it chooses nothing. A look is
any run that computes a figure against DS2's labels (accuracy, Se/+P, QRS detection, energy on DS2
beats). Counting the looks is what makes "never tuned on DS2" checkable: a reader compares the
dates of the looks with the dates of the choices.

    log_look("make train", "DS2 classes", "acc 92.97 %, jκ 0.710", model_sha256="ab12...")

appends ``| n | date (UTC) | command | model | what | figures |`` between the markers
`BEGIN` / `END` of the log file (temp file, then rename, under a lock). The log file is
`docs/model.md` in a checkout; `$DS2_LOOK_LOG` names another file (the tests use their own copy).
In an installed package there is no docs folder: the look is printed, not logged.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from pathlib import Path

from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import repo_path

LOG = Path(__file__).resolve().parents[1] / "docs" / "model.md"
BEGIN = "<!-- ds2-looks:begin -->"
END = "<!-- ds2-looks:end -->"
HEADER = (
    "| # | date (UTC) | command | model sha256 | what was scored | figures |\n"
    "|---|---|---|---|---|---|"
)


class LookLogError(RuntimeError):
    """The look log exists but has no (or a broken) marked table."""


def log_path() -> Path:
    """Where looks are logged: `$DS2_LOOK_LOG`, else the checkout's docs/model.md."""
    return Path(os.environ.get("DS2_LOOK_LOG") or LOG)


def rows(text: str) -> list[str]:
    """The logged rows of a look-log text (the table body between the markers)."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise LookLogError(f"the DS2 look log needs exactly one {BEGIN} ... {END} block")
    body = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    return [line for line in body.splitlines() if line.startswith("| ") and line[2].isdigit()]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "/")


def log_look(command: str, what: str, figures: str, model_sha256: str | None = None) -> str:
    """Append one look (module doc) and return the line printed about it."""
    path = log_path()
    if not path.exists():
        return f"DS2 look (not logged: no {path}): {command}: {what}: {figures}"
    lock = path.with_name(f".{path.name}.lock")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # two commands finishing together both get their row
        text = path.read_text()
        n = len(rows(text)) + 1
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
        sha = (model_sha256 or "")[:12] or "-"
        row = f"| {n} | {when} | {_cell(command)} | {sha} | {_cell(what)} | {_cell(figures)} |\n"
        end = text.index(END)
        write_atomic(path, text[:end] + row + text[end:])
    return f"DS2 look {n} logged in {repo_path(path)}: {what}: {figures}"
