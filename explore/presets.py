"""The searches: their spaces, fixed points and budgets (`make explore EXPLORE=<name>`).

`smoke`: three tiny points (2/4 channels, dense 8, 4 lanes; T = 1 and 2, ssf and IF, both
engines) on 2 folds x 1 epoch and 4 beats, minutes on 2 cores, the preset `make test` runs.
`full`: Optuna samples the space below (today's default first, on each engine) for 48 distinct
points, 4 folds x 2 epochs per point, energy on 12 DS1 beats, and the front re-trained with
seeds 1 and 2. Kept apart from `space` so that editing a budget does not change the code version
every cached result is keyed by (`cache.code_version`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ecg_snn.explore.space import DEFAULT, ENGINES, FRONT_ENDS, NEURONS, Point

# The search spaces: each axis and its choices. `smoke` is a fixed list (grid) of tiny points.
FULL_SPACE: dict[str, tuple] = {
    "c0": (4, 8, 12),
    "c1": (8, 16, 24),
    "k0": (5, 7, 9),
    "k1": (3, 5),
    "dense": (16, 32, 48),
    "T": (1, 2, 4, 8),
    "weight_bits": (6, 8),
    "neuron": NEURONS,
    "lanes": (4, 8, 16),
    "frontend": FRONT_ENDS,
    "engine": ENGINES,  # fused with IF is mapped to event (`space`): not a trial of its own
}
SMOKE_POINTS: tuple[Point, ...] = (
    Point(c0=2, c1=4, k0=7, k1=5, dense=8, T=1, neuron="ssf", lanes=4),
    Point(c0=2, c1=4, k0=7, k1=5, dense=8, T=2, neuron="ssf", lanes=4, engine="fused"),
    Point(c0=2, c1=4, k0=7, k1=5, dense=8, T=2, neuron="if", lanes=4),
)


@dataclass(frozen=True)
class Preset:
    """A search: its space (None: the fixed `points`), the budget per point and the sample."""

    name: str
    space: dict[str, tuple] | None
    points: tuple[Point, ...]  # evaluated first (the whole search when `space` is None)
    samples: int  # trials in all, the fixed points included
    epochs: int  # per fold, the same for every point
    folds: int
    beats: int  # DS1 beats for energy and cycles
    front_seeds: int  # seeds for the points on the front (seed 0 included)


PRESETS = {
    "smoke": Preset("smoke", None, SMOKE_POINTS, len(SMOKE_POINTS), 1, 2, 4, 1),
    # today's default on each engine first: the same network, the hardware alone differs
    "full": Preset(
        "full", FULL_SPACE, (DEFAULT, replace(DEFAULT, engine="event")), 48, 2, 4, 12, 3
    ),
}
