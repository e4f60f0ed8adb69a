"""Find the MIT-BIH Arrhythmia Database on disk (or download it) and check its integrity.

Lookup order in `find_mitdb`, first match wins:

1. ``$MITDB_DIR`` (an explicit setting: if it names a directory without the records, that is an
   error rather than a silent fallback),
2. ``<repo>/data/mitdb``,
3. ``<repo>/../shared/data/mitdb``,
4. download with ``wfdb.dl_database("mitdb", ...)`` into a temporary sibling of
   ``<repo>/data/mitdb``, renamed into place only when complete (a failed download leaves
   nothing behind).

`missing_records` names the MIT-BIH records (of the 48) whose header, signal or annotation file
is absent; building the MIT-BIH dataset refuses an incomplete copy with that list.

`verify_checksums` hashes files against a ``SHA256SUMS`` file when one is present. Hashing the
~94 MB of MIT-BIH takes a fraction of a second, but callers may verify often (every dataset load),
so results are remembered per process, keyed by each file's size and modification time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ecg_snn.data.errors import DataError

REPO = Path(__file__).resolve().parent.parent
MARKER = "100.hea"  # present in every copy of MIT-BIH

_verified: dict[tuple, None] = {}
_file_digests: dict[tuple[str, int, int], str] = {}


def candidate_dirs() -> list[Path]:
    """The default places to look for MIT-BIH, in order (without ``$MITDB_DIR``)."""
    return [REPO / "data" / "mitdb", REPO.parent / "shared" / "data" / "mitdb"]


def find_mitdb(download: bool = True) -> Path:
    """Return the directory holding MIT-BIH, downloading it if allowed and nowhere to be found."""
    env = os.environ.get("MITDB_DIR")
    if env:
        path = Path(env)
        if not (path / MARKER).is_file():
            raise DataError(
                f"$MITDB_DIR is {env!r}, but {path / MARKER} does not exist; point MITDB_DIR "
                "at a directory holding the MIT-BIH records or unset it"
            )
        return path
    for path in candidate_dirs():
        if (path / MARKER).is_file():
            return path
    target = candidate_dirs()[0]
    if not download:
        places = ", ".join(str(p) for p in candidate_dirs())
        raise DataError(
            f"MIT-BIH not found (looked in $MITDB_DIR, {places}); set MITDB_DIR to a copy, or "
            f"run `make data` with network access to download it into {target}"
        )
    return _download(target)


def _download(target: Path) -> Path:
    """Download into a temporary sibling of `target`, rename it into place when complete."""
    import wfdb  # imported here: only the download path needs it

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        wfdb.dl_database("mitdb", str(partial))
        missing = missing_records(partial)
        if missing:
            raise DataError(f"{len(missing)} records missing after the download")
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()  # an empty folder left by an older version
        partial.rename(target)
    except Exception as e:  # network, HTTP and file errors all mean the same thing to the user
        shutil.rmtree(partial, ignore_errors=True)
        raise DataError(
            f"downloading MIT-BIH from PhysioNet into {target} failed ({type(e).__name__}: {e}); "
            "nothing was kept. Check the network, or download it by hand and set MITDB_DIR"
        ) from e
    return target


def missing_records(directory: Path | str) -> list[str]:
    """The MIT-BIH records (`data.splits.ALL_RECORDS`) without a .hea, .dat or .atr file."""
    from ecg_snn.data.splits import ALL_RECORDS

    directory = Path(directory)
    return [
        r
        for r in ALL_RECORDS
        if not all((directory / f"{r}.{ext}").is_file() for ext in ("hea", "dat", "atr"))
    ]


def check_complete(directory: Path | str) -> None:
    """Refuse a MIT-BIH copy that lacks any of the 48 records, naming them."""
    missing = missing_records(directory)
    if missing:
        shown = ", ".join(missing[:12]) + (", ..." if len(missing) > 12 else "")
        raise DataError(
            f"the MIT-BIH copy in {directory} is incomplete: {len(missing)} of the 48 records "
            f"are missing or lack a .hea/.dat/.atr file ({shown}); copy them in (e.g. "
            f"wfdb.dl_database('mitdb', ...)) or point MITDB_DIR at a complete copy"
        )


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, remembered per process while its size and mtime stay the same."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _file_digests:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _file_digests[key] = h.hexdigest()
    return _file_digests[key]


def read_sums(directory: Path) -> dict[str, str] | None:
    """File name -> expected SHA-256 from ``directory/SHA256SUMS``, or None if there is none."""
    sums = Path(directory) / "SHA256SUMS"
    if not sums.is_file():
        return None
    expected: dict[str, str] = {}
    for n, line in enumerate(sums.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DataError(f"{sums} line {n} is not '<sha256>  <file>': {line!r}")
        expected[parts[1].lstrip("*").strip()] = parts[0].lower()
    return expected


def verify_checksums(directory: Path | str) -> bool:
    """Check every file listed in ``SHA256SUMS``; return False if there is no such file.

    Raises DataError naming the first file that is missing or whose hash differs.
    """
    directory = Path(directory)
    expected = read_sums(directory)
    if expected is None:
        return False
    stamp = []
    for name in sorted(expected):
        path = directory / name
        if not path.is_file():
            raise DataError(
                f"{path} is listed in SHA256SUMS but missing; restore or re-download the database"
            )
        st = path.stat()
        stamp.append((name, st.st_size, st.st_mtime_ns, expected[name]))
    key = (str(directory.resolve()), tuple(stamp))
    if key in _verified:
        return True
    for name in sorted(expected):
        if file_sha256(directory / name) != expected[name]:
            raise DataError(
                f"{directory / name} does not match its SHA256SUMS entry (corrupt or modified); "
                "restore or re-download the database"
            )
    _verified[key] = None
    return True
