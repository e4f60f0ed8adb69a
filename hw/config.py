"""Hardware knobs of the accelerator and the per-layer geometry they imply.

The artifact fixes shapes, widths and T; `HwConfig` adds what the artifact does not decide:

- `lanes`: output channels processed in parallel (one accumulate per lane per cycle). Memories are
  `lanes` values wide; more lanes cost adders, multipliers and wider memories but divide the
  fire-scan and fan-out cycles by `lanes`.
- `rom`: bake the weights, biases, thresholds and initial membranes in as memory init / constants
  and tie the load port off (FPGA, minimum area).
- `engine`: which generator builds the chip: `"event"` (`hw/top.py`, the general event-driven
  engine with membrane memories, any IF / sum-then-fire artifact) or `"fused"` (`hw/fused/`, the
  streaming layer-fused count-domain engine for all-sum-then-fire artifacts). Part of `repr`,
  hence of the Verilog cache key (`flow/design.py`).
- `block_ram`: the fused engine's FPGA build (`make fpga`): its weight banks and dense
  accumulators behind synchronous read ports, which an FPGA maps to block RAM; the default
  (ASIC) build reads its ROM banks combinationally and keeps the accumulators in flip-flops.

`LayerGeometry` is the one place where memory depths, address layouts and internal widths are
derived from a `LayerSpec`; every block reads it instead of re-deriving a width.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecg_snn.model.contract.artifact import ModelSpec
from ecg_snn.model.contract.spec import LayerSpec, SpecError, ceil_div, index_bits

MAX_LANES = 64
ENGINES = ("event", "fused")


@dataclass(frozen=True)
class HwConfig:
    lanes: int = 8
    rom: bool = False
    engine: str = "event"
    block_ram: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.lanes, int) or isinstance(self.lanes, bool):
            raise ValueError(f"lanes must be an integer, not {self.lanes!r}")
        if not 1 <= self.lanes <= MAX_LANES:
            raise ValueError(f"lanes must be in 1..{MAX_LANES}, not {self.lanes}")
        if not isinstance(self.rom, bool):
            raise ValueError(f"rom must be a bool, not {self.rom!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if not isinstance(self.block_ram, bool):
            raise ValueError(f"block_ram must be a bool, not {self.block_ram!r}")
        if self.block_ram and self.engine != "fused":
            raise ValueError(f"block_ram is a build of the fused engine, not of {self.engine!r}")

    def __repr__(self) -> str:
        # `block_ram` only when set: the default builds' Verilog cache keys (`flow/design.py`)
        # stay those made before it existed
        extra = ", block_ram=True" if self.block_ram else ""
        return f"HwConfig(lanes={self.lanes!r}, rom={self.rom!r}, engine={self.engine!r}{extra})"

    def as_dict(self) -> dict:
        # the default engine is left out, so reports and keys of the event engine are unchanged
        d = {"lanes": self.lanes, "rom": self.rom}
        if self.engine != "event":
            d["engine"] = self.engine
        return {**d, "block_ram": True} if self.block_ram else d


@dataclass(frozen=True)
class LayerGeometry:
    """Memory organisation of one layer for a given number of lanes.

    Neuron memories (membrane `vw`, input current `cin`) are addressed `a = g * P + p`: channel
    group `g` (channels `g*lanes .. g*lanes+lanes-1`, one per lane) at position `p`.
    Weights: conv `W[o, c, k]` at address `g * (C*K) + c*K + k`, dense `W[o, i]` at `g * n_in + i`,
    RR weights `W_rr[o, j]` at `g * n_rr + j`, lane `o % lanes`; biases at address `g`.
    """

    layer: LayerSpec
    lanes: int

    @property
    def groups(self) -> int:
        return ceil_div(self.layer.out_channels, self.lanes)

    @property
    def positions(self) -> int:
        return self.layer.out_length

    @property
    def depth(self) -> int:
        """Neuron-group words: the length of a fire scan in cycles."""
        return self.groups * self.positions

    @property
    def row_len(self) -> int:
        """Weight words per channel group (the weight address stride between groups)."""
        if self.layer.kind == "conv1d":
            return self.layer.in_channels * self.layer.kernel
        return self.layer.in_channels

    @property
    def weight_depth(self) -> int:
        return self.groups * self.row_len

    @property
    def rr_depth(self) -> int:
        return self.groups * self.layer.rr_inputs

    @property
    def has_cin(self) -> bool:
        """A memory of per-inference constant input current (input samples or RR features)."""
        return self.layer.source == "input" or self.layer.rr_inputs > 0

    @property
    def has_vw(self) -> bool:
        """A membrane memory. An ssf input layer has none: it takes no spikes and fires once,
        so its stored membrane would only ever hold the constant `v_init`."""
        return not (self.layer.neuron == "ssf" and self.layer.source == "input")

    @property
    def vw_bits(self) -> int:
        """Stored membrane width: V (membrane_bits) plus a partial acc (acc_bits) never overflows,
        so the one saturation per step happens at fire time, exactly as in the golden model."""
        return max(self.layer.membrane_bits, self.layer.acc_bits) + 1

    @property
    def cin_bits(self) -> int:
        """Input current without the bias: const range minus bias, hence one bit more."""
        return max(self.layer.const_bits, self.layer.bias_bits) + 1

    @property
    def fire_const_bits(self) -> int:
        """The fire unit's constant current `bias + cin`, exact."""
        return max(self.layer.bias_bits, self.cin_bits) + 1

    def fire_sum_bits(self, T: int) -> int:
        """The fire unit's pre-saturation sum, exact: `vw + bias + cin` (IF) or
        `vw + T * (bias + cin)` (ssf; T * C needs T.bit_length() more bits than C)."""
        if self.layer.neuron == "ssf":
            return max(self.vw_bits, self.fire_const_bits + T.bit_length()) + 1
        return max(self.vw_bits, self.layer.bias_bits, self.cin_bits) + 2

    @property
    def load_addr_bits(self) -> int:
        """Load-bus address width: the deepest loadable memory (weights, RR weights, biases)."""
        return index_bits(max(self.weight_depth, self.rr_depth, self.groups))

    @property
    def last_lanes(self) -> int:
        """Lanes of the last channel group that hold a real channel."""
        return self.layer.out_channels - (self.groups - 1) * self.lanes

    def lane_mask(self, g: int) -> int:
        n = self.lanes if g < self.groups - 1 else self.last_lanes
        return (1 << n) - 1

    def weight_words(self) -> int:
        return self.weight_depth + self.rr_depth

    def weight_bytes(self) -> int:
        """Bytes of weight storage (weights, RR weights, biases) in this organisation."""
        bits = (self.weight_depth + self.rr_depth) * self.lanes * self.layer.weight_bits
        bits += self.groups * self.lanes * self.layer.bias_bits
        return ceil_div(bits, 8)


