"""The standard MIT-BIH evaluation splits.

*Inter-patient* (de Chazal, O'Dwyer, Reilly 2004): train on DS1, test on DS2; the four paced
records are in neither. The record name is the patient id and travels with every beat
(`BeatDataset.record`). Records 201 and 202 come from the same subject (PhysioNet); the
de Chazal split nevertheless puts 201 in DS1 and 202 in DS2, and we keep the published split
so results stay comparable.

*Intra-patient*: a random 80/20 split of all beats of all 48 records, stratified by class with a
fixed seed. It is the protocol of most hardware papers (e.g. SparrowSNN's 98.29 %) and
optimistic, since the same patients are on both sides.
"""

from __future__ import annotations

import numpy as np

from ecg_snn.data.errors import DataError

DS1: tuple[str, ...] = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)  # fmt: skip
DS2: tuple[str, ...] = (
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210",
    "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234",
)  # fmt: skip
PACED: tuple[str, ...] = ("102", "104", "107", "217")
ALL_RECORDS: tuple[str, ...] = tuple(sorted(DS1 + DS2 + PACED))


def intra_split(
    labels: np.ndarray, seed: int = 0, test_fraction: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (train, test) masks over `labels`, stratified by class.

    For each class with ``n`` beats, ``round(n * test_fraction)`` of them, drawn with
    ``numpy.random.default_rng(seed)`` (classes in ascending order), go to test. The same
    labels and seed always give the same split.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction is {test_fraction}; it must lie strictly between 0 and 1")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        n_test = round(len(members) * test_fraction)
        test[rng.permutation(members)[:n_test]] = True
    return ~test, test
