"""The beat dataset: every kept beat of a database as flat numpy arrays, built once and cached.

`build_dataset` reads the records in parallel (one task per record: read -> resample -> cut
beats), concatenates them in record order, and caches the result under ``build/cache`` keyed by
everything that determines it: the `BeatConfig`, `SCHEMA_VERSION`, the lead, annotator and
label mapping, the record list, and a content hash of the input files. Change any of these and
the next call rebuilds; otherwise a cached load takes well under a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ecg_snn.data import cache
from ecg_snn.data.aami import class_counts, classify, load_mapping
from ecg_snn.data.beats import DEFAULT_CONFIG, BeatConfig, extract_beats
from ecg_snn.data.database import list_records
from ecg_snn.data.errors import DataError
from ecg_snn.data.locate import (
    REPO,
    check_complete,
    file_sha256,
    find_mitdb,
    read_sums,
    verify_checksums,
)
from ecg_snn.data.records import read_record, record_files
from ecg_snn.data.splits import DS1, DS2, intra_split

SCHEMA_VERSION = 2  # bump whenever the arrays or their meaning change
DEFAULT_CACHE_DIR = REPO / "build" / "cache"
PARTS: tuple[str, ...] = ("DS1", "DS2", "intra_train", "intra_test")
_ARRAYS: tuple[str, ...] = ("window", "rr", "label", "symbol", "record", "sample")


@dataclass
class BeatDataset:
    """All kept beats, one row per beat, in record then time order.

    window (N, before+after) int32 raw ADC samples; rr (N, 3) int32 [prev, next, local] in samples
    at ``config.fs``; label (N,) int8 AAMI class index; symbol (N,) <U1 annotation symbol;
    record (N,) str record name (= patient id; may contain folders); sample (N,) int64 R position.

    Per-record metadata of the build: ``leads`` (lead used), ``annotations`` (annotations per
    class before any drop) and ``dropped`` (beats dropped per reason, see `data.beats`).
    ``info`` says where the data came from, whether the cache was hit, the seconds this call
    took and the seconds the (possibly cached) build took.
    """

    window: np.ndarray
    rr: np.ndarray
    label: np.ndarray
    symbol: np.ndarray
    record: np.ndarray
    sample: np.ndarray
    leads: dict[str, str]
    config: BeatConfig
    annotations: dict[str, dict[str, int]] = field(default_factory=dict)
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.label)

    @property
    def records(self) -> list[str]:
        """Names of the records the dataset was built from, in order."""
        return list(self.leads)

    def subset(self, selection: np.ndarray) -> BeatDataset:
        """The beats chosen by a boolean mask or an index array; metadata of their records."""
        arrays = {name: getattr(self, name)[selection] for name in _ARRAYS}
        return self._with(arrays, set(arrays["record"].tolist()))

    def part_mask(self, name: str) -> np.ndarray:
        """The boolean mask of one of `PARTS` over this dataset's beats.

        ``DS1``/``DS2``: the de Chazal records present (paced records are in neither).
        ``intra_train``/``intra_test``: `intra_split` of all beats of this dataset (seed 0).
        Q beats stay in every part: excluding them is the model's decision.
        """
        if name in ("DS1", "DS2"):
            wanted = DS1 if name == "DS1" else DS2
            present = [r for r in self.records if r in wanted]
            if not present:
                raise DataError(
                    f"this dataset has none of the {name} records; it holds "
                    f"{self.records[:5]}... (DS1/DS2 exist for MIT-BIH only)"
                )
            return np.isin(self.record, present)
        if name in ("intra_train", "intra_test"):
            train, test = intra_split(self.label, seed=0)
            return train if name == "intra_train" else test
        raise DataError(f"unknown dataset part {name!r}; choose one of {PARTS}")

    def part(self, name: str) -> BeatDataset:
        """The beats of one of `PARTS` (`part_mask`); metadata of their records (all records
        for the intra parts, which take beats of every record)."""
        mask = self.part_mask(name)
        arrays = {a: getattr(self, a)[mask] for a in _ARRAYS}
        wanted = {"DS1": DS1, "DS2": DS2}.get(name, self.records)
        return self._with(arrays, {r for r in self.records if r in wanted})

    def _with(self, arrays: dict[str, np.ndarray], records: set[str]) -> BeatDataset:
        def keep(d: dict) -> dict:
            return {r: v for r, v in d.items() if r in records}

        return BeatDataset(
            **arrays,
            leads=keep(self.leads),
            config=self.config,
            annotations=keep(self.annotations),
            dropped=keep(self.dropped),
            info=dict(self.info),
        )


def build_dataset(
    directory: Path | str | None = None,
    config: BeatConfig = DEFAULT_CONFIG,
    records: Sequence[str] | None = None,
    cache_dir: Path | str | None = DEFAULT_CACHE_DIR,
    progress: bool = True,
    *,
    lead: str = "MLII",
    annotator: str = "atr",
    mapping: Mapping[str, str] | str | Path | None = None,
    jobs: int = 2,
    rebuild: bool = False,
) -> BeatDataset:
    """Build (or load from the cache) the dataset of `records` in `directory`.

    `directory` None means MIT-BIH (`find_mitdb`), which must hold all 48 records
    (`data.locate.check_complete`); files listed in a ``SHA256SUMS`` there are verified first.
    `records` None means every record (`list_records`). `cache_dir` None turns the cache off;
    `rebuild` ignores a cached copy and overwrites it. `jobs` worker processes read the records
    (1: in this process).
    """
    start = time.perf_counter()
    if directory is None:
        directory = find_mitdb()
        check_complete(directory)  # DS1/DS2 and the published counts need all 48 records
    directory = Path(directory)
    names = list_records(directory) if records is None else [str(r) for r in records]
    verify_checksums(directory)
    label_map = load_mapping(mapping)
    key_fields = {
        "schema": SCHEMA_VERSION,
        "config": dataclasses.asdict(config),
        "records": names,
        "lead": lead,
        "annotator": annotator,
        "mapping": dict(sorted(label_map.items())),
        "content": content_hash(directory, names, annotator),
    }
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()
    stem = None
    if cache_dir is not None:
        stem = Path(cache_dir) / f"{directory.resolve().name}-{key[:16]}"
        hit = None if rebuild else cache.load(stem, key)
        if hit is not None:
            arrays, manifest = hit
            info = _info(directory, stem, "hit", start)
            info["build_seconds"] = manifest.get("build_seconds")
            return _from_parts(arrays, manifest, config, info)

    results = _read_all(directory, names, config, lead, annotator, label_map, jobs, progress)
    arrays = {a: np.concatenate([r["arrays"][a] for r in results]) for a in _ARRAYS}
    manifest = {
        **key_fields,
        "leads": {r["name"]: r["lead"] for r in results},
        "annotations": {r["name"]: r["annotations"] for r in results},
        "dropped": {r["name"]: r["dropped"] for r in results},
    }
    manifest["build_seconds"] = round(time.perf_counter() - start, 3)
    if stem is not None:
        cache.save(stem, key, arrays, manifest)
    info = _info(directory, stem, "built" if stem is not None else "off", start)
    info["build_seconds"] = manifest["build_seconds"]
    return _from_parts(arrays, manifest, config, info)


def load_dataset(
    directory: Path | str | None = None,
    config: BeatConfig = DEFAULT_CONFIG,
    records: Sequence[str] | None = None,
    cache_dir: Path | str = DEFAULT_CACHE_DIR,
    progress: bool = True,
    **kwargs: Any,
) -> BeatDataset:
    """`build_dataset` with the cache always on: load if cached, else build and cache."""
    if cache_dir is None:
        raise DataError("load_dataset needs a cache_dir; use build_dataset(cache_dir=None)")
    return build_dataset(directory, config, records, cache_dir, progress, **kwargs)


def content_hash(directory: Path, names: Sequence[str], annotator: str) -> str:
    """SHA-256 over the files of `names` (`data.records.record_files`: header, signal files of
    every segment, annotations).

    A file listed in a (verified) ``SHA256SUMS`` contributes its listed digest, so nothing is
    rehashed; any other file is hashed (remembered per process by size and mtime).
    """
    sums = read_sums(directory) or {}
    h = hashlib.sha256()
    for name in names:
        for path in record_files(directory, name, annotator):
            key = path.relative_to(directory).as_posix()
            digest = sums.get(key) or (file_sha256(path) if path.is_file() else "missing")
            h.update(f"{key} {digest}\n".encode())
    return h.hexdigest()


def _process_record(job: tuple) -> dict[str, Any]:
    """One worker task: read, resample and cut one record (module level so it pickles)."""
    directory, name, config, lead, annotator, label_map = job
    record = read_record(directory, name, lead=lead, annotator=annotator)
    _, label = classify(record.ann_symbol, label_map)
    beats, dropped = extract_beats(record, config, label_map)
    n = len(beats)
    arrays = {
        "window": beats.window,
        "rr": beats.rr,
        "label": beats.label,
        "symbol": beats.symbol,
        "record": np.full(n, name, dtype=f"<U{max(8, len(name))}"),
        "sample": beats.sample,
    }
    return {
        "name": name,
        "lead": record.lead,
        "annotations": class_counts(label),
        "dropped": dropped,
        "arrays": arrays,
    }


def _read_all(
    directory: Path,
    names: Sequence[str],
    config: BeatConfig,
    lead: str,
    annotator: str,
    label_map: dict[str, str],
    jobs: int,
    progress: bool,
) -> list[dict[str, Any]]:
    tasks = [(directory, n, config, lead, annotator, label_map) for n in names]
    bar = tqdm(total=len(tasks), desc="records", unit="rec", disable=not progress)
    with bar:
        if jobs <= 1 or len(tasks) <= 1:
            results = []
            for task in tasks:
                results.append(_process_record(task))
                bar.update()
            return results
        # spawn: workers start clean, whatever threads the parent (torch, pytest) is running
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            results = []
            for result in pool.map(_process_record, tasks):
                results.append(result)
                bar.update()
            return results


def _info(directory: Path, stem: Path | None, how: str, start: float) -> dict[str, Any]:
    return {
        "source": str(directory),
        "cache": how,
        "cache_file": None if stem is None else str(stem.with_suffix(".npz")),
        "seconds": round(time.perf_counter() - start, 3),
    }


def _from_parts(
    arrays: dict[str, np.ndarray], manifest: dict[str, Any], config: BeatConfig, info: dict
) -> BeatDataset:
    empty = {
        "window": np.zeros((0, config.width), np.int32),
        "rr": np.zeros((0, 3), np.int32),
        "label": np.zeros(0, np.int8),
        "symbol": np.zeros(0, "<U1"),
        "record": np.zeros(0, "<U8"),
        "sample": np.zeros(0, np.int64),
    }
    # record names may be longer than 8 characters (folders): keep their own width
    dtypes = {a: arrays[a].dtype if a == "record" else empty[a].dtype for a in _ARRAYS}
    fixed = {
        a: arrays[a].astype(dtypes[a], copy=False).reshape((-1, *empty[a].shape[1:]))
        for a in _ARRAYS
    }
    return BeatDataset(
        **fixed,
        leads=dict(manifest["leads"]),
        config=config,
        annotations=dict(manifest["annotations"]),
        dropped=dict(manifest["dropped"]),
        info=info,
    )
