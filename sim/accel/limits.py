"""Directed limit artifacts: small, hand-built models and inputs that drive every register of
every layer kind to its exact limit, and one past it where saturation applies.

The trained model never saturates a membrane and no value it computes comes within one bit of
its register width (`derive_widths` makes every register wide enough), so an RTL register one
bit short, or an adder that wraps, is invisible on real beats. These artifacts are built so
that it is not:

- widths are the exact ones of the range analysis (`derive_widths`, `bias_bits` the narrowest
  holding the biases), and membranes are narrow, so the inputs below reach every bound;
- biases at both extremes of `bias_bits`; weights at both extremes of `weight_bits`;
- RR weights of one sign with a bias of the other, so the bias-free input current of an RR
  layer (the `cin` register) needs one bit more than the constant current (`cin_bits`);
- a membrane that saturates and then receives spike current of the same sign, so `V + acc`
  (the `vw` register) needs one bit more than the membrane (`vw_bits`);
- IF thresholds at both ends of their legal range (1 and `2**(m-1) - 1`, which fires exactly
  at saturation, `>=` not `>`); ssf thresholds 1 (counts clip at T) and the largest legal
  power of two `2**(m-2)` (the top bit of the shift decoder);
- `v_init` at both extremes of the membrane;
- two output classes with the same weights, so every decision is a tie;
- T = 1 and the largest legal T (1024), with the spike-count width `ceil(log2(T+1))` full.

`limit_vectors` gives the inputs: all minimum, all maximum, zero, alternating, with RR features
all zero and all maximum, then random vectors. `sim/accel/coverage.py` checks from the golden
model that the bins are really hit (`tests/hw/test_limits.py`).

Each case names its hardware configuration (lanes, ROM or load port): an ssf layer's shift
decoder only exists behind the load port.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact, ModelSpec, derive_widths
from ecg_snn.model.contract.spec import LayerSpec, Preprocess, signed_bits_for, signed_range
from ecg_snn.sim.accel.vectors import Vectors

# A tiny front end: 8 samples of 4 bits, two 4-bit RR features.
INPUT_BITS, RR_BITS, N_SAMPLES = 4, 4, 8
WB = 4  # weight bits: weights in [-8, 7]
WMIN, WMAX = signed_range(WB)


def _pre(rr_features: tuple[str, ...] = ("prev", "local"), n: int = N_SAMPLES) -> Preprocess:
    return Preprocess(
        before=n // 2,
        after=n - n // 2,
        downsample=1,
        input_bits=INPUT_BITS,
        rr_bits=RR_BITS,
        rr_features=rr_features,
    )


@dataclass
class _L:
    """One layer to build: its shape and integers; widths are derived in `_artifact`."""

    spec: LayerSpec
    weight: np.ndarray
    bias: np.ndarray
    rr_weight: np.ndarray | None = None
    membrane_bits: int | None = None  # None: what the range analysis asks for (no saturation)
    threshold: str | int = 1  # "max": the largest legal threshold for the membrane width
    v_init: str | int = 0  # "max" / "min": the extremes of the membrane


def _artifact(pre: Preprocess, T: int, layers: list[_L], n_classes: int, origin: str) -> Artifact:
    tensors: dict[str, np.ndarray] = {}
    for la in layers:
        tensors[f"{la.spec.name}.weight"] = np.asarray(la.weight, np.int64)
        tensors[f"{la.spec.name}.bias"] = np.asarray(la.bias, np.int64)
        if la.rr_weight is not None:
            tensors[f"{la.spec.name}.rr_weight"] = np.asarray(la.rr_weight, np.int64)
    final = []
    for la in layers:
        b = tensors[f"{la.spec.name}.bias"]
        layer = dataclasses.replace(
            la.spec, weight_bits=WB, bias_bits=max(2, signed_bits_for(int(b.min()), int(b.max())))
        )
        widths = derive_widths(layer, pre, T, tensors)
        mb = la.membrane_bits or widths["membrane_bits"]
        lo, hi = signed_range(mb)
        ssf = layer.neuron == "ssf"
        th = la.threshold
        if th == "max":  # the largest legal threshold: a power of two for ssf
            th = 1 << (mb - 2) if ssf else hi
        v_init = {"max": hi, "min": lo}.get(la.v_init, la.v_init)
        widths["membrane_bits"] = mb
        final.append(dataclasses.replace(layer, **widths, threshold=int(th), v_init=int(v_init)))
    classes = tuple(f"c{i}" for i in range(n_classes))
    spec = ModelSpec(T=T, classes=classes, preprocess=pre, layers=tuple(final))
    art = Artifact(spec=spec, tensors=tensors, meta={"origin": f"sim.accel.limits.{origin}"})
    art.validate()
    return art


def _conv0(out_channels: int, neuron: str, kernel: int = 3, stride: int = 2) -> LayerSpec:
    return LayerSpec(
        name="conv0",
        kind="conv1d",
        source="input",
        in_channels=1,
        in_length=N_SAMPLES,
        out_channels=out_channels,
        out_length=(N_SAMPLES - kernel) // stride + 1,
        kernel=kernel,
        stride=stride,
        neuron=neuron,
    )


def _dense(name: str, n_in: int, n_out: int, neuron: str, *, rr: int = 0, fires: bool = True,
           source: str = "spikes") -> LayerSpec:  # fmt: skip
    return LayerSpec(
        name=name,
        kind="dense",
        source=source,
        in_channels=n_in,
        in_length=1,
        out_channels=n_out,
        out_length=1,
        rr_inputs=rr,
        fires=fires,
        neuron=neuron,
    )


def _rr_rows() -> tuple[np.ndarray, np.ndarray]:
    """RR weights and biases for 4 channels of an RR layer: channel 0 all maximum weights with
    a negative bias of half the RR current, channel 1 all minimum with a positive one (their
    bias-free current needs one bit more than bias + current), channels 2 and 3 no RR current
    and the two extreme biases (which then fix `bias_bits`)."""
    rr_max = (1 << RR_BITS) - 1
    up, down = 2 * WMAX * rr_max, 2 * WMIN * rr_max  # the RR current of channels 0 and 1
    rr_w = np.array([[WMAX, WMAX], [WMIN, WMIN], [0, 0], [0, 0]])
    bits = signed_bits_for(down // 2, -(down // 2))  # holds +-|down|/2
    blo, bhi = signed_range(bits)
    bias = np.array([-(up // 2), -(down // 2), blo, bhi])
    return rr_w, bias


def _output_tied(n_in: int, n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Output weights: classes 0 and 1 identical (every decision a tie, the lower index wins),
    class 2 their negation; biases at the two extremes."""
    w = np.zeros((n_classes, n_in), np.int64)
    w[0] = np.where(np.arange(n_in) % 2, WMAX, WMIN)
    w[1] = w[0]
    w[2] = np.where(np.arange(n_in) % 2, WMIN, WMAX)
    return w, np.array([WMAX, WMAX, WMIN])


