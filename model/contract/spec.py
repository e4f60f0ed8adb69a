"""The integer SNN specification: the one description every consumer reads.

Plain frozen dataclasses, no torch and no Amaranth, so the golden model (`sim/`), the RTL
generator (`hw/`), the firmware generator (`firmware/`) and the energy model all import this
module and nothing downstream re-derives a width or a scale. The arithmetic these fields
parameterise is written down once, in `docs/arithmetic.md` and in the docstrings of
`model/contract/golden.py` and `model/contract/frontend.py`.

Two kinds of field:
- *hardware configuration*: shapes, widths, T, the preprocessing. Changing any needs new RTL.
- *loadable values*: weights, biases, thresholds and initial membranes. A retrained model with the
  same hardware configuration runs on the same silicon through the load port.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

LAYER_KINDS = ("conv1d", "dense")
SOURCES = ("input", "spikes")
RR_FEATURES = ("prev_ratio", "next_ratio", "prev", "next", "local")  # this beat's (frontend.py)
# patient-relative, stateful over the patient's beats (model/contract/patient.py); they enter the
# chip on the RR inputs like the features above
PATIENT_FEATURES = ("tmpl_dist", "tmpl_qrs", "irreg")
ALL_FEATURES = RR_FEATURES + PATIENT_FEATURES
# model v3's chip inputs beside the samples: four RR features and the patient features
V3_FEATURES = ("prev_ratio", "next_ratio", "prev", "local", *PATIENT_FEATURES)
DECISIONS = ("argmax_lowest_index",)
NEURONS = ("if", "ssf")  # integrate-and-fire per step | sum-then-fire once

# Limits of what the flow supports. The golden model computes in float64 BLAS and relies on
# every partial sum being an exact integer below 2**53; 32-bit state also keeps the RTL sane.
MAX_WEIGHT_BITS = 16
MAX_STATE_BITS = 32
MAX_INPUT_BITS = 16


class SpecError(ValueError):
    """A specification that is inconsistent or outside what the flow supports."""


def signed_range(bits: int) -> tuple[int, int]:
    """Inclusive range of a two's-complement integer of `bits` bits."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def unsigned_range(bits: int) -> tuple[int, int]:
    """Inclusive range of an unsigned integer of `bits` bits."""
    return 0, (1 << bits) - 1


def signed_bits_for(lo: int, hi: int) -> int:
    """Smallest two's-complement width holding every integer in [lo, hi]."""
    bits = 1
    while not (signed_range(bits)[0] <= lo and hi <= signed_range(bits)[1]):
        bits += 1
    return bits


def index_bits(n: int) -> int:
    """Width of an unsigned index over `n` values (addresses, class numbers): at least 1 bit."""
    return max(1, (n - 1).bit_length())


