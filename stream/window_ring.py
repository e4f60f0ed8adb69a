"""The measurement behind `model/contract/beat_window.py`'s WINDOW_RING: over the detected beats
with both neighbours of the MIT-BIH records, the largest distance from the emit sample back to
the window start and to the oldest sample read, and the smallest distance from the window end
to the emit sample.

    python -m ecg_snn.stream.window_ring [RECORD ...]      (default: all 48, about 1 min)
"""

from __future__ import annotations

import json
import sys

from ecg_snn.data.resample import resample_lead
from ecg_snn.model.contract import beat_window as bw
from ecg_snn.model.contract import qrs
from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS
from ecg_snn.stream.core import load_record


def measure(records: list[str] | None = None) -> dict:
    """{"start" | "oldest" | "end": {"samples", "record"}} (module docstring) and the ring."""
    from ecg_snn.data.splits import ALL_RECORDS

    pre = DEFAULT_PREPROCESS
    names = records or list(ALL_RECORDS)
    worst = {"start": (0, ""), "oldest": (0, ""), "end": (1 << 40, "")}
    for k, name in enumerate(names):
        rec, ok = load_record(name)
        rec, bad = resample_lead(rec, ~ok, pre.fs, pre.gain)
        det = qrs.detect(rec.signal, rec.fs, ~bad)
        e, r = det.decided[2:], det.sample[1:-1]
        if len(r):
            start = int((e - (r - pre.before)).max())
            old = int((e - bw.oldest(r, pre)).max())
            worst["start"] = max(worst["start"], (start, name))
            worst["oldest"] = max(worst["oldest"], (old, name))
            worst["end"] = min(worst["end"], (int((e - (r + pre.after - 1)).min()), name))
        print(f"window_ring: [{k + 1}/{len(names)}] {name}", file=sys.stderr, flush=True)
    out = {key: {"samples": v, "record": n} for key, (v, n) in worst.items()}
    out["WINDOW_RING"] = bw.WINDOW_RING
    out["headroom"] = bw.WINDOW_RING - 1 - out["oldest"]["samples"]
    return out


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1:] or None), indent=1))