def if_limits() -> Artifact:
    """IF everywhere: conv input layer (threshold the largest legal one: fires exactly at
    saturation) -> dense RR layer (threshold 1) -> tied output layer; T = 3."""
    conv_w = np.array([[[WMAX] * 3], [[WMIN] * 3]])  # channel 0 all max, channel 1 all min
    conv_b = np.array([WMAX, WMIN])
    c0 = _conv0(2, "if")
    n1 = c0.n_out
    # dense1: ch0 +max from conv ch0 neurons, ch1 min from conv ch1, ch2/3 mixed both signs
    w1 = np.zeros((4, n1), np.int64)
    w1[0, : c0.out_length] = WMAX
    w1[1, c0.out_length :] = WMIN
    w1[2] = np.where(np.arange(n1) % 2, WMAX, WMIN)
    w1[3] = -w1[2] - 1
    rr_w, b1 = _rr_rows()
    w2, b2 = _output_tied(4)
    return _artifact(
        _pre(),
        3,
        [
            _L(c0, conv_w, conv_b, membrane_bits=6, threshold="max", v_init="min"),
            _L(_dense("dense1", n1, 4, "if", rr=2), w1, b1, rr_w, membrane_bits=9, v_init="max"),
            _L(_dense("out", 4, 3, "if", fires=False), w2, b2, membrane_bits=5, v_init="min"),
        ],
        3,
        "if_limits",
    )


