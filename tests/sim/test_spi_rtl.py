"""The C driver over SPI against the SPI shell's RTL on Verilator (`sim/accel/spi_tests.py`):
the same firmware driver, the SPI HAL (`firmware/src/snn_hal_spi.c`) bit-banged by cocotb on
`cs_n/sck/mosi/miso` of `hw.spi.SpiShell` (the module `make fpga` places and routes, at the
lane count of the iCE40 build), real DS2 beats, then a weight-image reload of another model of
the same hardware configuration; every result equals golden bit for bit. Then the same driver
over a faulty bus (`FaultySpiBus`): a word delivered twice, a chip-select glitch after a WRITE's
command byte whose next byte reads as RESET, a result read cut by a glitch; the driver must
return SNN_ERR_LINK, never a result, and the next beat must equal golden.

A small random stand-in with the project's front end keeps the image (one SPI transaction per
word) and the Verilator build short; `make fpga` runs the default model's figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecg_snn.firmware.build import build_library
from ecg_snn.firmware.generate import generate
from ecg_snn.flow.fpga import BOARDS
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.ports import ResultLayout, pack_result
from ecg_snn.model.variants import perturbed, stand_in
from ecg_snn.sim.accel import design
from ecg_snn.sim.accel.spi_tests import FAULTS
from ecg_snn.sim.accel.vectors import Vectors, random_vectors, real_beats
from ecg_snn.sim.tb import runner

REAL, RANDOM = 12, 4  # per model
CONFIG = HwConfig(lanes=BOARDS["icebreaker"].lanes)


@pytest.fixture(scope="module")
def models() -> tuple[Artifact, Artifact]:
    a = stand_in(np.random.default_rng(3), convs=((4, 7, 3), (4, 5, 2)), hidden=(8,))
    return a, perturbed(a, np.random.default_rng(4))


def _beats(model: Artifact, n: int, seed: int) -> Vectors:
    beats = real_beats(model.spec.preprocess, "DS2")
    idx = np.random.default_rng(seed).choice(len(beats), n, replace=False)
    rng = np.random.default_rng(seed)
    return Vectors.concat([beats[np.sort(idx)], random_vectors(model.spec.preprocess, RANDOM, rng)])


@pytest.fixture(scope="module")
def run(tmp_path_factory, mitdb_dir, models) -> dict:
    a, b = models
    d = tmp_path_factory.mktemp("spi-rtl")
    lib = build_library(a, d / "fw_a")
    generate(b, d / "fw_b")
    vectors = {"a": _beats(a, REAL, 1), "b": _beats(a, REAL, 2)}
    for tag, v in vectors.items():
        np.savez(d / f"vectors_{tag}.npz", x=v.x, rr=v.rr)
    job = {
        "lib": str(lib),
        "poll_budget": 2000,
        "image_b_bin": str(d / "fw_b" / "snn_weights.bin"),
        "vectors_a": str(d / "vectors_a.npz"),
        "vectors_b": str(d / "vectors_b.npz"),
        "out": str(d / "out"),
    }
    (d / "job.json").write_text(json.dumps(job))
    build = design.spi_build(a.spec, CONFIG)
    results = runner.run(
        build,
        "ecg_snn.sim.accel.spi_tests",
        test_dir=d / "run",
        env={"SIM_SPI_JOB": str(d / "job.json")},
    )
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert not failed and len(results) == 2, failed or [r.name for r in results]
    out = json.loads((d / "out" / "driver_over_spi.json").read_text())
    with np.load(d / "out" / "driver_over_spi.npz") as f:
        out |= {k: f[k] for k in f.files}
    faulty = json.loads((d / "out" / "driver_over_faulty_spi.json").read_text())
    return {"facts": out, "faulty": faulty, "vectors": vectors}


def _assert_golden(model: Artifact, v: Vectors, got: dict, tag: str) -> None:
    g = golden.run(model, v.x[:, None, :], v.rr)
    np.testing.assert_array_equal(got[f"{tag}_cls"], g.cls, err_msg=f"{tag}: class")
    np.testing.assert_array_equal(got[f"{tag}_values"], g.values, err_msg=f"{tag}: values")
    layout = ResultLayout.of(model.spec)
    payload = got[f"{tag}_payload"]  # the READ_RESULT bytes as they came off MISO
    want = [pack_result(layout, int(c), r.tolist()) for c, r in zip(g.cls, g.values, strict=True)]
    assert payload == want, f"{tag}: payload"


def test_driver_over_spi_equals_golden_on_ds2_beats_and_after_a_reload(run, models):
    a, b = models
    r = run["facts"]
    assert r["hardware_id"] == a.spec.hardware_id()
    assert r["errors_at_start"] == 0 and r["errors_at_end"] == 0
    assert r["load_a_status"] == 0 and r["load_b_status"] == 0
    _assert_golden(a, run["vectors"]["a"], r, "a")
    _assert_golden(b, run["vectors"]["b"], r, "b")


def test_the_comparison_tells_the_two_models_apart(run, models):
    """Negative test: B's results over SPI are not A's golden (the reload really happened)."""
    a, _ = models
    with pytest.raises(AssertionError, match=r"b: (class|values|payload)"):
        _assert_golden(a, run["vectors"]["b"], run["facts"], "b")


def _link_code() -> int:
    """SNN_ERR_LINK's value: its place in snn_status_t (firmware/include/snn_types.h)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "firmware/include/snn_types.h").read_text()
    names = re.findall(r"\bSNN_(OK|ERR_\w+)", text[text.index("SNN_OK = 0") :].split("}")[0])
    return names.index("ERR_LINK")


@pytest.mark.parametrize(
    ("kind", "submit", "wait"),
    [
        ("repeat", 0, "link"),
        ("glitch", "link", None),
        ("cut_read", 0, "link"),
        ("repeat_rr", 0, "link"),
    ],
    ids=[
        "word-delivered-twice",
        "cs-glitch-then-reset-byte",
        "result-read-cut",
        "rr-word-delivered-twice",
    ],
)
def test_driver_reports_each_link_fault_and_recovers(run, models, kind, submit, wait):
    """The fault fired; the driver reported SNN_ERR_LINK (a sample or RR word delivered twice:
    at the result, as the chip still holds a word after it; the glitch: at the end of the beat,
    as the shell kept its FRAME through the RESET the next byte made; the cut read: at the
    result), never SNN_OK with a result; and the next beat, clean, equals golden."""
    a, _ = models
    f, link = run["faulty"], _link_code()
    assert f["load"] == 0 and kind in f["fired"]
    want = {"link": link, 0: 0, None: None}
    assert (f[f"{kind}_submit"], f[f"{kind}_wait"]) == (want[submit], want[wait])
    v = run["vectors"]["a"]
    k = 2 * FAULTS.index(kind) + 1
    g = golden.run(a, v.x[k : k + 1, None, :], v.rr[k : k + 1])
    assert f[f"{kind}_next_cls"] == int(g.cls[0])
    assert f[f"{kind}_next_values"] == g.values[0].tolist()
    assert f["errors_at_end"] == 0
