"""Train / validation / test beats for the two protocols, as chip inputs (integers).

- ``inter``: train on DS1, test on DS2 (de Chazal 2004), classes N, S, V, F (Q beats dropped,
  as is standard). The validation set is a few *whole patients* of DS1, so model selection
  measures generalisation to unseen patients, like the test; DS2 is never looked at for a choice.
- ``intra``: ``intra_train`` / ``intra_test`` (stratified 80/20 beat split of all 48 records),
  all five classes. Validation is a stratified 10 % of the training beats: the intra protocol
  tests on the same patients, so a patient-held-out validation would select for the wrong thing.
  (``val_by="patient"`` is available for both; it is the default for ``inter`` only.)

Inputs are `model.contract.frontend.preprocess_beats` integers (the patient features run over
every beat of a record in time order, whichever part a beat falls in: the intra parts take
beats of the same records); `scaled` gives the floats the CNN sees:
x_f = x / 2**(input_bits-1), rr_f = rr / 2**rr_bits. `rhythm` is each beat's measure for the
rhythm gate (`model.contract.patient`), which `reported` applies to the chip's classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecg_snn.model.contract.frontend import preprocess_beats
from ecg_snn.model.contract.patient import rhythm_values
from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS, Preprocess

CLASSES = {"inter": ("N", "S", "V", "F"), "intra": ("N", "S", "V", "F", "Q")}
TEST_PART = {"inter": ("DS1", "DS2"), "intra": ("intra_train", "intra_test")}


@dataclass
class Beats:
    """Chip inputs and labels of one set of beats."""

    x: np.ndarray  # (N, 1, n_samples) int64, signed input_bits
    rr: np.ndarray  # (N, n_rr) int64, unsigned rr_bits
    y: np.ndarray  # (N,) int64 class index
    record: np.ndarray  # (N,) record (patient) name
    rhythm: np.ndarray | None = None  # (N,) int64 the rhythm gate's measure; None: not known

    def __len__(self) -> int:
        return len(self.y)

    def take(self, idx: np.ndarray) -> Beats:
        rhythm = None if self.rhythm is None else self.rhythm[idx]
        return Beats(self.x[idx], self.rr[idx], self.y[idx], self.record[idx], rhythm)

    def scaled(self, pre: Preprocess) -> tuple[np.ndarray, np.ndarray]:
        """(x_f, rr_f) float32, the CNN's view of the same beats."""
        x_f = self.x.astype(np.float32) / pre.input_scale
        rr_f = self.rr.astype(np.float32) / pre.rr_scale
        return x_f, rr_f

    def reported(self, spec, cls: np.ndarray) -> np.ndarray:
        """The classes a device reports for these beats: the chip's `cls` through the rhythm
        gate of `spec` (a `ModelSpec`; ValueError if it has one and the rhythm is not known)."""
        return spec.reported(cls, self.rhythm)


@dataclass
class SplitData:
    split: str
    classes: tuple[str, ...]
    train: Beats
    val: Beats
    test: Beats
    val_records: tuple[str, ...]


def to_beats(ds, pre: Preprocess, n_classes: int, select: np.ndarray | None = None) -> Beats:
    """The beats of a `data.dataset.BeatDataset` chosen by the boolean mask `select` (None:
    all) -> `Beats`, dropping labels >= n_classes (Q for inter). The patient features see every
    beat of `ds` before the chosen one in its record (Q included, as the device does)."""
    sel = np.arange(len(ds)) if select is None else np.flatnonzero(select)
    x, rr = preprocess_beats(pre, np.asarray(ds.window), np.asarray(ds.rr), ds.record, sel)
    label = np.asarray(ds.label)[sel]
    keep = label < n_classes
    # over every beat of the chosen beats' records (the state is per record), not the others
    record = np.asarray(ds.record)
    mine = np.flatnonzero(np.isin(record, record[sel]))
    rhythm = rhythm_values(pre, np.asarray(ds.rr)[mine], record[mine])
    rhythm = rhythm[np.searchsorted(mine, sel)][keep]
    y = label[keep].astype(np.int64)
    return Beats(x[keep], rr[keep], y, np.asarray(ds.record)[sel][keep], rhythm)


def patient_validation(
    beats: Beats, n_classes: int, n_records: int = 4, min_per_class: int = 30, seed: int = 0
) -> np.ndarray:
    """A boolean mask of the beats of `n_records` whole records, drawn with a seeded rng until
    every class has at least `min_per_class` beats there (so the selection metric sees each)."""
    records = np.unique(beats.record)
    rng = np.random.default_rng(seed)
    for _ in range(10_000):
        chosen = rng.choice(records, n_records, replace=False)
        mask = np.isin(beats.record, chosen)
        counts = np.bincount(beats.y[mask], minlength=n_classes)
        # keep at least half of every class for training
        total = np.bincount(beats.y, minlength=n_classes)
        if (counts >= min_per_class).all() and (counts <= total // 2).all():
            return mask
    raise ValueError(f"no {n_records} records give every class {min_per_class} validation beats")


def beat_validation(beats: Beats, fraction: float = 0.1, seed: int = 0) -> np.ndarray:
    """A stratified random `fraction` of the beats (boolean mask)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(beats), dtype=bool)
    for cls in np.unique(beats.y):
        idx = np.flatnonzero(beats.y == cls)
        mask[rng.permutation(idx)[: round(len(idx) * fraction)]] = True
    return mask


def load_split(
    split: str, pre: Preprocess | None = None, val_by: str | None = None, seed: int = 0
) -> SplitData:
    """The beats of one protocol from the cached MIT-BIH dataset (`data.dataset.load_dataset`)."""
    from ecg_snn.data.dataset import load_dataset  # data/ pulls wfdb; import only when needed

    if split not in CLASSES:
        raise ValueError(f"split must be one of {tuple(CLASSES)}, not {split!r}")
    pre = pre or DEFAULT_PREPROCESS
    classes = CLASSES[split]
    val_by = val_by or ("patient" if split == "inter" else "beat")
    # the beats are cut with the preprocessing's own window and RR averaging, so the data the
    # model is trained and tested on is what the firmware front end computes for this artifact
    ds = load_dataset(config=pre.beat_config(), progress=False)
    train_part, test_part = TEST_PART[split]
    train = to_beats(ds, pre, len(classes), ds.part_mask(train_part))
    test = to_beats(ds, pre, len(classes), ds.part_mask(test_part))
    if val_by == "patient":
        mask = patient_validation(train, len(classes), seed=seed)
    elif val_by == "beat":
        mask = beat_validation(train, seed=seed)
    else:
        raise ValueError(f"val_by must be 'patient' or 'beat', not {val_by!r}")
    val_records = tuple(sorted(set(train.record[mask].tolist()))) if val_by == "patient" else ()
    return SplitData(split, classes, train.take(~mask), train.take(mask), test, val_records)
