"""Cut beat windows and integer RR features from one record.

For beat annotation ``i`` at sample ``r[i]`` (``r`` counts every beat annotation of the record
in time order, see `data.aami` for what a beat is):

- window   = ``signal[r[i] - before : r[i] + after]`` (``before + after`` raw integer samples)
- rr_prev  = ``r[i] - r[i-1]``
- rr_next  = ``r[i+1] - r[i]``
- rr_local = ``(r[i] - r[i-k]) // k`` with ``k = min(i, local_rr_beats)``: the floor of the
  mean of the previous up-to-``local_rr_beats`` RR intervals ending at this beat (rr_prev
  included), i.e. ``sum // count`` in integers. Near the start of a record fewer intervals
  exist and ``k`` is smaller (``k = 1`` gives ``rr_local = rr_prev``). The firmware front end
  reproduces this exactly: keep the last ``local_rr_beats`` RR values, add, integer-divide.

All RR values are in samples at ``config.fs``. Records at another rate or gain are first brought
to ``config.fs`` / ``config.gain`` by `data.resample.resample_record`.

A beat that is not kept is counted once, under the first reason that applies:

- ``unknown_symbol``: an annotation that is neither a beat nor a known non-beat (`data.aami`);
- ``outside_signal``: a beat annotated at a sample outside the signal (it is ignored, also for RR);
- ``duplicate``: a second beat annotation at the sample of an earlier one (after any rescaling
  to the record's rate); the first in file order is kept, the others are ignored, also for RR;
- ``unmapped_beat``: a WFDB beat symbol without a class in the mapping (still an RR anchor);
- ``no_rr``: the first or last beat of the record (no previous or next beat);
- ``window``: the window would leave the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ecg_snn.data.aami import Kind, classify, load_mapping
from ecg_snn.data.errors import DataError
from ecg_snn.data.records import MIN_FS, Record
from ecg_snn.data.resample import resample_record

DROP_REASONS: tuple[str, ...] = (
    "unknown_symbol",
    "outside_signal",
    "duplicate",
    "unmapped_beat",
    "no_rr",
    "window",
)


@dataclass(frozen=True)
class BeatConfig:
    """How beats are cut. The window is samples ``[r - before, r + after)``."""

    before: int = 96
    after: int = 160
    fs: int = 360
    gain: float = 200.0
    local_rr_beats: int = 10

    def __post_init__(self) -> None:
        if self.before < 0 or self.after <= 0:
            raise DataError(
                f"window before={self.before}, after={self.after}: need before >= 0, after > 0"
            )
        if self.fs < MIN_FS:
            raise DataError(f"BeatConfig.fs is {self.fs} Hz; it must be at least {MIN_FS} Hz")
        if not self.gain > 0:
            raise DataError(f"BeatConfig.gain is {self.gain}; it must be positive")
        if self.local_rr_beats < 1:
            raise DataError(f"BeatConfig.local_rr_beats is {self.local_rr_beats}; need >= 1")

    @property
    def width(self) -> int:
        """Samples per window."""
        return self.before + self.after


DEFAULT_CONFIG = BeatConfig()


@dataclass(frozen=True)
class Beats:
    """The kept beats of one record, in time order.

    window (N, width) int32, rr (N, 3) int32 as [prev, next, local], label (N,) int8 class
    index, symbol (N,) <U1, sample (N,) int64 R position at ``config.fs``.
    """

    window: np.ndarray
    rr: np.ndarray
    label: np.ndarray
    symbol: np.ndarray
    sample: np.ndarray

    def __len__(self) -> int:
        return len(self.label)


def rr_features(r: np.ndarray, local_rr_beats: int) -> np.ndarray:
    """(n, 3) int64 [prev, next, local] for beat positions `r`; -1 where undefined (see module)."""
    n = len(r)
    rr = np.full((n, 3), -1, dtype=np.int64)
    if n < 2:
        return rr
    d = np.diff(r)
    rr[1:, 0] = d
    rr[:-1, 1] = d
    i = np.arange(1, n)
    k = np.minimum(i, local_rr_beats)
    rr[1:, 2] = (r[i] - r[i - k]) // k
    return rr


def extract_beats(
    record: Record, config: BeatConfig = DEFAULT_CONFIG, mapping: Mapping[str, str] | None = None
) -> tuple[Beats, dict[str, int]]:
    """Kept beats of `record` and the number dropped per reason (`DROP_REASONS`, all present)."""
    record = resample_record(record, config.fs, config.gain)
    mapping = load_mapping(mapping)
    order = np.argsort(record.ann_sample, kind="stable")
    sample, symbol = record.ann_sample[order], record.ann_symbol[order]
    kind, label = classify(symbol, mapping)
    dropped = dict.fromkeys(DROP_REASONS, 0)
    dropped["unknown_symbol"] = int(np.count_nonzero(kind == Kind.UNKNOWN))

    is_beat = (kind == Kind.BEAT) | (kind == Kind.UNMAPPED_BEAT)
    inside = (sample >= 0) & (sample < len(record.signal))
    dropped["outside_signal"] = int(np.count_nonzero(is_beat & ~inside))
    beat = is_beat & inside
    r, symbol, kind, label = sample[beat], symbol[beat], kind[beat], label[beat]
    first = np.ones(len(r), bool)  # sorted: equal neighbours are duplicates
    first[1:] = np.diff(r) > 0
    dropped["duplicate"] = int(np.count_nonzero(~first))
    r, symbol, kind, label = r[first], symbol[first], kind[first], label[first]
    rr = rr_features(r, config.local_rr_beats)

    keep = kind == Kind.BEAT
    dropped["unmapped_beat"] = int(np.count_nonzero(~keep))
    has_rr = (rr[:, 0] >= 0) & (rr[:, 1] >= 0)
    dropped["no_rr"] = int(np.count_nonzero(keep & ~has_rr))
    keep &= has_rr
    fits = (r - config.before >= 0) & (r + config.after <= len(record.signal))
    dropped["window"] = int(np.count_nonzero(keep & ~fits))
    keep &= fits

    r = r[keep]
    offsets = np.arange(-config.before, config.after)
    window = record.signal[r[:, None] + offsets[None, :]] if len(r) else None
    beats = Beats(
        window=np.zeros((0, config.width), np.int32) if window is None else window.astype(np.int32),
        rr=rr[keep].astype(np.int32),
        label=label[keep].astype(np.int8),
        symbol=symbol[keep].astype("<U1"),
        sample=r.astype(np.int64),
    )
    return beats, dropped