def count_bits(T: int) -> int:
    """Width of a spike count 0..T: ceil(log2(T+1)) bits, at least 1."""
    return max(1, T.bit_length())


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def saturate(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Clamp to [lo, hi]: the one saturation rule of the flow (docs/arithmetic.md)."""
    return np.clip(x, lo, hi)


@dataclass(frozen=True)
class Preprocess:
    """The integer front end the chip does *not* do (firmware does it; see
    `model/contract/frontend.py`).

    A beat is the raw window `[r - before, r + after)` of ADC samples at `fs` Hz and `gain` ADC
    units per mV, plus the RR intervals (previous, next, local mean) in samples at `fs`.
    """

    fs: int = 360
    gain: float = 200.0
    before: int = 96
    after: int = 160
    downsample: int = 4
    input_shift: int = 1
    input_bits: int = 12
    rr_features: tuple[str, ...] = ("prev_ratio", "next_ratio", "prev", "local")
    rr_bits: int = 10
    ratio_shift: int = 8
    rr_shift: int = 1
    local_rr_beats: int = 10

    @property
    def window(self) -> int:
        return self.before + self.after

    @property
    def n_samples(self) -> int:
        """Samples per beat that enter the chip (after downsampling)."""
        return self.window // self.downsample

    @property
    def n_rr(self) -> int:
        return len(self.rr_features)

    @property
    def input_range(self) -> tuple[int, int]:
        """Chip samples are signed `input_bits` integers."""
        return signed_range(self.input_bits)

    @property
    def rr_range(self) -> tuple[int, int]:
        """Chip RR features are unsigned `rr_bits` integers."""
        return unsigned_range(self.rr_bits)

    @property
    def input_scale(self) -> float:
        """Chip samples are `input_scale` times the floats the CNN sees: x_f = x / 2**(bits-1)."""
        return float(1 << (self.input_bits - 1))

    @property
    def rr_scale(self) -> float:
        """Chip RR features are `rr_scale` times the CNN's floats: rr_f = rr / 2**rr_bits."""
        return float(1 << self.rr_bits)

    def beat_config(self):  # -> data.beats.BeatConfig
        """The data pipeline's cut for this front end (window, rate, gain, RR averaging), so the
        beats a model is trained and tested on are what the firmware computes."""
        # data is upstream of model; a lazy import keeps spec import-light
        from ecg_snn.data.beats import BeatConfig

        return BeatConfig(
            before=self.before,
            after=self.after,
            fs=self.fs,
            gain=self.gain,
            local_rr_beats=self.local_rr_beats,
        )

    def validate(self) -> None:
        if self.fs <= 0 or self.gain <= 0:
            raise SpecError(f"preprocess: fs and gain must be positive, not {self.fs}, {self.gain}")
        if self.before < 0 or self.after <= 0:
            raise SpecError(f"preprocess: bad window before={self.before} after={self.after}")
        if self.downsample < 1 or self.window % self.downsample:
            raise SpecError(
                f"preprocess: window {self.window} is not a multiple of downsample "
                f"{self.downsample}"
            )
        if not 2 <= self.input_bits <= MAX_INPUT_BITS:
            raise SpecError(f"preprocess: input_bits must be in 2..{MAX_INPUT_BITS}")
        if not 1 <= self.rr_bits <= MAX_INPUT_BITS - 1:
            raise SpecError(f"preprocess: rr_bits must be in 1..{MAX_INPUT_BITS - 1}")
        unknown = [f for f in self.rr_features if f not in ALL_FEATURES]
        if unknown:
            raise SpecError(f"preprocess: unknown RR features {unknown}; known: {ALL_FEATURES}")
        if min(self.input_shift, self.ratio_shift, self.rr_shift) < 0 or self.local_rr_beats < 1:
            raise SpecError("preprocess: shifts must be >= 0 and local_rr_beats >= 1")


@dataclass(frozen=True)
class LayerSpec:
    """One layer of integrate-and-fire neurons (or the non-firing output layer).

    Neurons are numbered channel-major: neuron `c * out_length + p` is channel `c` at position
    `p`, the order of `torch.flatten` on a (C, L) map. A dense layer has `out_length == 1` and
    reads the previous layer's neurons in that same order.

    - `source == "input"`: the layer's input is the chip's sample vector (`in_channels` x
      `in_length` integers of `input_bits`), turned once per inference into a constant current.
    - `source == "spikes"`: the input is the previous layer's spikes, one event per spike.
    - `rr_inputs > 0` (dense only): the RR features add a constant current `W_rr @ rr`.
    - `fires == False` marks the output layer: it integrates but never fires or resets.
    - `neuron`: `"if"` integrates and fires every timestep; `"ssf"` (sum-then-fire) sums its
      inputs' spike counts over the T steps, then fires `clip(V // threshold, 0, T)` spikes at
      once (power-of-two threshold). An ssf layer feeds only ssf layers.

    Widths: `weight_bits` (signed, also for `W_rr`), `bias_bits` (signed), `acc_bits` (signed, the
    per-timestep sum of spike-driven weights), `const_bits` (signed, the constant current: bias plus
    input or RR current), `membrane_bits` (signed, saturating). `threshold` is in
    1..2**(membrane_bits-1)-1, `v_init` (the TRE residual charge) fits `membrane_bits`.
    """

    name: str
    kind: str
    source: str
    in_channels: int
    in_length: int
    out_channels: int
    out_length: int
    kernel: int = 1
    stride: int = 1
    rr_inputs: int = 0
    weight_bits: int = 8
    bias_bits: int = 16
    acc_bits: int = 16
    const_bits: int = 24
    membrane_bits: int = 24
    threshold: int = 1
    v_init: int = 0
    fires: bool = True
    neuron: str = "if"

    @property
    def n_in(self) -> int:
        return self.in_channels * self.in_length

    @property
    def n_out(self) -> int:
        return self.out_channels * self.out_length

    @property
    def weight_range(self) -> tuple[int, int]:
        return signed_range(self.weight_bits)

    @property
    def bias_range(self) -> tuple[int, int]:
        return signed_range(self.bias_bits)

    @property
    def acc_range(self) -> tuple[int, int]:
        return signed_range(self.acc_bits)

    @property
    def const_range(self) -> tuple[int, int]:
        return signed_range(self.const_bits)

    @property
    def membrane_range(self) -> tuple[int, int]:
        """The saturation bounds of the membrane."""
        return signed_range(self.membrane_bits)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        if self.kind == "conv1d":
            return (self.out_channels, self.in_channels, self.kernel)
        return (self.out_channels, self.in_channels)

    def validate(self) -> None:
        where = f"layer {self.name!r}"
        if self.kind not in LAYER_KINDS:
            raise SpecError(f"{where}: unsupported kind {self.kind!r}; supported: {LAYER_KINDS}")
        if self.source not in SOURCES:
            raise SpecError(f"{where}: source must be one of {SOURCES}, not {self.source!r}")
        if self.neuron not in NEURONS:
            raise SpecError(f"{where}: neuron mode must be one of {NEURONS}, not {self.neuron!r}")
        if min(self.in_channels, self.in_length, self.out_channels, self.out_length) < 1:
            raise SpecError(f"{where}: every dimension must be >= 1")
        if self.kind == "conv1d":
            if self.kernel < 1 or self.stride < 1:
                raise SpecError(f"{where}: kernel and stride must be >= 1")
            expect = (self.in_length - self.kernel) // self.stride + 1
            if self.kernel > self.in_length or self.out_length != expect:
                raise SpecError(
                    f"{where}: a valid conv1d of length {self.in_length}, kernel {self.kernel}, "
                    f"stride {self.stride} has out_length {expect}, not {self.out_length}"
                )
            if self.rr_inputs:
                raise SpecError(f"{where}: only dense layers take RR inputs")
        elif self.in_length != 1 or self.out_length != 1 or self.kernel != 1 or self.stride != 1:
            raise SpecError(f"{where}: a dense layer has in/out_length 1, kernel 1, stride 1")
        if not 2 <= self.weight_bits <= MAX_WEIGHT_BITS:
            raise SpecError(f"{where}: weight_bits {self.weight_bits} outside 2..{MAX_WEIGHT_BITS}")
        for field in ("bias_bits", "acc_bits", "const_bits", "membrane_bits"):
            bits = getattr(self, field)
            if not 2 <= bits <= MAX_STATE_BITS:
                raise SpecError(f"{where}: {field} {bits} outside 2..{MAX_STATE_BITS}")
        lo, hi = self.membrane_range
        if self.neuron == "ssf" and self.threshold & (self.threshold - 1):
            raise SpecError(
                f"{where}: an ssf layer needs a power-of-two threshold (the fire step is a "
                f"shift), not {self.threshold}"
            )
        if not 1 <= self.threshold <= hi:
            raise SpecError(
                f"{where}: threshold {self.threshold} outside 1..{hi} "
                f"(membrane_bits={self.membrane_bits})"
            )
        if not lo <= self.v_init <= hi:
            raise SpecError(f"{where}: v_init {self.v_init} does not fit membrane_bits")

    def hardware_config(self) -> dict:
        """The fields that fix the RTL: everything except the loadable threshold and v_init."""
        d = dataclasses.asdict(self)
        del d["threshold"], d["v_init"]
        return d


# The front end of the shipped models (`model/artifacts/*.json`), the one named default: what
# `make train` uses and what verification stand-ins copy so that real beats fit them. The field
# defaults of `Preprocess()` are only a generic, valid configuration for small test artifacts.
DEFAULT_PREPROCESS = Preprocess(rr_bits=6, ratio_shift=5, rr_shift=4, local_rr_beats=128)
