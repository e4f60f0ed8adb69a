"""The SPI shell's RTL on Verilator under a weight reload and a new beat arriving during an
inference (`sim/accel/shell_tests.py`, driven byte by byte, no driver): every result equals golden
of the model the chip held for that beat, the load port refuses words while an inference runs,
a buffered word waits in its buffer (FREE bit 0, a second WRITE refused without error), a reload
re-initialises the membranes, RESET empties the buffers, a cut result read is FRAME and leaves
the result, SCK traffic for another device changes nothing.

Model A is a small random stand-in with the project's front end (real DS2 beats are its inputs),
B a perturbed model of the same silicon with other thresholds and initial membranes; each beat's
expected model is fixed by the scenario. The Verilator build is the one of
`tests/sim/test_spi_rtl.py` (content-keyed, `build/sim/`)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecg_snn.flow.fpga import BOARDS
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import ResultLayout, pack_result
from ecg_snn.model.contract.spi import SpiError, SpiStatus, result_bytes
from ecg_snn.model.variants import perturbed, stand_in
from ecg_snn.sim.accel import design
from ecg_snn.sim.accel.vectors import real_beats
from ecg_snn.sim.tb import runner

S = SpiStatus
CONFIG = HwConfig(lanes=BOARDS["icebreaker"].lanes)
# The model each result must come from (beat 3 is abandoned by RESET: no result).
MODEL_OF = {"beat0": "a", "beat1": "a", "beat2": "b", "beat4": "b", "beat5": "a"}


@pytest.fixture(scope="module")
def models() -> dict[str, Artifact]:
    a = stand_in(np.random.default_rng(3), convs=((4, 7, 3), (4, 5, 2)), hidden=(8,))
    b = perturbed(a, np.random.default_rng(4))
    assert [la.v_init for la in a.spec.layers] != [la.v_init for la in b.spec.layers]
    return {"a": a, "b": b}


@pytest.fixture(scope="module")
def beats(mitdb_dir, models):
    """Six DS2 beats that the two models answer differently and whose answers differ from each
    other's under each model (a result from the wrong model, or of a beat shifted by a word or
    swapped with another, shows)."""
    a, b = models["a"], models["b"]
    v = real_beats(a.spec.preprocess, "DS2")
    idx = np.sort(np.random.default_rng(7).permutation(len(v))[:400])
    ga = golden.run(a, v.x[idx, None, :], v.rr[idx]).values
    gb = golden.run(b, v.x[idx, None, :], v.rr[idx]).values
    chosen: list[int] = []
    for k in np.flatnonzero((ga != gb).any(axis=1)):
        if all((ga[k] != ga[j]).any() and (gb[k] != gb[j]).any() for j in chosen):
            chosen.append(int(k))
    assert len(chosen) >= 6
    return v[idx[chosen[:6]]]


@pytest.fixture(scope="module")
def run(tmp_path_factory, models, beats) -> dict:
    a, b = models["a"], models["b"]
    d = tmp_path_factory.mktemp("spi-shell")
    bits = a.spec.preprocess.input_bits
    job = {
        "image_a": [int(w) for w in weight_image(a)],
        "image_b": [int(w) for w in weight_image(b)],
        "x": (beats.x & ((1 << bits) - 1)).tolist(),
        "rr": beats.rr.tolist(),
        "result_bytes": result_bytes(ResultLayout.of(a.spec)),
        "out": str(d / "facts.json"),
    }
    (d / "job.json").write_text(json.dumps(job))
    results = runner.run(
        design.spi_build(a.spec, CONFIG),
        "ecg_snn.sim.accel.shell_tests",
        test_dir=d / "run",
        env={"SIM_SHELL_JOB": str(d / "job.json")},
    )
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert not failed and len(results) == 1, failed or [r.name for r in results]
    return json.loads((d / "facts.json").read_text())


def expected_results(models: dict[str, Artifact], beats) -> dict[str, int]:
    """Each beat's READ_RESULT payload, from golden of the model the chip held for it."""
    out = {}
    for tag, name in MODEL_OF.items():
        k = int(tag[-1])
        g = golden.run(models[name], beats.x[k : k + 1, None, :], beats.rr[k : k + 1])
        layout = ResultLayout.of(models[name].spec)
        out[tag] = pack_result(layout, int(g.cls[0]), g.values[0].tolist())
    return out


def _bits(st: int, on: int = 0, off: int = 0) -> bool:
    """All of `on` set in the status byte `st`, none of `off`."""
    return (st & on) == on and not st & off


