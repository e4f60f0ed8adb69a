"""Energy of the memories kept as SRAM macros in the gate-level flow (`gate.memory_plan`).

A compiled SRAM is not in the standard-cell library, so its energy is a model with stated sources:

    E_read(w, d)  = s * w * (a + b * sqrt(d))            per read of a w-bit word, depth d
    E_write       = mem_write_factor * E_read
    E_deselected  = DESELECT_FRACTION * E_read            per clock cycle with no access
    P_leak        = s_leak * w * d * mem_bit_leak_nw

a, b, mem_write_factor and mem_bit_leak_nw are the 45 nm technology file's constants
(`power/tech/45nm.toml`: a, b fitted to Horowitz's 8 KB and 32 KB 64-bit cache reads, ISSCC
2014). s carries them to the library's node and voltage by C V^2 with C proportional to feature
size: s = (node / 45 nm) * (V / 0.9 V)^2 (= 16 for 180 nm at 1.8 V). DESELECT_FRACTION is an
assumption: a macro whose clock runs while its enable is low still toggles its clock buffers and
input latches; memory-compiler datasheets put that standby-with-clock current at a few per cent of
the active current. Leakage per bit is kept at its 45 nm value (older nodes leak less per bit;
this overstates it). The model is uncertain by about x0.5 to x2, and the report gives the SRAM
share apart so that its weight is visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecg_snn.power.tech import Technology

DESELECT_FRACTION = 0.02


@dataclass(frozen=True)
class SramModel:
    scale: float
    a_pj: float
    b_pj: float
    write_factor: float
    bit_leak_nw: float
    deselect: float = DESELECT_FRACTION

    @classmethod
    def at(cls, base: Technology, node_nm: float, vdd_v: float) -> SramModel:
        s = (node_nm / base.node_nm) * (vdd_v / base.vdd_v) ** 2
        return cls(
            scale=s,
            a_pj=base.c("mem_a_pj_per_bit"),
            b_pj=base.c("mem_b_pj_per_bit"),
            write_factor=base.c("mem_write_factor"),
            bit_leak_nw=base.c("mem_bit_leak_nw"),
        )

    def read_pj(self, width: int, depth: int) -> float:
        return self.scale * width * (self.a_pj + self.b_pj * math.sqrt(depth))

    def window_pj(self, width: int, depth: int, reads: float, writes: float, cycles: int) -> float:
        """Reads, writes and deselected cycles of one window, in pJ."""
        e = self.read_pj(width, depth)
        idle = max(0.0, cycles - reads - writes)
        return e * (reads + self.write_factor * writes + self.deselect * idle)

    def leak_nw(self, width: int, depth: int) -> float:
        return width * depth * self.bit_leak_nw

    def describe(self) -> dict:
        return {
            "scale_from_45nm": self.scale,
            "deselected_fraction_of_read": self.deselect,
            "source": "power/sram.py: Horowitz ISSCC 2014 cache reads (45 nm fit), scaled by "
            "C V^2; deselected-clock term an assumption",
        }
