"""The points of the sweep: neuron mode x T x weight bits x accumulate lanes."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

MODES = ("if", "ssf")
DEFAULT_T = (2, 4, 8)
DEFAULT_BITS = 8
DEFAULT_LANES = 8
AT_T = 4  # the T at which the weight-bit and lane variations are added
EXTRA_BITS = (6, 10)
EXTRA_LANES = (16,)


@dataclass(frozen=True, order=True)
class Point:
    """One design point. `mode` is the neuron of every layer ("if", or "ssf" from layer 0)."""

    mode: str
    T: int
    weight_bits: int
    lanes: int

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.T < 1 or self.weight_bits < 2 or self.lanes < 1:
            raise ValueError(f"invalid point {self}")

    @property
    def label(self) -> str:
        return f"{self.mode}-T{self.T}-w{self.weight_bits}-l{self.lanes}"

    def as_dict(self) -> dict:
        return asdict(self)


def default_grid(modes: tuple[str, ...] = MODES) -> list[Point]:
    """Every mode at T in DEFAULT_T (8-bit weights, 8 lanes), plus 6- and 10-bit weights and
    16 lanes at T = AT_T: the question (mode and T) with the hardware knobs seen once each."""
    points = {Point(m, t, DEFAULT_BITS, DEFAULT_LANES) for m in modes for t in DEFAULT_T}
    points |= {Point(m, AT_T, b, DEFAULT_LANES) for m in modes for b in EXTRA_BITS}
    points |= {Point(m, AT_T, DEFAULT_BITS, n) for m in modes for n in EXTRA_LANES}
    return sorted(points)


def full_grid(
    modes: tuple[str, ...], Ts: tuple[int, ...], bits: tuple[int, ...], lanes: tuple[int, ...]
) -> list[Point]:
    """The cartesian product."""
    return [Point(*p) for p in itertools.product(modes, Ts, bits, lanes)]
