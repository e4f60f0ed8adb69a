"""The C front end against model/contract/frontend.py and data/beats.py: windows with extreme
values and
negative sums (floor semantics), RR triples at the corners, and the R-peak tracker."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.data.beats import rr_features
from ecg_snn.model.contract.frontend import preprocess


def random_windows(window: int, n: int, seed: int) -> np.ndarray:
    """ECG-like, full-scale int32, constant, all-negative and one-off windows: the sums that
    make `//` and `>>` differ from C's truncation are negative and not divisible."""
    rng = np.random.default_rng(seed)
    i32 = np.iinfo(np.int32)
    parts = [
        rng.integers(-2048, 2048, (n, window)),
        rng.integers(i32.min, i32.max, (n, window), endpoint=True),
        rng.integers(-5, 3, (n, window)),
        -rng.integers(0, 1 << 20, (n, window)),
        np.full((4, window), i32.min),
        np.full((4, window), i32.max),
    ]
    spike = np.zeros((1, window), np.int64)
    spike[0, window // 3] = -7
    parts.append(spike)
    return np.concatenate(parts).astype(np.int64)


def random_rr(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    typical = rng.integers(50, 900, (n, 3))
    wide = rng.integers(0, 1 << 32, (n, 3), dtype=np.uint64).astype(np.int64)
    corners = np.array(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [300, 300, 1], [(1 << 32) - 1] * 3, [5, 7, 0]]
    )
    return np.concatenate([typical, wide, corners])


def test_samples_match_preprocess_including_floor_semantics(default_pre_artifact, host_lib):
    pre = default_pre_artifact.spec.preprocess
    lib = host_lib(default_pre_artifact)
    windows = random_windows(pre.window, 1000, seed=1)
    rr3 = np.full((len(windows), 3), 300)
    x_c, _ = lib.frontend(windows, rr3)
    x_py, _ = preprocess(pre, windows, rr3)
    np.testing.assert_array_equal(x_c, x_py)
    d = windows.reshape(len(windows), pre.n_samples, pre.downsample).sum(2)
    negative_inexact = (d.sum(1) < 0) & (d.sum(1) % pre.n_samples != 0)
    assert negative_inexact.sum() > 100, "the floor cases must be exercised"


@pytest.mark.parametrize("variant_name", ["default", "all-rr-features", "wide"], ids=str)
def test_rr_features_match_preprocess(variant_name, make_variant, host_lib):
    artifact = make_variant(variant_name)
    pre = artifact.spec.preprocess
    lib = host_lib(artifact)
    rr3 = random_rr(2000, seed=2)
    windows = np.zeros((len(rr3), pre.window), np.int64)
    x_c, rr_c = lib.frontend(windows, rr3)
    x_py, rr_py = preprocess(pre, windows, rr3)
    np.testing.assert_array_equal(rr_c, rr_py)
    np.testing.assert_array_equal(x_c, x_py)
    assert (rr_py == (1 << pre.rr_bits) - 1).any() and (rr_py == 0).any()


def test_rr_tracker_matches_data_beats(default_pre_artifact, host_lib):
    """Peak by peak, the tracker's intervals for the beat before the newest peak are
    data.beats.rr_features of that beat, from the second beat on (the first has no prev)."""
    lib = host_lib(default_pre_artifact)
    local_rr_beats = default_pre_artifact.spec.preprocess.local_rr_beats
    rng = np.random.default_rng(3)
    r = np.cumsum(rng.integers(1, 700, 300)) + 5
    got = lib.rr_track(r)
    want = rr_features(r, local_rr_beats)
    # after peak i+1 the tracker describes beat i
    np.testing.assert_array_equal(got[2:], want[1:-1])
    assert (got[:2] == -1).all()


def test_rr_tracker_survives_sample_counter_wrap(default_pre_artifact, host_lib):
    """R positions are free-running uint32 sample counters; intervals across the wrap are right."""
    lib = host_lib(default_pre_artifact)
    local_rr_beats = default_pre_artifact.spec.preprocess.local_rr_beats
    r = (1 << 32) - 2000 + np.cumsum(np.full(30, 290))
    got = lib.rr_track(r % (1 << 32))
    np.testing.assert_array_equal(got[2:], rr_features(r, local_rr_beats)[1:-1])


def test_real_beats_front_end(default_pre_artifact, host_lib, mitdb_dataset):
    """Every beat of the cached MIT-BIH dataset through both front ends (no model involved)."""
    pre = default_pre_artifact.spec.preprocess
    lib = host_lib(default_pre_artifact)
    x_c, rr_c = lib.frontend(mitdb_dataset.window, mitdb_dataset.rr)
    x_py, rr_py = preprocess(pre, mitdb_dataset.window, mitdb_dataset.rr)
    np.testing.assert_array_equal(x_c, x_py)
    np.testing.assert_array_equal(rr_c, rr_py)
