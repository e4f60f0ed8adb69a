"""Run the accelerator's Verilog on chip inputs, one SAIF window per beat.

The Verilog is the one `make sim` verifies (`flow.design.accelerator_verilog`, the
`flow/verilog.py` emitter). The harness (`power/harness.py`) resets the chip, loads the weight
image through `i_load` (`model/contract/image.py`), then for every beat opens a SAIF file, offers
the
samples and RR words back to back (`i_sample`, `i_rr`), takes the result (`o_result`) and closes
the file. A window therefore runs from the first input word to the accepted result: exactly one
inference, with no idle time between beats. Each result word is checked against the golden
model, so an energy figure never comes from a run that computed the wrong answer.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.data.files import write_atomic
from ecg_snn.flow.netlist import load_verilog
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import TOP, ResultLayout, to_unsigned, unpack_result
from ecg_snn.power.harness import build_harness, run_harness


@dataclass
class BeatRun:
    saif: Path
    cycles: int  # from the first input word taken to the result valid (`hw/cycles.py`)
    cls: int
    values: list[int]


def harness_for(verilog: Path, build_root: Path, cxx_opt: str | None = None) -> Path:
    """Build (or reuse) the SAIF harness for this Verilog file. Nets the energy model ignores
    (aliases) are not traced (`Netlist.untraced_lines`), which halves the SAIF files. `cxx_opt`:
    the model's C++ optimisation flag (`harness.build_harness`)."""
    build = build_root / verilog.parent.name
    build.mkdir(parents=True, exist_ok=True)
    vlt = build / "untraced.vlt"
    lines = load_verilog(verilog).untraced_lines()
    text = "`verilator_config\n" + "".join(
        f'tracing_off -file "*{verilog.name}" -lines {n}\n' for n in lines
    )
    if not vlt.exists() or vlt.read_text() != text:  # a reused build keeps its file untouched
        write_atomic(vlt, text)
    return build_harness(
        verilog,
        TOP,
        build,
        extra_args=(str(vlt.resolve()),),
        jobs=max(1, os.cpu_count() or 1),
        cxx_opt=cxx_opt,
    )


def script(
    artifact: Artifact, x: np.ndarray, rr: np.ndarray, saifs: list[Path], load: bool = True
) -> str:
    """The harness commands: the power-on reset (`por`, which also resets what `rst` does),
    the weight image through `i_load` unless the weights are ROM (`load` False), then one SAIF
    window per beat."""
    pre = artifact.spec.preprocess
    lines = ["set por 1", "step 2", "set por 0"]
    if load:
        lines += [f"put i_load {int(w)}" for w in weight_image(artifact)]
    lines.append("step 2")
    for xi, ri, path in zip(x, rr, saifs, strict=True):
        lines.append(f"saif_open {path}")
        words = [f"put i_sample {to_unsigned(v, pre.input_bits)}" for v in xi]
        words += [f"put i_rr {int(v)}" for v in ri]
        # `cycles` right after the first input word is taken: the one definition of an
        # inference's cycles (`hw/cycles.py`, `make sim`), from that word to the result.
        lines += [words[0], "cycles", *words[1:], "get o_result", "saif_close"]
    return "\n".join(lines) + "\n"


def run_beats(
    exe: Path,
    artifact: Artifact,
    x: np.ndarray,
    rr: np.ndarray,
    out_dir: Path,
    jobs: int = 2,
    load: bool = True,
) -> list[BeatRun]:
    """Simulate every beat (x: (N, n_samples), rr: (N, n_rr)) in `jobs` harness processes;
    `load` False for a ROM build (no weight image)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n = len(x)
    saifs = [out_dir / f"beat{i:05d}.saif" for i in range(n)]
    shards = [s for s in np.array_split(np.arange(n), max(1, min(jobs, n))) if len(s)]

    def one(idx: np.ndarray) -> list[str]:
        text = script(artifact, x[idx], rr[idx], [saifs[i] for i in idx], load)
        return run_harness(exe, text, timeout=3600)

    with ThreadPoolExecutor(len(shards)) as pool:
        outputs = list(pool.map(one, shards))
    layout = ResultLayout.of(artifact.spec)
    runs: list[BeatRun] = []
    for idx, lines in zip(shards, outputs, strict=True):
        starts = [int(ln.split()[1]) for ln in lines if ln.startswith("cycles")]
        gots = [ln.split() for ln in lines if ln.startswith("got")]
        if len(gots) != len(idx):
            raise RuntimeError(f"harness returned {len(gots)} results for {len(idx)} beats")
        for i, start, (_, word, end) in zip(idx, starts, gots, strict=True):
            cls, values = unpack_result(layout, int(word, 16))
            # `cycles` printed the counter after the edge that took the first word, `got` the
            # counter after the edge that took the result (valid seen the cycle before it): the
            # interval of `hw/cycles.py` and `make sim` is one less than their difference.
            runs.append(BeatRun(saifs[i], int(end) - start - 1, cls, values))
    return runs


def check_against_golden(artifact: Artifact, x: np.ndarray, rr: np.ndarray, runs: list) -> int:
    """Number of beats whose RTL result differs from the golden model (0 expected)."""
    ref = golden.run(artifact, x[:, None, :], rr)
    bad = 0
    for k, run in enumerate(runs):
        if run.cls != int(ref.cls[k]) or run.values != [int(v) for v in ref.values[k]]:
            bad += 1
    return bad


DEFAULT_CONFIG = HwConfig()
