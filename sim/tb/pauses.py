"""Pause patterns: how many idle cycles to insert before each stream transfer.

A pattern is an infinite iterator of non-negative integers. A driver takes one value before each
word it offers (`valid` stays low that many cycles first); a monitor takes one before each result
it accepts (`ready` stays low that many cycles after `valid` rises). Counting idle cycles per
transfer instead of yielding one bool per clock keeps Python out of the per-cycle loop: a long
stall costs one await, not one per cycle.

Patterns are named so they can be crossed with `cocotb.parametrize` and passed through files.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

PATTERNS = ("none", "random", "bursty", "slow")


def pauses(name: str, seed: int = 0) -> Iterator[int]:
    """The named pattern, seeded so that a failing run repeats exactly.

    - ``none``: never idle (full throughput).
    - ``random``: idle 0 cycles with probability 3/4, else 1..4 cycles.
    - ``bursty``: 8..32 transfers back to back, then a stall of 4..40 cycles.
    - ``slow``: always idle 1..3 cycles (a consumer or producer at ~1/3 rate).
    """
    rng = random.Random(seed)
    if name == "none":
        return itertools.repeat(0)
    if name == "random":
        return (0 if rng.random() < 0.75 else rng.randint(1, 4) for _ in itertools.count())
    if name == "bursty":
        return _bursty(rng)
    if name == "slow":
        return (rng.randint(1, 3) for _ in itertools.count())
    raise ValueError(f"unknown pause pattern {name!r}; known: {', '.join(PATTERNS)}")


def _bursty(rng: random.Random) -> Iterator[int]:
    while True:
        yield rng.randint(4, 40)
        yield from itertools.repeat(0, rng.randint(8, 32) - 1)
