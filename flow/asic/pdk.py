"""Where the gate-level flow finds its cell library and its static timing tool (Debian packages).

- Liberty: ``osu018_stdcells.lib`` from Debian's ``qflow-tech-osu018`` (Oklahoma State University
  standard cells for TSMC 0.18 um, 1.8 V, typical corner, 25 C; with power tables). `make tech`
  extracts it into ``build/tech/osu018`` with ``apt-get download`` + ``dpkg -x`` (qflow itself is
  not needed); a system-wide install (``/usr/share/qflow/tech/osu018``) is used as well.
- OpenSTA: Debian's ``opensta`` package (the ``sta`` binary).

Nothing is downloaded at run time: when a piece is missing, the error says the one command.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TECH_DIR = ROOT / "build" / "tech"


@dataclass(frozen=True)
class CellLibrary:
    name: str
    package: str
    liberty_name: str
    node_nm: float
    corner: str

    def candidates(self) -> list[Path]:
        return [
            TECH_DIR / self.name / self.liberty_name,
            Path("/usr/share/qflow/tech") / self.name / self.liberty_name,
        ]

    def liberty(self) -> Path:
        for path in self.candidates():
            if path.exists():
                return path
        raise FileNotFoundError(
            f"no {self.liberty_name} (Debian package {self.package}); run `make tech`, which "
            f"runs `apt-get download {self.package}` and `dpkg -x` into {TECH_DIR}"
        )


OSU018 = CellLibrary("osu018", "qflow-tech-osu018", "osu018_stdcells.lib", 180.0, "typical, 25 C")


def sta_binary() -> Path:
    """The OpenSTA executable (Debian ``opensta``)."""
    exe = shutil.which("sta")
    if exe is None:
        raise FileNotFoundError(
            "OpenSTA is not installed; run `make tech` (as root: apt-get install -y opensta)"
        )
    return Path(exe)
