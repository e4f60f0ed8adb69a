"""Verilator builds of the accelerator and of its SPI shell for the testbenches.

The Verilog comes from the content-keyed cache of the implementation flow (`flow.design`); the build
adds the clock inside the simulator and the stream players of the benches.
"""

from __future__ import annotations

from ecg_snn.flow.design import accelerator_verilog, spi_verilog
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.ports import TOP, Port
from ecg_snn.sim.tb import runner
from ecg_snn.sim.tb.bench import PERIOD_NS

# Streams with a player or recorder in the wrapper (`sim/tb/hdl_player.py`).
PLAYERS = (Port.SAMPLE.verilog, Port.RR.verilog)
RECORDERS = ("o_result",)


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


def spi_build(spec: ModelSpec, config: object, artifact: Artifact | None = None) -> runner.Build:
    """The Verilator build of the SPI shell around this configuration (Verilog clock)."""
    from ecg_snn.hw.spi import SPI_TOP

    src = spi_verilog(spec, config, artifact)
    return runner.build([src], SPI_TOP, name="spi", hdl_clock_ns=PERIOD_NS)
