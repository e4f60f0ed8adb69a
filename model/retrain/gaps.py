"""Records with invalid (NaN) stretches: the one gap rule of `data.gaps` (mark the gap, resample
the segments, carry the mask, skip the beats near the gap), shared with adapt and stream."""

from ecg_snn.data.gaps import MARGIN_S, beats_around_gaps, near_gaps

__all__ = ["MARGIN_S", "beats_around_gaps", "near_gaps"]
