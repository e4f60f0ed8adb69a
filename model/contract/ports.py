"""The accelerator's port contract, in plain Python (no Amaranth): the RTL, the cocotb
testbenches and the firmware driver all read it from here.

Ports of the generated top level (Verilog names; streams follow Amaranth's `lib.stream` rules:
a transfer happens on a cycle where `valid & ready`, `valid` never waits for `ready`)::

    clk, rst                      clock; synchronous soft reset: clears every piece of inference
                                  state (membranes, queues, sequencer, input buffer, pending
                                  result) but not the loaded model (weights, biases, thresholds
                                  stay loaded)
    por                           power-on reset (synchronous, active high, >= 1 clock edge once
                                  power is up): everything `rst` clears plus the loaded model's
                                  status and scalars (`loaded` = 0, `load_error` = 0, thresholds,
                                  shifts, v_init = 0); afterwards no state depends on power-up
    i_sample__{valid,ready,payload}   n_samples signed input_bits words per beat, in order
    i_rr__{valid,ready,payload}       n_rr unsigned rr_bits words per beat (absent if n_rr == 0)
    o_result__{valid,ready,payload}   one word per inference, see `pack_result`
    i_load__{valid,ready,payload}     the 32-bit weight image words (`model/contract/image.py`);
    accepted
                                      only while idle (ready is low while busy)
    busy                          high from the first input word until the result is accepted
    done                          high for one cycle when the result is accepted
    loaded                        a valid model is loaded (always 1 with weights baked in as ROM)
    load_error                    the last image was rejected (magic, hardware id, length or
                                  checksum); cleared by the next image's first word

Samples and RR words may interleave in any way; the inference starts once all have arrived.
Until a model is loaded, `i_sample.ready` and `i_rr.ready` stay low.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from ecg_snn.model.contract.artifact import ModelSpec
from ecg_snn.model.contract.spec import ceil_div, index_bits

TOP = "snn_accelerator"
BUS_BITS = 32  # the load-port word, and the word of the driver's bus (result words, HAL calls)


class Port(IntEnum):
    """The input streams, numbered as the C HAL's `SNN_PORT_*` codes (generated into
    `snn_config.h`), with their Verilog names."""

    SAMPLE = 0
    RR = 1
    LOAD = 2

    @property
    def verilog(self) -> str:
        return {Port.SAMPLE: "i_sample", Port.RR: "i_rr", Port.LOAD: "i_load"}[self]


class Status(IntFlag):
    """The bits of the HAL's `status()` (the `busy`, `loaded` and `load_error` outputs),
    generated into `snn_config.h` as `SNN_STATUS_*`."""

    BUSY = 0x1
    LOADED = 0x2
    LOAD_ERROR = 0x4


@dataclass(frozen=True)
class ResultLayout:
    """`o_result.payload`: `cls` in the low bits, then each output value, least significant
    first, as a two's-complement field of `value_bits`."""

    n_classes: int
    cls_bits: int
    value_bits: int

    @classmethod
    def of(cls, spec: ModelSpec) -> ResultLayout:
        n = len(spec.classes)
        return cls(n, index_bits(n), spec.layers[-1].membrane_bits)

    @property
    def width(self) -> int:
        return self.cls_bits + self.n_classes * self.value_bits

    @property
    def words(self) -> int:
        """`BUS_BITS` words that carry one result (`SNN_RESULT_WORDS`), least significant first."""
        return ceil_div(self.width, BUS_BITS)

    def value_offset(self, k: int) -> int:
        return self.cls_bits + k * self.value_bits


def pack_result(layout: ResultLayout, cls: int, values: list[int]) -> int:
    word = cls & ((1 << layout.cls_bits) - 1)
    mask = (1 << layout.value_bits) - 1
    for k, v in enumerate(values):
        word |= (int(v) & mask) << layout.value_offset(k)
    return word


def unpack_result(layout: ResultLayout, word: int) -> tuple[int, list[int]]:
    cls = word & ((1 << layout.cls_bits) - 1)
    values = []
    for k in range(layout.n_classes):
        v = (word >> layout.value_offset(k)) & ((1 << layout.value_bits) - 1)
        if v >= 1 << (layout.value_bits - 1):
            v -= 1 << layout.value_bits
        values.append(v)
    return cls, values


def to_unsigned(value: int, bits: int) -> int:
    """A signed value as the bit pattern a `bits`-wide port carries."""
    return int(value) & ((1 << bits) - 1)
