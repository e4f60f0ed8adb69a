"""Small DS1-shaped data, and stand-ins for the slow stages (training, RTL, synthesis)."""

from __future__ import annotations

import numpy as np

from ecg_snn.data.beats import DEFAULT_CONFIG
from ecg_snn.data.dataset import BeatDataset
from ecg_snn.data.splits import DS1


def tiny_dataset(
    records: tuple[str, ...] = DS1[:8], per_record: int = 40, cfg=DEFAULT_CONFIG, seed: int = 0
) -> BeatDataset:
    """A `BeatDataset` of random windows: every record holds beats of every class (N S V F)."""
    rng = np.random.default_rng(seed)
    n = per_record * len(records)
    width = cfg.before + cfg.after
    label = np.tile(np.array([0, 0, 0, 0, 0, 1, 2, 3] * (per_record // 8), np.int8), len(records))
    # class-dependent shapes, so a network can learn something in one epoch
    window = (
        rng.normal(0, 40, (n, width))
        + 300.0 * label[:, None].astype(float) * np.hanning(width)[None, :]
    )
    rr = np.stack([rng.integers(250, 350, n)] * 3, 1)
    rr[label == 1, 0] -= 120  # premature S beats
    return BeatDataset(
        window=(1024 + window).astype(np.int32),
        rr=rr.astype(np.int32),
        label=label,
        symbol=np.array(list("NAVF"))[label],
        record=np.repeat(np.array(records), per_record),
        sample=np.tile(np.arange(per_record) * 300 + 300, len(records)).astype(np.int64),
        leads=dict.fromkeys(records, "MLII"),
        config=cfg,
    )
