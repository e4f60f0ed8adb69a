"""The points of the co-design search: architecture x T x weight bits x neuron x hardware x front.

A `Point` is everything that defines one candidate chip before training: the CNN's shape (two
strided conv1d layers, channels `c0`, `c1` and kernels `k0`, `k1`, stride 2 each; one hidden
dense layer of `dense` neurons; the output layer of 4 classes), the number of timesteps `T`,
the weight width `weight_bits`, the neuron of every layer (`if`: integrate-and-fire every
timestep; `ssf`: sum-then-fire), the accelerator's `engine` and synapse `lanes`, plus the front end
(`v2`: the four RR features of the shipped model, S tied to N; `v3`: with the three patient
features, untied, docs/model.md "Model v3"). T = 1 is the QNN-like corner: one binary
activation per neuron and inference, nothing temporal left.

The engine (`hw.config.HwConfig.engine`, `hw/engine.py`): `event`, the general event-driven
engine, measured as the loadable build (`make sim`'s); `fused`, the layer-fused count-domain
engine (`hw/fused/`), which runs all-sum-then-fire networks with ROM weights only, so a fused
point is built with ROM weights (`hw_config`). An IF point cannot have the fused engine: the
constructor refuses it, and a sampled configuration that asks for it (`from_dict`, what the
search turns every Tune configuration into) is mapped to the event engine, deterministically.
The mapped point then has the key of the IF event point, so the search's distinctness check
(`search.DistinctSearcher`) asks the sampler again if that point was already drawn: the
illegal combination never costs a trial.

`DEFAULT` is today's shipped chip, the rule's pick of the full search (docs/explore.md): the
shipped model (`model/artifacts/inter.json`, the inter split's `make train` recipe: 8/8
channels, kernels 7/3, dense 48, ssf, T = 2, 6-bit weights, the v3 front end) on the fused
engine with 4 lanes. A `Point`'s field defaults are that network on the default hardware
(`HwConfig`'s: the event engine, 8 lanes). The search's first default, the 8/16-channel T = 4
8-bit network it was run against, is `Point(c1=16, k1=5, dense=32, T=4, weight_bits=8)`. Every
training setting besides the point is the recipe of `recipe()`; the searches are in `presets`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, fields

from ecg_snn.hw.config import ENGINES, HwConfig
from ecg_snn.model.contract.spec import V3_FEATURES, Preprocess
from ecg_snn.model.network import shaped_layers

NEURONS = ("if", "ssf")
FRONT_ENDS = ("v2", "v3")
STRIDE = 2  # both conv layers: the shipped network's down-sampling, kept fixed


class PointError(ValueError):
    """A point that no network or accelerator can have (the message names the field)."""


@dataclass(frozen=True, order=True)
class Point:
    """One design point (module docstring). Frozen and ordered: it is a dictionary key."""

    c0: int = 8
    c1: int = 8
    k0: int = 7
    k1: int = 3
    dense: int = 48
    T: int = 2
    weight_bits: int = 6
    neuron: str = "ssf"
    lanes: int = 8
    frontend: str = "v3"
    engine: str = "event"

    def __post_init__(self) -> None:
        if self.neuron not in NEURONS:
            raise PointError(f"neuron must be one of {NEURONS}, not {self.neuron!r}")
        if self.frontend not in FRONT_ENDS:
            raise PointError(f"frontend must be one of {FRONT_ENDS}, not {self.frontend!r}")
        for name in ("c0", "c1", "k0", "k1", "dense", "T", "lanes"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise PointError(f"{name} must be a positive integer, not {getattr(self, name)!r}")
        if not 2 <= self.weight_bits <= 16:
            raise PointError(f"weight_bits must be in 2..16, not {self.weight_bits}")
        if self.engine not in ENGINES:
            raise PointError(f"engine must be one of {ENGINES}, not {self.engine!r}")
        if self.engine == "fused" and self.neuron != "ssf":
            raise PointError("engine 'fused' runs sum-then-fire points only, not neuron 'if'")

    @property
    def label(self) -> str:
        return (
            f"c{self.c0}-{self.c1}_k{self.k0}-{self.k1}_d{self.dense}_T{self.T}_w{self.weight_bits}"
            f"_{self.neuron}_l{self.lanes}_{self.frontend}"
            # event points keep the labels they had before the engine was an axis
            + ("" if self.engine == "event" else f"_{self.engine}")
        )

    def hw_config(self) -> HwConfig:
        """The accelerator measured for this point: the fused engine has ROM weights only."""
        return HwConfig(lanes=self.lanes, rom=self.engine == "fused", engine=self.engine)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Point:
        """The point of a dict holding (at least) every field; other keys are ignored. Without
        `engine` (a record from before the engine was an axis): the event engine. The fused
        engine asked for an IF point: the event engine (module docstring)."""
        d = {"engine": "event"} | d
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in d]
        if missing:
            raise PointError(f"a point needs {missing}")
        v = {n: d[n] for n in names}
        if v["engine"] == "fused" and v["neuron"] != "ssf":
            v["engine"] = "event"
        return cls(**v)

    def layers(self) -> list[list]:
        """`model.network.LayerCfg` fields per layer (output width 0: set from the classes)."""
        shape = shaped_layers(self.c0, self.k0, self.c1, self.k1, self.dense, STRIDE)
        return [list(dataclasses.astuple(layer)) for layer in shape]

    def train_args(self) -> list[str]:
        """`python -m ecg_snn.model --split inter` options that train this point's network with
        the shipped recipe (`make train ARGS="..."`; the hardware fields go to `make sim`)."""
        args = ["--shape", *map(str, (self.c0, self.k0, self.c1, self.k1, self.dense))]
        args += [
            "--T",
            str(self.T),
            "--neuron",
            self.neuron,
            "--weight-bits",
            str(self.weight_bits),
        ]
        if self.frontend == "v2":
            args += ["--tie-s-to-n", "--rr-features", *Preprocess().rr_features]  # v2's four
        return args


DEFAULT = Point(lanes=4, engine="fused")


def distinct_points(axes: dict[str, tuple], limit: int = 1_000_000) -> int:
    """How many distinct points a space of `axes` (each field's choices; the others at the
    default) holds once illegal combinations are mapped (`from_dict`): the most distinct
    points a search of it can draw. Counted by enumeration, up to `limit` combinations."""
    from itertools import product
    from math import prod

    if prod(len(v) for v in axes.values()) > limit:
        raise ValueError(f"a space of more than {limit} combinations is not counted")
    base = DEFAULT.as_dict()
    names = list(axes)
    combos = (base | dict(zip(names, values, strict=True)) for values in product(*axes.values()))
    return len({Point.from_dict(c) for c in combos})


def recipe(point: Point, epochs: int, seed: int) -> dict:
    """The `model.cv` recipe of a point: the shipped training recipe (docs/model.md: act_l1
    0.5, dropout 0.3, α 0.5, shift 2, noise 0.01, wander 0.05, RR also into the output layer
    with rr_gain 16, F kept as a class, last epoch, 3 SNN fine-tune epochs), S tied to N for
    the v2 front end and untied with the v3 features (the v3 recipe), at the point's shape, T,
    weights and neuron."""
    from ecg_snn.model.cv import parser

    args = ["--name", point.label, "--rr-gain", "16", "--rr-also", "dense3"]
    args += ["--T", str(point.T), "--neuron", point.neuron, "--weight-bits", str(point.weight_bits)]
    args += ["--epochs", str(epochs), "--seed", str(seed)]
    if point.frontend == "v2":
        args.append("--tie-s-to-n")
    else:
        args += ["--rr-features", *V3_FEATURES]
    r = vars(parser().parse_args(args))
    for k in ("folds", "report", "merge", "seeds", "table", "shape"):
        r.pop(k, None)
    return r | {"layers": point.layers()}
