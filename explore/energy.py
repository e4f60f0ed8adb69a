"""Energy per inference of one artifact from the RTL toggle model (`power`), on given beats.

The same path as `make power`: `power.rtl.simulate` (the accelerator's Verilog, the SAIF
harness, one SAIF window per beat, every result checked against the golden model, the energy
equation) and `power.report.build` for the class-weighted mean, the op-count and QNN
estimates and the same-basis comparison. Differences: the harness builds and SAIF files live
under the caller's directories (sweep points run concurrently), one harness process and the SAIF
files read in this process (jobs=1), and the per-beat energies are kept for the break-even fit.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact

CHUNK = 32  # beats simulated before their SAIF files are read and deleted
# every point is a new design simulated on a few beats: compile time dominates, so the model is
# compiled unoptimised (a few times faster to build than the default -Os, same results)
CXX_OPT = "-O0"


def _harness(verilog: Path, root: Path) -> Path:
    """The SAIF harness of this Verilog, built once (a lock serialises concurrent builds)."""
    from ecg_snn.power.accel import harness_for

    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{verilog.parent.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return harness_for(verilog, root, CXX_OPT)


def measure_energy(
    artifact: Artifact,
    config: HwConfig,
    x: np.ndarray,
    rr: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    tech: str,
    work: Path,
) -> dict:
    """nJ per inference (class-weighted mean over the beats; x (N, 1, L), rr (N, n_rr)), the
    dense-QNN estimate, the same-basis SNN figure, RTL cycles, and per-beat (spikes, nJ), of
    `config`'s design built as `make power` builds it (a ROM build: no weight image)."""
    from ecg_snn.flow.design import accelerator_verilog
    from ecg_snn.flow.netlist import load_verilog
    from ecg_snn.power import report
    from ecg_snn.power.rtl import simulate
    from ecg_snn.power.tech import available, load_technology

    t0 = time.time()
    names = [tech] + [t for t in available() if t != tech]
    techs = [load_technology(t) for t in names]
    verilog = accelerator_verilog(artifact.spec, config, artifact)
    exe = _harness(verilog, work / "harness")
    netlist = load_verilog(verilog)
    x2 = np.asarray(x)[:, 0, :]
    saif_dir = Path(tempfile.mkdtemp(prefix="saif-", dir=work))

    def run(xs: np.ndarray, rs: np.ndarray) -> tuple[list, np.ndarray, int]:
        return simulate(
            exe, verilog, artifact, xs, rs, names, 1, saif_dir, log=lambda *_: None, chunk=CHUNK,
            load=not config.rom,
        )  # fmt: skip

    try:
        energies, cycles, bad = run(x2, rr)
        silent, _, bad_silent = run(
            np.zeros((1, x2.shape[1]), np.int64), np.zeros((1, rr.shape[1]), np.int64)
        )
    finally:
        shutil.rmtree(saif_dir, ignore_errors=True)
    ref = golden.run(artifact, x, rr)
    body = report.build(
        report.Inputs(
            artifact=artifact,
            model="explore",
            config=config,
            netlist=netlist,
            techs=techs,
            labels=np.asarray(labels),
            class_names=artifact.spec.classes,
            weights=np.asarray(weights),
            energies=energies,
            silent=silent[0],
            cycles=np.array(cycles),
            spikes=ref.spikes,
            synops=ref.synops,
            mismatches=bad + bad_silent,
            seconds=time.time() - t0,
            x=x2,
            rr=np.asarray(rr),
        )
    )
    per_beat = np.array([e[0].total_nj for e in energies])
    return {
        "nj_per_inference": float(body["nj_per_inference"]["mean"]),
        "nj_per_inference_max": float(body["nj_per_inference"]["max"]),
        "silent_nj": float(body["silent_input"]["nj"]),
        "dense_qnn_nj": float(body["dense_qnn_estimate_nj"]),
        "op_count_nj": float(body["op_count_estimate_nj"]),
        "snn_same_basis_nj": float(body["snn_vs_dense_qnn"]["snn_same_basis_nj"]),
        "nj_with_read_enables": float(body["what_if_read_enables"]["nj_per_inference_mean"]),
        "breakdown_nj": body["breakdown_nj"],
        # the class-weighted mean, like every other per-inference figure of the point
        "rtl_cycles": {"mean": float(np.asarray(weights) @ cycles), "max": int(np.max(cycles))},
        "rtl_golden_mismatches": int(bad + bad_silent),
        "per_beat": {
            "cycles": [int(c) for c in cycles],
            "spikes": ref.spikes.sum(axis=1).astype(int).tolist(),
            "nj": per_beat.round(4).tolist(),
        },
        "technology": tech,
        "beats": len(x2),
        "seconds": round(time.time() - t0, 1),
    }
