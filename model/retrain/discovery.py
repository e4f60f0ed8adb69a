"""Find, check and read the engineer's WFDB recordings; cut the beats the base model expects.

Stages, each with a clear outcome:

1. *Discover* the records (`data.database.list_records`: the ``RECORDS`` file, else every
   ``*.hea``). An empty folder is an error.
2. *Check* every header before reading any signal, so a configuration mistake fails in a second
   with a message that lists what is there instead: an annotator no record has (lists the
   annotation extensions found), a lead a record lacks (lists each record's leads, unnamed ones
   as ``signal K (unnamed)``), a lead sampled below `data.records.MIN_FS` (at its own rate:
   frame rate x samples per frame), units that are not a voltage.
3. *Read* each record (`data.records.read_lead`: the lead at its own rate, annotations rescaled
   from their own ``fs``, gain per mV from the units, multi-segment records joined), resample it
   to the base model's rate and gain and cut beats (`data.beats.extract_beats`, windows and RR
   features exactly as the firmware). A record that cannot be used (no annotation file while
   others have one, a flat lead, corrupt files) is *skipped*, its reason printed and counted in
   the report; ``strict=True`` makes it an error instead. No usable record left is an error,
   and so is no beat left (the error counts the drops per reason and names the likely cause). A
   lead with invalid (NaN) stretches is kept: only the beats near a gap are dropped
   (`data.gaps`).
4. *Drop* beats, each counted under one reason: the reasons of `data.beats.DROP_REASONS`
   (unknown symbol, annotation outside the signal, duplicate annotation, unmapped beat symbol,
   no RR, window leaves the record), plus ``nan_window`` (the window is near invalid samples,
   `data.gaps`), ``class_not_in_model`` (an AAMI class the base model has no output
   for, e.g. Q for the 4-class inter-patient model) and ``flat_window`` (the window's range is below
   `FLAT_MV`, a lead-off or clipped stretch).
5. *Describe* what the report needs: per record the lead's and the annotations' rates, units,
   the chip input samples at the ends of their range (`SATURATION_WARN`), and the pairs of
   records that evidently come from one patient (`same_source`, used by `model.retrain.split`).

The lead: with ``lead=None`` each record uses MLII or the first present of
`data.records.FALLBACK_LEADS` (the leads the shipped model was trained on and their closest
relatives); an explicit lead is strict: every record must have it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import wfdb
from tqdm import tqdm

from ecg_snn.data.aami import CLASSES, class_counts, classify, load_mapping
from ecg_snn.data.beats import DROP_REASONS
from ecg_snn.data.database import list_records
from ecg_snn.data.errors import DataError
from ecg_snn.data.gaps import beats_around_gaps
from ecg_snn.data.records import (
    FALLBACK_LEADS,
    MIN_FS,
    gain_per_mv,
    lead_fs,
    pick_lead,
    plain_rate,
    read_header,
    read_lead,
    signal_header,
    signal_label,
    signal_names,
)
from ecg_snn.model.contract.frontend import preprocess_samples
from ecg_snn.model.contract.spec import Preprocess

EXTRA_DROP_REASONS: tuple[str, ...] = ("nan_window", "class_not_in_model", "flat_window")
ALL_DROP_REASONS: tuple[str, ...] = (*DROP_REASONS, *EXTRA_DROP_REASONS)
# More than this fraction of chip input samples at the ends of their range means the amplitude
# is probably wrong (gain or units), not a few tall beats: the report warns.
SATURATION_WARN = 0.02
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
    """Check leads, rates, units and annotation files of every record from the headers alone.

    Returns the records to skip and why (no annotation file for `annotator`, unreadable header);
    raises `DataError` for what no record could survive (see the module docstring).
    """
    skip: dict[str, str] = {}
    leads: dict[str, list[str | None]] = {}
    headers = {}
    fallback = () if lead else FALLBACK_LEADS
    for name in names:
        try:
            header = read_header(directory, name)
            signals = signal_header(directory, name, header)
        except DataError as e:
            skip[name] = str(e)
            continue
        headers[name] = (header, signals)
        leads[name] = signal_names(signals)
        if not (directory / f"{name}.{annotator}").is_file():
            skip[name] = f"no annotation file {name}.{annotator}"
    if len(skip) == len(names):
        _no_annotations(directory, names, annotator, skip)
    usable = {n: v for n, v in leads.items() if n not in skip}
    missing = {n: v for n, v in usable.items() if pick_lead(v, lead or "MLII", fallback) is None}
    if missing:
        labels = {n: [signal_label(v, i) for i in range(len(v))] for n, v in usable.items()}
        listing = "; ".join(f"{n}: {', '.join(labels[n]) or 'none'}" for n in missing)
        common = set.intersection(*(set(v) for v in labels.values()))
        want = f"no lead {lead!r}" if lead else f"none of the leads {', '.join(FALLBACK_LEADS)}"
        hint = f"every record has {', '.join(sorted(common))}" if common else "no lead is common"
        raise DataError(
            f"{len(missing)} record(s) have {want}. Leads available: {listing}. "
            f"Pass --lead with one of them, by name or by index ({hint})"
        )
    for name, v in usable.items():
        header, signals = headers[name]
        where = pick_lead(v, lead or "MLII", fallback)
        fs = lead_fs(header, where, signals)
        if fs < MIN_FS:
            raise DataError(
                f"record {name} is sampled at {plain_rate(fs) if fs else fs} Hz; the model "
                f"needs at least {MIN_FS} Hz to resolve a QRS complex inside its beat window "
                f"(records are resampled to the model's rate, but information below {MIN_FS} "
                "Hz cannot be recovered)"
            )
        if not isinstance(header, wfdb.MultiRecord):  # segments: checked when read
            gain_per_mv(name, signal_label(v, where), signals.units[where], 1.0)
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
        f"no annotation files in {directory}: reference beat annotations are needed "
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
    sources: dict[str, dict[str, Any]] = {}
    lo, hi = pre.input_range
    for name in tqdm(names, desc="records", unit="rec", disable=not progress):
        if name in skipped:
            continue
        fallback = () if lead else FALLBACK_LEADS
        try:
            rec, bad = read_lead(directory, name, lead or "MLII", fallback, annotator)
            beats, dropped = beats_around_gaps(rec, bad, config, label_map)  # data.gaps
        except DataError as e:
            if strict:
                raise
            skipped[name] = str(e)
            continue
        _, ann_label = classify(rec.ann_symbol, label_map)
        y = model_index[beats.label.astype(np.int64)]
        in_model = y >= 0
        flat = np.ptp(beats.window, axis=1) < flat_units
        dropped["class_not_in_model"] = int(np.count_nonzero(~in_model))
        dropped["flat_window"] = int(np.count_nonzero(in_model & flat))
        keep = in_model & ~flat
        x = preprocess_samples(pre, beats.window[keep])
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
            "fs": plain_rate(rec.fs),
            "annotation_fs": rec.ann_fs,
            "units": rec.units,
            "gain_assumed": rec.gain_assumed,
            "lead": rec.lead,
            "seconds": round(len(rec.signal) / rec.fs, 1),
            "annotated": class_counts(ann_label),
            "kept": dict(
                zip(classes, np.bincount(y[keep], minlength=len(classes)).tolist(), strict=True)
            ),
            "dropped": dropped,
            "saturated_inputs": int(np.count_nonzero((x == lo) | (x == hi))),
            "inputs": int(x.size),
        }
        sources[name] = _fingerprint(directory, name, rec)
    for name, why in skipped.items():
        if progress:
            tqdm.write(f"skipping record {name}: {why}")
    if not parts:
        raise DataError(
            f"no usable record in {directory}: "
            + "; ".join(f"{n}: {w}" for n, w in list(skipped.items())[:5])
        )
    if not sum(len(p["y"]) for p in parts):
        raise DataError(_nothing_kept(directory, per_record, skipped))
    table = BeatTable(
        window=np.concatenate([p["window"] for p in parts]).astype(np.int32),
        rr=np.concatenate([p["rr"] for p in parts]).astype(np.int32),
        y=np.concatenate([p["y"] for p in parts]).astype(np.int64),
        symbol=np.concatenate([p["symbol"] for p in parts]).astype(str),
        record=np.concatenate([p["record"] for p in parts]).astype(str),
        classes=classes,
    )
    table.summary = summarise(directory, per_record, skipped, table, lead, annotator, mapping)
    table.summary["same_source"] = same_source(sources)
    return table


# Why every beat may be dropped, and what to check, per drop reason.
_ADVICE = {
    "flat_window": "flat windows: check the gain and units in the headers (a lead in V read "
    "as mV is 1000x too small)",
    "outside_signal": "annotations outside the signal: check the annotation files' sampling "
    "rate and that they belong to these records",
    "class_not_in_model": "classes the model has no output for: relabel with --mapping",
    "unmapped_beat": "beat symbols without a class: map them with --mapping",
    "unknown_symbol": "symbols that are not WFDB beat labels: map them with --mapping",
    "no_rr": "first/last beats only: records need at least 3 annotated beats",
    "window": "windows leaving the records: records are too short for the beat window",
    "nan_window": "windows near invalid (NaN) samples: the leads are mostly gaps",
    "duplicate": "duplicate annotations: each beat annotated more than once",
}


def _nothing_kept(directory: Path, per_record: dict, skipped: dict[str, str]) -> str:
    """The error when records were read but every beat was dropped: how many, and why."""
    dropped = {r: sum(d["dropped"][r] for d in per_record.values()) for r in ALL_DROP_REASONS}
    total = sum(dropped.values())
    reasons = ", ".join(f"{k} {v}" for k, v in dropped.items() if v) or "none"
    main = max(dropped, key=dropped.get)
    advice = f"; most are {_ADVICE[main]}" if dropped[main] else ""
    text = (
        f"no beat left in {directory}: {len(per_record)} record(s) read, all {total} annotated "
        f"beats dropped ({reasons}){advice}"
    )
    if skipped:
        text += f"; {len(skipped)} record(s) skipped: " + "; ".join(
            f"{n}: {w}" for n, w in list(skipped.items())[:3]
        )
    return text


def _fingerprint(directory: Path, name: str, rec) -> dict[str, Any]:
    """What `same_source` compares: hashes of the annotations and the signal, header notes."""
    ann = np.rec.fromarrays([rec.ann_sample, rec.ann_symbol.astype("<U1")])
    try:
        comments = read_header(directory, name).comments or []
    except DataError:
        comments = []
    return {
        "annotations": hashlib.sha256(ann.tobytes()).hexdigest() if len(ann) else None,
        "signal": hashlib.sha256(rec.signal.tobytes()).hexdigest(),
        "comments": [str(c) for c in comments],
    }


_SOURCE_WORDS = re.compile(r"\b(record|records|from|copy|copied|source|same|taken)\b", re.I)


def same_source(sources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Pairs of records that evidently come from one patient, and why: identical annotations
    (a noise-added copy, a re-annotation), an identical signal, or a header note naming the
    other record as its source (a comment line with the other's name as a word and one of
    "record", "from", "copy", "source", "same", "taken", as in MIT-BIH 202: "This record was
    taken from the same analog tape as record 201.")."""
    names = list(sources)
    order = {n: i for i, n in enumerate(names)}
    why: dict[tuple[str, str], list[str]] = {}

    def link(a: str, b: str, text: str) -> None:
        pair = tuple(sorted((a, b), key=order.get))
        if text not in why.setdefault(pair, []):
            why[pair].append(text)

    for key, text in (("annotations", "identical annotations"), ("signal", "identical signals")):
        same: dict[str, list[str]] = {}
        for n in names:
            if sources[n][key]:
                same.setdefault(sources[n][key], []).append(n)
        for group in same.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    link(a, b, text)
    by_short: dict[str, list[str]] = {}
    for n in names:
        by_short.setdefault(n.rsplit("/", 1)[-1], []).append(n)
    for this in names:
        for note in sources[this]["comments"]:
            if not _SOURCE_WORDS.search(note):
                continue
            for word in set(re.findall(r"[\w.-]+", note)):
                for other in by_short.get(word.strip(".") or word, []):
                    if other != this:
                        link(this, other, f"the header of {this} names {other}: {note.strip()!r}")
    pairs = sorted(why, key=lambda p: (order[p[0]], order[p[1]]))
    return [{"records": list(p), "why": "; ".join(why[p])} for p in pairs]


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
    saturated = sum(d["saturated_inputs"] for d in per_record.values())
    inputs = sum(d["inputs"] for d in per_record.values())
    return {
        "database": str(directory),
        "annotator": annotator,
        "lead_requested": lead,
        "mapping": str(mapping) if isinstance(mapping, str | Path) else mapping,
        "records_used": len(per_record),
        "records_skipped": dict(skipped),
        "sampling_rates_hz": sorted({d["fs"] for d in per_record.values()}),
        "annotation_rates_hz": sorted({d["annotation_fs"] for d in per_record.values()}),
        "units": sorted({d["units"] for d in per_record.values()}),
        # headers with gain 0 (WFDB: uncalibrated), read as 200 ADC units per unit
        "gain_assumed": sorted(r for r, d in per_record.items() if d["gain_assumed"]),
        "leads": {r: d["lead"] for r, d in per_record.items()},
        "hours": round(sum(d["seconds"] for d in per_record.values()) / 3600, 3),
        "beats_kept": table.counts(),
        "beats_dropped": {"total": sum(dropped.values()), "by_reason": dropped},
        "saturated_inputs": {
            "fraction": round(saturated / inputs, 5) if inputs else 0.0,
            "warn_above": SATURATION_WARN,
            "records": {
                r: round(d["saturated_inputs"] / d["inputs"], 4)
                for r, d in per_record.items()
                if d["inputs"] and d["saturated_inputs"] > SATURATION_WARN * d["inputs"]
            },
        },
        "per_record": per_record,
    }
