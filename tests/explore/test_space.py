"""The points: validation, the default is the shipped model, the recipe follows the point."""

from __future__ import annotations

import pytest

from ecg_snn.explore.presets import FULL_SPACE, PRESETS, SMOKE_POINTS
from ecg_snn.explore.space import (
    DEFAULT,
    ENGINES,
    NEURONS,
    Point,
    PointError,
    distinct_points,
    recipe,
)
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.spec import V3_FEATURES
from ecg_snn.model.network import ArchConfig, LayerCfg
from ecg_snn.model.shipped import ARTIFACTS


def test_the_default_point_is_the_shipped_model() -> None:
    spec = load_artifact(ARTIFACTS / "inter.json").spec
    convs = [lay for lay in spec.layers if lay.kind == "conv1d"]
    dense = [lay for lay in spec.layers if lay.kind == "dense"]
    assert [c.out_channels for c in convs] == [DEFAULT.c0, DEFAULT.c1]
    assert [c.kernel for c in convs] == [DEFAULT.k0, DEFAULT.k1]
    assert dense[0].out_channels == DEFAULT.dense and spec.T == DEFAULT.T
    assert {lay.neuron for lay in spec.layers} == {DEFAULT.neuron}
    assert {lay.weight_bits for lay in spec.layers} == {DEFAULT.weight_bits}
    assert tuple(spec.preprocess.rr_features) == V3_FEATURES and DEFAULT.frontend == "v3"
    assert (DEFAULT.engine, DEFAULT.lanes) == ("fused", 4)  # the search's pick


def test_the_default_point_is_what_make_train_builds() -> None:
    """The inter split's recipe defaults (`model.pipeline.DEFAULTS`) train the default's network:
    `make train` with no options rebuilds the shipped chip's model."""
    from ecg_snn.model.pipeline import DEFAULTS

    inter = DEFAULTS["inter"]
    d = DEFAULT
    assert tuple(inter["shape"]) == (d.c0, d.k0, d.c1, d.k1, d.dense)
    assert (inter["T"], inter["weight_bits"], inter["neuron"]) == (d.T, d.weight_bits, d.neuron)
    assert tuple(inter["rr_features"]) == V3_FEATURES


def test_the_recipe_is_the_shipped_one_at_the_point() -> None:
    r = recipe(DEFAULT, epochs=3, seed=2)
    assert (r["T"], r["neuron"], r["weight_bits"], r["epochs"], r["seed"]) == (2, "ssf", 6, 3, 2)
    assert not r["tie_s_to_n"] and r["rr_gain"] == 16 and r["rr_also"] == ["dense3"]
    assert (r["act_l1"], r["dropout"], r["class_power"]) == (0.5, 0.3, 0.5)
    assert (r["morph_drop"], r["ft_epochs"]) == (0.0, 3)
    assert tuple(r["rr_features"]) == V3_FEATURES  # the shipped front end
    v2 = recipe(Point(frontend="v2", neuron="if", T=1), 3, 0)
    assert v2["tie_s_to_n"] and not v2["rr_features"]
    assert (v2["neuron"], v2["T"]) == ("if", 1)


def test_the_layers_build_the_network_of_the_point() -> None:
    p = Point(c0=4, c1=24, k0=9, k1=3, dense=48)
    arch = ArchConfig(layers=tuple(LayerCfg(*lay) for lay in p.layers()))
    shapes = arch.shapes()
    assert [s[2] for s in shapes] == [4, 24, 48, 4]
    assert shapes[0][3] == (64 - 9) // 2 + 1 and shapes[1][3] == (shapes[0][3] - 3) // 2 + 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("neuron", "lif", "neuron must be one of"), ("frontend", "v9", "frontend must be one of"),
     ("c0", 0, "c0 must be a positive integer"), ("weight_bits", 1, "weight_bits must be in")],
)  # fmt: skip
def test_a_bad_point_is_refused(field, value, message) -> None:
    with pytest.raises(PointError, match=message):
        Point(**{field: value})


