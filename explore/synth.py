"""Cells, flip-flops and memory bits of a hardware configuration, from Yosys (`flow.verilog`).

Synthesis depends only on the hardware: the spec's `hardware_config()` (shapes, widths, T,
neuron modes; not the weight values, which are loaded into RAM) and the `HwConfig` (lanes).
Results are cached under that key plus the source of `hw/`; a lock file makes concurrent
workers that need the same configuration synthesise it once.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from pathlib import Path

from ecg_snn.explore.cache import Store, code_version, digest
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract.artifact import Artifact

KEYS = ("cells", "flip_flops", "memory_bits", "weight_memory_bytes")


def hardware_key(artifact: Artifact, lanes: int) -> str:
    """What fixes the synthesised netlist."""
    return digest(
        {
            "spec": artifact.spec.hardware_config(),
            "hw": HwConfig(lanes=lanes).as_dict(),
            "code": code_version(patterns=("hw/*.py",)),
        }
    )


def synthesize(artifact: Artifact, lanes: int, cache_dir: Path) -> dict:
    """{cells, flip_flops, memory_bits, weight_memory_bytes, hardware_key}, cached."""
    from ecg_snn.flow.verilog import build

    store = Store(cache_dir)
    key = hardware_key(artifact, lanes)
    if (hit := store.get(key)) is not None:
        return hit
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (hit := store.get(key)) is not None:
            return hit
        work = Path(tempfile.mkdtemp(prefix=f"synth-{key}-", dir=cache_dir))
        try:
            r = build(artifact, HwConfig(lanes=lanes), work, None, synth=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        out = {k: int(r[k]) for k in KEYS} | {"hardware_key": key}
        store.put(key, out)
        return out
