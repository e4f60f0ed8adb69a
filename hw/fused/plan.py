"""What the fused engine needs to know about an artifact, derived once (pure Python).

The fused engine (`hw/fused/README.md`) runs an **all sum-then-fire** network: every layer sums
its inputs once and fires once (`model/contract/golden.py`, step 4). For layer l with
threshold 2**k_l and membrane range [lo_l, hi_l] it computes, in one accumulator per neuron::

    A[n]  = v_init + T*bias[n] + T * sum_i W[n, i] * x[i]      (input layer: samples)
                               + T * sum_j W_rr[n, j] * rr[j]  (RR layers)
                               +     sum_m W[n, m] * c_in[m]   (spike counts of layer l-1)
    c[n]  = clip(sat(A) >> k, 0, T) = 0 if A < 0, M if A >= M << k, else A >> k
            with M = min(hi >> k, T)                            (firing layers)
    V[n]  = sat(A) = clamp(A, lo, hi)                          (the output layer)

which is exactly `golden.ssf_fire_acc(ssf_acc(c_in, W), C, layer, T)`: the golden model's one
saturation of `v_init + acc + T*C` with `C = bias + W x + W_rr rr`, and `floor`/clip of the
shift; `min(A, hi) >> k = min(A >> k, hi >> k)` because the shift is monotonic, so the fire
needs only a sign test, one compare against the constant `M << k` and a bit slice.

The accumulator width `acc_bits` is proved from the widths alone (every term at its extreme),
so no partial sum in any order can overflow.

Supported shapes: a prefix of conv1d layers (the first fed by the samples) followed by dense
layers, the last one non-firing. Anything else is refused with a one-line `ValueError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecg_snn.hw.config import HwConfig, LayerGeometry
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.spec import LayerSpec, count_bits, signed_bits_for


def check_supported(spec: ModelSpec, config: HwConfig) -> None:
    """Raise ValueError (one line, naming the cause) if the fused engine cannot build `spec`."""
    for layer in spec.layers:
        if layer.neuron != "ssf":
            raise ValueError(
                f"the fused engine runs all-sum-then-fire artifacts only; layer {layer.name!r} "
                f"is {layer.neuron.upper()} (use ENGINE=event)"
            )
    if not config.rom:
        raise ValueError(
            "the fused engine bakes the weights in as ROM; the loadable build (ROM=0) is not "
            "supported (use ROM=1 or ENGINE=event)"
        )
    layers = spec.layers
    if layers[0].kind != "conv1d":
        raise ValueError(
            f"the fused engine needs a conv input layer, not {layers[0].name!r} (use ENGINE=event)"
        )
    seen_dense = False
    for layer in layers:
        if layer.kind == "dense":
            seen_dense = True
        elif seen_dense:
            raise ValueError(
                f"the fused engine needs the conv layers before the dense ones; conv layer "
                f"{layer.name!r} follows a dense layer (use ENGINE=event)"
            )
    if layers[-1].kind != "dense" or layers[-1].fires:
        raise ValueError(
            f"the fused engine needs a non-firing dense output layer, not {layers[-1].name!r} "
            f"(use ENGINE=event)"
        )


def acc_bits(layer: LayerSpec, spec: ModelSpec) -> int:
    """Signed width holding A and every partial sum of it: the sum of each term's extreme."""
    T, pre = spec.T, spec.preprocess
    w = 1 << (layer.weight_bits - 1)
    bound = (1 << (layer.membrane_bits - 1)) + T * (1 << (layer.bias_bits - 1))
    fan_in = layer.in_channels * layer.kernel if layer.kind == "conv1d" else layer.n_in
    if layer.source == "input":
        bound += T * fan_in * w * (1 << (pre.input_bits - 1))
    else:
        bound += fan_in * w * T
    bound += T * layer.rr_inputs * w * ((1 << pre.rr_bits) - 1)
    return signed_bits_for(-bound, bound)


@dataclass(frozen=True)
class LayerPlan:
    """One layer as the fused engine runs it (module docstring for the equations)."""

    index: int
    geo: LayerGeometry
    acc_bits: int
    shift: int  # k = log2(threshold)
    cap: int  # M = min(hi >> k, T): the largest count the layer can fire

    @property
    def layer(self) -> LayerSpec:
        return self.geo.layer

    @property
    def conv(self) -> bool:
        return self.layer.kind == "conv1d"

    @property
    def window_bits(self) -> int:
        """Entries of a conv layer's input window: in_channels x kernel (bit c*K + k)."""
        return self.layer.in_channels * self.layer.kernel


@dataclass(frozen=True)
class FusedPlan:
    """The per-layer plan of `spec` at `lanes` (validated by `check_supported` first);
    `block_ram`: the FPGA build's memories (`HwConfig.block_ram`)."""

    spec: ModelSpec
    lanes: int
    layers: tuple[LayerPlan, ...]
    block_ram: bool = False

    @classmethod
    def of(cls, spec: ModelSpec, config: HwConfig) -> FusedPlan:
        check_supported(spec, config)
        plans = []
        for i, layer in enumerate(spec.layers):
            k = layer.threshold.bit_length() - 1
            hi = (1 << (layer.membrane_bits - 1)) - 1
            plans.append(
                LayerPlan(
                    i,
                    LayerGeometry(layer, config.lanes),
                    acc_bits(layer, spec),
                    k,
                    min(hi >> k, spec.T),
                )
            )
        return cls(spec, config.lanes, tuple(plans), config.block_ram)

    @property
    def count_bits(self) -> int:
        return count_bits(self.spec.T)

    @property
    def n_conv(self) -> int:
        return sum(p.conv for p in self.layers)

    @property
    def rr_layers(self) -> list[int]:
        return [p.index for p in self.layers if p.layer.rr_inputs]

    @property
    def operand_bits(self) -> int:
        """Signed width of a MAC operand: a sample, an RR feature or a count (+ sign bit)."""
        pre = self.spec.preprocess
        bits = [self.count_bits + 1]
        if self.layers[0].layer.source == "input":
            bits.append(pre.input_bits)
        if self.rr_layers:
            bits.append(pre.rr_bits + 1)
        return max(bits)

    @property
    def weight_bits(self) -> int:
        return max(p.layer.weight_bits for p in self.layers)

    @property
    def max_acc_bits(self) -> int:
        return max(p.acc_bits for p in self.layers)

    def state_bits(self) -> dict[str, int]:
        """Bits of inference state by block (registers; the weights are ROM logic)."""
        pre = self.spec.preprocess
        cb, lanes = self.count_bits, self.lanes
        out = {"rr_buffer": pre.n_rr * pre.rr_bits}
        conv = [p for p in self.layers if p.conv]
        for p in conv:
            elem = pre.input_bits if p.index == 0 else cb * p.layer.in_channels
            out[f"{p.layer.name}.line_buffer"] = p.layer.kernel * elem
        if conv:
            out["conv_acc"] = lanes * max(p.acc_bits for p in conv)
        for p in self.layers:
            if not p.conv:
                out[f"{p.layer.name}.acc"] = p.geo.groups * lanes * p.acc_bits
        out["counts"] = lanes * cb
        return out


def init_values(plan: FusedPlan, artifact: Artifact, i: int) -> np.ndarray:
    """A's start value per output channel of layer i: `v_init + T * bias` (exact ints)."""
    layer = plan.spec.layers[i]
    return layer.v_init + plan.spec.T * artifact.bias(layer).astype(np.int64)
