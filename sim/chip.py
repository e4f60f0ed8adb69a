"""The chained chip's Verilator bench: raw samples through `hw/chip.py` (QRS detector -> beat
front end -> accelerator), every beat compared with what `stream/core.py` `run_stream` gives
(`stream/chip.py` computes the expectation and runs `make chip`, build/reports/chip.json).

A case is a record's samples at 360 Hz and their lead-on flags, fed from the first sample. The
samples play from a file inside the simulator (`sim/tb/hdl_player.py`); the chip's beats
(`o_beat`) and every chip input word it hands to the accelerator (`o_words`, the monitor
port) are recorded.

Checker (`compare`): the chip's beats are `run_stream`'s but the last (which never leaves: it
has no next beat), one for one: the fiducial sample, the classified flag, and for each
classified beat the accelerator's class (`Stream.chip`), the rhythm measure
(`patient.rhythm_values`), the reported class after the rhythm gate (`Stream.cls`) and its chip
inputs (`n_samples` x words and `n_rr` RR words, in order); `tests/sim/test_chip_rtl.py` shows
that it fails on a corrupted expectation, on a planted off-by-one window and on a chip without
the gate.

The artifact is baked in as ROM (`HwConfig(rom=True)`, the weights in the Verilog). The run
gives the cycles each sample took (from its transfer to the next one's) and all cycles.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PERIOD_NS = 10
ENV_CASES = "SIM_CHIP_CASES"
ENV_OUT = "SIM_CHIP_OUT"
WATCHDOG = 2_000_000  # cycles without progress (a sample or a beat): minutes of ECG
FIELDS = ("sample", "classified", "chip", "rhythm", "cls")  # the columns of a beat row


@dataclass(frozen=True)
class Case:
    """One record (or its first seconds): samples and lead-on flags at 360 Hz."""

    name: str
    samples: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True)
class Expected:
    """What the chip must give: beats (N, 5) rows `FIELDS` (sample, classified, chip, rhythm,
    cls; the last three 0 when unclassified) and the chip input words (M,) of the classified
    beats in order."""

    beats: np.ndarray
    words: np.ndarray


@dataclass(frozen=True)
class Got:
    beats: np.ndarray
    words: np.ndarray
    cycles: np.ndarray  # per sample, from its transfer to the next one's
    total_cycles: int


def compare(expected: Expected, got: Got, pre) -> list[str]:
    """Every difference, one line each (empty: bit-exact)."""
    out = []
    e, g = expected.beats, got.beats
    if len(e) != len(g):
        out.append(f"{len(g)} beats from the RTL, {len(e)} from run_stream")
    per = pre.n_samples + pre.n_rr
    k = 0  # classified beats so far (the words' index)
    for i, (eb, gb) in enumerate(zip(e, g, strict=False)):
        diff = [f"{f} {int(gb[j])} != {int(eb[j])}" for j, f in enumerate(FIELDS) if eb[j] != gb[j]]
        if eb[1] and gb[1]:
            ew = expected.words[k * per : (k + 1) * per]
            gw = got.words[k * per : (k + 1) * per]
            if len(gw) != len(ew) or (gw != ew).any():
                bad = [j for j in range(min(len(ew), len(gw))) if ew[j] != gw[j]]
                j = bad[0] if bad else min(len(ew), len(gw))
                name = f"x[{j}]" if j < pre.n_samples else pre.rr_features[j - pre.n_samples]
                diff.append(f"inputs differ from {name} on ({len(bad)} words)")
        k += int(eb[1])
        if diff:
            out.append(f"beat {i} (sample {int(eb[0])}): " + ", ".join(diff))
    return out


# ---- host side ------------------------------------------------------------------------------


def rtl_build(artifact):
    """The chip with its monitor port, verilated with the clock, player and recorders inside
    (content-keyed: an unchanged design reuses its build)."""
    from ecg_snn.flow.chip import TOP, verilog
    from ecg_snn.hw.config import HwConfig
    from ecg_snn.sim.tb import runner

    src = verilog(artifact, HwConfig(rom=True), monitor=True)
    return runner.build(
        [src],
        TOP,
        name="chip",
        hdl_clock_ns=PERIOD_NS,
        players=("i_sample",),
        recorders=("o_beat", "o_words"),
    )


def words(case: Case) -> np.ndarray:
    """The `i_sample` payloads: the 16-bit sample with the lead-on flag at bit 16."""
    value = np.clip(case.samples, -(1 << 15), (1 << 15) - 1) & 0xFFFF
    return (value | (case.valid.astype(np.int64) << 16)).astype(np.uint64)


def run_rtl(b, artifact, case: Case, expected: Expected, work: Path) -> Got:
    """One case through one simulator process; the recorders wait for the golden counts."""
    from ecg_snn.hw.chip import chip_beat, monitor_word
    from ecg_snn.sim.tb import runner

    work.mkdir(parents=True, exist_ok=True)
    stim = work / "case.npz"
    np.savez(stim, words=words(case), beats=len(expected.beats), n_words=len(expected.words))
    out = work / "rtl.npz"
    out.unlink(missing_ok=True)
    env = {ENV_CASES: str(stim), ENV_OUT: str(out)}
    results = runner.run(b, "ecg_snn.sim.chip", test_dir=work / "run", env=env, tests=["chip_case"])
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    if failed or not out.exists():
        raise RuntimeError("the chip bench failed: " + "; ".join(failed or ["no output"]))
    got = np.load(out)
    spec = artifact.spec
    beat_layout, word_layout = chip_beat(spec, monitor=True), monitor_word(spec)
    rows = [_unpack(beat_layout, int(p)) for p in got["beats"]]
    beats = np.array([[r[f] for f in FIELDS] for r in rows], np.int64)
    vw = word_layout.members["value"].width
    ws = []
    for p in got["words"]:
        r = _unpack(word_layout, int(p))
        v = r["value"]
        ws.append(v if r["rr"] else (v - (1 << vw) if v >> (vw - 1) else v))
    return Got(
        beats.reshape(-1, len(FIELDS)), np.array(ws, np.int64), got["cycles"], int(got["total"])
    )


def _unpack(layout, word: int) -> dict:
    """A payload's fields (unsigned) by the layout's offsets."""
    out = {}
    for name, f in layout:
        out[name] = (word >> f.offset) & ((1 << f.width) - 1)
    return out


# ---- the cocotb test ----------------------------------------------------------------------------


def _cocotb_test():
    import cocotb

    @cocotb.test()
    async def chip_case(dut: Any) -> None:
        """Reset, the power-up clears, then every sample played; beats and words recorded."""
        from ecg_snn.sim.tb import hdl_player as hp
        from ecg_snn.sim.tb.bench import TB
        from ecg_snn.sim.tb.player import play_samples

        stim = np.load(os.environ[ENV_CASES])
        tb = TB(dut)
        dut.por.value = 1
        await tb.reset()
        dut.por.value = 0
        while dut.busy.value:  # the CLEAR sweeps
            await tb.rising
        w = stim["words"]
        n_beats, n_words = int(stim["beats"]), int(stim["n_words"])
        hp.write_words(Path(hp.play_file("i_sample")), w, len(dut.i_sample__payload))
        dut.play_i_sample_words.value = len(w)
        dut.play_i_sample_beat.value = 1
        getattr(dut, hp.count_reg("o_beat")).value = n_beats
        getattr(dut, hp.count_reg("o_words")).value = n_words
        dut.o_beat__ready.value = 0
        dut.o_words__ready.value = 0
        start = tb.cycle()
        await play_samples(tb, WATCHDOG, n_beats, len(w), "a missing beat")
        end = tb.cycle()
        starts = hp.read_starts(Path(hp.starts_file("i_sample")))
        beats = hp.read_recorded(Path(hp.rec_file("o_beat")))[0] if n_beats else []
        ws = hp.read_recorded(Path(hp.rec_file("o_words")))[0] if n_words else []
        np.savez(
            os.environ[ENV_OUT],
            beats=np.array([int(b) for b in beats], dtype=np.int64),
            words=np.array([int(x) for x in ws], dtype=np.int64),
            cycles=np.diff(starts),
            total=np.array(end - start),
        )

    return chip_case


if os.environ.get(ENV_CASES):  # imported by cocotb inside the simulator
    chip_case = _cocotb_test()
