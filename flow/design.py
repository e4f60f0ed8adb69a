"""Verilog of the accelerator and of its SPI shell for one configuration, cached by content.

The Verilog comes from the emitter `make verilog` runs (`flow.verilog.emit`) on
`hw.top.Accelerator`; the module is `model.contract.ports.TOP`. The cache key covers what
defines the Verilog and nothing else: the spec's hardware configuration, the `HwConfig`, the
artifact's checksum (only for ROM builds, whose weights are in the Verilog), the gateware
generator's source (`hw/*.py`, `hw/fused/*.py`) and the emitter's. The engine
(`HwConfig.engine`) is part of the configuration's `repr`. Editing the RTL regenerates it; editing a
flow that only reads it (FPGA, ASIC, power) does not; a second artifact of the same
configuration reuses it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.ports import TOP

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = (
    *sorted((ROOT / "hw").glob("*.py")),
    *sorted((ROOT / "hw" / "fused").glob("*.py")),
    ROOT / "flow" / "verilog.py",
)
OUT_ROOT = ROOT / "build" / "rtl"


def design_key(spec: ModelSpec, config: object, artifact: Artifact | None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(spec.hardware_config(), sort_keys=True).encode())
    h.update(repr(config).encode())
    if artifact is not None and getattr(config, "rom", False):
        h.update(artifact.checksum().encode())
    for src in GENERATOR:
        h.update(src.name.encode() + src.read_bytes())
    return h.hexdigest()[:12]


def accelerator_verilog(
    spec: ModelSpec, config: object, artifact: Artifact | None = None, out_root: Path = OUT_ROOT
) -> Path:
    """Path of `<TOP>.v` for this configuration, generating it if it is not cached."""
    from ecg_snn.flow.verilog import emit
    from ecg_snn.hw.engine import accelerator  # Amaranth loads only when a design is generated

    out_dir = out_root / design_key(spec, config, artifact)
    out = out_dir / f"{TOP}.v"
    if not out.exists():
        # emit() writes each file atomically, so concurrent workers at worst write it twice.
        emit(accelerator(spec, config, artifact), out_dir)
    return out


def spi_verilog(
    spec: ModelSpec,
    config: object,
    artifact: Artifact | None = None,
    out_root: Path = OUT_ROOT,
    work_clock: bool = False,
) -> Path:
    """Path of the SPI shell's Verilog (`hw.spi.SpiShell`, module `hw.spi.SPI_TOP`: the module
    `make fpga` places and routes; `work_clock`: the ASIC build, the core clocked only while it
    has work, through the library's clock gate at its root, whose behavioural model the file
    carries for RTL simulators), generated if it is not cached."""
    from amaranth.back import verilog

    from ecg_snn.data.files import write_atomic
    from ecg_snn.flow.asic.gate import ICG_CELL, ICG_MODEL_VERILOG
    from ecg_snn.hw.spi import SPI_TOP, SpiShell

    tag = "spi-work" if work_clock else "spi"
    out = out_root / f"{tag}-{design_key(spec, config, artifact)}" / f"{SPI_TOP}.v"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        gate = ICG_CELL if work_clock else None
        shell = SpiShell(spec, config, artifact, work_clock=work_clock, clock_gate=gate)
        text = verilog.convert(shell, name=SPI_TOP, emit_src=False)
        write_atomic(out, text + (ICG_MODEL_VERILOG if work_clock else ""))
    return out
