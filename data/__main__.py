"""``python -m data``: build (or load) the MIT-BIH beat dataset and write its report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from data.dataset import DEFAULT_CACHE_DIR, build_dataset
from data.errors import DataError
from data.report import DEFAULT_REPORT, make_report, summary, write_report


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (DataError -> 1 with its message)."""
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="database (default: MIT-BIH)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--rebuild", action="store_true", help="ignore and overwrite the cache")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        ds = build_dataset(
            args.dir,
            cache_dir=args.cache_dir,
            progress=not args.quiet,
            jobs=args.jobs,
            rebuild=args.rebuild,
        )
        report = make_report(ds, time.perf_counter() - start)
        write_report(report, args.report)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(summary(report))
    print(f"report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
