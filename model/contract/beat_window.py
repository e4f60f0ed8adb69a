"""Which detected beats the chip can classify: the rules of a front end that sees the raw record
only through a ring of its last samples and only up to the sample it decides at.

Beat i (fiducial r[i], `model/contract/qrs.py`) needs beat i+1 for its `next` RR interval, so it
leaves when beat i+1 is decided: its *emit sample* is ``e[i] = decided[i+1]`` (the last
detection has none: it never leaves). At that moment the chip holds the samples
``(e - WINDOW_RING, e]`` (value and lead-on flag) and has seen no sample after e. Beat i is
classified iff every rule below holds (`classifiable`), else written unclassified:

1. it has both neighbours: 0 < i < N - 1;
2. its window ``[r - before, r + after)`` starts at or after the first sample (r - before >= 0)
   and ends at or before e (r + after - 1 <= e; the detector makes this true for every beat:
   e - r >= (R + 1) + R + B_DELAY = 185 > after - 1, so e - (r + after - 1) >= 26: the
   minimum measured on MIT-BIH too);
3. the ring rule: the oldest sample the chip reads for it, ``r - before - m`` (m = `margin`,
   the gap margin in samples), is still in the ring: ``e - (r - before - m) < WINDOW_RING``;
4. the gap rules of `data/gaps.py` and `stream/core.py`, *causal*: no invalid sample in
   ``[r - before - m, min(r + after - 1 + m, e)]`` (the window and its margin, as far as the
   chip has seen at e), and none in ``[r[i-1], r[i+1]]`` (RR intervals spanning a gap).

Rule 4's ``min(.., e)`` is this contract's decision where the offline cut was ambiguous for a
causal device: an invalid sample up to m - 26 samples after e (a lead-off starting right after
the next beat's decision) cannot be known when the beat leaves; it does not make the beat
unclassified (the offline `data.gaps.windows_touching` would; MIT-BIH has no invalid sample,
so no MIT-BIH beat changes).

WINDOW_RING was measured on the 48 MIT-BIH records whole (`python -m
ecg_snn.stream.window_ring`): the largest e - (r - before - m) of any detected beat
with both neighbours is 2660 samples (record 116; 2624 without the margin), so a ring of 3072
(8.5 s at 360 Hz) changes no MIT-BIH beat (109,912 detections, the same beats classified
as by the offline cut) and leaves 411 samples (1.1 s) of headroom.
"""

from __future__ import annotations

import math

import numpy as np

from ecg_snn.model.contract.spec import Preprocess

WINDOW_RING = 3072  # raw samples the chip's front end keeps (value and lead-on flag)
MARGIN_S = 0.1  # seconds: `data.gaps.MARGIN_S` (a test pins that the two agree)


def margin(pre: Preprocess) -> int:
    """The gap margin in samples at the front end's rate (`data.gaps.near_gaps`' rounding)."""
    return math.ceil(MARGIN_S * pre.fs)


def emit_samples(decided: np.ndarray) -> np.ndarray:
    """e[i] = decided[i+1], the sample at which beat i leaves; -1 for the last beat."""
    decided = np.asarray(decided, np.int64)
    return np.concatenate([decided[1:], [-1]]) if len(decided) else decided.copy()


def oldest(sample: np.ndarray, pre: Preprocess) -> np.ndarray:
    """The oldest sample the chip reads for a beat at `sample`: r - before - margin."""
    return np.asarray(sample, np.int64) - pre.before - margin(pre)


def in_ring(sample: np.ndarray, emit: np.ndarray, pre: Preprocess) -> np.ndarray:
    """Rules 2 and 3 (module docstring): the window starts inside the record, ends by the emit
    sample, and its oldest read sample is still in the ring at the emit sample."""
    sample, emit = np.asarray(sample, np.int64), np.asarray(emit, np.int64)
    return (
        (emit >= 0)
        & (sample - pre.before >= 0)
        & (sample + pre.after - 1 <= emit)
        & (emit - oldest(sample, pre) < WINDOW_RING)
    )


def gap_free(
    sample: np.ndarray, emit: np.ndarray, valid: np.ndarray, pre: Preprocess
) -> np.ndarray:
    """Rule 4 (module docstring) for beats with both neighbours (the first and last: False)."""
    sample, emit = np.asarray(sample, np.int64), np.asarray(emit, np.int64)
    valid = np.asarray(valid, bool)
    n = len(valid)
    invalid = np.concatenate([[0], np.cumsum(~valid)])  # invalid samples before each index

    def count(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:  # invalid in [lo, hi], clipped
        lo, hi = np.clip(lo, 0, n), np.clip(hi + 1, 0, n)
        return np.where(hi > lo, invalid[hi] - invalid[np.minimum(lo, hi)], 0)

    m = margin(pre)
    ok = count(oldest(sample, pre), np.minimum(sample + pre.after - 1 + m, emit)) == 0
    prev_r = np.concatenate([[0], sample[:-1]])
    next_r = np.concatenate([sample[1:], [0]])
    ok &= count(prev_r, next_r) == 0
    both = np.zeros(len(sample), bool)
    both[1:-1] = True
    return ok & both


def classifiable(
    sample: np.ndarray, decided: np.ndarray, valid: np.ndarray, pre: Preprocess
) -> np.ndarray:
    """(N,) bool: the beats the chip classifies (rules 1-4), from the detections' fiducial
    samples and decision samples and the record's lead-on mask."""
    emit = emit_samples(decided)
    return in_ring(sample, emit, pre) & gap_free(sample, emit, valid, pre)
