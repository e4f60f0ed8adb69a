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


def inference_cycles(artifact: Artifact, config: HwConfig, x: object, rr: object) -> object:
    """The cycle model of `config.engine` (`hw/cycles.py` or `hw/fused/cycles.py`)."""
    if config.engine == "fused":
        from ecg_snn.hw.fused import cycles
    else:
        from ecg_snn.hw import cycles
    return cycles.inference_cycles(artifact, config, x, rr)


def cycle_bound(spec: ModelSpec, config: HwConfig) -> int:
    """An upper bound on any inference's cycles on `config` (bench watchdogs)."""
    if config.engine == "fused":
        from ecg_snn.hw.fused import cycles
    else:
        from ecg_snn.hw import cycles
    return cycles.cycle_bound(spec, config)


def cycle_report(artifact: Artifact, config: HwConfig, rng: object, n: int = 64) -> dict:
    """`cycle_report` of `config.engine`: random inputs and a silent one."""
    if config.engine == "fused":
        from ecg_snn.hw.fused import cycles
    else:
        from ecg_snn.hw import cycles
    return cycles.cycle_report(artifact, config, rng, n)


def real_beat_report(artifact: Artifact, config: HwConfig, n: int = 1000, seed: int = 0) -> dict:
    """`real_beat_report` of `config.engine`: cycles over real MIT-BIH beats."""
    if config.engine == "fused":
        from ecg_snn.hw.fused import cycles
    else:
        from ecg_snn.hw import cycles
    return cycles.real_beat_report(artifact, config, n, seed)
