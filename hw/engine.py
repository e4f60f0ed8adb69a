"""The selection hook: which generator builds the chip for a `HwConfig` (`config.engine`).

`"event"`: `hw.top.Accelerator`, the general event-driven engine (IF and sum-then-fire).
`"fused"`: `hw.fused.top.FusedAccelerator`, the streaming layer-fused count-domain engine for
all-sum-then-fire artifacts (`hw/fused/README.md`). Both have the ports of
`model/contract/ports.py`, so every consumer (Verilog cache, SPI shell, benches, power) builds
either through `accelerator(...)`.
"""

from __future__ import annotations

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact, ModelSpec


def accelerator(
    spec: ModelSpec,
    config: HwConfig | None = None,
    artifact: Artifact | None = None,
    checks: bool = False,
) -> object:
    """The accelerator component of `config.engine` (errors: the engine's own, one line)."""
    config = HwConfig() if config is None else config
    if getattr(config, "engine", "event") == "fused":
        from ecg_snn.hw.fused.top import FusedAccelerator

        return FusedAccelerator(spec, config, artifact, checks)
    from ecg_snn.hw.top import Accelerator

    return Accelerator(spec, config, artifact, checks)
