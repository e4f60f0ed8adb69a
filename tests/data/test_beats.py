"""Beat cutting and RR features on hand-made records with known R positions."""

import numpy as np
import pytest

from ecg_snn.data.beats import DROP_REASONS, BeatConfig, extract_beats, rr_features
from ecg_snn.data.errors import DataError
from ecg_snn.data.records import Record

N_SAMPLES = 2000


def make_record(r, symbols=None, n=N_SAMPLES, fs=360, gain=200.0) -> Record:
    symbols = symbols or ["N"] * len(r)
    return Record(
        name="t",
        fs=fs,
        lead="MLII",
        signal=np.arange(n, dtype=np.int32),  # sample value == index: windows are easy to check
        adc_gain=gain,
        ann_sample=np.asarray(r, dtype=np.int64),
        ann_symbol=np.asarray(symbols, dtype="<U1"),
    )


def test_rr_features_by_hand():
    r = np.array([100, 400, 701, 1000, 1361, 1660])
    rr = rr_features(r, local_rr_beats=3)
    # RR intervals 300 301 299 361 299; local = floor(mean of the last min(i, 3) of them)
    expected = [
        [-1, 300, -1],
        [300, 301, 300],  # k=1: 300
        [301, 299, 300],  # k=2: 601 // 2
        [299, 361, 300],  # k=3: 900 // 3
        [361, 299, 320],  # k=3: (301 + 299 + 361) // 3 = 961 // 3
        [299, -1, 319],  # k=3: (299 + 361 + 299) // 3 = 959 // 3
    ]
    assert rr.tolist() == expected


def test_extract_beats_rr_and_windows():
    config = BeatConfig(local_rr_beats=3)
    beats, dropped = extract_beats(make_record([100, 400, 701, 1000, 1361, 1660]), config)
    assert beats.sample.tolist() == [400, 701, 1000, 1361]
    assert beats.rr.tolist() == [[300, 301, 300], [301, 299, 300], [299, 361, 300], [361, 299, 320]]
    assert dropped == {**dict.fromkeys(DROP_REASONS, 0), "no_rr": 2}
    assert beats.window.shape == (4, 256) and beats.window.dtype == np.int32
    assert beats.window[0, 0] == 400 - 96 and beats.window[0, -1] == 400 + 160 - 1
    assert beats.label.tolist() == [0, 0, 0, 0] and beats.symbol.tolist() == ["N"] * 4


@pytest.mark.parametrize(
    ("r", "kept", "n_window"),
    [([10, 96, 400, 1840, 1990], [96, 400, 1840], 0), ([10, 95, 400, 1841, 1990], [400], 2)],
    ids=["windows-touch-both-edges", "windows-leave-both-edges"],
)
def test_window_dropping_at_both_edges(r, kept, n_window):
    beats, dropped = extract_beats(make_record(r))
    assert beats.sample.tolist() == kept
    assert dropped["window"] == n_window and dropped["no_rr"] == 2


def test_non_beats_are_ignored_and_unmapped_beats_anchor_rr():
    # '+' (rhythm) is no beat; '?' is a WFDB beat without an AAMI class: an RR anchor, dropped
    r = [100, 300, 400, 700, 1000, 1300]
    beats, dropped = extract_beats(make_record(r, ["N", "+", "N", "?", "V", "N"]))
    assert beats.sample.tolist() == [400, 1000]
    assert beats.rr[:, :2].tolist() == [[300, 300], [300, 300]]
    assert beats.label.tolist() == [0, 2]
    assert dropped["unmapped_beat"] == 1 and dropped["no_rr"] == 2


def test_unknown_symbols_are_skipped_and_counted():
    r = [100, 400, 550, 700, 1000]
    beats, dropped = extract_beats(make_record(r, ["N", "N", "Z", "N", "N"]))
    assert dropped["unknown_symbol"] == 1
    assert beats.rr[:, :2].tolist() == [[300, 300], [300, 300]]  # Z is no RR anchor


def test_annotations_outside_the_signal_are_skipped_and_counted():
    beats, dropped = extract_beats(make_record([100, 400, 700, 1000, 2000, 2500]))
    assert dropped["outside_signal"] == 2
    assert beats.sample.tolist() == [400, 700]  # 1000 is now the last beat: no rr_next


def test_unsorted_annotations_are_sorted():
    beats, _ = extract_beats(make_record([700, 100, 400, 1000]))
    assert beats.sample.tolist() == [400, 700]


def test_duplicate_beat_annotations_are_dropped_and_counted():
    beats, dropped = extract_beats(make_record([100, 400, 400, 700, 1000], list("NVNNN")))
    assert dropped["duplicate"] == 1
    # the first annotation at 400 (V) is kept; RR as if the duplicate were not there
    assert beats.sample.tolist() == [400, 700] and beats.symbol.tolist() == ["V", "N"]
    assert beats.rr[:, :2].tolist() == [[300, 300], [300, 300]]


def test_extract_beats_resamples_other_rates():
    beats, _ = extract_beats(make_record([250, 500, 750, 1000], fs=250, n=1500))
    assert beats.sample.tolist() == [720, 1080]
    assert beats.rr.tolist() == [[360, 360, 360], [360, 360, 360]]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"before": -1}, "before >= 0"),
        ({"after": 0}, "after > 0"),
        ({"fs": 50}, "at least 100 Hz"),
        ({"gain": 0.0}, "must be positive"),
        ({"local_rr_beats": 0}, "local_rr_beats"),
    ],
    ids=["before", "after", "fs", "gain", "local_rr_beats"],
)
def test_bad_config(kwargs, match):
    with pytest.raises(DataError, match=match):
        BeatConfig(**kwargs)
