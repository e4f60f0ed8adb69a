"""The search never reads DS2: a spy on the dataset builder and the record reader, and the check
shown failing on the loader that does read DS2 (`model.splits.load_split("inter")`)."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.data import dataset
from ecg_snn.data.splits import DS1, DS2
from ecg_snn.explore import ds1 as ds1_module
from ecg_snn.explore.ds1 import DS2Error, check_ds1
from ecg_snn.explore.evaluate import cross_validate_point
from ecg_snn.explore.space import Point
from tests.explore.conftest import tiny_dataset

TINY = Point(c0=2, c1=4, k0=7, k1=5, dense=8, T=2, neuron="ssf", lanes=4)


class Spy:
    """Stands in for `data.dataset.build_dataset`: records what is asked, returns tiny data."""

    def __init__(self, per_record: int = 16) -> None:
        self.asked: list[tuple[str, ...] | None] = []
        self.per_record = per_record

    def __call__(self, directory=None, config=dataset.DEFAULT_CONFIG, records=None, *a, **k):
        self.asked.append(None if records is None else tuple(records))
        names = DS1 + DS2 if records is None else tuple(records)
        return tiny_dataset(names, per_record=self.per_record, cfg=config)

    def records_read(self) -> set[str]:
        """Every record a call asked for (None: the whole database, DS2 included)."""
        return {r for a in self.asked for r in (DS1 + DS2 if a is None else a)}


def assert_no_ds2(spy: Spy) -> None:
    """The check of this file: no call asked for a DS2 record (or for every record)."""
    read = spy.records_read() & set(DS2)
    assert not read, f"DS2 records read: {sorted(read)[:5]}"


@pytest.fixture
def spy(monkeypatch) -> Spy:
    s = Spy()
    monkeypatch.setattr(dataset, "build_dataset", s)
    return s


def test_a_scored_point_reads_ds1_only(spy: Spy) -> None:
    scored = cross_validate_point(TINY, epochs=1, folds=2, seed=0, log=lambda _: None)
    assert spy.asked == [DS1]  # one load, of exactly the 22 DS1 records
    assert_no_ds2(spy)
    assert set(scored.held_out.record.tolist()) <= set(DS1)
    assert scored.metrics["n_beats"] == 16 * len(DS1) * 7 // 8 + 16 * len(DS1) // 8  # Q: none


def test_the_check_fails_on_the_loader_that_reads_ds2(monkeypatch) -> None:
    from ecg_snn.model.splits import load_split

    spy = Spy(per_record=80)  # enough S beats for load_split's patient validation set
    monkeypatch.setattr(dataset, "build_dataset", spy)
    load_split("inter")
    with pytest.raises(AssertionError, match="DS2 records read"):
        assert_no_ds2(spy)


def test_check_ds1_refuses_any_other_record() -> None:
    check_ds1(np.array(DS1))
    with pytest.raises(DS2Error, match=r"records \['100'\]"):
        check_ds1(np.array(["101", "100"]))


def test_a_loader_that_returns_ds2_beats_is_stopped(monkeypatch) -> None:
    """Whatever the loader, `cross_validate_point` refuses beats outside DS1 before training."""

    def leaky(pre):
        beats, classes = ds1_module.load_ds1(pre)
        beats.record[0] = DS2[0]
        return beats, classes

    monkeypatch.setattr(dataset, "build_dataset", Spy())
    with pytest.raises(DS2Error):
        cross_validate_point(TINY, 1, 2, 0, load=leaky, log=lambda _: None)