def ssf_limits() -> Artifact:
    """Sum-then-fire everywhere: conv input layer (threshold 1: counts clip at T) -> dense RR
    layer (the largest legal threshold 2**(m-2): the top bit of the shift decoder) -> tied
    output layer; T = 5 (not a power of two: T*C is a shift-add)."""
    conv_w = np.array([[[WMAX] * 3], [[WMIN] * 3], [[WMAX, WMIN, WMAX]]])
    conv_b = np.array([WMIN, WMAX, 0])
    c0 = _conv0(3, "ssf")
    n1 = c0.n_out
    w1 = np.zeros((4, n1), np.int64)
    w1[0] = WMAX
    w1[1] = WMIN
    w1[2] = np.where(np.arange(n1) % 2, WMAX, WMIN)
    w1[3] = np.where(np.arange(n1) % 3, WMIN, WMAX)
    rr_w, b1 = _rr_rows()
    w2, b2 = _output_tied(4)
    return _artifact(
        _pre(),
        5,
        [
            _L(c0, conv_w, conv_b, membrane_bits=6, threshold=1, v_init="max"),
            _L(
                _dense("dense1", n1, 4, "ssf", rr=2),
                w1,
                b1,
                rr_w,
                membrane_bits=10,
                threshold="max",
                v_init=0,  # V straddles the threshold, so conv0's clipped counts show
            ),
            _L(_dense("out", 4, 3, "ssf", fires=False), w2, b2, membrane_bits=7, v_init="min"),
        ],
        3,
        "ssf_limits",
    )


def t1_rr_input() -> Artifact:
    """T = 1, and the input layer is also the RR layer: one sample per beat (the only way a
    dense layer can take the samples), IF with the largest legal threshold, four channels
    of both signs; then the tied output layer."""
    w0 = np.array([[WMAX], [WMIN], [WMAX], [WMIN]])
    rr_w, b0 = _rr_rows()
    w1, b1 = _output_tied(4)
    return _artifact(
        _pre(n=1),
        1,
        [
            _L(
                _dense("dense0", 1, 4, "if", rr=2, source="input"),
                w0,
                b0,
                rr_w,
                membrane_bits=8,
                threshold="max",
                v_init="max",
            ),
            _L(_dense("out", 4, 3, "if", fires=False), w1, b1, membrane_bits=4, v_init="max"),
        ],
        3,
        "t1_rr_input",
    )


def t_max() -> Artifact:
    """The largest legal T (1024): an IF conv input layer counting its spikes into an ssf
    output layer (count width 11 bits, counts reach T); no RR layer although the front end
    has RR features."""
    conv_w = np.array([[[WMAX] * 3], [[WMIN] * 3]])
    c0 = _conv0(2, "if")
    w1, b1 = _output_tied(c0.n_out)
    return _artifact(
        _pre(),
        1024,
        [
            _L(c0, conv_w, np.array([WMAX, WMIN]), membrane_bits=8, threshold=1, v_init=0),
            _L(_dense("out", c0.n_out, 3, "ssf", fires=False), w1, b1, v_init="min"),
        ],
        3,
        "t_max",
    )


@dataclass(frozen=True)
class LimitCase:
    build: Callable[[], Artifact]
    config: HwConfig
    random: int  # random vectors after the directed ones


CASES: dict[str, LimitCase] = {
    "if": LimitCase(if_limits, HwConfig(lanes=3), 24),
    "ssf": LimitCase(ssf_limits, HwConfig(lanes=2), 24),
    "t1-rr-input": LimitCase(t1_rr_input, HwConfig(lanes=1, rom=True), 24),
    "t-max": LimitCase(t_max, HwConfig(lanes=4), 2),
}


def limit_vectors(spec: ModelSpec, n_random: int, seed: int = 0) -> Vectors:
    """Directed inputs, then `n_random` uniform ones: all minimum, all maximum, zero,
    alternating min/max (both phases), each with RR features all zero and all maximum."""
    pre = spec.preprocess
    lo, hi = pre.input_range
    rr_hi = pre.rr_range[1]
    L, R = pre.n_samples, spec.n_rr
    alt = np.where(np.arange(L) % 2, hi, lo)
    sigs = {"min": np.full(L, lo), "max": np.full(L, hi), "zero": np.zeros(L), "alt": alt,
            "alt2": alt[::-1] if L % 2 else np.roll(alt, 1)}  # fmt: skip
    names, xs, rrs = [], [], []
    for name, sig in sigs.items():
        for rr_name, rr in (("rr0", 0), ("rrmax", rr_hi)):
            names.append(f"limit:{name}/{rr_name}")
            xs.append(sig)
            rrs.append(np.full(R, rr))
    rng = np.random.default_rng(seed)
    for _ in range(n_random):
        names.append("limit:random")
        xs.append(rng.integers(lo, hi + 1, L))
        rrs.append(rng.integers(0, rr_hi + 1, R))
    x = np.array(xs, np.int64)
    rr = np.array(rrs, np.int64).reshape(len(xs), R)
    return Vectors(x, rr, np.array(names), np.arange(len(xs)))


def case(name: str) -> tuple[Artifact, HwConfig, Vectors]:
    """The artifact, hardware configuration and vectors of one limit case."""
    c = CASES[name]
    art = c.build()
    return art, c.config, limit_vectors(art.spec, c.random)
