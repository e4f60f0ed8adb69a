"""Inter-patient record lists and the stratified intra-patient split."""

import numpy as np
import pytest

from ecg_snn.data.errors import DataError
from ecg_snn.data.splits import ALL_RECORDS, DS1, DS2, PACED, intra_split


def test_de_chazal_lists():
    assert len(DS1) == 22 and len(DS2) == 22 and len(ALL_RECORDS) == 48
    assert not set(DS1) & set(DS2)
    assert not (set(DS1) | set(DS2)) & set(PACED)
    assert PACED == ("102", "104", "107", "217")


def test_intra_split_is_stratified_and_deterministic():
    labels = np.repeat(np.arange(5), [1000, 50, 200, 7, 3]).astype(np.int8)
    np.random.default_rng(1).shuffle(labels)
    train, test = intra_split(labels, seed=0)
    assert not np.any(train & test) and np.all(train | test)
    assert np.bincount(labels[test]).tolist() == [200, 10, 40, 1, 1]  # round(n * 0.2)
    again_train, again_test = intra_split(labels, seed=0)
    assert np.array_equal(test, again_test) and np.array_equal(train, again_train)
    _, other = intra_split(labels, seed=1)
    assert not np.array_equal(test, other)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1], ids=["zero", "one", "negative"])
def test_intra_split_rejects_bad_fraction(fraction):
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        intra_split(np.zeros(10, np.int8), test_fraction=fraction)
