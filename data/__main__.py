"""``python -m ecg_snn.data``: build (or load) the MIT-BIH beat dataset and write its report.

Without ``--dir`` the database is MIT-BIH (`data.locate.find_mitdb`) and all 48 records must be
there (the error lists the missing ones). ``--dir`` builds any WFDB database's beats; if it holds
some MIT-BIH records but not all, a warning lists the missing ones, since DS1/DS2 are then
incomplete (the report's ``warnings``).
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.data.__main__:main", "make data")

import sys
import time
from pathlib import Path

from ecg_snn.data.cli import Parser
from ecg_snn.data.dataset import DEFAULT_CACHE_DIR, build_dataset
from ecg_snn.data.errors import DataError
from ecg_snn.data.report import DEFAULT_REPORT, make_report, summary, write_report
from ecg_snn.data.splits import ALL_RECORDS


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (DataError -> 1 with its message)."""
    parser = Parser(prog="python -m ecg_snn.data", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="database (default: MIT-BIH)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--rebuild", action="store_true", help="ignore and overwrite the cache")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--lead", default="MLII", help="lead by name or index (default MLII, then fallbacks)"
    )
    parser.add_argument("--annotator", default="atr", help="annotation file extension (atr)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        ds = build_dataset(
            args.dir,
            cache_dir=args.cache_dir,
            progress=not args.quiet,
            jobs=args.jobs,
            rebuild=args.rebuild,
            lead=args.lead,
            annotator=args.annotator,
        )
        report = make_report(ds, time.perf_counter() - start)
        report["warnings"] = _warnings(ds.records)
        for warning in report["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
        write_report(report, args.report)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(summary(report))
    print(f"report: {args.report}")
    return 0


def _warnings(records: list[str]) -> list[str]:
    """A database with some MIT-BIH records but not all: DS1/DS2 are incomplete."""
    present = set(records) & set(ALL_RECORDS)
    if not present or present == set(ALL_RECORDS):
        return []
    missing = sorted(set(ALL_RECORDS) - present)
    return [
        f"{len(present)} of the 48 MIT-BIH records are here, {len(missing)} are missing "
        f"({', '.join(missing[:12])}{', ...' if len(missing) > 12 else ''}): DS1 and DS2 are "
        "incomplete and the counts will not match the published ones"
    ]
