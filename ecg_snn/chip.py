"""The chip flow as one object, in the style of hls4ml's model objects: an artifact and a
hardware configuration, then predict (golden model, C reference or RTL), Verilog, FPGA.

Each output goes to a folder keyed by the configuration (`Chip.out`), so two configurations
never overwrite each other's files.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_snn import CHECKOUT
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, load_artifact
from ecg_snn.model.shipped import SPLITS, shipped

ENGINES = ("golden", "c", "rtl")
# Where outputs go: the checkout in a checkout; the working folder for an installed package.
WORK = CHECKOUT or Path.cwd()


def load_model(model: str | Path | None = None) -> Artifact:
    """An artifact: a path, a shipped split name ("inter", "intra"), or None for "inter"."""
    if model is None or str(model) in SPLITS:
        return load_artifact(shipped(str(model or "inter")))
    return load_artifact(Path(model))


@dataclass(frozen=True)
class Chip:
    """The accelerator generated for `artifact` with `config` (`hw.config.HwConfig`: lanes,
    ROM weights, the engine that builds it)."""

    artifact: Artifact
    config: HwConfig = field(default_factory=HwConfig)

    @classmethod
    def shipped(cls, split: str = "inter", **config) -> Chip:
        """The chip of a shipped model; `config` as `HwConfig` (e.g. `lanes=4`,
        `engine="fused"`, `rom=True`). The fused engine has ROM weights only, so
        `engine="fused"` means ROM unless `rom` is given (a loadable fused chip is refused when
        it is built)."""
        if config.get("engine") == "fused":
            config.setdefault("rom", True)
        return cls(load_model(split), HwConfig(**config))

    def __repr__(self) -> str:  # not the dataclass's: that one prints every weight
        return f"Chip({self.artifact.checksum()[:12]}, {self.config!r})"

    @property
    def out(self) -> Path:
        """This configuration's own output folder under build/chip."""
        rom = "-rom" if self.config.rom else ""
        engine = "" if self.config.engine == "event" else f"-{self.config.engine}"
        key = f"{self.artifact.checksum()[:12]}-l{self.config.lanes}{rom}{engine}"
        return WORK / "build" / "chip" / key

    def predict(self, x: np.ndarray, rr: np.ndarray, engine: str = "golden") -> np.ndarray:
        """Class index per beat for chip inputs `x` (N, 1, n_samples) and `rr` (N, n_rr) (as
        `Classification.x`, `.rr`): on the integer golden model, the C reference
        (`firmware/`, compiled for this model) or the RTL (Verilator; bit-exact with golden,
        or RuntimeError)."""
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {list(ENGINES)}, not {engine!r}")
        x, rr = np.asarray(x, np.int64), np.asarray(rr, np.int64)
        if engine == "golden" or not len(x):
            return golden.run(self.artifact, x, rr).cls
        if engine == "c":
            return self._c(x, rr)
        return self._rtl(x, rr)

    def _c(self, x: np.ndarray, rr: np.ndarray) -> np.ndarray:
        from ecg_snn.firmware.build import build_library
        from ecg_snn.firmware.host import HostLib

        lib = self.out / "c" / "libsnn_host.so"
        if not lib.exists():
            build_library(self.artifact, lib.parent)
        return HostLib(lib).reference(x, rr)["cls"]

    def _rtl(self, x: np.ndarray, rr: np.ndarray) -> np.ndarray:
        from ecg_snn.sim.accel import design
        from ecg_snn.sim.accel.shards import run_sharded
        from ecg_snn.sim.accel.vectors import Vectors

        n = len(x)
        vectors = Vectors(x[:, 0, :], rr, np.full(n, "api"), np.arange(n, dtype=np.int64))
        build = design.accelerator_build(self.artifact.spec, self.config, self.artifact)
        (self.out / "rtl").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.out / "rtl") as work:
            merged = run_sharded(build, self.artifact, vectors, Path(work))
        if merged.failures or merged.mismatches:
            raise RuntimeError(
                f"the RTL differs from the golden model on {merged.mismatches} beats: "
                f"{merged.first_mismatch or merged.failures[:1]}"
            )
        return merged.cls

    def verilog(self, synth: bool = True) -> dict:
        """Emit, lint (and synthesise) the Verilog into `out/verilog`; the report's figures."""
        from ecg_snn.flow.verilog import build

        out = self.out / "verilog"
        return build(self.artifact, self.config, out, out / "verilog.json", synth=synth)

    def fpga(self, board: str = "icebreaker") -> dict:
        """Place and route the SPI-shelled chip (`make fpga`) into `out/fpga-<board>`."""
        from ecg_snn.flow.fpga import build

        out = self.out / f"fpga-{board}"
        return build(self.artifact, board, self.config, out, out / "fpga.json")
