"""Split the engineer's beats by patient: no patient is in both training and test.

*Patients.* A record is its own patient unless something says otherwise: a patient map file
(`read_patient_map`: JSON ``{"record": "patient"}`` or text lines ``<record> <patient>``), or
evident links between records that `model.retrain.discovery.same_source` finds (identical
annotations or signals, a header note naming the other record as the source). Linked records
form one group and are kept on one side (`patient_groups`). Without a map the split is honestly
called a split *by record*, never "by patient".

Default (`patient_split`): a seeded random `test_fraction` of the *groups* goes to test (at
least one each side). Among `DRAWS` seeded draws the first whose test set has at least
`min_test` beats of every class that has any is taken; otherwise the draw covering the most
classes. Validation (model selection during fine-tuning) is a few whole training groups chosen
the same way; with fewer than three training groups it falls back to a stratified 10 % of the
training beats, and the report says so.

Explicit (`read_split_file`): a JSON file ``{"train": [...], "test": [...]}`` (optional
``"val": [...]``, a subset of nothing else) or a text file of ``<record> train|test|val`` lines.
A record that is in two sets, or named but not in the database, is an error; a record of the
database that the file does not name is left out and reported. A group the file puts on two
sides is an error when the patient map says so, and a warning in the report when only evident
links do (e.g. MIT-BIH 201/202 in the published de Chazal split).

`check_counts` then enforces the minimum beats per class in training and in test.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.model.retrain.discovery import BeatTable
from ecg_snn.model.retrain.errors import RetrainError

DRAWS = 2000
SETS = ("train", "val", "test")


@dataclass
class Split:
    """Record names per set, and how the split was made.

    `unit` is ``"patient"`` when a patient map grouped the records, else ``"record"``;
    `together` lists the groups of more than one record (kept on one side by the random split)
    and why; `warnings` what the report must say (a split file that separates a group)."""

    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    how: str
    val_by: str = "patient"  # "patient" (whole groups) or "beat" (stratified beats of train)
    left_out: tuple[str, ...] = ()  # usable records a split file does not name
    unit: str = "record"
    together: tuple[tuple[tuple[str, ...], str], ...] = ()
    warnings: tuple[str, ...] = ()

    def masks(self, table: BeatTable, seed: int = 0) -> dict[str, np.ndarray]:
        """Boolean masks over `table` for train, val and test."""
        test = np.isin(table.record, self.test)
        if self.val_by == "patient":
            val = np.isin(table.record, self.val)
            train = np.isin(table.record, self.train)
        else:
            train_all = np.isin(table.record, self.train)
            val = train_all & _stratified(table.y, train_all, 0.1, seed)
            train = train_all & ~val
        return {"train": train, "val": val, "test": test}


def read_patient_map(path: Path | str, table: BeatTable) -> dict[str, str]:
    """record -> patient from a JSON object or ``<record> <patient>`` lines (``#`` comments)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise RetrainError(f"cannot read the patient map {path}: {e}") from e
    mapping: dict[str, str] = {}
    if path.suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as e:
            raise RetrainError(f"patient map {path} is not valid JSON: {e}") from e
        if not isinstance(loaded, dict):
            raise RetrainError(f'patient map {path} must be a JSON object {{"record": "patient"}}')
        mapping = {str(k): str(v) for k, v in loaded.items()}
    else:
        for i, line in enumerate(text.splitlines(), 1):
            parts = line.split("#")[0].split()
            if not parts:
                continue
            if len(parts) != 2:
                raise RetrainError(f"{path}:{i}: expected '<record> <patient>', got {line!r}")
            if parts[0] in mapping:
                raise RetrainError(f"{path}:{i}: record {parts[0]} is mapped twice")
            mapping[parts[0]] = parts[1]
    known = set(table.record.tolist()) | set(table.summary.get("records_skipped", {}))
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise RetrainError(
            f"patient map {path} names records not in the database: {', '.join(unknown)}"
        )
    return mapping


def patient_groups(
    table: BeatTable, patients: dict[str, str] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """(record -> group id, group id -> why its records are together) for the records of
    `table`: the patient map's patients joined by the evident links of the table's summary."""
    records = sorted(set(table.record.tolist()))
    parent = {r: r for r in records}

    def root(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    reasons: dict[frozenset, list[str]] = {}
    by_patient: dict[str, list[str]] = {}
    for r in records:
        if patients and r in patients:
            by_patient.setdefault(patients[r], []).append(r)
    links = [(m, f"patient {p} in the patient map") for p, m in by_patient.items()]
    links += [
        (link["records"], link["why"])
        for link in table.summary.get("same_source", [])
        if all(r in parent for r in link["records"])
    ]
    for members, why in links:
        for other in members[1:]:
            parent[root(other)] = root(members[0])
        reasons.setdefault(frozenset(members), []).append(why)
    group = {r: root(r) for r in records}
    why: dict[str, str] = {}
    for members, texts in reasons.items():
        if len(members) > 1:
            g = group[next(iter(members))]
            label = " + ".join(sorted(members))
            why[g] = "; ".join(filter(None, [why.get(g), f"{label}: {', '.join(texts)}"]))
    return group, why


def _stratified(y: np.ndarray, within: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for cls in np.unique(y[within]):
        idx = np.flatnonzero(within & (y == cls))
        mask[rng.permutation(idx)[: round(len(idx) * fraction)]] = True
    return mask


def _draw(
    table: BeatTable, units: np.ndarray, pool: list[str], n: int, need: int, seed: int
) -> tuple[str, ...]:
    """`n` units (groups of records, `units` per beat) of `pool` whose beats cover every class
    of the pool with >= `need` beats, or, if no draw does, the draw covering the most classes
    (first found)."""
    rng = np.random.default_rng(seed)
    per_unit = {u: np.bincount(table.y[units == u], minlength=len(table.classes)) for u in pool}
    total = sum(per_unit.values())
    present = total > 0
    best, best_score = None, -1
    for _ in range(DRAWS):
        chosen = sorted(rng.choice(pool, n, replace=False).tolist())
        counts = sum(per_unit[u] for u in chosen)
        rest = total - counts
        score = int(np.count_nonzero((counts >= need) & (rest >= need) & present))
        if score == int(present.sum()):
            return tuple(chosen)
        if score > best_score:
            best, best_score = tuple(chosen), score
    return best or ()


def _units(table: BeatTable, group: dict[str, str]) -> np.ndarray:
    """The group of every beat."""
    names, inverse = np.unique(table.record, return_inverse=True)
    return np.array([group.get(r, r) for r in names], dtype=object)[inverse].astype(str)


def _records(group: dict[str, str], units) -> tuple[str, ...]:
    """The records of the groups `units`, sorted."""
    units = set(units)
    return tuple(sorted(r for r, g in group.items() if g in units))


def _together(group: dict[str, str], why: dict[str, str]):
    """((records of the group), why) for every group of more than one record."""
    return tuple((_records(group, [g]), text) for g, text in sorted(why.items()))


def patient_split(
    table: BeatTable,
    test_fraction: float = 0.2,
    seed: int = 0,
    min_test: int = 5,
    patients: dict[str, str] | None = None,
) -> Split:
    """The default split by group of records (see the module docstring)."""
    if not 0.0 < test_fraction < 1.0:
        raise RetrainError(f"--test-fraction is {test_fraction}; it must lie between 0 and 1")
    group, why = patient_groups(table, patients)
    unit = "patient" if patients else "record"
    pool = sorted(set(group.values()))
    if len(pool) < 2:
        joined = f" (one patient: {'; '.join(why.values())})" if why else ""
        raise RetrainError(
            f"only {len(group)} usable record(s) ({', '.join(sorted(group))}){joined}: a split "
            "needs at least 2 records of different patients (one to train on, one to test on); "
            "add recordings or pass --split-file"
        )
    units = _units(table, group)
    n_test = min(max(1, round(len(pool) * test_fraction)), len(pool) - 1)
    test_units = _draw(table, units, pool, n_test, min_test, seed)
    train_units = [u for u in pool if u not in test_units]
    what = "patients" if patients else ("records or groups of linked records" if why else "records")
    how = f"random {n_test} of {len(pool)} {what} ({len(group)} records) to test (seed {seed})"
    split = _with_validation(table, units, group, train_units, _records(group, test_units), how,
                             seed)  # fmt: skip
    return dataclasses.replace(split, unit=unit, together=_together(group, why))


def _with_validation(
    table: BeatTable,
    units: np.ndarray,
    group: dict[str, str],
    train_units: list[str],
    test: tuple[str, ...],
    how: str,
    seed: int,
) -> Split:
    train = _records(group, train_units)
    if len(train_units) < 3:
        return Split(train, (), tuple(test), how, val_by="beat")
    n_val = max(1, round(len(train_units) * 0.15))
    val_units = _draw(table, units, sorted(train_units), n_val, 1, seed + 1)
    val = _records(group, val_units)
    rest = tuple(r for r in train if r not in val)
    return Split(rest, val, tuple(test), how)


def read_split_file(
    path: Path | str, table: BeatTable, seed: int = 0, patients: dict[str, str] | None = None
) -> Split:
    """An explicit split (see the module docstring for the two formats)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise RetrainError(f"cannot read the split file {path}: {e}") from e
    sets: dict[str, list[str]] = {s: [] for s in SETS}
    if path.suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as e:
            raise RetrainError(f"split file {path} is not valid JSON: {e}") from e
        if not isinstance(loaded, dict) or set(loaded) - set(SETS) or "train" not in loaded:
            raise RetrainError(
                f'split file {path} must be a JSON object {{"train": [...], "test": [...]}} '
                '(optionally "val")'
            )
        for key, names in loaded.items():
            sets[key] = [str(n) for n in names]
    else:
        for i, line in enumerate(text.splitlines(), 1):
            parts = line.split("#")[0].split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1] not in SETS:
                raise RetrainError(
                    f"{path}:{i}: expected '<record> train|test|val', got {line.strip()!r}"
                )
            sets[parts[1]].append(parts[0])
    seen: dict[str, str] = {}
    for key in SETS:
        for name in sets[key]:
            if name in seen:
                raise RetrainError(
                    f"split file {path}: record {name} is in both {seen[name]} and {key}; "
                    "a patient must be on one side only"
                )
            seen[name] = key
    known = set(table.record.tolist()) | set(table.summary.get("records_skipped", {}))
    unknown = sorted(set(seen) - known)
    if unknown:
        raise RetrainError(
            f"split file {path} names records not in the database: {', '.join(unknown)}"
        )
    if not sets["train"] or not sets["test"]:
        raise RetrainError(f"split file {path} needs at least one train and one test record")
    group, why = patient_groups(table, patients)
    warnings = []
    for g, text in why.items():
        sides = sorted({seen[r] for r, h in group.items() if h == g and r in seen})
        if len(sides) > 1:
            message = f"split file {path} puts one patient on two sides ({'/'.join(sides)}): "
            if "patient map" in text:
                raise RetrainError(message + text + "; fix the split file or the patient map")
            warnings.append(message + text)
    how = f"split file {path}"
    left_out = tuple(sorted(set(table.record.tolist()) - set(seen)))
    if sets["val"]:
        split = Split(tuple(sets["train"]), tuple(sets["val"]), tuple(sets["test"]), how)
    else:
        train_group = {r: group.get(r, r) for r in sets["train"]}
        train_units = sorted(set(train_group.values()))
        units = _units(table, {**{r: f"~{r}" for r in group}, **train_group})
        split = _with_validation(table, units, train_group, train_units, tuple(sets["test"]), how,
                                 seed)  # fmt: skip
    return dataclasses.replace(
        split,
        left_out=left_out,
        unit="patient" if patients else "record",
        together=_together(group, why),
        warnings=tuple(warnings),
    )


def check_counts(
    table: BeatTable, masks: dict[str, np.ndarray], min_train: int, min_test: int
) -> None:
    """Every model class needs `min_train` training and `min_test` test beats."""
    problems = []
    for part, need in (("train", min_train), ("test", min_test)):
        counts = np.bincount(table.y[masks[part]], minlength=len(table.classes))
        for cls, n in zip(table.classes, counts, strict=True):
            if n < need:
                problems.append(f"class {cls} has {n} {part} beats (need {need})")
    if problems:
        raise RetrainError(
            "too few beats to train or evaluate: "
            + "; ".join(problems)
            + ". Add recordings with these beats, relabel with --mapping, or lower "
            "--min-train-beats / --min-test-beats (0 accepts an absent class; its metrics are "
            "then meaningless and the model keeps what the base model knew)"
        )
