"""The one RTL SAIF loop of the flow (`make power`, `make power GATE=1` and `make explore`): the
accelerator's Verilog in the SAIF harness (`accel.py`), every beat checked against the golden
model, its SAIF read into energies by every technology and deleted."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ecg_snn.flow.netlist import load_verilog
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.power.accel import check_against_golden, run_beats
from ecg_snn.power.energy import Energy, energy, subtract
from ecg_snn.power.saif import read_saif
from ecg_snn.power.tech import load_technology

CHUNK = 64  # beats simulated before their SAIF files are read and deleted

_worker: dict = {}


def _init(verilog: str, techs: list[str]) -> None:
    _worker["netlist"] = load_verilog(verilog)
    _worker["techs"] = [load_technology(t) for t in techs]


def _energy_of(path: str) -> list[Energy]:
    """Worker: read one beat's SAIF and its baseline, delete them, apply every technology."""
    saif = subtract(read_saif(path), read_saif(f"{path}.init", active_only=True))
    Path(path).unlink()
    Path(f"{path}.init").unlink()
    return [energy(saif, _worker["netlist"], t) for t in _worker["techs"]]


def simulate(
    exe: Path,
    verilog: Path,
    artifact: Artifact,
    x: np.ndarray,
    rr: np.ndarray,
    techs: list[str],
    jobs: int,
    work: Path,
    log=print,
    chunk: int = CHUNK,
    load: bool = True,
) -> tuple[list[list[Energy]], np.ndarray, int]:
    """Energies (per beat, per technology), RTL cycles per beat, and golden mismatches.

    The one SAIF loop of the flow (`make power` and `make explore` both use it): `chunk` beats
    are simulated in `jobs` harness processes, checked against the golden model, and their SAIF
    files read (in `jobs` worker processes, or in this one for jobs=1) and deleted. `load`
    False: a ROM build, no weight image."""
    energies: list[list[Energy]] = []
    cycles: list[int] = []
    bad = 0
    pool = None
    if jobs > 1:
        pool = ProcessPoolExecutor(jobs, initializer=_init, initargs=(str(verilog), techs))
        apply = pool.map
    else:
        _init(str(verilog), techs)
        apply = map
    try:
        for start in range(0, len(x), chunk):
            sl = slice(start, start + chunk)
            runs = run_beats(exe, artifact, x[sl], rr[sl], work, jobs, load)
            bad += check_against_golden(artifact, x[sl], rr[sl], runs)
            part = list(apply(_energy_of, [str(r.saif) for r in runs]))
            energies += part
            cycles += [r.cycles for r in runs]  # first input word taken -> result (hw/cycles.py)
            log(f"  {min(start + chunk, len(x))}/{len(x)} beats")
    finally:
        if pool is not None:
            pool.shutdown()
    return energies, np.array(cycles), bad
