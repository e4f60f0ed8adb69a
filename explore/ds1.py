"""The search's only data: the DS1 beats, read without ever opening a DS2 record.

DS2 is the test set of the inter-patient protocol (de Chazal 2004); a choice made while looking at
it is tuned on the test. `model.splits.load_split("inter")` reads the whole database (DS2
included) and `model.cv.cross_validate` drops DS2 after loading it; the search instead asks the
dataset builder for the 22 DS1 records only (`data.dataset.load_dataset(records=DS1)`, its own
cache entry), so the DS2 files are not read, and `check_ds1` refuses beats of any other record.
tests/explore/test_no_ds2.py spies on the dataset builder and the record reader and shows the
check failing on `load_split("inter")`.
"""

from __future__ import annotations

import numpy as np

from ecg_snn.data.splits import DS1
from ecg_snn.model.contract.spec import Preprocess
from ecg_snn.model.splits import CLASSES, Beats, to_beats


class DS2Error(RuntimeError):
    """A beat of a record outside DS1 reached the search."""


def check_ds1(records: np.ndarray) -> None:
    """Raise `DS2Error` unless every record name is a DS1 record."""
    other = sorted(set(np.asarray(records).tolist()) - set(DS1))
    if other:
        raise DS2Error(
            f"the co-design search reads DS1 only, but got records {other[:6]}; DS2 is the test "
            "set (docs/explore.md)"
        )


def load_ds1(pre: Preprocess) -> tuple[Beats, tuple[str, ...]]:
    """Every DS1 beat (N, S, V, F; Q dropped) as chip inputs of front end `pre`, and the classes."""
    from ecg_snn.data.dataset import load_dataset  # data/ pulls wfdb: import when needed

    ds = load_dataset(config=pre.beat_config(), records=DS1, progress=False)
    classes = CLASSES["inter"]
    beats = to_beats(ds.part("DS1"), pre, len(classes))
    check_ds1(beats.record)
    return beats, classes
