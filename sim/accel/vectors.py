"""Stimulus for the accelerator: real MIT-BIH beats, random inputs and corner cases, as chip
words (`x`: preprocessed samples, `rr`: RR features) with a name and index per vector.

Expectations are not stored here: `sim/accel/job.py` runs the golden model on the artifact a job
loads, so the same vectors check any artifact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.frontend import preprocess_beats
from ecg_snn.model.contract.spec import Preprocess

DEFAULT_PART = "DS2"


@dataclass
class Vectors:
    """N chip inputs. `record` names the source (an MIT-BIH record, ``random:<kind>`` or
    ``corner:<name>``) and `index` is the vector's position in the set it was drawn from (the
    beat index in the dataset part for real beats), so a mismatch can be traced back."""

    x: np.ndarray  # (N, n_samples) int64, signed input_bits
    rr: np.ndarray  # (N, n_rr) int64, unsigned rr_bits
    record: np.ndarray  # (N,) str
    index: np.ndarray  # (N,) int64

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, sel: slice | np.ndarray) -> Vectors:
        return Vectors(self.x[sel], self.rr[sel], self.record[sel], self.index[sel])

    @staticmethod
    def concat(parts: list[Vectors]) -> Vectors:
        return Vectors(
            np.concatenate([p.x for p in parts]),
            np.concatenate([p.rr for p in parts]),
            np.concatenate([p.record.astype(str) for p in parts]),
            np.concatenate([p.index for p in parts]),
        )


def _vectors(x: np.ndarray, rr: np.ndarray, record: str | np.ndarray) -> Vectors:
    n = len(x)
    rec = np.full(n, record) if isinstance(record, str) else np.asarray(record).astype(str)
    return Vectors(np.asarray(x, np.int64), np.asarray(rr, np.int64), rec, np.arange(n))


def real_beats(pre: Preprocess, part: str = DEFAULT_PART, limit: int | None = None) -> Vectors:
    """Beats of a dataset part (``DS2``, ``intra_test``, ...) through the integer front end.

    `limit` takes the first beats in dataset order (records in order, beats in time)."""
    from ecg_snn.data.dataset import load_dataset

    # cut as this artifact's front end cuts them (window, RR averaging): the beats the chip sees
    ds = load_dataset(config=pre.beat_config(), progress=False)
    sel = np.flatnonzero(ds.part_mask(part))
    sel = sel if limit is None else sel[:limit]
    # the patient features (if the artifact has them) run over every beat of the records in
    # time order, also over the beats of another part (the intra parts share records)
    x, rr = preprocess_beats(pre, ds.window, ds.rr, ds.record, sel)
    v = _vectors(x[:, 0, :], rr, ds.record[sel])
    v.record = np.char.add(f"{part}:", v.record.astype(str))
    return v


def random_vectors(pre: Preprocess, n: int, rng: np.random.Generator) -> Vectors:
    """`n` random inputs spread over the full input range, in four equal kinds:

    - ``uniform``: every sample and RR feature uniform over its whole range;
    - ``scaled``: uniform in a random sub-range (amplitudes from tiny to full scale), so the
      network sees everything from near-silence to saturation;
    - ``walk``: a clipped random walk (beat-like smooth signals of any amplitude);
    - ``sparse``: zeros with a few full-scale spikes.
    """
    lo, hi = pre.input_range
    rr_hi = pre.rr_range[1]
    L, R = pre.n_samples, pre.n_rr
    kinds = np.array(["uniform", "scaled", "walk", "sparse"])[np.arange(n) % 4]
    x = rng.integers(lo, hi + 1, (n, L))
    rr = rng.integers(0, rr_hi + 1, (n, R))
    amp = np.exp(rng.uniform(0, np.log(hi + 1), (n, 1))).astype(np.int64)
    scaled = kinds == "scaled"
    x[scaled] = np.clip(rng.integers(-amp, amp + 1, (n, L)), lo, hi)[scaled]
    walk = kinds == "walk"
    steps = rng.normal(0, 1, (n, L)) * amp / 4
    x[walk] = np.clip(np.cumsum(steps, axis=1).astype(np.int64), lo, hi)[walk]
    sparse = kinds == "sparse"
    spikes = np.where(rng.random((n, L)) < 0.05, rng.choice([lo, hi], (n, L)), 0)
    x[sparse] = spikes[sparse]
    rr[scaled] = np.minimum(rr[scaled], amp[scaled] % (rr_hi + 1))
    return Vectors(x, rr, np.char.add("random:", kinds), np.arange(n))


def corner_vectors(pre: Preprocess) -> Vectors:
    """Named corner cases: all zero, all max, all min (with RR zero and max), alternating
    extremes, steps, single full-scale impulses at the first, middle and last sample."""
    lo, hi = pre.input_range
    rr_hi = pre.rr_range[1]
    L, R = pre.n_samples, pre.n_rr
    half = np.r_[np.full(L // 2, hi), np.full(L - L // 2, lo)]
    cases: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, sig in {
        "zero": np.zeros(L),
        "max": np.full(L, hi),
        "min": np.full(L, lo),
        "alternate": np.where(np.arange(L) % 2, lo, hi),
        "step_up": half[::-1],
        "step_down": half,
        "ramp": np.linspace(lo, hi, L).round(),
    }.items():
        for rr_name, rr in {"rr0": np.zeros(R), "rrmax": np.full(R, rr_hi)}.items():
            cases[f"{name}/{rr_name}"] = (sig, rr)
    for at in (0, L // 2, L - 1):
        for v in (lo, hi):
            sig = np.zeros(L)
            sig[at] = v
            cases[f"impulse{at}={v}"] = (sig, np.full(R, rr_hi // 2))
    names = list(cases)
    x = np.array([cases[k][0] for k in names], dtype=np.int64)
    rr = np.array([cases[k][1] for k in names], dtype=np.int64).reshape(len(names), R)
    return Vectors(x, rr, np.array([f"corner:{k}" for k in names]), np.arange(len(names)))


def random_and_corners(artifact: Artifact, n_random: int, seed: int = 0) -> Vectors:
    """The corner cases followed by random vectors, `n_random` vectors in all (at least the
    corners)."""
    pre = artifact.spec.preprocess
    corners = corner_vectors(pre)
    n = max(0, n_random - len(corners))
    return Vectors.concat([corners, random_vectors(pre, n, np.random.default_rng(seed))])