def problems(facts: dict, want: dict[str, int]) -> list[str]:
    """What the bench saw that the contract (`shell_tests` docstring) does not allow."""
    free = S.SAMPLE_FREE | S.RR_FREE | S.LOAD_FREE
    checks = {
        "power_up: nothing loaded, every buffer free": _bits(facts["power_up"], free, S.LOADED),
        "after_load_a: loaded, no error": _bits(facts["after_load_a"], S.LOADED, S.LOAD_ERROR),
        "no SPI error after load A": facts["errors_after_load_a"] == 0,
        # early_read is the first transaction after beat 1's last word: the inference runs
        "early_read: busy, no result, zeros": (
            _bits(facts["early_read"][0], S.BUSY, S.RESULT) and facts["early_read"][1] == 0
        ),
        "load_offered: busy and the load buffer free (the word is taken into it)": _bits(
            facts["load_offered"], S.BUSY | S.LOAD_FREE | S.LOADED
        ),
        "load_refused: the load buffer still full (the port is closed)": _bits(
            facts["load_refused"], S.BUSY | S.LOADED, S.LOAD_FREE
        ),
        "sample_offered: the sample buffer free": _bits(facts["sample_offered"], S.SAMPLE_FREE),
        "sample_refused: the sample buffer full": _bits(facts["sample_refused"], off=S.SAMPLE_FREE),
        "still_held: both words still held, still loaded, no error": _bits(
            facts["still_held"], S.BUSY | S.LOADED, S.LOAD_FREE | S.SAMPLE_FREE | S.SPI_ERROR
        ),
        "a READ_RESULT cut after one byte is FRAME, nothing else": (
            facts["errors_after_cut"] == SpiError.FRAME
        ),
        "after_result1: the image has begun (not loaded), the sample waits": _bits(
            facts["after_result1"], S.LOAD_FREE, S.LOADED | S.SAMPLE_FREE | S.BUSY
        ),
        "after_load_b: B loaded": _bits(facts["after_load_b"], S.LOADED, S.LOAD_ERROR),
        "stale_offered: busy with beat 3, sample buffer free": _bits(
            facts["stale_offered"], S.BUSY | S.SAMPLE_FREE
        ),
        "after_reset: idle, loaded, buffers empty, no result": _bits(
            facts["after_reset"], S.LOADED | free, S.BUSY | S.RESULT
        ),
        "after_reload_a: A loaded": _bits(facts["after_reload_a"], S.LOADED, S.LOAD_ERROR),
        "no SPI error at the end": facts["errors_at_end"] == 0,
        # the flag is up from the cut read until the READ_ERRORS that clears it, never else
        "SPI_ERROR only between the cut read and its READ_ERRORS": not any(
            st & S.SPI_ERROR
            for tag, st in facts["log"]
            if tag not in ("cut_read", "errors_after_cut")
        ),
    }
    out = [name for name, ok in checks.items() if not ok]
    for tag, value in want.items():
        got = facts["results"].get(tag)
        if got != value:
            out.append(f"{tag}: result {got:#x} is not golden {MODEL_OF[tag].upper()}'s {value:#x}")
    return out


def test_reload_and_beats_during_an_inference_follow_the_contract(run, models, beats):
    assert problems(run, expected_results(models, beats)) == []


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("the load port took the offered word", ("load_refused", S.LOAD_FREE)),
        ("a free bit that never clears", ("sample_refused", S.SAMPLE_FREE)),
        ("loaded dropped during the inference", ("still_held", -S.LOADED)),
        ("RESET kept a buffered word", ("after_reset", -S.SAMPLE_FREE)),
        ("an overrun flagged", ("errors_at_end", SpiError.OVERRUN)),
        ("the cut read took the result", ("errors_after_cut", SpiError.FRAME)),
    ],
)
def test_each_check_can_fail(run, models, beats, what, change):
    """Negative: the facts with one bit changed as a bug of that kind would change it."""
    key, bit = change
    facts = json.loads(json.dumps(run))
    facts[key] = facts[key] & ~int(-bit) if bit < 0 else facts[key] ^ int(bit)
    assert problems(facts, expected_results(models, beats)), what


def test_a_result_from_the_other_model_is_seen(run, models, beats):
    """Negative: beat 2 checked against A (the model before the reload) fails: the reload
    really changed the answers."""
    want = expected_results({"a": models["b"], "b": models["a"]}, beats)
    assert any(p.startswith("beat2:") for p in problems(run, want))
