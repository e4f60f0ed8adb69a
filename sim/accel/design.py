"""Verilog of the accelerator for one hardware configuration, cached by content.

The Verilog comes from the hw emitter (`flow.verilog.emit`, the same code `make verilog` runs) on
`hw.top.Accelerator`; the module is `model.contract.ports.TOP`.
The cache key covers the spec's hardware configuration, the `HwConfig`, the artifact's checksum
(only for ROM builds, whose weights are in the Verilog) and the source of `hw/`, so editing the
RTL regenerates it and a second artifact of the same configuration reuses it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.ports import TOP, Port
from ecg_snn.sim.tb import runner
from ecg_snn.sim.tb.bench import PERIOD_NS

ROOT = Path(__file__).resolve().parents[2]
HW_DIR = ROOT / "hw"
OUT_ROOT = ROOT / "build" / "sim" / "rtl"
# Streams with a player or recorder in the wrapper (`sim/tb/hdl_player.py`).
PLAYERS = (Port.SAMPLE.verilog, Port.RR.verilog)
RECORDERS = ("o_result",)


def design_key(spec: ModelSpec, config: object, artifact: Artifact | None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(spec.hardware_config(), sort_keys=True).encode())
    h.update(repr(config).encode())
    if artifact is not None and getattr(config, "rom", False):
        h.update(artifact.checksum().encode())
    for src in sorted(HW_DIR.glob("*.py")):
        h.update(src.name.encode() + src.read_bytes())
    return h.hexdigest()[:12]


def accelerator_verilog(
    spec: ModelSpec, config: object, artifact: Artifact | None = None, out_root: Path = OUT_ROOT
) -> Path:
    """Path of `<TOP>.v` for this configuration, generating it if it is not cached."""
    from ecg_snn.flow.verilog import emit
    from ecg_snn.hw.top import Accelerator  # Amaranth loads only when a design is generated

    out_dir = out_root / design_key(spec, config, artifact)
    out = out_dir / f"{TOP}.v"
    if not out.exists():
        # emit() writes each file atomically, so concurrent workers at worst write it twice.
        emit(Accelerator(spec, config, artifact), out_dir)
    return out


def accelerator_build(
    spec: ModelSpec,
    config: object,
    artifact: Artifact | None = None,
    *,
    name: str = "accel",
    waves: bool = False,
) -> runner.Build:
    """The Verilator build of this configuration, with the clock inside the simulator
    (`sim/tb/hdl_clock.py`: the per-cycle cost is what limits beats per second) and players
    on the sample and RR streams and a recorder on the result (`sim/tb/hdl_player.py`), so a
    classify phase without pauses runs without Python in the per-word loop."""
    src = accelerator_verilog(spec, config, artifact)
    return runner.build(
        [src],
        TOP,
        name=name,
        waves=waves,
        hdl_clock_ns=PERIOD_NS,
        players=PLAYERS,
        recorders=RECORDERS,
    )


def spi_verilog(
    spec: ModelSpec, config: object, artifact: Artifact | None = None, out_root: Path = OUT_ROOT
) -> Path:
    """Path of the SPI shell's Verilog (`hw.spi.SpiShell`, module `hw.spi.SPI_TOP`: the module
    `make fpga` places and routes), generated if it is not cached."""
    from amaranth.back import verilog

    from ecg_snn.data.cache import write_atomic
    from ecg_snn.hw.spi import SPI_TOP, SpiShell

    out = out_root / f"spi-{design_key(spec, config, artifact)}" / f"{SPI_TOP}.v"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        shell = SpiShell(spec, config, artifact)
        write_atomic(out, verilog.convert(shell, name=SPI_TOP, emit_src=False))
    return out


def spi_build(spec: ModelSpec, config: object, artifact: Artifact | None = None) -> runner.Build:
    """The Verilator build of the SPI shell around this configuration (Verilog clock)."""
    from ecg_snn.hw.spi import SPI_TOP

    src = spi_verilog(spec, config, artifact)
    return runner.build([src], SPI_TOP, name="spi", hdl_clock_ns=PERIOD_NS)
