"""Discover and read the records of any WFDB database directory.

Nothing here is specific to MIT-BIH (no checksums, no DS1/DS2): the same functions read a user's
own recordings, at any sampling rate, for retraining.

Record names are paths relative to the database folder, as PhysioNet writes them: a ``RECORDS``
line ``patient001/s0010_re`` is the record ``s0010_re`` in the folder ``patient001`` (its signal
files are next to its header), and a line ending in ``/`` (``p00/``) is a folder with a
``RECORDS`` file of its own, read in turn. Without a ``RECORDS`` file every ``*.hea`` of the
folder is a record, except the segment and layout headers of multi-segment records (the
multi-segment header names them; wfdb reads them through it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from ecg_snn.data.errors import DataError
from ecg_snn.data.records import FALLBACK_LEADS, Record, read_record


def list_records(directory: Path | str) -> list[str]:
    """Record names of a database: the ``RECORDS`` file if present and not blank, else every
    ``*.hea``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"database directory {directory} does not exist")
    listed = _listed(directory, "") if (directory / "RECORDS").is_file() else []
    names = listed or _headers(directory)  # a blank RECORDS file lists nothing: use the .hea
    if not names:
        blank = " (its RECORDS file lists none)" if (directory / "RECORDS").is_file() else ""
        raise DataError(f"{directory} holds no WFDB records{blank}: no .hea files either")
    return names


def _listed(directory: Path, prefix: str, depth: int = 0) -> list[str]:
    """The records of ``directory/prefix/RECORDS``, nested ``folder/`` lines expanded."""
    listing = directory / prefix / "RECORDS"
    if not listing.is_file():
        raise DataError(
            f"{listing} is missing: the RECORDS file of {directory} lists the folder "
            f"{prefix}, which must have a RECORDS file of its own"
        )
    names = []
    for line in listing.read_text().splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.endswith("/") and depth < 4:
            names += _listed(directory, f"{prefix}{entry}", depth + 1)
        else:
            names.append(f"{prefix}{entry}")
    return names


def _headers(directory: Path) -> list[str]:
    """Every ``*.hea`` of the folder that is not a segment or layout header of another."""
    stems = sorted(p.stem for p in directory.glob("*.hea"))
    parts: set[str] = set()
    for stem in stems:
        lines = [
            line.split()
            for line in (directory / f"{stem}.hea").read_text(errors="replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        if lines and "/" in lines[0][0]:  # "name/segments ...": a multi-segment header
            parts.update(fields[0] for fields in lines[1:] if fields)
    return [s for s in stems if s not in parts]


def read_database(
    directory: Path | str,
    records: Sequence[str] | None = None,
    lead: str = "MLII",
    annotator: str = "atr",
    fallback_leads: Sequence[str] = FALLBACK_LEADS,
) -> Iterator[Record]:
    """Yield the records (all by default, see `list_records`) one at a time, in order.

    Lazy, so a large database never has to fit in memory at once.
    """
    names = list_records(directory) if records is None else list(records)
    for name in names:
        yield read_record(directory, name, lead, fallback_leads, annotator)
