"""The selection hook: which generator builds the chip for a `HwConfig` (`config.engine`).

`"event"`: `hw.top.Accelerator`, the general event-driven engine (IF and sum-then-fire).
`"fused"`: `hw.fused.top.FusedAccelerator`, the streaming layer-fused count-domain engine for
all-sum-then-fire artifacts (`hw/fused/README.md`). Both have the ports of
`model/contract/ports.py`, so every consumer (Verilog cache, SPI shell, benches, power) builds
either through `accelerator(...)`.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact, ModelSpec


def accelerator_class(config: HwConfig | None = None) -> type:
    """The component class of `config.engine` (its `check` validates without building)."""
    if config is not None and config.engine == "fused":
        from ecg_snn.hw.fused.top import FusedAccelerator

        return FusedAccelerator
    from ecg_snn.hw.top import Accelerator

    return Accelerator


def accelerator(
    spec: ModelSpec,
    config: HwConfig | None = None,
    artifact: Artifact | None = None,
    checks: bool = False,
) -> object:
    """The accelerator component of `config.engine` (errors: the engine's own, one line)."""
    config = HwConfig() if config is None else config
    return accelerator_class(config)(spec, config, artifact, checks)


def memories(spec: ModelSpec, config: HwConfig, artifact: Artifact | None = None) -> list:
    """The memory inventory of `config.engine`'s design (`hw/memories.py`), without building
    the component (a component built and never elaborated is an Amaranth warning)."""
    if config.engine == "fused":
        from ecg_snn.hw.fused.top import inventory
    else:
        from ecg_snn.hw.memories import inventory
    return inventory(spec, config, artifact)


def retained_state(spec: ModelSpec, config: HwConfig) -> dict[str, int]:
    """Bits a power-gated sleep must keep, by name (`hw.memories.retained_state`); the fused
    engine keeps nothing."""
    if config.engine == "fused":
        return {}
    from ecg_snn.hw.memories import retained_state as event_retained

    return event_retained(spec, config)


def _cycles(config: HwConfig) -> ModuleType:
    """The cycle-model module of `config.engine` (`hw/cycles.py` or `hw/fused/cycles.py`)."""
    if config.engine == "fused":
        from ecg_snn.hw.fused import cycles
    else:
        from ecg_snn.hw import cycles
    return cycles


def inference_cycles(artifact: Artifact, config: HwConfig, x: object, rr: object) -> object:
    """The cycle model of `config.engine`: cycles per inference of each (x, rr)."""
    return _cycles(config).inference_cycles(artifact, config, x, rr)


def cycle_bound(spec: ModelSpec, config: HwConfig) -> int:
    """An upper bound on any inference's cycles on `config` (bench watchdogs)."""
    return _cycles(config).cycle_bound(spec, config)


def cycle_report(artifact: Artifact, config: HwConfig, rng: object, n: int = 64) -> dict:
    """Cycles per inference of `config.engine`: mean and max over `n` random inputs (uniform
    over the input and RR ranges) and a silent input."""
    from ecg_snn.model.contract.frontend import uniform_inputs

    pre = artifact.spec.preprocess
    x, rr = uniform_inputs(pre, n, rng)
    c = inference_cycles(artifact, config, x, rr)
    zeros = np.zeros((1, 1, pre.n_samples), np.int64), np.zeros((1, artifact.spec.n_rr), np.int64)
    silent = inference_cycles(artifact, config, *zeros)
    return {
        "inputs": f"{n} random inputs, uniform over the input and RR ranges",
        "mean": float(c.mean()),
        "max": int(c.max()),
        "silent": int(silent[0]),
        "clock_hz_200bpm_max": float(c.max() * 200 / 60),
    }


def real_beat_report(artifact: Artifact, config: HwConfig, n: int = 1000, seed: int = 0) -> dict:
    """Cycles per inference of `config.engine`, mean and max over `n` real MIT-BIH beats (drawn
    evenly with a fixed seed from the dataset cut as the artifact's front end cuts it; each
    beat's inputs, patient features included, are those the device has after every earlier beat
    of its record: `preprocess_beats`). Raises `data.errors.DataError` without the dataset."""
    from ecg_snn.data.dataset import load_dataset
    from ecg_snn.data.errors import DataError
    from ecg_snn.model.contract.frontend import preprocess_beats

    pre = artifact.spec.preprocess
    ds = load_dataset(config=pre.beat_config(), progress=False)
    if ds.window.shape[1] != pre.window:
        raise DataError(
            f"the artifact's front end takes {pre.window}-sample windows, the dataset has "
            f"{ds.window.shape[1]}"
        )
    idx = np.sort(
        np.random.default_rng(seed).choice(len(ds.window), min(n, len(ds.window)), replace=False)
    )
    x, rr = preprocess_beats(pre, ds.window, ds.rr, ds.record, idx)
    c = inference_cycles(artifact, config, x, rr)
    return {
        "inputs": f"{len(idx)} real MIT-BIH beats (seed {seed})",
        "mean": float(c.mean()),
        "max": int(c.max()),
        "clock_hz_200bpm_max": float(c.max() * 200 / 60),
    }