def test_a_point_roundtrips_and_labels_are_unique() -> None:
    p = Point(c0=12, T=8, neuron="if", lanes=16, frontend="v3")
    assert Point.from_dict(p.as_dict() | {"seed": 3}) == p
    with pytest.raises(PointError, match="needs"):
        Point.from_dict({"c0": 4})
    labels = {q.label for q in (*SMOKE_POINTS, DEFAULT, p)}
    assert len(labels) == len(SMOKE_POINTS) + 2


def test_the_presets() -> None:
    full = PRESETS["full"]
    assert full.points[0] == DEFAULT and full.samples >= 40 and full.front_seeds >= 3
    assert full.folds == 4  # the DS1 folds of docs/model.md
    assert {1, 2, 4, 8} <= set(FULL_SPACE["T"]) and set(FULL_SPACE["neuron"]) == {"if", "ssf"}
    for name, values in FULL_SPACE.items():  # every choice makes a valid point
        for v in values:
            Point(**{name: v})
    smoke = PRESETS["smoke"]
    assert smoke.space is None and len(smoke.points) <= 3 and smoke.epochs == 1
    assert {p.engine for p in smoke.points} == set(ENGINES)  # the smoke run builds both engines
    assert len(set(smoke.points)) == len(smoke.points)


def test_the_engine_axis() -> None:
    """fused is legal for sum-then-fire points only; it is built with ROM weights; its label
    says so, while event points keep the labels they had before the axis."""
    fused, event = Point(engine="fused"), Point()
    assert fused.hw_config() == HwConfig(lanes=8, rom=True, engine="fused")
    assert event.hw_config() == HwConfig(lanes=8) and event.engine == "event"
    assert fused.label == event.label + "_fused" and "event" not in event.label
    with pytest.raises(PointError, match="engine 'fused' runs sum-then-fire points only"):
        Point(neuron="if", engine="fused")
    with pytest.raises(PointError, match="engine must be one of"):
        Point(engine="systolic")
    assert set(FULL_SPACE["engine"]) == {"event", "fused"}


def test_a_sampled_if_point_with_the_fused_engine_is_mapped_to_event() -> None:
    """The space's rule (docs/explore.md): a configuration asking for IF on the fused engine is
    the IF point on the event engine, so it has that point's key (no trial of its own)."""
    d = Point(neuron="if").as_dict() | {"engine": "fused"}
    assert Point.from_dict(d) == Point(neuron="if", engine="event")
    ssf = Point.from_dict(Point().as_dict() | {"engine": "fused"})
    assert ssf.engine == "fused"  # a legal choice is kept
    old = {k: v for k, v in DEFAULT.as_dict().items() if k != "engine"}
    assert Point.from_dict(old) == Point(lanes=4)  # a record from before the axis: event


def test_the_distinct_points_of_a_space() -> None:
    # 2 neurons x 2 engines, of which IF x fused maps onto IF x event: 3 distinct points
    assert distinct_points({"neuron": NEURONS, "engine": ENGINES}) == 3
    assert distinct_points({"T": (1, 2), "lanes": (4, 8, 16)}) == 6
    with pytest.raises(ValueError, match="not counted"):
        distinct_points({"T": tuple(range(1, 11))}, limit=5)


def test_the_recipe_trains_as_make_train_does() -> None:
    """Every training knob the search's recipe shares with `make train`'s inter defaults has the
    same value: the cross-validation scores the recipe that ships, fine-tune included."""
    from ecg_snn.model.pipeline import DEFAULTS

    inter, r = DEFAULTS["inter"], recipe(DEFAULT, epochs=20, seed=0)
    shared = ("epochs", "ft_epochs", "class_power", "dropout", "morph_drop", "act_l1", "shift",
              "noise", "wander", "T", "neuron", "weight_bits", "rr_gain", "patient_cap",
              "f_label")  # fmt: skip
    assert {k: r[k] for k in shared} == {k: inter[k] for k in shared}
    assert tuple(r["rr_also"]) == tuple(inter["rr_also"]) and not inter["tie_out"]
