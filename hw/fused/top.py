"""Top level of the fused engine: the same ports as `hw.top.Accelerator` (module
`model.contract.ports.TOP`, the contract of `model/contract/ports.py`), so the SPI shell, the C
driver and the benches run it unchanged.

Submodules by role: `core` (`hw/fused/core.py`: ROMs, line buffers, accumulators, MAC array,
fire stage, schedule) and `decision` (`hw/decision.py`, shared with the event engine: argmax,
lowest index on ties, result packing). Weights are ROM (`HwConfig(rom=True)`): the load port is
tied off (never ready), `loaded` is 1 and `load_error` 0. `por`, the power-on reset, resets
every register the soft reset `rst` does (`ResetInserter`); with ROM weights nothing has to be
retained (`retained_state` is empty), so the whole engine can be power-gated between beats.
"""

from __future__ import annotations

from amaranth.hdl import Module, ResetInserter, Signal
from amaranth.lib import wiring

from ecg_snn.hw.buses import accelerator_ports
from ecg_snn.hw.config import Checked, HwConfig, LayerGeometry, check_design
from ecg_snn.hw.decision import Decision
from ecg_snn.hw.fused.core import FusedCore
from ecg_snn.hw.fused.plan import FusedPlan, check_supported
from ecg_snn.hw.fused.rom import bank_name, weight_banks
from ecg_snn.hw.memories import MemoryInfo
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.ports import ResultLayout


def inventory(spec: ModelSpec, config: HwConfig, artifact: Artifact) -> list[MemoryInfo]:
    """The engine's memories (`hw/memories.py`): the weight ROM's banks `weights/<bank>`, one
    per weight tensor of more than one word (`rom.weight_banks`; a one-word tensor is a
    constant); biases are constants, nothing is retained."""
    plan = FusedPlan.of(artifact.spec, config)
    return [
        MemoryInfo(
            "weights",
            bank_name(key),
            len(rows),
            plan.lanes,
            plan.weight_bits,
            True,
            "none",
            False,
            tuple(tuple(r) for r in rows),
        )
        for key, rows in weight_banks(plan, artifact).items()
        if len(rows) > 1
    ]


class FusedAccelerator(Checked, wiring.Component):
    """Parameters: `spec`, `config` (`HwConfig(engine="fused", rom=True)`), `artifact`
    (required: its integers are the ROM contents), `checks` (accepted for the event engine's
    signature; the fused engine has no simulation-only assertion). Errors: one-line
    `TypeError` / `ValueError` naming the cause (an IF layer, a loadable build, a shape it does
    not run)."""

    @classmethod
    def check(
        cls,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        checks: bool = False,
    ) -> None:
        check_design(spec, config, artifact)
        check_supported(spec, config)
        if artifact is None:
            raise ValueError("the fused engine bakes the weights in: pass artifact=")

    def __init__(
        self,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        checks: bool = False,
    ) -> None:
        self.spec, self.config, self.artifact = spec, config, artifact
        self.plan = FusedPlan.of(artifact.spec, config)
        self.geometries = [LayerGeometry(layer, config.lanes) for layer in spec.layers]
        self.result_layout = ResultLayout.of(spec)
        super().__init__(accelerator_ports(spec, self.result_layout))
        self.quiet = Signal()  # as `hw.top.Accelerator.quiet` (`FusedCore`)

    def weight_memory_bytes(self) -> int:
        return sum(g.weight_bytes() for g in self.geometries)

    def memories(self) -> list[MemoryInfo]:
        """The design's memories (`inventory`)."""
        return inventory(self.spec, self.config, self.artifact)

    def retained_state(self) -> dict[str, int]:
        """Nothing: ROM weights, constant thresholds; all state is rebuilt per inference."""
        return {}

    def state_bits(self) -> dict[str, int]:
        """Bits of inference state by block (`FusedPlan.state_bits`)."""
        return self.plan.state_bits()

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.core = core = FusedCore(self.plan, self.artifact)
        m.submodules.decision = dec = Decision(self.result_layout, self.config.lanes)
        wiring.connect(m, wiring.flipped(self.i_sample), core.i_sample)
        if self.spec.n_rr:
            wiring.connect(m, wiring.flipped(self.i_rr), core.i_rr)
        wiring.connect(m, core.o_values, dec.i)
        m.d.comb += [
            self.o_result.payload.eq(dec.o.payload),
            self.o_result.valid.eq(dec.o.valid & core.result_enable),
            dec.o.ready.eq(self.o_result.ready & core.result_enable),
            core.result_taken.eq(self.o_result.valid & self.o_result.ready),
            self.busy.eq(core.busy),
            self.done.eq(core.done),
            self.quiet.eq(core.quiet),
            self.loaded.eq(1),
            self.load_error.eq(0),
            self.i_load.ready.eq(0),
        ]
        return ResetInserter({"sync": self.por})(m)
