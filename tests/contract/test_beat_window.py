"""Each rule of model/contract/beat_window.py (which detected beats the chip classifies) pinned
by a hand-computed case, and the same rule firing in `stream.core.cut`."""

from pathlib import Path

import numpy as np

from ecg_snn.data.gaps import MARGIN_S, near_gaps
from ecg_snn.data.records import Record
from ecg_snn.model.contract import beat_window as bw
from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS as PRE

ROOT = Path(__file__).resolve().parents[2]
M = 36  # ceil(0.1 s * 360 Hz)
RING = bw.WINDOW_RING


def test_margin_is_the_gap_rule_of_data_gaps():
    assert bw.MARGIN_S == MARGIN_S and bw.margin(PRE) == M
    bad = np.zeros(200, bool)
    bad[100] = True  # near_gaps marks exactly [100 - M, 100 + M]
    assert np.flatnonzero(near_gaps(bad, PRE.fs)).tolist() == list(range(100 - M, 100 + M + 1))


def test_emit_sample_is_the_next_beats_decision():
    assert bw.emit_samples(np.array([10, 20, 35])).tolist() == [20, 35, -1]


def three(r1: int, e1: int) -> tuple[np.ndarray, np.ndarray]:
    """Three beats, the middle one at r1 leaving at e1 (the next one is decided at e1)."""
    return np.array([r1 - 300, r1, r1 + 200]), np.array([r1 - 100, r1 + 50, e1])


def test_ring_rule_keeps_the_last_sample_of_the_ring_and_drops_the_next():
    # oldest read sample: r - 96 - 36 = r - 132; e - (r - 132) < 3072 <=> e <= r + 2939
    r = 5000
    ok = np.ones(20000, bool)
    s, d = three(r, r + 2939)
    assert bw.classifiable(s, d, ok, PRE).tolist() == [False, True, False]
    s, d = three(r, r + 2940)  # one sample later: the oldest sample has left the ring
    assert bw.classifiable(s, d, ok, PRE).tolist() == [False, False, False]


def test_window_must_start_in_the_record_and_end_by_the_emit_sample():
    ok = np.ones(5000, bool)
    s, d = three(96, 400)  # r - before = 0: kept (the gap margin before 0 is no sample)
    assert bw.classifiable(s, d, ok, PRE)[1]
    s, d = three(95, 400)
    assert not bw.classifiable(s, d, ok, PRE)[1]
    s, d = three(1000, 1000 + 159)  # window end r + 159 = e: kept
    assert bw.classifiable(s, d, ok, PRE)[1]
    s, d = three(1000, 1000 + 158)
    assert not bw.classifiable(s, d, ok, PRE)[1]


def test_gap_margin_is_causal():
    # window [904, 1160), its margin [868, 1195]; neighbours 700 and 1100; emit at 1170
    s, d = np.array([700, 1000, 1100]), np.array([800, 1050, 1170])
    for at, kept in [(867, False), (868, False), (1170, False), (1171, True), (1195, True)]:
        ok = np.ones(3000, bool)
        ok[at] = False
        # 867 is before the margin but between the neighbours; 1171.. is after the emit sample
        # (the offline `windows_touching` would drop the beat for 1171..1195: not seen yet)
        assert bw.classifiable(s, d, ok, PRE)[1] == kept, at


def test_invalid_sample_between_the_neighbours_outside_the_margin():
    s, d = three(1000, 1300)  # neighbours at 700 and 1200
    for at, kept in [(699, True), (700, False), (1200, False)]:
        ok = np.ones(3000, bool)
        ok[at] = False
        assert bw.classifiable(s, d, ok, PRE)[1] == kept, at


def test_stream_cut_applies_the_ring_rule():
    """`stream.core.cut` with the rule firing: of two otherwise equal beats, the one whose next
    beat is decided 2940 samples after it (the oldest sample read has left the ring) is not
    cut; at 2939 it is."""
    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.stream.core import cut

    art = load_artifact(ROOT / "model" / "artifacts" / "inter.json")
    n = 20000
    rec = Record("t", 360, "MLII", np.arange(n, dtype=np.int32) % 100, 200.0,
                 np.zeros(0, np.int64), np.zeros(0, "<U1"))  # fmt: skip
    sample = np.array([1000, 3000, 6000, 9500])
    decided = np.array([1100, 3100, 3000 + 2939, 6000 + 2940])
    windows, rr, keep = cut(rec, sample, art, np.ones(n, bool), decided)
    assert keep.tolist() == [False, True, False, False]
    decided[3] = 6000 + 2939
    windows, rr, keep = cut(rec, sample, art, np.ones(n, bool), decided)
    assert keep.tolist() == [False, True, True, False]
    assert windows[1, 0] == (6000 - 96) % 100 and rr[1].tolist() == [3000, 3500, 2500]