def conv_fanout(layer: LayerSpec, i: int) -> tuple[int, int, int]:
    """For input position `i` of a valid conv: (p_start, k_start, count) such that the output
    positions touched are p_start, p_start-1, ... (count of them) with kernel taps k_start,
    k_start+stride, ...; count is 0 if no window covers `i`."""
    s, K, P = layer.stride, layer.kernel, layer.out_length
    p = min(i // s, P - 1)
    k = i - p * s
    count = 0
    while p - count >= 0 and k + count * s < K:
        count += 1
    if count == 0:
        return 0, 0, 0
    return p, k, count


class Checked:
    """Mixin for components that validate their parameters: `check(*args, **kwargs)` (a
    classmethod taking the constructor's arguments) runs in `__new__`, before the object exists,
    so a rejected component is never created and Amaranth never warns that it went unused."""

    def __new__(cls, *args: object, **kwargs: object):
        cls.check(*args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    @classmethod
    def check(cls, *args: object, **kwargs: object) -> None:
        raise NotImplementedError


def check_design(spec: ModelSpec, config: HwConfig, artifact: object | None) -> None:
    """The checks every accelerator engine makes of its parameters (`Checked.check`): the types,
    the spec's rules, and an artifact (if given) made for the same hardware configuration."""
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a ModelSpec, not {type(spec).__name__}")
    if not isinstance(config, HwConfig):
        raise TypeError(f"config must be a HwConfig, not {type(config).__name__}")
    try:
        spec.validate()
    except SpecError as e:
        raise ValueError(f"invalid spec: {e}") from None
    if artifact is not None and artifact.spec.hardware_config() != spec.hardware_config():
        raise ValueError("the artifact was made for a different hardware configuration")
