"""Discover and read the records of any WFDB database directory.

Nothing here is specific to MIT-BIH (no checksums, no DS1/DS2): the same functions read a user's
own recordings, at any sampling rate, for retraining.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from data.errors import DataError
from data.records import FALLBACK_LEADS, Record, read_record


def list_records(directory: Path | str) -> list[str]:
    """Record names of a database: the ``RECORDS`` file if present, else every ``*.hea``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"database directory {directory} does not exist")
    listing = directory / "RECORDS"
    if listing.is_file():
        names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    else:
        names = sorted(p.stem for p in directory.glob("*.hea"))
    if not names:
        raise DataError(f"{directory} holds no WFDB records (no RECORDS file and no .hea files)")
    return names


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
