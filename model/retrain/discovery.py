"""Find, check and read the engineer's WFDB recordings; cut the beats the base model expects.

Stages, each with a clear outcome:

1. *Discover* the records (`data.database.list_records`: the ``RECORDS`` file, else every
   ``*.hea``). An empty folder is an error.
2. *Check* every header before reading any signal, so a configuration mistake fails in a second
   with a message that lists what is there instead: an annotator no record has (lists the
   annotation extensions found), a lead a record lacks (lists each record's leads), a sampling
   rate below `data.records.MIN_FS`.
3. *Read* each record (`data.records.read_record`), resample it to the base model's rate and gain
   and cut beats (`data.beats.extract_beats`, windows and RR features exactly as the firmware).
   A record that cannot be used (no annotation file while others have one, a flat lead,
   corrupt files) is *skipped*, its reason printed and counted in the report; ``strict=True``
   makes it an error instead. No usable record left is an error. A lead with invalid (NaN)
   stretches is kept: only the beats near a gap are dropped (`model.retrain.gaps`).
4. *Drop* beats, each counted under one reason: the reasons of `data.beats.DROP_REASONS`
   (unknown symbol, annotation outside the signal, unmapped beat symbol, no RR, window leaves the
   record), plus ``nan_window`` (the window is near invalid samples, `model.retrain.gaps`),
   ``class_not_in_model`` (an AAMI class the base model has no output for, e.g. Q
   for the 4-class inter-patient model) and ``flat_window`` (the window's range is below
   `FLAT_MV`, a lead-off or clipped stretch).

The lead: with ``lead=None`` each record uses MLII or the first present of
`data.records.FALLBACK_LEADS` (the leads the shipped model was trained on and their closest
relatives); an explicit lead is strict: every record must have it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import wfdb
from tqdm import tqdm

from data.aami import CLASSES, class_counts, classify, load_mapping
from data.beats import DROP_REASONS, extract_beats
from data.database import list_records
from data.errors import DataError
from data.records import FALLBACK_LEADS, MIN_FS, pick_lead, read_record
from model.contract.spec import Preprocess
from model.retrain.gaps import beats_around_gaps, read_with_gaps

EXTRA_DROP_REASONS: tuple[str, ...] = ("nan_window", "class_not_in_model", "flat_window")
ALL_DROP_REASONS: tuple[str, ...] = (*DROP_REASONS, *EXTRA_DROP_REASONS)
FLAT_MV = 0.02  # a beat window whose peak-to-peak range is below this (mV) carries no QRS
_NOT_ANNOTATIONS = {"hea", "dat", "mat", "edf", "csv", "txt", "json", "xyz", "md", "npz"}


@dataclass
class BeatTable:
    """The kept beats of every usable record, in record then time order.

    window (N, before+after) int32 ADC samples at the base model's rate and gain; rr (N, 3) int32
    [prev, next, local] samples; y (N,) int64 index into `classes` (the base model's classes);
    symbol (N,) annotation symbol; record (N,) record name.
    """

    window: np.ndarray
    rr: np.ndarray
    y: np.ndarray
    symbol: np.ndarray
    record: np.ndarray
    classes: tuple[str, ...]
    summary: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def take(self, mask: np.ndarray) -> BeatTable:
        """The beats selected by a boolean mask or index array (the summary is shared)."""
        return BeatTable(
            self.window[mask],
            self.rr[mask],
            self.y[mask],
            self.symbol[mask],
            self.record[mask],
            self.classes,
            self.summary,
        )

    def counts(self) -> dict[str, int]:
        """Beats per model class (all classes, zeros included)."""
        n = np.bincount(self.y, minlength=len(self.classes))
        return {c: int(k) for c, k in zip(self.classes, n, strict=True)}


def check_headers(
    directory: Path, names: list[str], lead: str | None, annotator: str
) -> dict[str, str]:
    """Check leads, rates and annotation files of every record from the headers alone.

    Returns the records to skip and why (no annotation file for `annotator`, unreadable header);
    raises `DataError` for what no record could survive (see the module docstring).
    """
    skip: dict[str, str] = {}
    leads: dict[str, list[str]] = {}
    fallback = () if lead else FALLBACK_LEADS
    for name in names:
        try:
            header = wfdb.rdheader(str(directory / name))
        except Exception as e:  # wfdb raises assorted errors for a missing or broken header
            skip[name] = f"unreadable header {name}.hea ({type(e).__name__}: {e})"
            continue
        if header.fs is None or header.fs < MIN_FS:
            raise DataError(
                f"record {name} is sampled at {header.fs} Hz; the model needs at least {MIN_FS} "
                f"Hz to resolve a QRS complex inside its beat window (records are resampled to "
                f"the model's rate, but information below {MIN_FS} Hz cannot be recovered)"
            )
        leads[name] = [str(s) for s in header.sig_name or []]
        if not (directory / f"{name}.{annotator}").is_file():
            skip[name] = f"no annotation file {name}.{annotator}"
    if len(skip) == len(names):
        _no_annotations(directory, names, annotator, skip)
    usable = {n: v for n, v in leads.items() if n not in skip}
    missing = {n: v for n, v in usable.items() if pick_lead(v, lead or "MLII", fallback) is None}
    if missing:
        listing = "; ".join(f"{n}: {', '.join(v) or 'none'}" for n, v in missing.items())
        common = set.intersection(*(set(v) for v in usable.values()))
        want = f"lead {lead!r}" if lead else f"any of the leads {', '.join(FALLBACK_LEADS)}"
        hint = f"every record has {', '.join(sorted(common))}" if common else "no lead is common"
        raise DataError(
            f"{len(missing)} record(s) have no {want}. Leads available: {listing}. "
            f"Pass --lead with one of them ({hint})"
        )
    return skip


def _no_annotations(directory: Path, names: list[str], annotator: str, skip: dict) -> None:
    """Raise the error for a database where no record can be used, naming the likely cause."""
    if not all(v.startswith("no annotation file") for v in skip.values()):
        raise DataError(
            f"no usable record in {directory}: "
            + "; ".join(f"{n}: {w}" for n, w in list(skip.items())[:5])
        )
    found = sorted(_annotation_extensions(directory, names))
    if found:
        raise DataError(
            f"no record in {directory} has annotations from annotator {annotator!r} (files "
            f"*.{annotator}); annotation files found: {', '.join('.' + e for e in found)}: "
            f"pass --annotator one of {', '.join(found)}"
        )
    raise DataError(
        f"no annotation files in {directory}: retraining needs reference beat annotations "
        f"(WFDB annotation files such as {names[0]}.atr, written with wfdb.wrann)"
    )


def _annotation_extensions(directory: Path, names: list[str]) -> set[str]:
    """Extensions of files named like a record that are not header or signal files."""
    found = set()
    for name in names:
        for path in directory.glob(f"{name}.*"):
            ext = path.name[len(name) + 1 :]
            if ext and "." not in ext and ext.lower() not in _NOT_ANNOTATIONS:
                found.add(ext)
    return found


def read_beats(
    directory: Path | str,
    pre: Preprocess,
    classes: tuple[str, ...],
    *,
    lead: str | None = None,
    annotator: str = "atr",
    mapping: Mapping[str, str] | str | Path | None = None,
    strict: bool = False,
    progress: bool = True,
) -> BeatTable:
    """Every usable beat of the database in `directory`, labelled with the model's `classes`."""
    directory = Path(directory)
    names = list_records(directory)
    label_map = load_mapping(mapping)
    skipped = check_headers(directory, names, lead, annotator)
    if strict and skipped:
        name, why = next(iter(skipped.items()))
        raise DataError(f"record {name}: {why} (drop --strict to skip such records)")
    config = pre.beat_config()
    model_index = np.array([classes.index(c) if c in classes else -1 for c in CLASSES])
    flat_units = FLAT_MV * pre.gain
    parts: list[dict[str, np.ndarray]] = []
    per_record: dict[str, dict[str, Any]] = {}
    for name in tqdm(names, desc="records", unit="rec", disable=not progress):
        if name in skipped:
            continue
        fallback = () if lead else FALLBACK_LEADS
        try:
            rec = read_record(directory, name, lead or "MLII", fallback, annotator)
            beats, dropped = extract_beats(rec, config, label_map)
            dropped["nan_window"] = 0
        except DataError as e:
            gappy = read_with_gaps(directory, name, lead or "MLII", fallback, annotator)
            if gappy is None:
                if strict:
                    raise
                skipped[name] = str(e)
                continue
            rec, bad = gappy
            beats, dropped = beats_around_gaps(rec, bad, config, label_map)
        _, ann_label = classify(rec.ann_symbol, label_map)
        y = model_index[beats.label.astype(np.int64)]
        in_model = y >= 0
        flat = np.ptp(beats.window, axis=1) < flat_units
        dropped["class_not_in_model"] = int(np.count_nonzero(~in_model))
        dropped["flat_window"] = int(np.count_nonzero(in_model & flat))
        keep = in_model & ~flat
        parts.append(
            {
                "window": beats.window[keep],
                "rr": beats.rr[keep],
                "y": y[keep],
                "symbol": beats.symbol[keep],
                "record": np.full(int(keep.sum()), name, dtype=object),
            }
        )
        per_record[name] = {
            "fs": rec.fs,
            "lead": rec.lead,
            "seconds": round(len(rec.signal) / rec.fs, 1),
            "annotated": class_counts(ann_label),
            "kept": dict(
                zip(classes, np.bincount(y[keep], minlength=len(classes)).tolist(), strict=True)
            ),
            "dropped": dropped,
        }
    for name, why in skipped.items():
        if progress:
            tqdm.write(f"skipping record {name}: {why}")
    if not parts:
        raise DataError(
            f"no usable record in {directory}: "
            + "; ".join(f"{n}: {w}" for n, w in list(skipped.items())[:5])
        )
    table = BeatTable(
        window=np.concatenate([p["window"] for p in parts]).astype(np.int32),
        rr=np.concatenate([p["rr"] for p in parts]).astype(np.int32),
        y=np.concatenate([p["y"] for p in parts]).astype(np.int64),
        symbol=np.concatenate([p["symbol"] for p in parts]).astype(str),
        record=np.concatenate([p["record"] for p in parts]).astype(str),
        classes=classes,
    )
    table.summary = summarise(directory, per_record, skipped, table, lead, annotator, mapping)
    return table


def summarise(
    directory: Path,
    per_record: dict[str, dict[str, Any]],
    skipped: dict[str, str],
    table: BeatTable,
    lead: str | None,
    annotator: str,
    mapping: Mapping[str, str] | str | Path | None,
) -> dict[str, Any]:
    """The data summary of the report: records, rates, leads, beats per class, drops."""
    dropped = {r: sum(d["dropped"][r] for d in per_record.values()) for r in ALL_DROP_REASONS}
    return {
        "database": str(directory),
        "annotator": annotator,
        "lead_requested": lead,
        "mapping": str(mapping) if isinstance(mapping, str | Path) else mapping,
        "records_used": len(per_record),
        "records_skipped": dict(skipped),
        "sampling_rates_hz": sorted({d["fs"] for d in per_record.values()}),
        "leads": {r: d["lead"] for r, d in per_record.items()},
        "hours": round(sum(d["seconds"] for d in per_record.values()) / 3600, 3),
        "beats_kept": table.counts(),
        "beats_dropped": {"total": sum(dropped.values()), "by_reason": dropped},
        "per_record": per_record,
    }
