"""A simulation job: the files that carry stimulus, golden expectations and results between the
Python side (`sim.run`, the tests) and the cocotb side (`sim/accel/cocotb_tests.py`).

A job is a directory holding `job.json` (the result layout and a list of phases) plus one file
per phase. Phases run in order in one simulator process, on one build:

- ``load``: drive a weight image (`model/contract/image.py` words, `.npy`) into the load port, as
firmware
  would, and check that the chip reports it loaded (``expect: "ok"``), rejected (``"error"``)
  or still waiting for words (``"incomplete"``: neither flag, e.g. a truncated image);
- ``reset``: pulse the synchronous reset (inference state only; the model stays);
- ``classify``: stream vectors (`.npz`: the port words and, from the golden model on the
  artifact that is loaded, the expected class and output values) and write what came back
  (`<name>.out.npz`: class, values and cycles per beat, and the scoreboard's verdict).

The cocotb side reads the path of `job.json` from the environment variable `SIM_JOB`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.data.files import write_atomic
from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.cycles import cycle_bound
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.sim.accel.vectors import Vectors

ENV = "SIM_JOB"


@dataclass
class Outcome:
    """What one classify phase observed."""

    cls: np.ndarray  # (N,) received classes (-1 where no result came back)
    values: np.ndarray  # (N, n_classes)
    cycles: np.ndarray  # (N,) first input word taken -> result valid, in clock cycles
    received: int
    mismatches: int
    first_mismatch: str  # "" if none
    report: str


class Job:
    """Builds a job directory phase by phase."""

    def __init__(self, directory: Path, layout: ResultLayout):
        self.dir = Path(directory).resolve()  # the simulator runs in another directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.layout = layout
        self.phases: list[dict] = []

    def load(
        self,
        artifact: Artifact,
        *,
        name: str = "image",
        expect: str = "ok",
        words: np.ndarray | None = None,
    ) -> None:
        """Load `artifact` (or explicit image `words`, e.g. a corrupted image)."""
        if expect not in ("ok", "error", "incomplete"):
            raise ValueError(f"expect must be ok, error or incomplete, not {expect!r}")
        path = self.dir / f"{name}.npy"
        np.save(path, weight_image(artifact) if words is None else np.asarray(words, np.uint32))
        self.phases.append({"kind": "load", "name": name, "image": str(path), "expect": expect})

    def reset(self) -> None:
        self.phases.append({"kind": "reset", "name": "reset"})

    def classify(
        self,
        artifact: Artifact,
        vectors: Vectors,
        *,
        name: str = "beats",
        in_pauses: str = "none",
        out_pauses: str = "none",
        seed: int = 0,
        corrupt: int | None = None,
        fail_on_mismatch: bool = True,
        expected: tuple[np.ndarray, np.ndarray] | None = None,
        player: bool = True,
    ) -> Path:
        """Stream `vectors`, expecting what the golden model computes with `artifact`.

        `corrupt=k` deliberately falsifies the expectation of vector k (a negative test);
        `fail_on_mismatch=False` lets the phase finish and report mismatches instead of failing
        the cocotb test (used to check that a mutated artifact is caught). `expected` =
        (cls, values) of the golden model on `artifact`, when the caller already ran it.
        `player=False` drives the words from Python even without pauses (`sim/accel/bench.py`
        uses the wrapper's stream players otherwise)."""
        spec = artifact.spec
        pre = spec.preprocess
        if expected is None:
            gold = golden.run(artifact, vectors.x[:, None, :], vectors.rr)
            expected = (gold.cls, gold.values)
        path = self.dir / f"{name}.npz"
        np.savez(
            path,
            x=vectors.x & ((1 << pre.input_bits) - 1),  # the ports' two's-complement patterns
            rr=vectors.rr,
            record=vectors.record.astype(str),
            index=vectors.index,
            exp_cls=expected[0],
            exp_values=expected[1],
        )
        self.phases.append(
            {
                "kind": "classify",
                "name": name,
                "vectors": str(path),
                "results": str(self.dir / f"{name}.out.npz"),
                "in_pauses": in_pauses,
                "out_pauses": out_pauses,
                "seed": seed,
                "corrupt": corrupt,
                "fail_on_mismatch": fail_on_mismatch,
                "watchdog_cycles": watchdog_cycles(spec),
                "player": player,
            }
        )
        return self.dir / f"{name}.out.npz"

    def write(self) -> Path:
        lay = self.layout
        body = {
            "layout": {
                "n_classes": lay.n_classes,
                "cls_bits": lay.cls_bits,
                "value_bits": lay.value_bits,
            },
            "phases": self.phases,
        }
        return write_atomic(self.dir / "job.json", json.dumps(body, indent=1) + "\n")

    def env(self) -> dict[str, str]:
        return {ENV: str(self.write())}


def watchdog_cycles(spec) -> int:
    """Cycles without a result after which the bench calls it a hang: twice the bound on any
    inference of this spec (`hw.cycles.cycle_bound` on one lane, the slowest configuration),
    plus room for result back-pressure. A legal T = 1024 model is slow, not hung."""
    return 2 * cycle_bound(spec, HwConfig(lanes=1)) + 10_000


def read_outcome(path: Path) -> Outcome:
    """The results a classify phase wrote (RuntimeError if it never finished)."""
    if not Path(path).exists():
        raise RuntimeError(f"no results at {path}: the simulation did not finish this phase")
    with np.load(path) as f:
        return Outcome(
            cls=f["cls"],
            values=f["values"],
            cycles=f["cycles"],
            received=int(f["received"]),
            mismatches=int(f["mismatches"]),
            first_mismatch=str(f["first_mismatch"]),
            report=str(f["report"]),
        )
