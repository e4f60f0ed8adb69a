"""Split the engineer's beats by patient: no record is in both training and test.

Default (`patient_split`): a seeded random `test_fraction` of the *records* goes to test (at
least one record each side). Among `DRAWS` seeded draws the first whose test set has at least
`min_test` beats of every class that has any is taken; otherwise the draw covering the most
classes. Validation (model selection during fine-tuning) is a few whole training records chosen
the same way; with fewer than three training records it falls back to a stratified 10 % of the
training beats, and the report says so.

Explicit (`read_split_file`): a JSON file ``{"train": [...], "test": [...]}`` (optional
``"val": [...]``, a subset of nothing else) or a text file of ``<record> train|test|val`` lines.
A record that is in two sets, or named but not in the database, is an error; a record of the
database that the file does not name is left out and reported.

`check_counts` then enforces the minimum beats per class in training and in test.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.retrain.discovery import BeatTable
from model.retrain.errors import RetrainError

DRAWS = 2000
SETS = ("train", "val", "test")


@dataclass
class Split:
    """Record names per set, and how the split was made."""

    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    how: str
    val_by: str = "patient"  # "patient" (whole records) or "beat" (stratified beats of train)
    left_out: tuple[str, ...] = ()  # usable records a split file does not name

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


def _stratified(y: np.ndarray, within: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for cls in np.unique(y[within]):
        idx = np.flatnonzero(within & (y == cls))
        mask[rng.permutation(idx)[: round(len(idx) * fraction)]] = True
    return mask


def _draw(table: BeatTable, pool: list[str], n: int, need: int, seed: int) -> tuple[str, ...]:
    """`n` records of `pool` whose beats cover every class of the pool with >= `need` beats,
    or, if no draw does, the draw covering the most classes (first found)."""
    rng = np.random.default_rng(seed)
    per_record = {
        r: np.bincount(table.y[table.record == r], minlength=len(table.classes)) for r in pool
    }
    total = sum(per_record.values())
    present = total > 0
    best, best_score = None, -1
    for _ in range(DRAWS):
        chosen = sorted(rng.choice(pool, n, replace=False).tolist())
        counts = sum(per_record[r] for r in chosen)
        rest = total - counts
        score = int(np.count_nonzero((counts >= need) & (rest >= need) & present))
        if score == int(present.sum()):
            return tuple(chosen)
        if score > best_score:
            best, best_score = tuple(chosen), score
    return best or ()


def patient_split(
    table: BeatTable, test_fraction: float = 0.2, seed: int = 0, min_test: int = 5
) -> Split:
    """The default record-level split (see the module docstring)."""
    if not 0.0 < test_fraction < 1.0:
        raise RetrainError(f"--test-fraction is {test_fraction}; it must lie between 0 and 1")
    records = sorted(set(table.record.tolist()))
    if len(records) < 2:
        raise RetrainError(
            f"only {len(records)} usable record ({', '.join(records)}): a patient-wise split "
            "needs at least 2 records (one to train on, one to test on); add recordings or "
            "pass --split-file"
        )
    n_test = min(max(1, round(len(records) * test_fraction)), len(records) - 1)
    test = _draw(table, records, n_test, min_test, seed)
    train = [r for r in records if r not in test]
    how = f"random {n_test} of {len(records)} records to test (seed {seed})"
    return _with_validation(table, train, test, how, seed)


def _with_validation(
    table: BeatTable, train: list[str], test: tuple[str, ...], how: str, seed: int
) -> Split:
    if len(train) < 3:
        return Split(tuple(train), (), tuple(test), how, val_by="beat")
    n_val = max(1, round(len(train) * 0.15))
    val = _draw(table, train, n_val, 1, seed + 1)
    rest = tuple(r for r in train if r not in val)
    return Split(rest, val, tuple(test), how)


def read_split_file(path: Path | str, table: BeatTable, seed: int = 0) -> Split:
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
    how = f"split file {path}"
    left_out = tuple(sorted(set(table.record.tolist()) - set(seen)))
    if sets["val"]:
        split = Split(tuple(sets["train"]), tuple(sets["val"]), tuple(sets["test"]), how)
    else:
        split = _with_validation(table, sets["train"], tuple(sets["test"]), how, seed)
    return dataclasses.replace(split, left_out=left_out)


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
